#include "daemon/api/client_api.hpp"

#include <array>

namespace litellm::api {

namespace {

// Matched in order: the Anthropic row claims the shared model-list path only for Anthropic
// clients (by their headers), so it comes first.
const std::array<const ClientApi*, 2>& table() {
    static const std::array<const ClientApi*, 2> rows = {&anthropic_messages_api(),
                                                         &openai_chat_api()};
    return rows;
}

}  // namespace

std::string presented_key_default(const http::Request& req) {
    std::string key = req.get_header_value("x-api-key");
    if (!key.empty()) return key;
    std::string auth = req.get_header_value("Authorization");
    if (auth.size() > 7 &&
        (auth.compare(0, 7, "Bearer ") == 0 || auth.compare(0, 7, "bearer ") == 0)) {
        return auth.substr(7);
    }
    return {};
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
