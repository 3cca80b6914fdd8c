#pragma once
// The inbound seam: each API litellmd serves to clients (its paths, where the model name is,
// which headers carry the client's key, the shape of its model list) is one `ClientApi` row.
// The proxy matches a request against the table and never compares paths itself.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/config.hpp"
#include "common/providers.hpp"
#include "daemon/http/message.hpp"

namespace litellm::api {

/// What a matched request asks for.
enum class Endpoint {
    kGenerate,     ///< a chat turn (whole or streamed)
    kCountTokens,  ///< count the input tokens of a turn
    kModels,       ///< list the models
};

struct ClientApi;

/// Where an API names the model in the path (Gemini's /v1beta/models/{model}:generateContent).
struct PathModel {
    std::string model;
    bool stream = false;  ///< the path asks for a stream (:streamGenerateContent)
};

/// A request matched to an API.
struct InboundCall {
    const ClientApi* api = nullptr;
    Endpoint endpoint = Endpoint::kGenerate;
};

struct ClientApi {
    std::string_view name;
    WireFormat format;
    /// The endpoint `req` (method and path) asks for, or nullopt when this API has no such
    /// route.
    std::optional<Endpoint> (*match)(const http::Request& req);
    /// True when `req`, matched by no route, still looks like this API's client (its path
    /// prefix or headers): its errors then take this API's shape.
    bool (*claims)(const http::Request& req);
    /// The keys the client presented, from this API's own headers, in its convention's order
    /// (an SDK may send both headers, a helper script one of each); empty when none.
    std::vector<std::string> (*presented_keys)(const http::Request& req);
    /// The body of the model list, in this API's shape.
    std::string (*models_body)(const Config& cfg);
    /// The model (and the stream flag) when the path names them; nullptr when the body does.
    /// Such requests are always decoded: their bytes do not name the model.
    std::optional<PathModel> (*path_model)(const http::Request& req) = nullptr;
    /// The count-tokens answer for `tokens` in this API's shape; nullptr for Anthropic's
    /// `{"input_tokens": N}`.
    std::string (*count_tokens_body)(std::int64_t tokens) = nullptr;
};

/// The rows (one file each in daemon/api/).
const ClientApi& anthropic_messages_api();
const ClientApi& openai_chat_api();
const ClientApi& openai_responses_api();
const ClientApi& gemini_api();

/// `x-api-key` and an `Authorization: Bearer` token, the one the API's own SDK sends first:
/// Anthropic's x-api-key, OpenAI's Authorization (Claude Code sends either, an apiKeyHelper
/// both). The master key may be in either.
std::vector<std::string> presented_keys_anthropic(const http::Request& req);
std::vector<std::string> presented_keys_openai(const http::Request& req);

/// The API and endpoint `req` is for, or nullopt (a 404).
std::optional<InboundCall> match(const http::Request& req);

/// The API whose error shape a request gets when no route (or no usable body) tells.
const ClientApi& for_errors(const http::Request& req);

}  // namespace litellm::api
