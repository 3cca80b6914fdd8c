#pragma once
// The HTTP proxy: /v1/messages, /v1/messages/count_tokens, /v1/chat/completions, /v1/models.
//
// A request is routed by its model name to a deployment. Same-format routes (Anthropic in,
// Anthropic-compatible out; OpenAI in, OpenAI-compatible out) pass the body through with only
// the model replaced, and stream upstream bytes back untouched. Cross-format routes decode into
// the canonical model (daemon/wire) and encode for the other side, streaming event by event.
//
// A stream is served by the connection's own thread: it reads the upstream and writes each
// piece to the client as it arrives (a slow client slows the upstream read through TCP back
// pressure instead of growing memory). Nothing is sent to the client before the upstream's
// status, so an upstream error before the first byte is still a proper HTTP error in the
// client's format, and a fallback can still take over.

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "common/config.hpp"
#include "daemon/http/message.hpp"
#include "daemon/proxy/upstream.hpp"
#include "daemon/wire/model.hpp"

namespace litellm {
class Daemon;
}

namespace litellm::proxy {

/// The API a client speaks (and the error shape it gets).
enum class ApiFormat { kAnthropic, kOpenAIChat };

/// The API format a request to `path` with these headers expects errors in.
ApiFormat format_for_request(const http::Request& req);

/// Writes `error` into `res` in the client's format, with status and retry-after.
void write_error(http::Response& res, ApiFormat format, const wire::Error& error);

/// Estimates input tokens for count_tokens when no Anthropic upstream can count; errs high.
std::int64_t estimate_input_tokens(const wire::Request& request);

class Proxy {
  public:
    explicit Proxy(Daemon& daemon);
    ~Proxy();

    /// Serves `req` when its path is one of the proxy's; false when no route matches.
    bool handle(http::Request& req, http::Response& res);

    /// Fills `res` (whose status is already set: 400, 404, 413, 431, 503) with an error body
    /// in the API format the request's path and headers suggest; `message`, when given,
    /// replaces the default text.
    void write_http_error(const http::Request& req, http::Response& res,
                          const std::string& message = {});

    /// For a POST whose head has arrived: true, with `res` filled (401 in the client's
    /// format), when the daemon has a master key and the head does not carry it, so that
    /// nothing of the body need be read or held.
    bool refuse_unauthorized(const http::Request& req, http::Response& res);

    /// Streams being served now.
    int active_streams() const { return m_active_streams.load(); }

  private:
    struct Call;

    /// What one attempt on one deployment came to.
    struct AttemptResult {
        bool committed = false;  ///< the response (or stream) went to the client
        wire::Error error;       ///< why not, when !committed
        bool transport_failure = false;
        bool client_gone = false;  ///< the client hung up before anything was sent to it
    };

    void handle_chat(const http::Request& req, http::Response& res, ApiFormat format);
    void handle_count_tokens(const http::Request& req, http::Response& res);
    void handle_models(const http::Request& req, http::Response& res);
    bool authorize(const http::Request& req, http::Response& res, ApiFormat format,
                   const Config& cfg);

    /// Builds the upstream request for `call` on `deployment`; nullopt with `error` set when
    /// the deployment cannot be used (unsupported provider, missing credentials).
    std::optional<UpstreamRequest> build_upstream(Call& call, const Deployment& deployment,
                                                  const Config& cfg, wire::Error& error);
    /// Ends `call` for a client that hung up: logged, no further attempt, no cooldown.
    void abandon(const Call& call, http::Response& res, const Deployment& d, int attempts);
    /// One attempt without streaming; writes `res` only on success.
    AttemptResult run_whole(Call& call, UpstreamRequest upstream, http::Response& res);
    /// One streamed attempt; commits `res` only once the upstream answered 2xx (and, with
    /// stream_hold_timeout, sent its first content).
    AttemptResult run_stream(Call& call, UpstreamRequest upstream, http::Response& res);

    Daemon& m_daemon;
    UpstreamPool m_pool;
    std::atomic<int> m_active_streams{0};
    Watchdog m_hold_timer;                ///< commits held streams whose upstream stays silent
    std::atomic<unsigned> m_rotation{0};  ///< round-robin start inside deployment groups
};

}  // namespace litellm::proxy
