#pragma once
// Gemini generateContent (the Gemini API, and the body inside Google Code Assist's envelope):
// `contents` of `parts`, `systemInstruction`, `generationConfig`, `tools.functionDeclarations`,
// whole GenerateContentResponse objects and their SSE stream (`alt=sse`, one response chunk per
// event, no end marker). A part's `thoughtSignature` comes back to the client in the opaque
// slot (Opaque{family "gemini"}) and returns on the same kind of part next turn.
//
// Both sides: Gemini upstreams (API keys, Code Assist: the envelope is the provider's), and
// POST /v1beta/models/{model}:generateContent for clients (the Gemini CLI, the genai SDKs).

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/wire/codec.hpp"

namespace litellm::wire::gemini {

/// The opaque family of thought signatures this format carries.
inline constexpr std::string_view kFamily = "gemini";

/// What Gemini 3 takes on a replayed function call whose real signature is unknown (the
/// Gemini CLI's own fallback).
inline constexpr std::string_view kSyntheticSignature = "skip_thought_signature_validator";

/// Decodes a client's generateContent body (the model comes from the path, not the body);
/// false with a client-facing `error` when invalid.
bool decode_request(std::string_view body, Request& out, std::string* error);

/// Encodes a canonical response as a GenerateContentResponse for a client.
std::string encode_response(const Response& response, std::string_view model);

/// Encoder producing the SSE chunks a streamGenerateContent client reads.
std::unique_ptr<StreamEncoder> make_stream_encoder(std::string model);

/// Encodes a canonical request as a generateContent body for an upstream.
std::string encode_request(const Request& request, const EncodeOptions& options);

/// Decodes an upstream GenerateContentResponse (or a JSON array of them, a stream answered
/// whole).
bool decode_response(std::string_view body, Response& out, std::string* error);

/// Decoder for an upstream `alt=sse` stream.
std::unique_ptr<StreamDecoder> make_stream_decoder();

/// The error body `{"error":{"code","message","status"}}` (Google's shape).
std::string encode_error(const Error& error);

/// An upstream failure in canonical form: Google's error (also inside a JSON array, as Code
/// Assist sends it), its status name, and RetryInfo's retryDelay as the retry hint.
Error parse_error(int http_status, std::string_view body);

/// A tool's JSON Schema without what Gemini refuses ($schema, additionalProperties, const,
/// examples, type arrays, ...), as JSON text; property names are never touched.
std::string clean_schema(std::string_view schema_json);

}  // namespace litellm::wire::gemini
