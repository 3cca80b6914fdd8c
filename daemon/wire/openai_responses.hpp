#pragma once
// OpenAI Responses (the ChatGPT Codex backend's format): requests (`instructions`, `input`
// items, function tools, `reasoning`), whole Response objects, and the typed SSE stream
// (response.created ... response.completed). Reasoning items come back to the client in the
// opaque slot (Opaque{family "chatgpt"}) and return to a Responses upstream on the next turn.
//
// This is the upstream side. A Responses *client* (POST /v1/responses) is not served yet: the
// inbound functions refuse with a message until that API lands.

#include <memory>
#include <string>
#include <string_view>

#include "daemon/wire/codec.hpp"

namespace litellm::wire::openai_responses {

/// The opaque family of reasoning items this format makes.
inline constexpr std::string_view kFamily = "chatgpt";

/// Encodes a canonical request as a Responses body for an upstream.
std::string encode_request(const Request& request, const EncodeOptions& options);

/// Decodes an upstream Response object (`output` items, `usage`, `status`).
bool decode_response(std::string_view body, Response& out, std::string* error);

/// Decoder for an upstream Responses SSE stream.
std::unique_ptr<StreamDecoder> make_stream_decoder();

/// The error body `{"error":{"message","type","code"}}` (OpenAI's shape).
std::string encode_error(const Error& error);

/// The reasoning effort for a thinking budget ("none" .. "xhigh").
std::string effort_from_budget(std::int64_t budget);

}  // namespace litellm::wire::openai_responses
