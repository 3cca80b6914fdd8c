#pragma once
// Small RapidJSON helpers shared by the control protocol, the CLI and the tests.

#include <string>
#include <string_view>

#include <rapidjson/document.h>

namespace litellm {

/// Compact JSON text of `value`.
std::string json_stringify(const rapidjson::Value& value);

/// Indented JSON text of `value` (2 spaces), for humans.
std::string json_pretty(const rapidjson::Value& value);

/// Deepest nesting RapidJSON input may have: every control line, token file and config value
/// is far shallower.
inline constexpr std::size_t kMaxJsonDepth = 64;

/// How deeply `text` nests arrays and objects (strings skipped); stops counting once past
/// `stop_at`.
std::size_t json_nesting_depth(std::string_view text, std::size_t stop_at);

/// Parses `text` into `doc`; on failure returns false and sets `error` to "offset N: reason"
/// (or names the depth limit when `text` nests deeper than `max_depth`).
bool json_parse(std::string_view text, rapidjson::Document& doc, std::string* error = nullptr,
                std::size_t max_depth = kMaxJsonDepth);

/// A string value copied into `alloc`.
inline rapidjson::Value json_str(std::string_view s, rapidjson::Document::AllocatorType& alloc) {
    return rapidjson::Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), alloc);
}

/// Appends `s` as a JSON string literal (with quotes and escapes) to `out`.
void append_json_string(std::string& out, std::string_view s);

/// `s` as a JSON string literal with quotes.
std::string json_quote(std::string_view s);

/// `obj[key]` as a string_view when it is a string, else `fallback`.
std::string_view json_get_string(const rapidjson::Value& obj, const char* key,
                                 std::string_view fallback = {});

/// `obj[key]` as an integer when it is one, else `fallback`.
long long json_get_int(const rapidjson::Value& obj, const char* key, long long fallback = 0);

}  // namespace litellm
