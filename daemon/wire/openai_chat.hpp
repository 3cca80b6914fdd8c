#pragma once
// OpenAI Chat Completions: requests, responses, SSE streams (data: lines, [DONE]) and errors.
// Also the format of Qwen Portal, DashScope and Z.AI's OpenAI-compatible endpoints.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/wire/codec.hpp"

namespace litellm::wire::openai_chat {

/// Decodes a /v1/chat/completions body; false with a client-facing `error` when invalid.
bool decode_request(std::string_view body, Request& out, std::string* error);

/// Encodes a canonical request as a chat-completions body for an upstream.
std::string encode_request(const Request& request, const EncodeOptions& options);

/// Decodes an upstream chat.completion response.
bool decode_response(std::string_view body, Response& out, std::string* error);

/// Encodes a canonical response as a chat.completion for a client.
std::string encode_response(const Response& response, std::string_view model);

/// The error body `{"error":{"message","type","param","code"}}`.
std::string encode_error(const Error& error);

/// Decoder for an upstream chat-completions SSE stream (the per-index tool-call state machine).
std::unique_ptr<StreamDecoder> make_stream_decoder();

/// A client's body for an OpenAI-compatible upstream without LiteLLM's `thinking_blocks` on
/// its messages (state for other providers, which strict upstreams refuse as unknown); nullopt
/// when there are none.
std::optional<std::string> strip_thinking_blocks(std::string_view body);

/// Encoder producing chat.completion.chunk SSE for a client.
std::unique_ptr<StreamEncoder> make_stream_encoder(std::string model, bool include_usage);

}  // namespace litellm::wire::openai_chat
