#include "proto/errors.hpp"

namespace litellm::proto {

const std::vector<ErrorInfo>& error_table() {
    static const std::vector<ErrorInfo> table = {
        {ErrorCode::kParseError, "parse_error", "The line is not valid JSON."},
        {ErrorCode::kInvalidRequest, "invalid_request",
         "Valid JSON but not a JSON-RPC 2.0 request, or a line over the 1 MiB limit."},
        {ErrorCode::kMethodNotFound, "method_not_found",
         "No such method; `rpc.describe` lists them."},
        {ErrorCode::kInvalidParams, "invalid_params",
         "Params do not match the method's spec; the message gives the usage."},
        {ErrorCode::kInternalError, "internal", "A bug in the daemon; the log has details."},
        {ErrorCode::kNotFound, "not_found", "A named model, provider or entry does not exist."},
        {ErrorCode::kFailedPrecondition, "failed_precondition",
         "Not possible in the current state, e.g. the new config has errors (listed in "
         "`error.data.errors`)."},
        {ErrorCode::kPermissionDenied, "permission_denied",
         "The caller's uid may not use the control socket."},
        {ErrorCode::kUnavailable, "unavailable",
         "Temporarily impossible: the daemon is shutting down or has too many clients."},
        {ErrorCode::kUnauthenticated, "unauthenticated",
         "Credentials are missing or were refused by the provider."},
        {ErrorCode::kIncompatible, "incompatible",
         "Client and daemon protocol versions do not overlap."},
        {ErrorCode::kNotImplemented, "not_implemented", "Known method, not built yet."},
    };
    return table;
}

const std::vector<ExitInfo>& exit_table() {
    static const std::vector<ExitInfo> table = {
        {ExitCode::kOk, "ok", "Success."},
        {ExitCode::kFailure, "failure", "The operation failed; the message says why."},
        {ExitCode::kUsage, "usage", "Bad command line or bad params."},
        {ExitCode::kNotRunning, "not_running", "No daemon answers on the control socket."},
        {ExitCode::kIncompatible, "incompatible",
         "litellmctl and litellmd protocol versions do not overlap."},
        {ExitCode::kConfigInvalid, "config_invalid",
         "The config file has errors (`litellmd --check-config`, `reload`)."},
        {ExitCode::kNotImplemented, "not_implemented", "The command is not built yet."},
        {ExitCode::kPermission, "permission", "Permission denied on the socket or a file."},
        {ExitCode::kAlreadyRunning, "already_running",
         "litellmd: another daemon already serves this home."},
        {ExitCode::kRpcError, "rpc_error", "The daemon answered with another JSON-RPC error."},
    };
    return table;
}

std::string_view error_code_name(ErrorCode code) {
    for (const auto& info : error_table()) {
        if (info.code == code) return info.name;
    }
    return "unknown";
}

ExitCode exit_code_for(ErrorCode code) {
    switch (code) {
        case ErrorCode::kInvalidParams:
        case ErrorCode::kMethodNotFound:
            return ExitCode::kUsage;
        case ErrorCode::kFailedPrecondition:
            return ExitCode::kConfigInvalid;
        case ErrorCode::kPermissionDenied:
            return ExitCode::kPermission;
        case ErrorCode::kIncompatible:
            return ExitCode::kIncompatible;
        case ErrorCode::kNotImplemented:
            return ExitCode::kNotImplemented;
        default:
            return ExitCode::kRpcError;
    }
}

}  // namespace litellm::proto
