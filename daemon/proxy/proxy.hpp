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
#include "daemon/config_source.hpp"
#include "daemon/http/handler.hpp"
#include "daemon/http/message.hpp"
#include "daemon/proxy/quota_watcher.hpp"
#include "daemon/proxy/upstream.hpp"
#include "daemon/router/cooldown.hpp"
#include "daemon/router/usage.hpp"
#include "daemon/wire/codec.hpp"

namespace litellm::api {
struct ClientApi;
}
namespace litellm::providers {
class Provider;
}
namespace litellm::auth {
class TokenStore;
}

namespace litellm::proxy {

/// Writes `error` into `res` in `codec`'s format, with status and retry-after.
void write_error(http::Response& res, const wire::Codec& codec, const wire::Error& error);

/// Estimates input tokens for count_tokens when no Anthropic upstream can count; errs high.
std::int64_t estimate_input_tokens(const wire::Request& request);

class Proxy final : public http::Handler {
  public:
    /// `configs`, `cooldowns` and `tokens` (OAuth providers; may be null) must outlive the
    /// proxy.
    Proxy(const ConfigSource& configs, router::CooldownTable& cooldowns,
          auth::TokenStore* tokens = nullptr);
    ~Proxy() override;

    Limits limits() const override;
    bool refuse_early(const http::Request& req, http::Response& res) override;
    void handle(http::Request& req, http::Response& res) override;
    void write_error(const http::Request& req, http::Response& res,
                     const std::string& message) override;
    int active_streams() const override { return m_active_streams.load(); }

  private:
    struct Call;

    /// What one attempt on one deployment came to.
    struct AttemptResult {
        bool committed = false;  ///< the response (or stream) went to the client
        wire::Error error;       ///< why not, when !committed
        bool transport_failure = false;
        bool client_gone = false;  ///< the client hung up before anything was sent to it
        /// The upstream's response headers (a quota reading may ride in them).
        std::vector<std::pair<std::string, std::string>> head_headers;
        /// The stream's latest quota report (StreamDecoder::take_quota_report), if any.
        std::string quota_report;
    };

    void handle_generate(const http::Request& req, http::Response& res, const api::ClientApi& api);
    void handle_count_tokens(const http::Request& req, http::Response& res,
                             const api::ClientApi& api);
    void handle_models(const http::Request& req, http::Response& res, const api::ClientApi& api);
    bool authorize(const http::Request& req, http::Response& res, const api::ClientApi& api,
                   const Config& cfg);

    /// Builds the upstream request for `call` on `deployment`; nullopt with `error` set when
    /// the deployment cannot be used (no provider for it yet, missing credentials, a request
    /// its format cannot carry).
    std::optional<UpstreamRequest> build_upstream(Call& call, const Deployment& deployment,
                                                  const Config& cfg, wire::Error& error);
    /// Counts an answer's tokens toward its deployment's tpm.
    void count_tokens_used(const Call& call, const wire::Usage& usage);
    /// Ends `call` for a client that hung up: logged, no further attempt, no cooldown.
    void abandon(const Call& call, http::Response& res, const Deployment& d, int attempts);
    /// One attempt without streaming; writes `res` only on success.
    AttemptResult run_whole(Call& call, UpstreamRequest upstream, http::Response& res);
    /// One attempt for a whole answer on an upstream that only streams: the stream's events
    /// are gathered into the response; writes `res` only on success.
    AttemptResult run_gathered(Call& call, UpstreamRequest upstream, http::Response& res);
    /// One streamed attempt; commits `res` only once the upstream answered 2xx (and, with
    /// stream_hold_timeout, sent its first content).
    AttemptResult run_stream(Call& call, UpstreamRequest upstream, http::Response& res);

    const ConfigSource& m_configs;
    router::CooldownTable& m_cooldowns;
    auth::TokenStore* m_tokens = nullptr;
    /// Re-reads spent plan quotas while their deployments cool.
    QuotaWatcher m_quota;
    /// Requests and tokens per deployment this minute, for litellm_params.rpm / tpm.
    router::UsageTable m_usage;
    UpstreamPool m_pool;
    std::atomic<int> m_active_streams{0};
    std::atomic<unsigned> m_rotation{0};  ///< round-robin start inside deployment groups
};

}  // namespace litellm::proxy
