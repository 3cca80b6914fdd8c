#pragma once
// The one error enum of the control protocol, and the exit codes of both binaries.
//
// JSON-RPC 2.0 reserves -32768..-32000; our application errors live in -32099..-32000
// ("server error" range), one code per class, in the spirit of gRPC/containerd status classes.

#include <string_view>
#include <vector>

namespace litellm::proto {

enum class ErrorCode : int {
    // JSON-RPC 2.0 standard codes.
    kParseError = -32700,      ///< the line is not JSON
    kInvalidRequest = -32600,  ///< JSON, but not a valid request object (or a line over the limit)
    kMethodNotFound = -32601,  ///< no such method in the table
    kInvalidParams = -32602,   ///< params do not match the method's spec
    kInternalError = -32603,   ///< a bug: the daemon caught an exception in a handler

    // Application classes.
    kNotFound = -32001,            ///< a named thing (model, provider, cooldown) does not exist
    kFailedPrecondition = -32002,  ///< not possible in the current state (e.g. config invalid)
    kPermissionDenied = -32003,    ///< the peer is not allowed to call this
    kUnavailable = -32004,         ///< temporarily impossible (shutting down, too many clients)
    kUnauthenticated = -32005,     ///< credentials missing or refused (e.g. OAuth refresh failed)
    kIncompatible = -32006,        ///< protocol versions do not overlap
    kNotImplemented = -32007,      ///< known method, not built yet
};

/// Short stable name of a code ("invalid_params"), used in CLI output and logs.
std::string_view error_code_name(ErrorCode code);

/// Exit codes of litellmctl and litellmd (documented in docs/control-protocol.md).
enum class ExitCode : int {
    kOk = 0,
    kFailure = 1,         ///< the operation failed; the message says why
    kUsage = 2,           ///< bad command line
    kNotRunning = 3,      ///< litellmctl: no daemon answers on the control socket
    kIncompatible = 4,    ///< protocol versions do not overlap
    kConfigInvalid = 5,   ///< config file has errors
    kNotImplemented = 6,  ///< command exists but is not built yet
    kPermission = 7,      ///< permission denied (socket owned by another user)
    kAlreadyRunning = 8,  ///< litellmd: another daemon owns this home / socket
    kRpcError = 9,        ///< litellmctl rpc: the daemon answered with a JSON-RPC error
};

/// A documented error code.
struct ErrorInfo {
    ErrorCode code;
    std::string_view name;
    std::string_view help;
};

/// Every error code with its name and meaning, in numeric order.
const std::vector<ErrorInfo>& error_table();

/// A documented exit code.
struct ExitInfo {
    ExitCode code;
    std::string_view name;
    std::string_view help;
};

/// Every exit code with its meaning.
const std::vector<ExitInfo>& exit_table();

/// Maps a JSON-RPC error from the daemon to the exit code litellmctl returns for it.
ExitCode exit_code_for(ErrorCode code);

}  // namespace litellm::proto
