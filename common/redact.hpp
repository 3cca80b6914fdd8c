#pragma once
// The one redaction helper. Every log line passes through it where the record is built, so a
// key, token or Authorization value never reaches the log file, the ring buffer or a follower.

#include <string>
#include <string_view>

namespace litellm {

/// The text that replaces a secret.
inline constexpr std::string_view kRedacted = "[REDACTED]";

/// Returns `text` with secrets masked: values of secret-named keys in JSON, headers, query
/// strings and `key=value` text (authorization, x-api-key, api_key, access_token, ...),
/// `Bearer`/`Basic` credentials, and token-shaped words (sk-..., JWTs, ya29...., GOCSPX-...).
std::string redact(std::string_view text);

/// A short fingerprint of a secret for messages: "sk-a…(51 chars)"; "(empty)" when empty.
std::string secret_hint(std::string_view secret);

}  // namespace litellm
