// Anthropic Messages as a client API: POST /v1/messages, /v1/messages/count_tokens and the
// Anthropic-shaped GET /v1/models (what Claude Code's model discovery reads).

#include "daemon/api/client_api.hpp"
#include "daemon/wire/json_util.hpp"

namespace litellm::api {

namespace {

bool anthropic_headers(const http::Request& req) {
    return req.has_header("anthropic-version") || req.has_header("x-api-key");
}

std::optional<Endpoint> match_route(const http::Request& req) {
    const std::string& p = req.path;
    if (req.method == "POST") {
        if (p == "/v1/messages") return Endpoint::kGenerate;
        if (p == "/v1/messages/count_tokens") return Endpoint::kCountTokens;
        return std::nullopt;
    }
    // The model list path is shared with OpenAI; the Anthropic SDKs send anthropic-version.
    if ((req.method == "GET" || req.method == "HEAD") && (p == "/v1/models" || p == "/models") &&
        anthropic_headers(req)) {
        return Endpoint::kModels;
    }
    return std::nullopt;
}

bool claims(const http::Request& req) {
    if (req.path.rfind("/v1/messages", 0) == 0) return true;
    if (req.path.rfind("/v1/chat", 0) == 0 || req.path.rfind("/chat", 0) == 0) return false;
    return anthropic_headers(req);
}

std::string models_body(const Config& cfg) {
    auto names = cfg.model_names();
    wire::JsonOut sb;
    wire::JsonWriter w(sb);
    w.StartObject();
    w.Key("data");
    w.StartArray();
    for (const auto& name : names) {
        w.StartObject();
        w.Key("id");
        wire::write_string(w, name);
        w.Key("type");
        w.String("model");
        w.Key("display_name");
        wire::write_string(w, name);
        w.Key("created_at");
        w.String("2025-01-01T00:00:00Z");
        w.EndObject();
    }
    w.EndArray();
    w.Key("has_more");
    w.Bool(false);
    w.Key("first_id");
    if (names.empty()) {
        w.Null();
    } else {
        wire::write_string(w, names.front());
    }
    w.Key("last_id");
    if (names.empty()) {
        w.Null();
    } else {
        wire::write_string(w, names.back());
    }
    w.EndObject();
    return sb.take();
}

}  // namespace

const ClientApi& anthropic_messages_api() {
    static const ClientApi api{"anthropic-messages",
                               WireFormat::kAnthropicMessages,
                               match_route,
                               claims,
                               presented_keys_anthropic,
                               models_body};
    return api;
}

}  // namespace litellm::api
