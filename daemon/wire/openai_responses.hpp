#pragma once
// OpenAI Responses (the ChatGPT Codex backend's format): requests (`instructions`, `input`
// items, function tools, `reasoning`), whole Response objects, and the typed SSE stream
// (response.created ... response.completed). Reasoning items come back to the client in the
// opaque slot (Opaque{family "chatgpt"}) and return to a Responses upstream on the next turn.
//
// Both sides: Codex as an upstream, and POST /v1/responses for clients (the Codex CLI, the
// openai SDK's responses.create). litellmd keeps no response store, so a client sends the
// whole conversation (store: false); previous_response_id and item_reference are refused.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/wire/codec.hpp"

namespace litellm::wire::openai_responses {

/// The opaque family of reasoning items this format makes.
inline constexpr std::string_view kFamily = "chatgpt";

/// Decodes a client's /v1/responses body; false with a client-facing `error` when invalid.
bool decode_request(std::string_view body, Request& out, std::string* error);

/// Encodes a canonical response as a Response object for a client.
std::string encode_response(const Response& response, std::string_view model);

/// Encoder producing the Responses SSE events for a client.
std::unique_ptr<StreamEncoder> make_stream_encoder(std::string model);

/// Encodes a canonical request as a Responses body for an upstream.
std::string encode_request(const Request& request, const EncodeOptions& options);

/// Decodes an upstream Response object (`output` items, `usage`, `status`).
bool decode_response(std::string_view body, Response& out, std::string* error);

/// Decoder for an upstream Responses SSE stream.
std::unique_ptr<StreamDecoder> make_stream_decoder();

/// The error body `{"error":{"message","type","code"}}` (OpenAI's shape).
std::string encode_error(const Error& error);

/// A client's body for a Responses upstream without the reasoning items another provider
/// made (encrypted_content "litellm1:<family>:..."), which the upstream cannot decrypt; nullopt
/// when there are none.
std::optional<std::string> strip_foreign_reasoning(std::string_view body);

/// The reasoning effort for a thinking budget ("none" .. "xhigh").
std::string effort_from_budget(std::int64_t budget);

}  // namespace litellm::wire::openai_responses
