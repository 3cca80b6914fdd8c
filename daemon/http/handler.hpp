#pragma once
// What the HTTP listener serves: it parses, frames and bounds requests, and hands each one to
// a Handler (the proxy). The listener knows nothing of routes, formats or configs beyond the
// limits it enforces.

#include <string>

#include "common/config.hpp"
#include "daemon/http/message.hpp"

namespace litellm::http {

class Handler {
  public:
    virtual ~Handler() = default;
    /// The limits in effect now (read once per connection and per request).
    virtual Limits limits() const = 0;
    /// For a request whose head has arrived: true, with `res` filled, when it must be refused
    /// before its body is read (a missing master key, a web page's request without one).
    virtual bool refuse_early(const Request& req, Response& res) = 0;
    /// Serves `req`; always fills `res` (a 404 in the client's format for unknown paths).
    virtual void handle(Request& req, Response& res) = 0;
    /// Fills `res`, whose status is set (400, 413, 431, 503, ...), with an error body in the
    /// client's format; `message`, when given, replaces the default text.
    virtual void write_error(const Request& req, Response& res, const std::string& message) = 0;
    /// Responses being streamed now.
    virtual int active_streams() const = 0;
};

}  // namespace litellm::http
