// OpenAI Responses as a client API: POST /v1/responses (and /responses, for clients whose base
// URL already ends in /v1), as the Codex CLI and the openai SDK's responses.create send it. The
// model list is OpenAI's (GET /v1/models, served by the chat row).

#include "daemon/api/client_api.hpp"

namespace litellm::api {

namespace {

std::optional<Endpoint> match_route(const http::Request& req) {
    if (req.method == "POST" && (req.path == "/v1/responses" || req.path == "/responses")) {
        return Endpoint::kGenerate;
    }
    return std::nullopt;
}

bool claims(const http::Request& req) {
    return req.path.rfind("/v1/responses", 0) == 0 || req.path.rfind("/responses", 0) == 0;
}

std::string models_body(const Config& cfg) {
    return openai_chat_api().models_body(cfg);
}

}  // namespace

const ClientApi& openai_responses_api() {
    static const ClientApi api{"openai-responses",    WireFormat::kOpenAIResponses,
                               match_route,           claims,
                               presented_keys_openai, models_body};
    return api;
}

}  // namespace litellm::api
