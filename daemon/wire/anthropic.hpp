#pragma once
// Anthropic Messages: /v1/messages requests, responses, SSE streams and error bodies.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/wire/codec.hpp"

namespace litellm::wire::anthropic {

/// Decodes a /v1/messages (or count_tokens) body; false with a client-facing `error` when
/// the body is not a valid request.
bool decode_request(std::string_view body, Request& out, std::string* error);

/// Encodes a canonical request as an Anthropic body for an upstream.
std::string encode_request(const Request& request, const EncodeOptions& options);

/// Decodes an upstream Messages response.
bool decode_response(std::string_view body, Response& out, std::string* error);

/// Encodes a canonical response for an Anthropic client; `model` is the name it asked for.
std::string encode_response(const Response& response, std::string_view model);

/// The error body `{"type":"error","error":{...}}`; context-length errors read "prompt is too
/// long", which is what Claude Code compacts on.
std::string encode_error(const Error& error);

/// For a body that goes to Anthropic as the client sent it: the body without the thinking
/// blocks whose signature is empty or another provider's state (Anthropic rejects them; litellmd
/// itself made them from another format's reasoning, and a client replays them after a fallback),
/// with thinking turned off when that leaves the pending tool turn without its thinking block.
/// nullopt when there is nothing to cut. Byte level: the rest of the body is kept as it is.
std::optional<std::string> strip_unsigned_thinking(std::string_view body);

/// Decoder for an upstream Anthropic SSE stream.
std::unique_ptr<StreamDecoder> make_stream_decoder();

/// Encoder producing Anthropic SSE for a client; `model` is the name it asked for. Where the
/// upstream gives no usage (at the start of an OpenAI stream; at its end without
/// include_usage), `input_tokens_estimate` and an estimate from the output stand in.
std::unique_ptr<StreamEncoder> make_stream_encoder(std::string model,
                                                   std::int64_t input_tokens_estimate = 0);

}  // namespace litellm::wire::anthropic
