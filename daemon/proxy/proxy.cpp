#include "daemon/proxy/proxy.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>

#include "common/log.hpp"
#include "common/providers.hpp"
#include "daemon/daemon.hpp"
#include "daemon/proxy/json_scan.hpp"
#include "daemon/wire/anthropic.hpp"
#include "daemon/wire/json_util.hpp"
#include "daemon/wire/openai_chat.hpp"
#include "daemon/wire/sse.hpp"

namespace litellm::proxy {

namespace {

using Clock = std::chrono::steady_clock;

// Bytes the pump may buffer ahead of a slow client before it stops reading the upstream.
constexpr std::size_t kPipeHighWater = 1024 * 1024;
// Error bodies from upstreams are kept up to this size for classification.
constexpr std::size_t kMaxErrorBody = 64 * 1024;

// litellm_params keys that steer LiteLLM's router rather than the upstream request.
const std::set<std::string, std::less<>> kNonBodyParams = {"rpm",
                                                           "tpm",
                                                           "max_parallel_requests",
                                                           "weight",
                                                           "order",
                                                           "max_retries",
                                                           "custom_llm_provider",
                                                           "organization",
                                                           "api_version",
                                                           "region_name",
                                                           "use_in_pass_through",
                                                           "merge_reasoning_content_in_choices",
                                                           "input_cost_per_token",
                                                           "output_cost_per_token",
                                                           "tags",
                                                           "reasoning",
                                                           "input",
                                                           "mock_response",
                                                           "configurable_clientside_auth_params",
                                                           "stream_timeout",
                                                           "timeout",
                                                           "api_key",
                                                           "api_base",
                                                           "model",
                                                           "extra_headers"};

wire::Error make_error(wire::ErrorKind kind, std::string message) {
    wire::Error e;
    e.kind = kind;
    e.message = std::move(message);
    return e;
}

std::string trim_slash(std::string s) {
    while (!s.empty() && s.back() == '/')
        s.pop_back();
    return s;
}

std::string host_of(const std::string& url) {
    size_t start = url.find("://");
    start = start == std::string::npos ? 0 : start + 3;
    size_t end = url.find_first_of(":/", start);
    return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

double first_positive(std::initializer_list<std::optional<double>> values, double fallback) {
    for (const auto& v : values) {
        if (v && *v > 0) return *v;
    }
    return fallback;
}

std::optional<double> parse_retry_after(const std::string& value) {
    if (value.empty()) return std::nullopt;
    char* end = nullptr;
    double v = std::strtod(value.c_str(), &end);
    if (end == value.c_str() || v < 0) return std::nullopt;
    return v;
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
            return make_error(wire::ErrorKind::kApi, r.transport_error);
        default:
            return make_error(wire::ErrorKind::kApi,
                              fmt::format("connection to {} failed: {}", what, r.transport_error));
    }
}

// The events a whole response would have streamed, for upstreams that ignore `stream:true`.
std::vector<wire::StreamEvent> response_to_events(const wire::Response& r) {
    using K = wire::StreamEvent::Kind;
    std::vector<wire::StreamEvent> out;
    wire::StreamEvent start;
    start.kind = K::kMessageStart;
    start.message_id = r.id;
    start.model = r.model;
    out.push_back(start);
    int index = 0;
    for (const auto& b : r.content) {
        if (b.type == wire::BlockType::kText && b.text.empty()) continue;
        wire::StreamEvent s;
        s.kind = K::kBlockStart;
        s.index = index;
        s.block_type = b.type == wire::BlockType::kToolUse    ? wire::BlockType::kToolUse
                       : b.type == wire::BlockType::kThinking ? wire::BlockType::kThinking
                                                              : wire::BlockType::kText;
        s.id = b.id;
        s.name = b.name;
        out.push_back(s);
        wire::StreamEvent d;
        d.kind = K::kDelta;
        d.index = index;
        if (b.type == wire::BlockType::kToolUse) {
            d.delta_type = wire::StreamEvent::DeltaType::kInputJson;
            d.text = b.input_json;
        } else if (b.type == wire::BlockType::kThinking) {
            d.delta_type = wire::StreamEvent::DeltaType::kThinking;
            d.text = b.text;
        } else {
            d.text = b.text;
        }
        out.push_back(d);
        if (b.type == wire::BlockType::kThinking && !b.signature.empty()) {
            wire::StreamEvent sig;
            sig.kind = K::kDelta;
            sig.index = index;
            sig.delta_type = wire::StreamEvent::DeltaType::kSignature;
            sig.text = b.signature;
            out.push_back(sig);
        }
        wire::StreamEvent stop;
        stop.kind = K::kBlockStop;
        stop.index = index++;
        out.push_back(stop);
    }
    wire::StreamEvent md;
    md.kind = K::kMessageDelta;
    md.stop_reason = r.stop_reason;
    md.stop_sequence = r.stop_sequence;
    md.usage = r.usage;
    out.push_back(md);
    wire::StreamEvent ms;
    ms.kind = K::kMessageStop;
    out.push_back(ms);
    return out;
}

// Shared between the pump thread (upstream reader) and the server worker (client writer).
struct Pipe {
    std::mutex mutex;
    std::condition_variable cv;
    bool head_ready = false;
    UpstreamResult head;
    bool streaming_ok = false;  ///< 2xx: body bytes are client output
    std::string error_body;
    std::string buffer;
    bool finished = false;
    bool cancelled = false;
    UpstreamResult result;
};

}  // namespace

ApiFormat format_for_request(const httplib::Request& req) {
    if (req.path.rfind("/v1/messages", 0) == 0) return ApiFormat::kAnthropic;
    if (req.path.rfind("/v1/chat", 0) == 0 || req.path.rfind("/chat", 0) == 0) {
        return ApiFormat::kOpenAIChat;
    }
    return req.has_header("anthropic-version") || req.has_header("x-api-key")
               ? ApiFormat::kAnthropic
               : ApiFormat::kOpenAIChat;
}

void write_error(httplib::Response& res, ApiFormat format, const wire::Error& error) {
    bool anthropic = format == ApiFormat::kAnthropic;
    res.status = wire::error_http_status(error.kind, anthropic);
    res.set_content(
        anthropic ? wire::anthropic::encode_error(error) : wire::openai_chat::encode_error(error),
        "application/json");
    if (error.retry_after_s) {
        res.set_header("retry-after",
                       std::to_string(static_cast<long>(std::ceil(*error.retry_after_s))));
    }
}

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
    ApiFormat client_format = ApiFormat::kAnthropic;
    ApiFormat upstream_format = ApiFormat::kAnthropic;
    const httplib::Request* req = nullptr;
    std::string model;
    bool stream = false;
    bool passthrough = false;
    std::optional<wire::Request> canonical;
    const Deployment* deployment = nullptr;
    Clock::time_point started = Clock::now();
};

Proxy::Proxy(Daemon& daemon) : m_daemon(daemon) {}

Proxy::~Proxy() {
    // Pump threads use m_pool; wait for them (each ends at its next read once cancelled).
    for (int i = 0; i < 1000 && m_active_pumps.load() > 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

void Proxy::register_routes(httplib::Server& server) {
    server.set_payload_max_length(kMaxBodyBytes);
    server.Post("/v1/messages", [this](const httplib::Request& req, httplib::Response& res) {
        handle_chat(req, res, ApiFormat::kAnthropic);
    });
    server.Post("/v1/messages/count_tokens",
                [this](const httplib::Request& req, httplib::Response& res) {
                    handle_count_tokens(req, res);
                });
    auto chat = [this](const httplib::Request& req, httplib::Response& res) {
        handle_chat(req, res, ApiFormat::kOpenAIChat);
    };
    server.Post("/v1/chat/completions", chat);
    server.Post("/chat/completions", chat);
    auto models = [this](const httplib::Request& req, httplib::Response& res) {
        handle_models(req, res);
    };
    server.Get("/v1/models", models);
    server.Get("/models", models);
    server.Get("/api/hello", [](const httplib::Request&, httplib::Response& res) {
        res.set_content("", "text/plain");
    });
    // Unknown paths and cpp-httplib's own refusals (413 body too large) in the client's format.
    server.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return;  // a handler already wrote its own error
        ApiFormat format = format_for_request(req);
        if (res.status == 413) {
            write_error(res, format,
                        make_error(wire::ErrorKind::kRequestTooLarge,
                                   fmt::format("request body exceeds the {} MB limit",
                                               kMaxBodyBytes / (1024 * 1024))));
            return;
        }
        if (res.status == 404) {
            write_error(res, format,
                        make_error(wire::ErrorKind::kNotFound,
                                   fmt::format("no route for {} {}; litellmd serves "
                                               "/v1/messages, /v1/chat/completions and "
                                               "/v1/models",
                                               req.method, req.path)));
            if (format == ApiFormat::kOpenAIChat) {
                // OpenAI's own 404 for a path has no model_not_found code.
                res.set_content(
                    fmt::format(
                        R"({{"error":{{"message":{},"type":"invalid_request_error",)"
                        R"("param":null,"code":null}}}})",
                        json_quote(fmt::format("no route for {} {}", req.method, req.path))),
                    "application/json");
            }
            return;
        }
        write_error(
            res, format,
            make_error(res.status >= 500 ? wire::ErrorKind::kApi : wire::ErrorKind::kInvalidRequest,
                       fmt::format("HTTP {} for {} {}", res.status, req.method, req.path)));
    });
}

bool Proxy::authorize(const httplib::Request& req, httplib::Response& res, ApiFormat format,
                      const Config& cfg) {
    const std::string& key = cfg.general.master_key.value;
    if (key.empty()) return true;  // loopback-only without a key (enforced at bind)
    std::string presented = req.get_header_value("x-api-key");
    std::string auth = req.get_header_value("Authorization");
    if (presented.empty() && auth.size() > 7 &&
        (auth.compare(0, 7, "Bearer ") == 0 || auth.compare(0, 7, "bearer ") == 0)) {
        presented = auth.substr(7);
    }
    // Constant time over the key's length, so timing does not reveal a matching prefix.
    bool ok = presented.size() == key.size() &&
              CRYPTO_memcmp(presented.data(), key.data(), key.size()) == 0;
    if (ok) return true;
    write_error(res, format,
                make_error(wire::ErrorKind::kAuthentication,
                           presented.empty() ? "missing API key: send the litellmd master key as "
                                               "`Authorization: Bearer <key>` or `x-api-key: <key>`"
                                             : "invalid API key: it does not match "
                                               "general_settings.master_key"));
    return false;
}

std::optional<UpstreamRequest> Proxy::build_upstream(Call& call, const Deployment& d,
                                                     const Config& cfg, wire::Error& error) {
    const ProviderInfo* provider = find_provider(d.provider);
    if (!provider) {
        error = make_error(
            wire::ErrorKind::kApi,
            fmt::format("deployment '{}' uses unknown provider '{}'", d.model_name, d.provider));
        return std::nullopt;
    }
    if (provider->format == WireFormat::kAnthropicMessages) {
        call.upstream_format = ApiFormat::kAnthropic;
    } else if (provider->format == WireFormat::kOpenAIChat && provider->auth == AuthKind::kApiKey) {
        call.upstream_format = ApiFormat::kOpenAIChat;
    } else {
        error = make_error(wire::ErrorKind::kApi,
                           fmt::format("'{}' is served by {}, which this litellmd cannot reach "
                                       "yet (OAuth providers arrive with the token store); "
                                       "pick another model",
                                       d.model_name, provider->display_name));
        return std::nullopt;
    }
    call.passthrough = call.upstream_format == call.client_format;

    std::string key = d.api_key.value;
    std::string key_env = d.api_key.env_name;
    if (key.empty() && key_env.empty() && !provider->default_key_env.empty()) {
        key_env = std::string(provider->default_key_env);
        if (const char* v = std::getenv(key_env.c_str())) key = v;
    }
    std::string base =
        trim_slash(d.api_base.empty() ? std::string(provider->default_api_base) : d.api_base);
    bool custom_base = !d.api_base.empty();
    if (key.empty() && !(call.upstream_format == ApiFormat::kOpenAIChat && custom_base)) {
        error = make_error(
            wire::ErrorKind::kAuthentication,
            key_env.empty()
                ? fmt::format("no API key for '{}': set litellm_params.api_key in {}", d.model_name,
                              m_daemon.config_path())
                : fmt::format("no API key for '{}': add {}=<key> to {} and run `litellmctl "
                              "reload`",
                              d.model_name, key_env, m_daemon.paths().dotenv));
        return std::nullopt;
    }

    UpstreamRequest up;
    double timeout =
        first_positive({d.timeout_s, cfg.router.timeout_s, cfg.litellm.request_timeout_s}, 600);
    if (call.stream) timeout = first_positive({d.stream_timeout_s}, timeout);
    up.read_timeout_s = timeout;
    up.connect_timeout_s = std::min(10.0, timeout);

    std::vector<std::pair<std::string, std::string>> extras;
    for (const auto& [k, v] : d.extra_params) {
        if (!kNonBodyParams.count(k)) extras.emplace_back(k, v);
    }
    const std::string& body = call.req->body;
    if (call.upstream_format == ApiFormat::kAnthropic) {
        up.url = base + "/v1/messages";
        if (call.passthrough && call.req->has_param("beta")) {
            up.url += "?beta=" + call.req->get_param_value("beta");
        }
        up.headers.emplace_back("x-api-key", key);
        // Anthropic-compatible hosts (Z.AI, DashScope) document Bearer auth.
        if (host_of(base) != "api.anthropic.com") {
            up.headers.emplace_back("Authorization", "Bearer " + key);
        }
        std::string version = call.client_format == ApiFormat::kAnthropic
                                  ? call.req->get_header_value("anthropic-version")
                                  : std::string();
        up.headers.emplace_back("anthropic-version", version.empty() ? "2023-06-01" : version);
        if (call.passthrough && call.req->has_header("anthropic-beta")) {
            up.headers.emplace_back("anthropic-beta", call.req->get_header_value("anthropic-beta"));
        }
    } else {
        up.url = base + "/chat/completions";
        if (!key.empty()) up.headers.emplace_back("Authorization", "Bearer " + key);
    }
    up.headers.emplace_back("Accept", call.stream ? "text/event-stream" : "application/json");
    for (const auto& [k, v] : d.extra_headers)
        up.headers.emplace_back(k, v);

    if (call.passthrough) {
        up.body = replace_top_level_value(body, "model", json_quote(d.upstream_model));
        for (const auto& [k, v] : extras)
            up.body = insert_top_level_if_absent(up.body, k, v);
    } else {
        wire::EncodeOptions opts;
        opts.model = d.upstream_model;
        opts.stream = call.stream;
        opts.extra_params = extras;
        bool dashscope = d.provider == "dashscope" || base.find("dashscope") != std::string::npos;
        opts.keep_cache_control = dashscope;
        opts.send_reasoning_effort = d.provider == "openai" && !custom_base;
        if (opts.send_reasoning_effort) opts.max_tokens_field = "max_completion_tokens";
        up.body = call.upstream_format == ApiFormat::kAnthropic
                      ? wire::anthropic::encode_request(*call.canonical, opts)
                      : wire::openai_chat::encode_request(*call.canonical, opts);
    }
    return up;
}

void Proxy::handle_chat(const httplib::Request& req, httplib::Response& res, ApiFormat format) {
    auto cfg = m_daemon.config();
    if (!authorize(req, res, format, *cfg)) return;
    Call call;
    call.client_format = format;
    call.req = &req;
    auto decode = [&](std::string* error) {
        call.canonical.emplace();
        return format == ApiFormat::kAnthropic
                   ? wire::anthropic::decode_request(req.body, *call.canonical, error)
                   : wire::openai_chat::decode_request(req.body, *call.canonical, error);
    };
    // The model name is found without parsing the body; a full decode happens only when the
    // route translates, or to explain a body that is not usable.
    if (auto model = top_level_string(req.body, "model")) {
        call.model = std::string(*model);
    } else {
        std::string error;
        if (!decode(&error)) {
            write_error(res, format, make_error(wire::ErrorKind::kInvalidRequest, error));
            log_info("proxy", "{} {} 400: {}", req.method, req.path, error);
            return;
        }
        call.model = call.canonical->model;
    }
    call.stream = top_level_true(req.body, "stream");
    auto deployments = cfg->deployments_for(call.model);
    if (deployments.empty()) {
        write_error(res, format,
                    make_error(wire::ErrorKind::kNotFound,
                               fmt::format("model '{}' is not configured in litellmd; "
                                           "`litellmctl status` lists the models",
                                           call.model)));
        log_info("proxy", "{} {} model={} 404: not configured", req.method, req.path, call.model);
        return;
    }
    const Deployment& d = *deployments.front();
    call.deployment = &d;
    wire::Error error;
    // Route first: whether the body must be decoded depends on the upstream's format.
    const ProviderInfo* provider = find_provider(d.provider);
    ApiFormat upstream_format = provider && provider->format == WireFormat::kAnthropicMessages
                                    ? ApiFormat::kAnthropic
                                    : ApiFormat::kOpenAIChat;
    if (upstream_format != format && !call.canonical) {
        std::string err;
        if (!decode(&err)) {
            write_error(res, format, make_error(wire::ErrorKind::kInvalidRequest, err));
            log_info("proxy", "{} {} model={} 400: {}", req.method, req.path, call.model, err);
            return;
        }
    }
    auto upstream = build_upstream(call, d, *cfg, error);
    if (!upstream) {
        write_error(res, format, error);
        log_warn("proxy", "{} {} model={} -> {}: {}", req.method, req.path, call.model, d.model,
                 error.message);
        return;
    }
    res.set_header("x-litellm-model", d.model);
    res.set_header("x-litellm-provider", d.provider);
    if (call.stream)
        run_stream(call, std::move(*upstream), res);
    else
        run_whole(call, std::move(*upstream), res);
}

void Proxy::run_whole(Call& call, UpstreamRequest upstream, httplib::Response& res) {
    std::string body;
    UpstreamResult r = m_pool.send_collect(upstream, body);
    const Deployment& d = *call.deployment;
    auto elapsed_ms = [&] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - call.started)
            .count();
    };
    if (r.transport != TransportStatus::kOk) {
        wire::Error e = transport_error(
            r, fmt::format("upstream {} for '{}'", host_of(upstream.url), call.model));
        write_error(res, call.client_format, e);
        log_warn("proxy", "model={} -> {} failed after {} ms: {}", call.model, d.model,
                 elapsed_ms(), e.message);
        return;
    }
    if (r.status >= 400) {
        wire::Error e = wire::classify_upstream_error(r.status, body);
        e.retry_after_s = parse_retry_after(r.header("retry-after"));
        write_error(res, call.client_format, e);
        log_warn("proxy", "model={} -> {} upstream {} after {} ms: {}", call.model, d.model,
                 r.status, elapsed_ms(), e.message);
        return;
    }
    if (call.passthrough) {
        res.status = r.status;
        std::string type = r.header("content-type");
        res.set_content(std::move(body), type.empty() ? "application/json" : type);
    } else {
        wire::Response decoded;
        std::string err;
        bool ok = call.upstream_format == ApiFormat::kAnthropic
                      ? wire::anthropic::decode_response(body, decoded, &err)
                      : wire::openai_chat::decode_response(body, decoded, &err);
        if (!ok) {
            write_error(res, call.client_format,
                        make_error(wire::ErrorKind::kApi,
                                   fmt::format("upstream for '{}' returned an unreadable "
                                               "response: {}",
                                               call.model, err)));
            log_warn("proxy", "model={} -> {}: unreadable upstream response: {}", call.model,
                     d.model, err);
            return;
        }
        res.status = 200;
        res.set_content(call.client_format == ApiFormat::kAnthropic
                            ? wire::anthropic::encode_response(decoded, call.model)
                            : wire::openai_chat::encode_response(decoded, call.model),
                        "application/json");
    }
    log_info("proxy", "model={} -> {} {} in {} ms{}", call.model, d.model, r.status, elapsed_ms(),
             call.passthrough ? " (passthrough)" : "");
}

void Proxy::run_stream(Call& call, UpstreamRequest upstream, httplib::Response& res) {
    auto pipe = std::make_shared<Pipe>();
    bool anthropic_client = call.client_format == ApiFormat::kAnthropic;
    bool translate = !call.passthrough;
    std::string model = call.model;
    std::string deployment_model = call.deployment->model;
    ApiFormat upstream_format = call.upstream_format;
    bool include_usage = call.canonical ? call.canonical->include_usage : false;
    auto started = call.started;

    ++m_active_pumps;
    std::thread([this, pipe, upstream = std::move(upstream), anthropic_client, translate, model,
                 upstream_format, include_usage]() mutable {
        std::unique_ptr<wire::StreamDecoder> decoder;
        std::unique_ptr<wire::StreamEncoder> encoder;
        if (translate) {
            decoder = upstream_format == ApiFormat::kAnthropic
                          ? wire::anthropic::make_stream_decoder()
                          : wire::openai_chat::make_stream_decoder();
            encoder = anthropic_client
                          ? wire::anthropic::make_stream_encoder(model)
                          : wire::openai_chat::make_stream_encoder(model, include_usage);
        }
        bool json_instead_of_sse = false;
        std::string whole_json;
        // Passthrough: remember whether the upstream finished its message properly.
        std::string tail;
        bool saw_end = false;
        std::vector<wire::StreamEvent> events;

        auto push = [&](std::string&& bytes) {
            if (bytes.empty()) return true;
            std::unique_lock lock(pipe->mutex);
            pipe->cv.wait(lock,
                          [&] { return pipe->cancelled || pipe->buffer.size() < kPipeHighWater; });
            if (pipe->cancelled) return false;
            pipe->buffer.append(bytes);
            pipe->cv.notify_all();
            return true;
        };
        auto encode_events = [&](std::string& out) {
            for (const auto& e : events)
                encoder->encode(e, out);
            events.clear();
        };

        UpstreamResult result = m_pool.send(
            upstream,
            [&](const UpstreamResult& head) {
                std::lock_guard lock(pipe->mutex);
                pipe->head = head;
                pipe->head_ready = true;
                pipe->streaming_ok = head.status >= 200 && head.status < 300;
                json_instead_of_sse =
                    pipe->streaming_ok &&
                    head.header("content-type").find("event-stream") == std::string::npos &&
                    head.header("content-type").find("json") != std::string::npos;
                pipe->cv.notify_all();
                return !pipe->cancelled;
            },
            [&](std::string_view bytes) {
                if (!pipe->streaming_ok) {
                    std::lock_guard lock(pipe->mutex);
                    if (pipe->error_body.size() < kMaxErrorBody) pipe->error_body.append(bytes);
                    return true;
                }
                if (!translate) {
                    std::string scan = tail + std::string(bytes);
                    std::string_view marker = anthropic_client ? "message_stop" : "[DONE]";
                    if (scan.find(marker) != std::string::npos) saw_end = true;
                    tail = scan.substr(scan.size() > 16 ? scan.size() - 16 : 0);
                    return push(std::string(bytes));
                }
                if (json_instead_of_sse) {
                    whole_json.append(bytes);
                    return true;
                }
                decoder->feed(bytes, events);
                std::string out;
                encode_events(out);
                return push(std::move(out));
            });

        // Close the client stream properly whatever happened upstream.
        std::string tail_out;
        bool broken = result.transport != TransportStatus::kOk &&
                      result.transport != TransportStatus::kCancelled;
        if (pipe->streaming_ok) {
            if (translate && json_instead_of_sse && !broken) {
                wire::Response r;
                std::string err;
                bool ok = upstream_format == ApiFormat::kAnthropic
                              ? wire::anthropic::decode_response(whole_json, r, &err)
                              : wire::openai_chat::decode_response(whole_json, r, &err);
                if (ok) {
                    events = response_to_events(r);
                    encode_events(tail_out);
                } else {
                    encoder->encode_error(
                        make_error(wire::ErrorKind::kApi, "unreadable upstream response: " + err),
                        tail_out);
                }
            } else if (translate) {
                if (broken) {
                    encoder->encode_error(
                        make_error(wire::ErrorKind::kApi, "upstream connection lost mid-stream: " +
                                                              result.transport_error),
                        tail_out);
                } else {
                    decoder->finish(events);
                    encode_events(tail_out);
                    if (!encoder->done()) {
                        encoder->encode_error(
                            make_error(wire::ErrorKind::kApi, "upstream stream ended early"),
                            tail_out);
                    }
                }
            } else if (!saw_end && result.transport != TransportStatus::kCancelled) {
                // Passthrough cut short: end it in the client's own format, never silently.
                wire::Error e = make_error(
                    wire::ErrorKind::kApi,
                    broken ? "upstream connection lost mid-stream: " + result.transport_error
                           : "upstream stream ended before its final event");
                if (anthropic_client) {
                    wire::append_sse_event(tail_out, "error", wire::anthropic::encode_error(e));
                } else {
                    wire::append_sse_event(tail_out, {}, wire::openai_chat::encode_error(e));
                    wire::append_sse_event(tail_out, {}, "[DONE]");
                }
            }
        }
        {
            std::lock_guard lock(pipe->mutex);
            pipe->buffer.append(tail_out);
            pipe->result = result;
            pipe->head_ready = true;
            pipe->finished = true;
            pipe->cv.notify_all();
        }
        --m_active_pumps;
    }).detach();

    // Commit a status only once the upstream gave one.
    std::unique_lock lock(pipe->mutex);
    pipe->cv.wait(lock, [&] { return pipe->head_ready; });
    if (!pipe->streaming_ok) {
        pipe->cv.wait(lock, [&] { return pipe->finished; });
        wire::Error e;
        if (pipe->result.head_received() || pipe->head.head_received()) {
            const UpstreamResult& head = pipe->head.head_received() ? pipe->head : pipe->result;
            e = wire::classify_upstream_error(head.status, pipe->error_body);
            e.retry_after_s = parse_retry_after(head.header("retry-after"));
        } else {
            e = transport_error(pipe->result,
                                fmt::format("upstream {} for '{}'", host_of(upstream.url), model));
        }
        lock.unlock();
        write_error(res, call.client_format, e);
        log_warn("proxy", "model={} -> {} stream failed before the first byte: {}", model,
                 deployment_model, e.message);
        return;
    }
    lock.unlock();
    res.status = 200;
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider(
        "text/event-stream",
        [pipe, model, deployment_model, started](size_t, httplib::DataSink& sink) {
            std::string chunk;
            bool finished = false;
            {
                std::unique_lock lk(pipe->mutex);
                pipe->cv.wait(lk, [&] { return !pipe->buffer.empty() || pipe->finished; });
                chunk.swap(pipe->buffer);
                finished = pipe->finished;
                pipe->cv.notify_all();  // room in the buffer again
            }
            if (!chunk.empty() && !sink.write(chunk.data(), chunk.size())) {
                std::lock_guard lk(pipe->mutex);
                pipe->cancelled = true;
                pipe->cv.notify_all();
                return false;
            }
            if (finished) {
                std::lock_guard lk(pipe->mutex);
                if (pipe->buffer.empty()) {
                    sink.done();
                    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() -
                                                                                    started)
                                  .count();
                    log_info("proxy", "model={} -> {} 200 stream in {} ms{}", model,
                             deployment_model, ms,
                             pipe->result.transport == TransportStatus::kOk
                                 ? ""
                                 : " (upstream: " + pipe->result.transport_error + ")");
                }
            }
            return true;
        },
        [pipe](bool) {
            // The response is over (done, client gone or server stopping): stop the pump.
            std::lock_guard lk(pipe->mutex);
            pipe->cancelled = true;
            pipe->cv.notify_all();
        });
}

void Proxy::handle_count_tokens(const httplib::Request& req, httplib::Response& res) {
    auto cfg = m_daemon.config();
    if (!authorize(req, res, ApiFormat::kAnthropic, *cfg)) return;
    wire::Request canonical;
    std::string error;
    if (!wire::anthropic::decode_request(req.body, canonical, &error)) {
        write_error(res, ApiFormat::kAnthropic,
                    make_error(wire::ErrorKind::kInvalidRequest, error));
        return;
    }
    auto deployments = cfg->deployments_for(canonical.model);
    if (deployments.empty()) {
        write_error(
            res, ApiFormat::kAnthropic,
            make_error(wire::ErrorKind::kNotFound,
                       fmt::format("model '{}' is not configured in litellmd", canonical.model)));
        return;
    }
    const Deployment& d = *deployments.front();
    const ProviderInfo* provider = find_provider(d.provider);
    if (provider && provider->format == WireFormat::kAnthropicMessages) {
        Call call;
        call.client_format = ApiFormat::kAnthropic;
        call.req = &req;
        call.model = canonical.model;
        call.deployment = &d;
        wire::Error e;
        auto upstream = build_upstream(call, d, *cfg, e);
        if (upstream) {
            size_t q = upstream->url.find('?');
            upstream->url = upstream->url.substr(0, q) + "/count_tokens";
            std::string body;
            UpstreamResult r = m_pool.send_collect(*upstream, body);
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
    res.set_content(fmt::format(R"({{"input_tokens":{}}})", estimate_input_tokens(canonical)),
                    "application/json");
}

void Proxy::handle_models(const httplib::Request& req, httplib::Response& res) {
    auto cfg = m_daemon.config();
    bool anthropic = req.has_header("anthropic-version") || req.has_header("x-api-key");
    if (!authorize(req, res, anthropic ? ApiFormat::kAnthropic : ApiFormat::kOpenAIChat, *cfg)) {
        return;
    }
    auto names = cfg->model_names();
    rapidjson::StringBuffer sb;
    wire::JsonWriter w(sb);
    w.StartObject();
    if (!anthropic) {
        w.Key("object");
        w.String("list");
    }
    w.Key("data");
    w.StartArray();
    for (const auto& name : names) {
        w.StartObject();
        w.Key("id");
        wire::write_string(w, name);
        if (anthropic) {
            w.Key("type");
            w.String("model");
            w.Key("display_name");
            wire::write_string(w, name);
            w.Key("created_at");
            w.String("2025-01-01T00:00:00Z");
        } else {
            w.Key("object");
            w.String("model");
            w.Key("created");
            w.Int(0);
            w.Key("owned_by");
            auto deps = cfg->deployments_for(name);
            wire::write_string(w, deps.empty() ? "litellm" : deps.front()->provider);
        }
        w.EndObject();
    }
    w.EndArray();
    if (anthropic) {
        w.Key("has_more");
        w.Bool(false);
        w.Key("first_id");
        if (names.empty())
            w.Null();
        else
            wire::write_string(w, names.front());
        w.Key("last_id");
        if (names.empty())
            w.Null();
        else
            wire::write_string(w, names.back());
    }
    w.EndObject();
    res.set_content(std::string(sb.GetString(), sb.GetSize()), "application/json");
}

}  // namespace litellm::proxy
