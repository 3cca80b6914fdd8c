#pragma once
// What the two OpenAI formats (Chat Completions and Responses) write and read alike: data URLs
// for images and files, function schemas, and the Claude Code line neither should receive.

#include <string>
#include <string_view>

#include "daemon/wire/json_util.hpp"
#include "daemon/wire/model.hpp"

namespace litellm::wire::openai_common {

/// Claude Code's per-request billing line in the system prompt: it defeats caching on every
/// other backend, so it is not sent there.
bool is_billing_header(const Block& b);

/// An image's or document's source as a URL: its own, or "data:<type>;base64,<data>".
void write_data_url(JsonWriter& w, const Block& b);

/// "data:<type>;base64,<data>" taken apart; false for any other URL.
bool split_data_url(std::string_view url, std::string& media_type, std::string& data);

/// A function's parameters as OpenAI takes them: an object schema has `properties` (added to
/// a copy in `scratch` when missing), and an absent schema is an empty object.
std::string_view function_schema(std::string_view schema, std::string& scratch);

}  // namespace litellm::wire::openai_common
