#include "daemon/proxy/proxy.hpp"

#include "daemon/auth/token_store.hpp"

#include <openssl/crypto.h>
#include <poll.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <deque>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "common/log.hpp"
#include "common/net.hpp"
#include "common/provider_status.hpp"
#include "common/providers.hpp"
#include "common/redact.hpp"
#include "daemon/api/client_api.hpp"
#include "daemon/providers/provider.hpp"
#include "daemon/router/router.hpp"
#include "daemon/wire/events.hpp"
#include "daemon/wire/json_scan.hpp"
#include "daemon/wire/json_util.hpp"
#include "daemon/wire/normalize.hpp"
#include "daemon/wire/sse.hpp"
#include "proto/version.hpp"

namespace litellm::proxy {

using wire::find_top_level_value;
using wire::insert_top_level_if_absent;
using wire::replace_top_level_value;
using wire::RoutingFields;
using wire::scan_routing_fields;

namespace {

using Clock = std::chrono::steady_clock;

// Error bodies from upstreams are kept up to this size for classification.
constexpr std::size_t kMaxErrorBody = 64 * 1024;
// Stream bytes held before the first content (see stream_hold_timeout); past this the stream
// commits early rather than hold more.
constexpr std::size_t kMaxHeldStreamBytes = 1024 * 1024;

// litellm_params keys that steer LiteLLM's router rather than the upstream request.
// LiteLLM's own litellm_params (its all_litellm_params, the credential fields its provider
// code consumes, and the original's metadata keys): settings for the gateway, never fields of
// the upstream's body. Any other key is a provider parameter and goes into the body, as in
// LiteLLM.
const std::set<std::string, std::less<>> kNonBodyParams = {"model",
                                                           "api_key",
                                                           "api_base",
                                                           "api_version",
                                                           "base_url",
                                                           "timeout",
                                                           "stream_timeout",
                                                           "request_timeout",
                                                           "max_retries",
                                                           "num_retries",
                                                           "fallbacks",
                                                           "context_window_fallback_dict",
                                                           "retry_policy",
                                                           "cooldown_time",
                                                           "max_fallbacks",
                                                           "rpm",
                                                           "tpm",
                                                           "itpm",
                                                           "otpm",
                                                           "max_parallel_requests",
                                                           "weight",
                                                           "order",
                                                           "organization",
                                                           "custom_llm_provider",
                                                           "base_model",
                                                           "model_info",
                                                           "metadata",
                                                           "litellm_metadata",
                                                           "tags",
                                                           "mock_response",
                                                           "mock_timeout",
                                                           "drop_params",
                                                           "additional_drop_params",
                                                           "allowed_openai_params",
                                                           "input_cost_per_token",
                                                           "output_cost_per_token",
                                                           "input_cost_per_second",
                                                           "output_cost_per_second",
                                                           "region_name",
                                                           "allowed_model_region",
                                                           "use_in_pass_through",
                                                           "merge_reasoning_content_in_choices",
                                                           "litellm_credential_name",
                                                           "max_budget",
                                                           "budget_duration",
                                                           "supports_system_message",
                                                           "enable_json_schema_validation",
                                                           "cache_control_injection_points",
                                                           "configurable_clientside_auth_params",
                                                           "ssl_verify",
                                                           "aws_access_key_id",
                                                           "aws_secret_access_key",
                                                           "aws_session_token",
                                                           "aws_region_name",
                                                           "aws_session_name",
                                                           "aws_profile_name",
                                                           "aws_role_name",
                                                           "aws_web_identity_token",
                                                           "aws_sts_endpoint",
                                                           "aws_external_id",
                                                           "aws_bedrock_runtime_endpoint",
                                                           "vertex_project",
                                                           "vertex_location",
                                                           "vertex_credentials",
                                                           "azure_ad_token",
                                                           "tenant_id",
                                                           "client_id",
                                                           "client_secret",
                                                           "azure_username",
                                                           "azure_password",
                                                           "azure_scope",
                                                           "watsonx_region_name",
                                                           "hf_model_name",
                                                           "headers",
                                                           "extra_headers",
                                                           "use_litellm_proxy",
                                                           "reasoning",
                                                           "input"};

wire::Error make_error(wire::ErrorKind kind, std::string message) {
    wire::Error e;
    e.kind = kind;
    e.message = std::move(message);
    return e;
}

// Upstream error text may quote the credential it refused (some providers echo the key), and
// any text may carry a token or a URL's password: what leaves the daemon (client errors,
// cooldown reasons, logs, status) is scrubbed of the secrets this request could have seen.
void scrub_secrets(std::string& text, const Deployment& d, const Config& cfg) {
    for (const std::string* secret : {&d.api_key.value, &cfg.general.master_key.value}) {
        if (secret->size() < 6) continue;  // too short to tell from ordinary words
        for (std::size_t pos = text.find(*secret); pos != std::string::npos;
             pos = text.find(*secret, pos + kRedacted.size())) {
            text.replace(pos, secret->size(), kRedacted);
        }
    }
    text = redact(text);
}

// Waits up to `seconds` (0: just looks) and says whether the client on `fd` hung up meanwhile
// (see UpstreamRequest::client_fd for what counts).
bool client_hung_up(int fd, double seconds) {
    if (fd < 0) {
        if (seconds > 0) std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
        return false;
    }
    pollfd p{fd, POLLRDHUP, 0};
    auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                       std::chrono::duration<double>(seconds));
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        int n = ::poll(&p, 1, static_cast<int>(std::max<long long>(0, left.count())));
        if (n < 0 && errno == EINTR) continue;
        return n > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
    }
}

double first_positive(std::initializer_list<std::optional<double>> values, double fallback) {
    for (const auto& v : values) {
        if (v && *v > 0) return *v;
    }
    return fallback;
}

wire::Error transport_error(const UpstreamResult& r, const std::string& what) {
    switch (r.transport) {
        case TransportStatus::kTimeout:
            return make_error(wire::ErrorKind::kTimeout,
                              fmt::format("{} timed out ({})", what, r.transport_error));
        case TransportStatus::kConnect:
            return make_error(wire::ErrorKind::kApi,
                              fmt::format("cannot reach {}: {}", what, r.transport_error));
        case TransportStatus::kBadUrl:
        case TransportStatus::kTooLarge:
            return make_error(wire::ErrorKind::kApi, r.transport_error);
        default:
            return make_error(wire::ErrorKind::kApi,
                              fmt::format("connection to {} failed: {}", what, r.transport_error));
    }
}

}  // namespace

void write_error(http::Response& res, const wire::Codec& codec, const wire::Error& error) {
    res.status = codec.http_status(error.kind);
    res.set_content(codec.encode_error(error), "application/json");
    if (error.retry_after_s) {
        res.set_header("retry-after",
                       std::to_string(static_cast<long>(std::ceil(*error.retry_after_s))));
    }
}

namespace {

// The codec of a client API's format (every client API has one).
const wire::Codec& codec_of(const api::ClientApi& api) {
    return *wire::find_codec(api.format);
}

}  // namespace

std::int64_t estimate_input_tokens(const wire::Request& request) {
    // About 3 bytes per token errs high for English and code (closer to 4), which is the safe
    // side: Claude Code compacts a little early rather than overflowing.
    std::size_t bytes = 0;
    std::int64_t fixed = 8;
    auto add_blocks = [&](const std::vector<wire::Block>& blocks, auto&& self) -> void {
        for (const auto& b : blocks) {
            switch (b.type) {
                case wire::BlockType::kImage:
                    fixed += 1600;
                    break;
                case wire::BlockType::kDocument:
                    bytes += b.text.size();
                    fixed += static_cast<std::int64_t>(b.data.size() / 4 * 3 / 100);
                    break;
                case wire::BlockType::kToolUse:
                    bytes += b.name.size() + b.input_json.size();
                    fixed += 10;
                    break;
                case wire::BlockType::kToolResult:
                    self(b.content, self);
                    fixed += 10;
                    break;
                default:
                    bytes += b.text.size();
            }
        }
    };
    add_blocks(request.system, add_blocks);
    for (const auto& m : request.messages) {
        fixed += 4;
        add_blocks(m.blocks, add_blocks);
    }
    for (const auto& t : request.tools) {
        bytes += t.name.size() + t.description.size() + t.schema_json.size();
        fixed += 10;
    }
    return fixed + static_cast<std::int64_t>((bytes + 2) / 3);
}

/// One client request on its way through the proxy.
struct Proxy::Call {
    const api::ClientApi* api = nullptr;
    const wire::Codec* client_codec = nullptr;    ///< the client's format
    const wire::Codec* upstream_codec = nullptr;  ///< this attempt's upstream format
    const providers::Provider* provider = nullptr;
    const http::Request* req = nullptr;
    std::string model;
    bool stream = false;
    bool passthrough = false;
    bool reencode = false;  ///< same format, but the body is sent re-encoded, never as it came
    std::optional<wire::Request> canonical;
    const Deployment* deployment = nullptr;
    Clock::time_point started = Clock::now();
    Clock::time_point started_attempt = Clock::now();
    int attempts = 0;
    const std::vector<std::string>* tried = nullptr;  ///< earlier attempts' outcomes
    const Config* cfg = nullptr;                      ///< the snapshot this request uses
    /// Deployments made concrete for this request from wildcard names (`anthropic/*`); the
    /// chain points into it (a deque: the pointers stay valid as it grows).
    std::deque<Deployment> concrete;
    /// OAuth deployments: the store's token for this attempt.
    auth::TokenSnapshot token;
    /// Whose plan quota this attempt draws on (empty when the provider reports none).
    std::string quota_account;
};

Proxy::Proxy(const ConfigSource& configs, router::CooldownTable& cooldowns,
             auth::TokenStore* tokens)
    : m_configs(configs),
      m_cooldowns(cooldowns),
      m_tokens(tokens),
      m_quota(cooldowns, tokens, configs) {}

Proxy::~Proxy() = default;

Limits Proxy::limits() const {
    auto cfg = m_configs.config();
    return cfg ? cfg->general.limits : Limits();
}

void Proxy::handle(http::Request& req, http::Response& res) {
    bool get = req.method == "GET" || req.method == "HEAD";
    if (get && req.path == "/health") {
        auto cfg = m_configs.config();
        res.set_content(
            fmt::format(R"({{"status":"healthy","version":{},"models":{}}})",
                        json_quote(proto::kVersion), cfg ? cfg->model_names().size() : 0),
            "application/json");
        return;
    }
    // Liveness probes and clients that check the base URL (HEAD /, GET /, HEAD /api/hello).
    if (get && req.path == "/") {
        res.set_content("litellmd is running\n", "text/plain");
        return;
    }
    // LiteLLM's probes, as LiteLLM answers them (container orchestrators and dashboards
    // written for it poll these): no key needed, like LiteLLM's public routes.
    if (get && (req.path == "/health/liveliness" || req.path == "/health/liveness")) {
        res.set_content("\"I'm alive!\"", "application/json");
        return;
    }
    if (get && req.path == "/health/readiness") {
        auto cfg = m_configs.config();
        res.set_content(
            fmt::format(R"({{"status":"healthy","db":"Not connected","cache":null,)"
                        R"("litellm_version":{},"success_callbacks":[],)"
                        R"("models":{}}})",
                        json_quote(proto::kVersion), cfg ? cfg->model_names().size() : 0),
            "application/json");
        return;
    }
    if (get && req.path == "/api/hello") {
        res.set_content("", "text/plain");
        return;
    }
    // The body is parsed in place (no padded copy) for the whole request.
    wire::PaddedInput padded(req.body);
    auto call = api::match(req);
    if (!call) {
        res.status = 404;
        write_error(req, res, {});
        return;
    }
    switch (call->endpoint) {
        case api::Endpoint::kGenerate:
            handle_generate(req, res, *call->api);
            return;
        case api::Endpoint::kCountTokens:
            handle_count_tokens(req, res, *call->api);
            return;
        case api::Endpoint::kModels:
            handle_models(req, res, *call->api);
            return;
    }
}

void Proxy::write_error(const http::Request& req, http::Response& res, const std::string& message) {
    const wire::Codec& codec = codec_of(api::for_errors(req));
    switch (res.status) {
        case 413:
            proxy::write_error(res, codec,
                               make_error(wire::ErrorKind::kRequestTooLarge,
                                          message.empty() ? "request body too large" : message));
            return;
        case 503:
            // Anthropic clients get 529 overloaded_error (which Claude Code retries), OpenAI
            // clients 503.
            proxy::write_error(
                res, codec,
                make_error(wire::ErrorKind::kOverloaded,
                           message.empty() ? "litellmd is overloaded; retry shortly" : message));
            res.set_header("retry-after", "1");
            return;
        case 431:
            proxy::write_error(res, codec,
                               make_error(wire::ErrorKind::kInvalidRequest,
                                          fmt::format("request headers exceed the {} KB limit",
                                                      http::kMaxHeadBytes / 1024)));
            res.status = 431;
            return;
        case 404:
            proxy::write_error(res, codec,
                               make_error(wire::ErrorKind::kNoRoute,
                                          fmt::format("no route for {} {}; litellmd serves "
                                                      "/v1/messages, /v1/chat/completions and "
                                                      "/v1/models",
                                                      req.method, req.path)));
            return;
        default: {
            int status = res.status;
            proxy::write_error(
                res, codec,
                make_error(status >= 500 ? wire::ErrorKind::kApi : wire::ErrorKind::kInvalidRequest,
                           fmt::format("malformed HTTP request ({} {})", status,
                                       http::reason_phrase(status))));
            res.status = status;
        }
    }
}

void Proxy::count_tokens_used(const Call& call, const wire::Usage& u) {
    if (!call.deployment || !call.deployment->tpm) return;
    m_usage.record_tokens(
        router::deployment_key(*call.deployment),
        u.input_tokens + u.output_tokens + u.cache_read_tokens + u.cache_creation_tokens);
}

// One log line for a refused client, at most one a second (a client retrying in a loop must
// not fill the log): the lines skipped meanwhile are counted in the next one.
void log_refused_client(const http::Request& req, int status, const std::string& why) {
    static std::mutex mutex;
    static Clock::time_point last{};
    static std::uint64_t skipped = 0;
    std::uint64_t also = 0;
    {
        std::lock_guard lock(mutex);
        auto now = Clock::now();
        if (last != Clock::time_point{} && now - last < std::chrono::seconds(1)) {
            ++skipped;
            return;
        }
        last = now;
        also = std::exchange(skipped, 0);
    }
    log_warn("proxy", "{} {} refused ({}): {}{}", req.method, req.path, status, why,
             also ? fmt::format(" ({} more refused in the last second, not logged)", also) : "");
}

// Without a master key every local program is trusted, so a web page the user has open must
// not pass for one. A browser names the page's origin on a cross-site POST (a forged request
// would spend the user's subscriptions), or at least marks it Sec-Fetch-Site: cross-site; a
// DNS-rebinding page's requests carry the attacker's name in Host. Returns why `req` looks
// like a page's, or "" (programs send none of these, or only this machine's names).
std::string browser_refusal(const http::Request& req, const GeneralSettings& settings) {
    if (const std::string* origin = req.find_header("origin")) {
        // Only names that cannot leave this machine: a page served from one is local.
        std::size_t scheme_end = origin->find("://");
        std::string host;
        if (scheme_end != std::string::npos) {
            std::string_view authority = std::string_view(*origin).substr(scheme_end + 3);
            host = authority_host(authority.substr(0, authority.find('/')));
        }
        if (host.empty() || !is_loopback_host(host)) {
            return fmt::format("a request from the web page {} (Origin header)",
                               log_safe_text(*origin, 100));
        }
    } else if (const std::string* site = req.find_header("sec-fetch-site");
               site && http::iequals(*site, "cross-site")) {
        return "a cross-site request from a web page (Sec-Fetch-Site: cross-site)";
    }
    const std::string* host_header = req.find_header("host");
    if (!host_header || host_header->empty()) return {};  // HTTP/1.0, or no authority
    static const std::string local_name = local_host_name();
    std::string host = authority_host(*host_header);
    bool local = !host.empty() &&
                 (is_ip_literal(host) || is_loopback_host(host) || host == local_name ||
                  host == "host.docker.internal" ||
                  std::find(settings.allowed_hosts.begin(), settings.allowed_hosts.end(), host) !=
                      settings.allowed_hosts.end());
    if (!local) {
        return fmt::format(
            "a request addressed to {} (Host header), not to this machine; "
            "a name of your own for it goes in general_settings.allowed_hosts",
            log_safe_text(*host_header, 100));
    }
    return {};
}

bool Proxy::refuse_early(const http::Request& req, http::Response& res) {
    auto cfg = m_configs.config();
    if (!cfg) return false;
    if (cfg->general.master_key.value.empty()) {
        std::string why = browser_refusal(req, cfg->general);
        if (why.empty()) return false;
        log_refused_client(req, 403, why);
        auto call = api::match(req);
        proxy::write_error(
            res, codec_of(call ? *call->api : api::for_errors(req)),
            make_error(wire::ErrorKind::kPermission,
                       why + ": without general_settings.master_key litellmd serves only "
                             "programs on this machine, not web pages; call it as "
                             "http://127.0.0.1:<port> or http://localhost:<port>, or set a "
                             "master_key"));
        return true;
    }
    if (req.method != "POST") return false;
    auto call = api::match(req);
    return !authorize(req, res, call ? *call->api : api::for_errors(req), *cfg);
}

bool Proxy::authorize(const http::Request& req, http::Response& res, const api::ClientApi& api,
                      const Config& cfg) {
    const std::string& key = cfg.general.master_key.value;
    if (key.empty()) return true;  // loopback-only without a key (enforced at bind)
    std::vector<std::string> presented = api.presented_keys(req);
    // Constant time over the key's length, so timing does not reveal a matching prefix; any
    // header that carries the key will do (a client may send both).
    bool ok = false;
    for (const std::string& k : presented) {
        ok = ok || (k.size() == key.size() && CRYPTO_memcmp(k.data(), key.data(), key.size()) == 0);
    }
    if (ok) return true;
    log_refused_client(req, 401,
                       fmt::format("{}, not general_settings.master_key",
                                   presented.empty() ? "no API key" : "a wrong API key"));
    proxy::write_error(
        res, codec_of(api),
        make_error(wire::ErrorKind::kAuthentication,
                   presented.empty() ? "missing API key: send the litellmd master key as "
                                       "`Authorization: Bearer <key>` or `x-api-key: <key>`"
                                     : "invalid API key: it does not match "
                                       "general_settings.master_key"));
    return false;
}

std::optional<UpstreamRequest> Proxy::build_upstream(Call& call, const Deployment& d,
                                                     const Config& cfg, wire::Error& error) {
    const ProviderInfo* info = find_provider(d.provider);
    const providers::Provider* provider = providers::find(d.provider);
    const wire::Codec* codec = provider ? wire::find_codec(provider->format()) : nullptr;
    if (!info || !provider || !codec) {
        error = make_error(
            wire::ErrorKind::kApi,
            info ? fmt::format("'{}' is served by {}, which this litellmd cannot reach yet "
                               "(OAuth providers arrive with the token store); pick another "
                               "model",
                               d.model_name, info->display_name)
                 : fmt::format("deployment '{}' uses unknown provider '{}'", d.model_name,
                               d.provider));
        return std::nullopt;
    }
    call.provider = provider;
    call.upstream_codec = codec;
    call.passthrough =
        codec == call.client_codec && provider->takes_client_bytes(call.req->body, call.stream);
    const bool upstream_streams = call.stream || provider->always_streams();
    providers::UpstreamCall up_call{
        d, *info, *call.req, call.client_codec->format, call.passthrough, upstream_streams};
    if (info->auth == AuthKind::kOAuth) {
        // Fresh by the store's timer; refreshed here only when it could not be.
        call.token = m_tokens ? m_tokens->token_for_request(d.provider) : auth::TokenSnapshot{};
        if (!m_tokens) call.token.reason = "this litellmd has no token store";
        up_call.token = &call.token;
    }
    call.quota_account = provider->quota_account(up_call);
    bool keep_bytes = call.passthrough && !call.reencode;
    std::string missing =
        provider->missing_credentials(up_call, m_configs.config_path(), m_configs.dotenv_path());
    if (!missing.empty()) {
        error = make_error(wire::ErrorKind::kAuthentication, std::move(missing));
        return std::nullopt;
    }
    if (!keep_bytes) {
        // What the client asked for that this format cannot carry is refused, never dropped
        // silently, unless the config says to drop it (LiteLLM's drop_params, global or per
        // deployment); then the request goes on without it, and the log says what went.
        std::string unsupported = codec->unsupported(*call.canonical);
        if (!unsupported.empty()) {
            bool drop = cfg.litellm.drop_params;
            if (auto it = d.extra_params.find("drop_params"); it != d.extra_params.end()) {
                drop = it->second == "true";
            }
            if (!drop) {
                error = make_error(wire::ErrorKind::kInvalidRequest, std::move(unsupported));
                return std::nullopt;
            }
            log_info("proxy", "model={} drop_params: sent to {} without n>1 / logprobs", call.model,
                     d.model);
            call.canonical->n = 1;  // what no format's encoder needs any more after this
            call.canonical->logprobs = false;
        }
    }

    UpstreamRequest up;
    up.headers.reserve(8 + d.extra_headers.size());
    double timeout =
        first_positive({d.timeout_s, cfg.router.timeout_s, cfg.litellm.request_timeout_s}, 600);
    if (call.stream) timeout = first_positive({d.stream_timeout_s}, timeout);
    up.read_timeout_s = timeout;
    up.connect_timeout_s = std::min(10.0, timeout);
    up.first_byte_timeout_s =
        first_positive({d.first_byte_timeout_s, cfg.router.first_byte_timeout_s}, 0);
    // A whole answer is held in memory, so it is bounded; a stream is relayed as it arrives
    // and only its held parts are (SSE events, a JSON answer to a stream request).
    up.max_body_bytes = call.stream ? 0 : cfg.general.limits.max_response_bytes;
    up.max_inflate_ratio = cfg.general.limits.max_inflate_ratio;
    up.client_fd = call.req->peer_fd;

    std::vector<std::pair<std::string, std::string>> extras;
    for (const auto& [k, v] : d.extra_params) {
        if (!kNonBodyParams.count(k)) extras.emplace_back(k, v);
    }
    up.url = provider->url(up_call);
    up.proxy = cfg.proxy.for_url(up.url);  // resolved at load: HTTPS_PROXY, NO_PROXY, ...
    provider->headers(up_call, up.headers);
    up.headers.emplace_back("Accept", upstream_streams ? "text/event-stream" : "application/json");
    // No compression from upstreams (a request without Accept-Encoding allows any): it costs
    // CPU on both ends and delays stream chunks, and answers are small next to their latency.
    up.headers.emplace_back("Accept-Encoding", "identity");
    for (const auto& [k, v] : d.extra_headers)
        up.headers.emplace_back(k, v);

    if (keep_bytes) {
        up.body = replace_top_level_value(call.req->body, "model", json_quote(d.upstream_model));
        for (const auto& [k, v] : extras)
            up.body = insert_top_level_if_absent(up.body, k, v);
        // What the format's own upstream refuses even from its own clients (thinking with
        // a signature nobody minted, replayed after a fallback) is cut out of the bytes.
        if (auto fixed = codec->passthrough_fixup(up.body)) up.body = std::move(*fixed);
    } else {
        wire::EncodeOptions opts = provider->encode_options(up_call);
        opts.model = d.upstream_model;
        opts.stream = upstream_streams;
        opts.size_hint = call.req->body.size();
        opts.extra_params = std::move(extras);
        opts.accepts_signature = [provider](std::string_view family) {
            return provider->accepts_signature(family);
        };
        up.body = codec->encode_request(*call.canonical, opts);
    }
    up.body = provider->wrap(std::move(up.body), up_call);
    return up;
}

namespace {

std::string usage_text(const wire::Usage& u) {
    return fmt::format("in={} out={} cache_read={}", u.input_tokens, u.output_tokens,
                       u.cache_read_tokens);
}

long long ms_since(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

}  // namespace

void Proxy::handle_generate(const http::Request& req, http::Response& res,
                            const api::ClientApi& api) {
    auto cfg = m_configs.config();
    if (!authorize(req, res, api, *cfg)) return;
    const wire::Codec& client_codec = codec_of(api);
    // However the request ends, a parser that one large body grew gives its memory back.
    struct TrimParsers {
        ~TrimParsers() { wire::trim_thread_parsers(); }
    } trim;
    Call call;
    call.api = &api;
    call.client_codec = &client_codec;
    call.req = &req;
    call.cfg = cfg.get();
    auto decode = [&](std::string* error) {
        call.canonical.emplace();
        return client_codec.decode_request(req.body, *call.canonical, error);
    };
    // The model name is found without parsing the body (the scan stops at the first `model`);
    // a full decode happens only when a route translates, or to explain a body that is not
    // usable. Which `model` routes does not matter to a translated route: it is re-encoded
    // with the deployment's model. A route that keeps the bytes checks the whole top level
    // first (see below).
    std::optional<std::string_view> first_model;
    // An API that names the model in the path (Gemini) is decoded, its body given that model.
    std::optional<api::PathModel> path_model = api.path_model ? api.path_model(req) : std::nullopt;
    if (path_model) {
        std::string error;
        if (!decode(&error)) {
            proxy::write_error(res, client_codec,
                               make_error(wire::ErrorKind::kInvalidRequest, error));
            log_info("proxy", "{} {} model={} 400: {}", req.method, req.path, path_model->model,
                     error);
            return;
        }
        call.canonical->model = path_model->model;
        call.canonical->stream = path_model->stream;
        first_model = call.canonical->model;
    } else if (auto span = find_top_level_value(req.body, "model");
               span && req.body[span->begin] == '"') {
        std::string_view raw =
            std::string_view(req.body).substr(span->begin + 1, span->end - span->begin - 2);
        if (raw.find('\\') == std::string_view::npos) first_model = raw;
    }
    if (first_model) {
        call.model = std::string(*first_model);
    } else {
        std::string error;
        if (!decode(&error)) {
            proxy::write_error(res, client_codec,
                               make_error(wire::ErrorKind::kInvalidRequest, error));
            log_info("proxy", "{} {} model={} 400: {}", req.method, req.path, call.model, error);
            return;
        }
        call.model = call.canonical->model;
    }
    bool scanned = false;      // the whole top level was scanned for a byte-kept route
    bool stream_flag = false;  // the first `stream`, from that scan

    std::vector<const Deployment*> chain =
        router::resolve_chain(*cfg, call.model, m_rotation.fetch_add(1), &call.concrete);
    if (chain.empty()) {
        auto skipped = cfg->skipped_models.find(call.model);
        proxy::write_error(
            res, client_codec,
            make_error(wire::ErrorKind::kNotFound,
                       skipped != cfg->skipped_models.end()
                           ? fmt::format("model '{}' was left out when the config was loaded: {}",
                                         call.model, skipped->second)
                           : fmt::format("model '{}' is not configured in litellmd; "
                                         "`litellmctl status` lists the models",
                                         call.model)));
        log_info("proxy", "{} {} model={} 404: not configured", req.method, req.path, call.model);
        return;
    }
    router::CooldownTable& cooldowns = m_cooldowns;
    router::CooldownPolicy policy = router::cooldown_policy(cfg->router);
    // Cooling deployments are skipped; when all are cooling, the one that heals first is tried
    // rather than failing outright.
    std::vector<const Deployment*> order;
    std::size_t at_limit = 0;
    for (const Deployment* d : chain) {
        std::string key = router::deployment_key(*d);
        // A deployment that used its rpm / tpm this minute is skipped like a cooling one.
        if (m_usage.at_limit(key, {d->rpm, d->tpm})) {
            ++at_limit;
            continue;
        }
        if (!cooldowns.cooling(key)) order.push_back(d);
    }
    std::vector<std::string> tried;
    if (at_limit == chain.size()) {
        // Every deployment used its limit: the client waits for the next minute, as LiteLLM's
        // usage-based routing answers (no upstream is asked past its limit).
        double retry = std::ceil(m_usage.seconds_to_next_window());
        wire::Error e = make_error(
            wire::ErrorKind::kRateLimit,
            fmt::format("every deployment of '{}' used its rpm/tpm limit for this minute; "
                        "retry in {:g} s",
                        call.model, retry));
        e.retry_after_s = retry;
        proxy::write_error(res, client_codec, e);
        log_info("proxy", "{} {} model={} 429: all {} deployments at their rpm/tpm limits",
                 req.method, req.path, call.model, chain.size());
        return;
    }
    if (at_limit > 0) tried.push_back(fmt::format("{} at their rpm/tpm limit, skipped", at_limit));
    if (order.empty()) {
        const Deployment* soonest = nullptr;
        std::optional<router::TimePoint> soonest_until;
        for (const Deployment* d : chain) {
            if (m_usage.at_limit(router::deployment_key(*d), {d->rpm, d->tpm})) continue;
            if (!soonest) {
                soonest = d;
                soonest_until = cooldowns.until(router::deployment_key(*d));
                continue;
            }
            auto u = cooldowns.until(router::deployment_key(*d));
            if (u && (!soonest_until || *u < *soonest_until)) {
                soonest = d;
                soonest_until = u;
            }
        }
        order.push_back(soonest);
        tried.push_back(fmt::format("all {} cooling down; trying {} first", chain.size() - at_limit,
                                    soonest->model));
    } else if (order.size() + at_limit < chain.size()) {
        tried.push_back(
            fmt::format("{} cooling down, skipped", chain.size() - order.size() - at_limit));
    }

    int attempts = 0;
    std::optional<wire::Error> last_error;
    bool context_rerouted = false;
    for (size_t i = 0; i < order.size(); ++i) {
        const Deployment& d = *order[i];
        std::string key = router::deployment_key(d);
        const providers::Provider* provider = providers::find(d.provider);
        bool keeps_bytes = provider && provider->format() == api.format && !path_model;
        if (keeps_bytes && !scanned) {
            // The upstream gets these bytes: a second `model` or `stream` (or a key spelled
            // with escapes) could make it obey another than the one routed by, so such a
            // body is decoded and sent re-encoded instead.
            scanned = true;
            RoutingFields fields = scan_routing_fields(req.body);
            stream_flag = fields.stream;
            call.reencode = fields.duplicate;
        }
        // An upstream that only streams gets a whole-answer client's body re-encoded to
        // stream (and the answer gathered); the provider may refuse the bytes for more.
        keeps_bytes = keeps_bytes && provider->takes_client_bytes(req.body, stream_flag);
        if ((!keeps_bytes || call.reencode) && !call.canonical) {
            std::string err;
            if (!decode(&err)) {
                proxy::write_error(res, client_codec,
                                   make_error(wire::ErrorKind::kInvalidRequest, err));
                log_info("proxy", "{} {} model={} 400: {}", req.method, req.path, call.model, err);
                return;
            }
        }
        // Both sources give the first `stream`, so the flag stays the same across a chain.
        call.stream = call.canonical ? call.canonical->stream : stream_flag;
        bool auth_retried = false;
        for (int attempt = 0; attempt <= cfg->router.num_retries; ++attempt) {
            // Before each attempt (and through the wait between retries): a client that left
            // gets no further upstream request, which might be billed.
            double wait = attempt > 0 ? std::min(cfg->router.retry_after_s, 30.0) : 0;
            if (attempts > 0 && client_hung_up(req.peer_fd, std::max(wait, 0.0))) {
                abandon(call, res, d, attempts);
                return;
            }
            if (!cooldowns.claim_attempt(key)) {
                // Half-open after a quota came back: one request probes it, the rest go on.
                tried.push_back(fmt::format("{}: being probed after its quota reset", d.model));
                break;
            }
            call.deployment = &d;
            call.started_attempt = Clock::now();
            wire::Error error;
            auto upstream = build_upstream(call, d, *cfg, error);
            if (!upstream) {
                tried.push_back(fmt::format("{}: {}", d.model, error.message));
                log_info("proxy", "model={} skip {}: {}", call.model, d.model, error.message);
                last_error = error;
                break;  // not usable here: next deployment, no cooldown
            }
            ++attempts;
            m_usage.record_request(key);
            res.set_header("x-litellm-model", d.model);
            res.set_header("x-litellm-provider", d.provider);
            res.set_header("x-litellm-attempts", std::to_string(attempts));
            call.attempts = attempts;
            call.tried = &tried;
            AttemptResult r = call.stream ? run_stream(call, std::move(*upstream), res)
                              : call.provider->always_streams()
                                  ? run_gathered(call, std::move(*upstream), res)
                                  : run_whole(call, std::move(*upstream), res);
            if (!call.quota_account.empty()) {
                // Any answer tells the account's quota (a report in the stream is newer than
                // the headers): room again ends the account's other quota cooldowns early
                // (half-open).
                auto q = r.quota_report.empty() ? std::nullopt
                                                : call.provider->quota_from_stream(r.quota_report);
                if (!q) q = call.provider->quota_from_headers(r.head_headers);
                if (q) {
                    std::string note = q->describe();
                    if (q->has_room()) {
                        cooldowns.reopen_quota(call.quota_account, note);
                    } else {
                        cooldowns.note_quota(call.quota_account, note);
                    }
                }
            }
            if (r.committed) {
                cooldowns.record_success(key);
                return;
            }
            res.erase_header("x-litellm-model");
            res.erase_header("x-litellm-provider");
            res.erase_header("x-litellm-attempts");
            if (r.client_gone) {
                abandon(call, res, d, attempts);
                return;
            }
            scrub_secrets(r.error.message, d, *cfg);
            router::FailureClass cls = router::classify_failure(r.error, r.transport_failure);
            std::string outcome =
                r.error.upstream_status
                    ? fmt::format("{} {} ({})", r.error.upstream_status,
                                  router::failure_class_name(cls), r.error.message)
                    : fmt::format("{} ({})", router::failure_class_name(cls), r.error.message);
            log_info("proxy", "model={} attempt {} on {} failed after {} ms: {}", call.model,
                     attempts, d.model, ms_since(call.started_attempt), outcome);
            last_error = r.error;
            if (cls == router::FailureClass::kClientError) {
                tried.push_back(fmt::format("{}: {}", d.model, outcome));
                proxy::write_error(res, client_codec, r.error);
                log_info("proxy", "request model={} -> {} error {} after {} ms [{}]", call.model,
                         d.model, res.status, ms_since(call.started), fmt::join(tried, "; "));
                return;
            }
            if (cls == router::FailureClass::kContextLength) {
                auto bigger = context_rerouted
                                  ? std::vector<const Deployment*>{}
                                  : router::resolve_context_fallbacks(*cfg, call.model);
                tried.push_back(fmt::format("{}: {}", d.model, outcome));
                if (bigger.empty()) {
                    proxy::write_error(res, client_codec, r.error);
                    log_info("proxy", "request model={} -> {} context too long after {} ms",
                             call.model, d.model, ms_since(call.started));
                    return;
                }
                // Only a larger context can help: the rest of the chain is replaced.
                context_rerouted = true;
                order.resize(i + 1);
                order.insert(order.end(), bigger.begin(), bigger.end());
                break;
            }
            if (cls == router::FailureClass::kRateLimit) {
                std::string quota = r.error.quota_exhausted ? call.quota_account : std::string();
                cooldowns.cool_now(key, outcome, r.error.retry_after_s, policy, quota);
                if (!quota.empty()) m_quota.track(quota, d);
                auto until = cooldowns.until(key);
                tried.push_back(fmt::format(
                    "{}: {}, cooling {:.0f}s", d.model, outcome,
                    until ? std::chrono::duration<double>(*until - Clock::now()).count() : 0.0));
                break;  // no retries on a rate limit: fall back at once
            }
            if (cls == router::FailureClass::kCredentials && r.error.upstream_status == 401 &&
                m_tokens && call.token.generation != 0 && !auth_retried) {
                // A refused OAuth token: another program may have rotated it, or it was
                // revoked early. One new token (adopted or refreshed), one more try.
                auth_retried = true;
                if (m_tokens->after_unauthorized(d.provider, call.token.generation)) {
                    log_info("proxy",
                             "model={} {} refused its token (401); retrying with a new "
                             "one",
                             call.model, d.model);
                    --attempt;
                    continue;
                }
            }
            if (r.error.login_refused && m_tokens && call.token.generation != 0) {
                // The account itself is refused: no request goes there until a new login.
                m_tokens->refused(d.provider, call.token.generation, r.error.message);
            }
            bool cooled = cooldowns.record_failure(key, outcome, r.error.retry_after_s, policy);
            if (cls == router::FailureClass::kCredentials) {
                tried.push_back(fmt::format("{}: {}", d.model, outcome));
                break;
            }
            if (attempt == cfg->router.num_retries) {
                tried.push_back(fmt::format("{}: {} ({} tries{})", d.model, outcome, attempt + 1,
                                            cooled ? ", cooling down" : ""));
            }
        }
    }
    // Every deployment failed: one error that names what was tried.
    wire::Error final_error =
        last_error.value_or(make_error(wire::ErrorKind::kApi, "no deployment could be tried"));
    final_error.message =
        fmt::format("all deployments for '{}' failed: {}", call.model, fmt::join(tried, "; "));
    if (final_error.kind == wire::ErrorKind::kRateLimit) {
        // Tell the client when the first deployment heals.
        std::optional<double> soonest;
        for (const Deployment* d : chain) {
            if (auto u = cooldowns.until(router::deployment_key(*d))) {
                double s = std::chrono::duration<double>(*u - Clock::now()).count();
                if (!soonest || s < *soonest) soonest = s;
            }
        }
        if (soonest) final_error.retry_after_s = std::max(1.0, *soonest);
    }
    proxy::write_error(res, client_codec, final_error);
    res.set_header("x-litellm-attempts", std::to_string(attempts));
    log_warn("proxy", "request model={} failed after {} attempts in {} ms: {}", call.model,
             attempts, ms_since(call.started), final_error.message);
}

void Proxy::abandon(const Call& call, http::Response& res, const Deployment& d, int attempts) {
    // Nobody waits for an answer: the rest of the chain (and its tokens) is spared, and the
    // upstream is not blamed. The 499 (nginx's "client closed request") is for the record; the
    // client, having hung up, is not expected to read it.
    log_info("proxy",
             "request model={} abandoned: the client went away after {} ms (attempt {} on {})",
             call.model, ms_since(call.started), attempts, d.model);
    proxy::write_error(res, *call.client_codec,
                       make_error(wire::ErrorKind::kInvalidRequest,
                                  "the client closed the connection before the answer; litellmd "
                                  "cancelled the request"));
    res.status = 499;
}

Proxy::AttemptResult Proxy::run_whole(Call& call, UpstreamRequest upstream, http::Response& res) {
    AttemptResult out;
    std::string body;
    UpstreamResult r = m_pool.send_collect(upstream, body);
    out.head_headers = r.headers;
    const Deployment& d = *call.deployment;
    if (r.transport == TransportStatus::kClientGone) {
        out.client_gone = true;
        return out;
    }
    if (r.transport != TransportStatus::kOk) {
        out.error = transport_error(r, fmt::format("upstream {}", url_host(upstream.url)));
        out.transport_failure = true;
        return out;
    }
    if (r.status >= 400) {
        out.error = call.provider->classify(r.status, body, r.headers);
        return out;
    }
    wire::Response decoded;
    std::string err;
    bool ok = call.upstream_codec->decode_response(call.provider->unwrap(body), decoded, &err);
    if (!ok && call.passthrough) {
        // Valid JSON the codec does not fully know (a newer block type) still passes through.
        wire::element parsed;
        ok = wire::parse_json(body, parsed, nullptr) && parsed.is_object();
    }
    if (!ok) {
        // Truncated or garbled, on a passthrough route too: the next deployment may answer,
        // and a client must never get a 200 it cannot read.
        out.error = make_error(wire::ErrorKind::kApi,
                               fmt::format("upstream returned an unreadable response: {}", err));
        out.transport_failure = true;
        return out;
    }
    if (!call.passthrough && call.canonical &&
        call.canonical->output_format.kind != wire::OutputFormat::Kind::kText) {
        wire::StructuredOutputUnwrap::apply(decoded);
    }
    if (call.passthrough) {
        res.status = r.status;
        std::string type = r.header("content-type");
        res.set_content(std::move(body), type.empty() ? "application/json" : type);
    } else {
        res.status = 200;
        res.set_content(call.client_codec->encode_response(decoded, call.model),
                        "application/json");
    }
    out.committed = true;
    count_tokens_used(call, decoded.usage);
    log_info("proxy", "request model={} -> {} {} in {} ms attempts={} {}{}{}", call.model, d.model,
             r.status, ms_since(call.started), call.attempts, usage_text(decoded.usage),
             call.passthrough ? " passthrough" : "",
             call.tried->empty() ? "" : fmt::format(" [{}]", fmt::join(*call.tried, "; ")));
    return out;
}

Proxy::AttemptResult Proxy::run_gathered(Call& call, UpstreamRequest upstream,
                                         http::Response& res) {
    AttemptResult out;
    std::unique_ptr<wire::StreamDecoder> decoder =
        call.provider->stream_decoder(*call.upstream_codec);
    wire::EventAggregator gathered;
    std::vector<wire::StreamEvent> events;
    std::string error_body;
    bool ok_status = false;
    bool overflow = false;
    UpstreamResult r = m_pool.send(
        upstream,
        [&](const UpstreamResult& head) {
            ok_status = head.status >= 200 && head.status < 300;
            return true;
        },
        [&](std::string_view bytes) {
            if (!ok_status) {
                if (error_body.size() < kMaxErrorBody) error_body.append(bytes);
                return true;
            }
            decoder->feed(bytes, events);
            for (const auto& e : events)
                gathered.add(e);
            events.clear();
            if (decoder->overflowed()) {
                overflow = true;
                return false;
            }
            return true;
        });
    out.head_headers = r.headers;
    out.quota_report = decoder->take_quota_report();
    if (r.transport == TransportStatus::kClientGone) {
        out.client_gone = true;
        return out;
    }
    if (overflow) {
        out.error = make_error(wire::ErrorKind::kApi,
                               fmt::format("the upstream sent an SSE event over {} KB "
                                           "(general_settings.max_sse_line_kb)",
                                           call.cfg->general.limits.max_sse_line_bytes >> 10));
        out.transport_failure = true;
        return out;
    }
    if (r.head_received() && !ok_status) {
        out.error = call.provider->classify(r.status, error_body, r.headers);
        return out;
    }
    if (r.transport != TransportStatus::kOk) {
        out.error = transport_error(r, fmt::format("upstream {}", url_host(upstream.url)));
        out.transport_failure = true;
        return out;
    }
    decoder->finish(events);
    if (std::string q = decoder->take_quota_report(); !q.empty()) out.quota_report = std::move(q);
    for (const auto& e : events)
        gathered.add(e);
    if (gathered.error()) {
        // Nothing reached the client: an in-band error is an attempt that failed, so a
        // fallback may still answer.
        out.error = *gathered.error();
        scrub_secrets(out.error.message, *call.deployment, *call.cfg);
        out.transport_failure = out.error.kind == wire::ErrorKind::kApi;
        return out;
    }
    if (!gathered.complete()) {
        out.error = make_error(wire::ErrorKind::kApi, "upstream stream ended before its end");
        out.transport_failure = true;
        return out;
    }
    wire::Response response = gathered.response();
    wire::normalize(response);
    if (call.canonical && call.canonical->output_format.kind != wire::OutputFormat::Kind::kText) {
        wire::StructuredOutputUnwrap::apply(response);
    }
    res.status = 200;
    res.set_content(call.client_codec->encode_response(response, call.model), "application/json");
    out.committed = true;
    count_tokens_used(call, response.usage);
    log_info("proxy", "request model={} -> {} 200 in {} ms attempts={} {} gathered from a stream{}",
             call.model, call.deployment->model, ms_since(call.started), call.attempts,
             usage_text(response.usage),
             call.tried->empty() ? "" : fmt::format(" [{}]", fmt::join(*call.tried, "; ")));
    return out;
}

Proxy::AttemptResult Proxy::run_stream(Call& call, UpstreamRequest upstream, http::Response& res) {
    AttemptResult out;
    bool translate = !call.passthrough;
    const wire::Codec& client_codec = *call.client_codec;
    wire::StreamOptions stream_options;
    stream_options.model = call.model;
    stream_options.include_usage = call.canonical ? call.canonical->include_usage : false;
    // Only translated streams use it (a passthrough stream carries the upstream's own usage).
    stream_options.input_tokens_estimate =
        call.canonical && translate ? estimate_input_tokens(*call.canonical) : 0;
    std::string origin = url_host(upstream.url);
    ++m_active_streams;
    struct Count {
        std::atomic<int>& n;
        ~Count() { --n; }
    } count{m_active_streams};

    // The decoder runs on every route: it translates, and on passthrough routes it still tells
    // content from an early in-band error (for fallback) and reads the usage.
    std::unique_ptr<wire::StreamDecoder> decoder =
        call.provider->stream_decoder(*call.upstream_codec);
    std::unique_ptr<wire::StreamEncoder> encoder;
    if (translate) encoder = client_codec.stream_encoder(stream_options);
    // Hold the start of the stream until the first content (bounded): an in-band error right
    // after the 200 can then still fall back instead of reaching the client. The hold is a
    // deadline this thread keeps while it reads (Wake), so only this thread writes `res`.
    const double hold = call.cfg->router.stream_hold_timeout_s;
    bool committed = false;     // the head went to the client: no fallback from here
    bool blocked = false;       // an early in-band error: this attempt must not commit
    bool hold_expired = false;  // the hold deadline passed: commit with the next bytes
    std::string pending;        // client bytes held until the commit
    bool client_gone = false;
    // Sends the head and the held bytes; false when the client is gone.
    auto commit = [&] {
        committed = true;
        res.status = 200;
        res.set_header("Cache-Control", "no-cache");
        bool ok = res.begin_stream("text/event-stream");
        if (ok && !pending.empty()) ok = res.write(pending);
        std::string().swap(pending);
        if (!ok) client_gone = true;
        return ok;
    };
    Wake hold_wake;
    hold_wake.fn = [&] {
        hold_expired = true;
        // A failed write shows as client_gone, and the watched socket ends the read.
        if (!committed && !blocked) commit();
    };

    UpstreamResult head;
    const std::size_t max_whole = call.cfg->general.limits.max_response_bytes;
    std::string abort_reason;   // set when a limit ended the upstream read
    bool streaming_ok = false;  // 2xx: body bytes are client output
    bool json_instead_of_sse = false;
    bool content_started = false;
    std::optional<wire::Error> early_error;
    wire::Usage usage;
    std::string error_body, whole_json;
    std::vector<wire::StreamEvent> events;

    // Notes content, early errors and usage; appends the client bytes for `events`. True when
    // one of them was an error.
    // A structured output asked for with a forced tool goes back as the text it stands for.
    std::optional<wire::StructuredOutputUnwrap> unwrap;
    if (translate && call.canonical &&
        call.canonical->output_format.kind != wire::OutputFormat::Kind::kText) {
        unwrap.emplace();
    }
    auto take_events = [&](std::string& client_bytes) {
        if (unwrap) unwrap->apply(events);
        bool error_seen = false;
        for (auto& e : events) {
            using K = wire::StreamEvent::Kind;
            if (e.kind == K::kError) {
                scrub_secrets(e.error.message, *call.deployment, *call.cfg);
                error_seen = true;
            }
            // Content starts with the first delta (or a block that ends without one): an
            // empty block start tells the client nothing, so a failure after it still falls
            // back (the fault matrix's "silence before content").
            if (e.kind == K::kDelta || e.kind == K::kBlockStop) content_started = true;
            if (e.kind == K::kError && !content_started && !early_error) early_error = e.error;
            if (e.kind == K::kMessageDelta) usage = e.usage;
            if (e.kind == K::kMessageStart && usage.input_tokens == 0) usage = e.usage;
            if (encoder) encoder->encode(e, client_bytes);
        }
        events.clear();
        return error_seen;
    };
    // Sends client bytes, or holds them until the stream commits; false stops the upstream.
    auto emit = [&](std::string_view bytes) {
        if (!committed) {
            if (early_error && !content_started) {
                blocked = true;  // fall back: this stream never reaches the client
                return false;
            }
            // Held until the first content, within a bound: an upstream that sends only
            // keep-alive events commits once they fill it, or once the hold deadline passed.
            if (!content_started && hold > 0 && !hold_expired && Clock::now() < hold_wake.at &&
                pending.size() + bytes.size() <= kMaxHeldStreamBytes) {
                pending.append(bytes);
                return true;
            }
            if (!commit()) return false;
        }
        if (!bytes.empty() && !res.write(bytes)) {
            client_gone = true;
            return false;
        }
        return true;
    };

    UpstreamResult result = m_pool.send(
        upstream,
        [&](const UpstreamResult& h) {
            head = h;
            streaming_ok = h.status >= 200 && h.status < 300;
            if (!streaming_ok) return true;
            json_instead_of_sse =
                h.header("content-type").find("event-stream") == std::string::npos &&
                h.header("content-type").find("json") != std::string::npos;
            if (hold > 0) {
                hold_wake.at = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                  std::chrono::duration<double>(hold));
                return true;
            }
            return commit();
        },
        [&](std::string_view bytes) {
            if (!streaming_ok) {
                if (error_body.size() < kMaxErrorBody) error_body.append(bytes);
                return true;
            }
            if (json_instead_of_sse) {
                if (whole_json.size() + bytes.size() > max_whole) {
                    abort_reason = fmt::format(
                        "the upstream's answer exceeds {} MB (general_settings."
                        "max_response_size_mb)",
                        max_whole >> 20);
                    return false;
                }
                whole_json.append(bytes);
                return true;
            }
            decoder->feed(bytes, events);
            if (decoder->overflowed()) {
                abort_reason = fmt::format(
                    "the upstream sent an SSE event over {} KB (general_settings.max_sse_line_kb)",
                    call.cfg->general.limits.max_sse_line_bytes >> 10);
                return false;
            }
            std::string client_bytes;
            bool error_event = take_events(client_bytes);
            if (!translate && error_event) {
                // Passthrough bytes of an in-band error may quote the key too: the client
                // gets them scrubbed like every other error text.
                client_bytes.assign(bytes);
                scrub_secrets(client_bytes, *call.deployment, *call.cfg);
                return emit(client_bytes);
            }
            return emit(translate ? std::string_view(client_bytes) : bytes);
        },
        &hold_wake);
    out.head_headers = head.headers;
    out.quota_report = decoder->take_quota_report();
    if (result.transport == TransportStatus::kClientGone) {
        // Hung up while the upstream was silent: nothing more to send, nothing to fall back
        // for.
        client_gone = true;
        if (!committed) {
            out.client_gone = true;
            return out;
        }
    }
    if (!abort_reason.empty()) {
        result.transport = TransportStatus::kTooLarge;
        result.transport_error = abort_reason;
    }

    if (!streaming_ok) {
        if (head.head_received()) {
            out.error = call.provider->classify(head.status, error_body, head.headers);
        } else {
            out.error = transport_error(result, fmt::format("upstream {}", origin));
            out.transport_failure = true;
        }
        return out;
    }

    // Close the client stream properly whatever happened upstream.
    std::string tail_out;
    // Ends the client's stream with `e`, in its own format.
    auto in_band_error = [&](const wire::Error& e) {
        if (encoder) {
            encoder->encode_error(e, tail_out);
        } else {
            client_codec.append_stream_error(e, tail_out);
        }
    };
    bool cancelled = result.transport == TransportStatus::kCancelled;
    bool broken = result.transport != TransportStatus::kOk && !cancelled;
    if (!client_gone && !(cancelled && !committed)) {
        if (json_instead_of_sse && !broken) {
            wire::Response r;
            std::string err;
            bool ok =
                call.upstream_codec->decode_response(call.provider->unwrap(whole_json), r, &err);
            if (ok) {
                // A whole answer to a stream request: re-told as the stream the client asked
                // for, in its own format (also on passthrough routes: SSE clients cannot read
                // JSON).
                if (!encoder) encoder = client_codec.stream_encoder(stream_options);
                events = wire::response_to_events(r);
                take_events(tail_out);
            } else {
                wire::Error e =
                    make_error(wire::ErrorKind::kApi, "unreadable upstream response: " + err);
                if (!content_started && !early_error) early_error = e;
                if (committed) in_band_error(e);  // the head is out: tell it in the stream
            }
        } else if (broken) {
            wire::Error e =
                make_error(wire::ErrorKind::kApi,
                           result.transport == TransportStatus::kTooLarge
                               ? result.transport_error
                               : "upstream connection lost mid-stream: " + result.transport_error);
            if (!content_started && !early_error) early_error = e;
            in_band_error(e);
        } else {
            decoder->finish(events);
            if (std::string q = decoder->take_quota_report(); !q.empty()) {
                out.quota_report = std::move(q);
            }
            bool ended_early = !decoder->complete();
            std::string translated;
            take_events(translated);
            if (translate) {
                tail_out = std::move(translated);
                if (!encoder->done()) {
                    encoder->encode_error(
                        make_error(wire::ErrorKind::kApi, "upstream stream ended early"), tail_out);
                }
            } else if (ended_early) {
                // Passthrough cut short: end it in the client's own format, never silently.
                in_band_error(make_error(wire::ErrorKind::kApi,
                                         "upstream stream ended before its final event"));
            }
        }
    }
    if (!committed) {
        // Nothing reached the client yet: an error before any content falls back.
        if (early_error && !content_started) {
            out.error = *early_error;
            out.transport_failure = broken;
            return out;
        }
        commit();
    }
    if (!client_gone && !tail_out.empty() && !res.write(tail_out)) client_gone = true;
    out.committed = true;
    count_tokens_used(call, usage);
    std::string tried =
        call.tried->empty() ? std::string() : fmt::format(" [{}]", fmt::join(*call.tried, "; "));
    log_info("proxy", "request model={} -> {} attempts={}{} 200 stream in {} ms {}{}{}", call.model,
             call.deployment->model, call.attempts, tried, ms_since(call.started),
             usage_text(usage), call.passthrough ? " passthrough" : "",
             client_gone ? " (the client went away)"
             : result.transport == TransportStatus::kOk
                 ? ""
                 : " (upstream: " + result.transport_error + ")");
    return out;
}

void Proxy::handle_count_tokens(const http::Request& req, http::Response& res,
                                const api::ClientApi& api) {
    auto cfg = m_configs.config();
    if (!authorize(req, res, api, *cfg)) return;
    const wire::Codec& client_codec = codec_of(api);
    wire::Request canonical;
    std::string error;
    if (!client_codec.decode_request(req.body, canonical, &error)) {
        proxy::write_error(res, client_codec, make_error(wire::ErrorKind::kInvalidRequest, error));
        return;
    }
    std::optional<api::PathModel> path_model = api.path_model ? api.path_model(req) : std::nullopt;
    if (path_model) canonical.model = path_model->model;
    auto deployments = cfg->deployments_for(canonical.model);
    if (deployments.empty()) {
        proxy::write_error(
            res, client_codec,
            make_error(wire::ErrorKind::kNotFound,
                       fmt::format("model '{}' is not configured in litellmd", canonical.model)));
        return;
    }
    // The first deployment counts when its provider can (and speaks the client's format, so
    // the body goes as it is); otherwise an estimate that errs high.
    const Deployment& d = *deployments.front();
    const ProviderInfo* info = find_provider(d.provider);
    const providers::Provider* provider = providers::find(d.provider);
    if (info && provider && provider->format() == api.format && !path_model) {
        providers::UpstreamCall up_call{d, *info, req, api.format, true, false};
        std::string url = provider->count_tokens_url(up_call);
        if (!url.empty() &&
            provider->missing_credentials(up_call, m_configs.config_path(), m_configs.dotenv_path())
                .empty()) {
            UpstreamRequest up;
            up.url = std::move(url);
            up.proxy = cfg->proxy.for_url(up.url);
            provider->headers(up_call, up.headers);
            up.headers.emplace_back("Accept", "application/json");
            up.headers.emplace_back("Accept-Encoding", "identity");
            for (const auto& [k, v] : d.extra_headers)
                up.headers.emplace_back(k, v);
            up.body = replace_top_level_value(req.body, "model", json_quote(d.upstream_model));
            // The same history as the turn it counts for: what the turn would not send, the
            // count does not either.
            if (auto fixed = client_codec.passthrough_fixup(up.body)) up.body = std::move(*fixed);
            double timeout = first_positive(
                {d.timeout_s, cfg->router.timeout_s, cfg->litellm.request_timeout_s}, 600);
            up.read_timeout_s = timeout;
            up.connect_timeout_s = std::min(10.0, timeout);
            up.max_body_bytes = cfg->general.limits.max_response_bytes;
            up.client_fd = req.peer_fd;
            std::string body;
            UpstreamResult r = m_pool.send_collect(up, body);
            if (r.transport == TransportStatus::kOk && r.status == 200) {
                res.set_content(body, "application/json");
                return;
            }
            log_info(
                "proxy", "count_tokens upstream for {} unavailable ({}); estimating",
                canonical.model,
                r.transport == TransportStatus::kOk ? std::to_string(r.status) : r.transport_error);
        }
    }
    std::int64_t estimate = estimate_input_tokens(canonical);
    res.set_content(api.count_tokens_body ? api.count_tokens_body(estimate)
                                          : fmt::format(R"({{"input_tokens":{}}})", estimate),
                    "application/json");
}

void Proxy::handle_models(const http::Request& req, http::Response& res,
                          const api::ClientApi& api) {
    auto cfg = m_configs.config();
    if (!authorize(req, res, api, *cfg)) return;
    res.set_content(api.models_body(*cfg), "application/json");
}

}  // namespace litellm::proxy
