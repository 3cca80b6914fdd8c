#include "daemon/api/client_api.hpp"

#include <array>

namespace litellm::api {

namespace {

// Matched in order: the Anthropic row claims the shared model-list path only for Anthropic
// clients (by their headers), so it comes first.
const std::array<const ClientApi*, 4>& table() {
    static const std::array<const ClientApi*, 4> rows = {
        &anthropic_messages_api(), &openai_chat_api(), &openai_responses_api(), &gemini_api()};
    return rows;
}

}  // namespace

namespace {

std::string bearer_token(const http::Request& req) {
    std::string auth = req.get_header_value("Authorization");
    if (auth.size() > 7 &&
        (auth.compare(0, 7, "Bearer ") == 0 || auth.compare(0, 7, "bearer ") == 0)) {
        return auth.substr(7);
    }
    return {};
}

std::vector<std::string> keys_in_order(std::string first, std::string second) {
    std::vector<std::string> out;
    if (!first.empty()) out.push_back(std::move(first));
    if (!second.empty()) out.push_back(std::move(second));
    return out;
}

}  // namespace

std::vector<std::string> presented_keys_anthropic(const http::Request& req) {
    return keys_in_order(req.get_header_value("x-api-key"), bearer_token(req));
}

std::vector<std::string> presented_keys_openai(const http::Request& req) {
    return keys_in_order(bearer_token(req), req.get_header_value("x-api-key"));
}

std::optional<InboundCall> match(const http::Request& req) {
    for (const ClientApi* api : table()) {
        if (auto endpoint = api->match(req)) return InboundCall{api, *endpoint};
    }
    return std::nullopt;
}

const ClientApi& for_errors(const http::Request& req) {
    for (const ClientApi* api : table()) {
        if (api->claims(req)) return *api;
    }
    return openai_chat_api();
}

}  // namespace litellm::api
