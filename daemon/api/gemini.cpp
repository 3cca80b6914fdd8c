// The Gemini API as a client API, as the Gemini CLI (GOOGLE_GEMINI_BASE_URL) and the genai SDKs
// send it: POST /v1beta/models/{model}:generateContent, :streamGenerateContent (?alt=sse) and
// :countTokens, the model in the path (a configured name may itself hold '/'), the key in
// x-goog-api-key or ?key=, and GET /v1beta/models in Gemini's shape.

#include <fmt/format.h>

#include "daemon/api/client_api.hpp"
#include "daemon/wire/json_util.hpp"

namespace litellm::api {

namespace {

constexpr std::string_view kModels = "/v1beta/models";

// "/v1beta/models/<model>:<method>" (also under /v1/): the model and the method.
bool split_path(const std::string& path, std::string& model, std::string& method) {
    std::string_view p = path;
    for (std::string_view prefix :
         {std::string_view("/v1beta/models/"), std::string_view("/v1/models/")}) {
        if (p.rfind(prefix, 0) != 0) continue;
        std::string_view rest = p.substr(prefix.size());
        std::size_t colon = rest.rfind(':');
        if (colon == std::string_view::npos || colon == 0) return false;
        model = std::string(rest.substr(0, colon));
        method = std::string(rest.substr(colon + 1));
        return true;
    }
    return false;
}

std::optional<Endpoint> match_route(const http::Request& req) {
    if ((req.method == "GET" || req.method == "HEAD") &&
        (req.path == kModels || req.path == std::string(kModels) + "/")) {
        return Endpoint::kModels;
    }
    if (req.method != "POST") return std::nullopt;
    std::string model, method;
    if (!split_path(req.path, model, method)) return std::nullopt;
    if (method == "generateContent" || method == "streamGenerateContent") {
        return Endpoint::kGenerate;
    }
    if (method == "countTokens") return Endpoint::kCountTokens;
    return std::nullopt;
}

bool claims(const http::Request& req) {
    return req.path.rfind("/v1beta", 0) == 0 || req.has_header("x-goog-api-key");
}

std::vector<std::string> presented_keys(const http::Request& req) {
    std::vector<std::string> out;
    if (std::string k = req.get_header_value("x-goog-api-key"); !k.empty()) out.push_back(k);
    if (std::string k = req.get_param_value("key"); !k.empty()) out.push_back(k);
    for (std::string k : presented_keys_openai(req))
        out.push_back(std::move(k));
    return out;
}

std::optional<PathModel> path_model(const http::Request& req) {
    PathModel out;
    std::string method;
    if (!split_path(req.path, out.model, method)) return std::nullopt;
    out.stream = method == "streamGenerateContent";
    return out;
}

std::string models_body(const Config& cfg) {
    wire::JsonOut sb;
    wire::JsonWriter w(sb);
    w.StartObject();
    w.Key("models");
    w.StartArray();
    for (const auto& name : cfg.model_names()) {
        w.StartObject();
        w.Key("name");
        wire::write_string(w, "models/" + name);
        w.Key("displayName");
        wire::write_string(w, name);
        w.Key("supportedGenerationMethods");
        w.StartArray();
        w.String("generateContent");
        w.String("streamGenerateContent");
        w.String("countTokens");
        w.EndArray();
        w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    return sb.take();
}

std::string count_tokens_body(std::int64_t tokens) {
    return fmt::format(R"({{"totalTokens":{}}})", tokens);
}

}  // namespace

const ClientApi& gemini_api() {
    static const ClientApi api{"gemini",       WireFormat::kGemini, match_route, claims,
                               presented_keys, models_body,         path_model,  count_tokens_body};
    return api;
}

}  // namespace litellm::api
