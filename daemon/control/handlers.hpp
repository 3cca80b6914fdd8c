#pragma once
// Binds one handler to each method of the proto table and runs calls: params are checked
// against the spec before a handler sees them, and a missing or extra handler fails at start.

#include <sys/types.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "common/jsonrpc.hpp"
#include "common/log.hpp"
#include "proto/errors.hpp"

namespace litellm {

class Daemon;

/// What a handler knows about its caller.
struct CallContext {
    uid_t peer_uid = 0;
    bool in_batch = false;
    /// Switches the connection to log streaming (set by the control server).
    std::function<std::size_t(LogLevel level, std::size_t backlog)> start_follow;
    /// Queues one reply line on the connection from any thread (set by the control server;
    /// a closed connection drops it).
    std::function<void(std::string line)> send_line;
};

/// A handler's error.
struct RpcError {
    proto::ErrorCode code = proto::ErrorCode::kInternalError;
    std::string message;
    rapidjson::Document data;  ///< null when none
};

/// A handler's answer: a result object, or an error.
struct HandlerReply;
/// Delivers a deferred reply (any thread, once).
using ReplyCallback = std::function<void(HandlerReply)>;

struct HandlerReply {
    rapidjson::Document result;
    std::optional<RpcError> error;
    /// Set by a handler whose answer takes long (an OAuth exchange): it is called with the
    /// callback that sends the reply later, and the event loop moves on meanwhile.
    std::function<void(ReplyCallback)> later;

    static HandlerReply failure(proto::ErrorCode code, std::string message);
};

using Handler = std::function<HandlerReply(const rapidjson::Value& params, CallContext& ctx)>;

class RpcDispatcher {
  public:
    /// Binds the daemon's handlers; throws std::logic_error when they and the table disagree.
    explicit RpcDispatcher(Daemon& daemon);

    /// Runs one parsed request; returns the reply line, or "" for a notification.
    std::string dispatch(rpc::Request& request, CallContext& ctx);

    /// Handles one received line (single or batch); returns the reply line or "".
    std::string handle_line(std::string_view line, CallContext& ctx);

  private:
    void bind(std::string_view name, Handler handler);

    Daemon& m_daemon;
    std::map<std::string, Handler, std::less<>> m_handlers;
};

/// Names of table methods without a handler, and handlers not in the table.
std::vector<std::string> dispatcher_mismatches(const std::vector<std::string>& handler_names);

}  // namespace litellm
