// OpenAI Chat Completions as a client API: POST /v1/chat/completions (and /chat/completions,
// for clients whose base URL already ends in /v1) and the OpenAI-shaped model list.

#include "daemon/api/client_api.hpp"
#include "daemon/wire/json_util.hpp"

namespace litellm::api {

namespace {

std::optional<Endpoint> match_route(const http::Request& req) {
    const std::string& p = req.path;
    if (req.method == "POST") {
        if (p == "/v1/chat/completions" || p == "/chat/completions") return Endpoint::kGenerate;
        return std::nullopt;
    }
    if ((req.method == "GET" || req.method == "HEAD") && (p == "/v1/models" || p == "/models")) {
        return Endpoint::kModels;
    }
    return std::nullopt;
}

bool claims(const http::Request& req) {
    return req.path.rfind("/v1/chat", 0) == 0 || req.path.rfind("/chat", 0) == 0;
}

std::string models_body(const Config& cfg) {
    wire::JsonOut sb;
    wire::JsonWriter w(sb);
    w.StartObject();
    w.Key("object");
    w.String("list");
    w.Key("data");
    w.StartArray();
    for (const auto& name : cfg.model_names()) {
        w.StartObject();
        w.Key("id");
        wire::write_string(w, name);
        w.Key("object");
        w.String("model");
        w.Key("created");
        w.Int(0);
        w.Key("owned_by");
        auto deps = cfg.deployments_for(name);
        wire::write_string(w, deps.empty() ? "litellm" : deps.front()->provider);
        w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    return sb.take();
}

}  // namespace

const ClientApi& openai_chat_api() {
    static const ClientApi api{"openai-chat", WireFormat::kOpenAIChat, match_route,
                               claims,        presented_keys_openai,   models_body};
    return api;
}

}  // namespace litellm::api
