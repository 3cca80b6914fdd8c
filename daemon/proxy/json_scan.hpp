#pragma once
// Byte-level edits of a JSON object for passthrough routes: find a top-level member's value
// and replace it, or insert a member, without parsing or re-serializing the rest of the body.

#include <optional>
#include <string>
#include <string_view>

#include "common/json.hpp"

namespace litellm::proxy {

/// Span [begin, end) of the value of top-level key `key` in the object `json`.
struct ValueSpan {
    std::size_t begin = 0;
    std::size_t end = 0;
};

/// Finds the value of top-level `key`; nullopt when absent or `json` is not an object.
std::optional<ValueSpan> find_top_level_value(std::string_view json, std::string_view key);

/// The decoded string value of top-level `key` when it is a string without escapes in its
/// raw form ("claude-opus-4-6"), else nullopt.
std::optional<std::string_view> top_level_string(std::string_view json, std::string_view key);

/// True when top-level `key` is the literal `true`.
bool top_level_true(std::string_view json, std::string_view key);

/// `json` with the value of top-level `key` replaced by `value_json` (inserted first when
/// absent). Returns empty when `json` is not an object.
std::string replace_top_level_value(std::string_view json, std::string_view key,
                                    std::string_view value_json);

/// `json` with `"key":value_json` inserted first unless the key is already present.
std::string insert_top_level_if_absent(std::string_view json, std::string_view key,
                                       std::string_view value_json);

using litellm::json_quote;  // common/json.hpp

}  // namespace litellm::proxy
