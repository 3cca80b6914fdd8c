#pragma once
// Byte-level reads and edits of JSON for passthrough routes: find a member's value and
// replace it, insert a member, walk an array's elements, without parsing or re-serializing the
// rest of the body.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.hpp"

namespace litellm::wire {

/// Span [begin, end) of the value of top-level key `key` in the object `json`.
struct ValueSpan {
    std::size_t begin = 0;
    std::size_t end = 0;
};

/// Finds the value of top-level `key`; nullopt when absent or `json` is not an object.
std::optional<ValueSpan> find_top_level_value(std::string_view json, std::string_view key);

/// The spans of the elements of the array `json` (positions within `json`); nullopt when it
/// is not a well-formed array.
std::optional<std::vector<ValueSpan>> array_elements(std::string_view json);

/// What a route that keeps the body's bytes must know of it, from one pass over its top level.
struct RoutingFields {
    bool stream = false;  ///< the first `stream` is the literal `true`
    /// `model` or `stream` appears more than once (or a key is written with escapes, which
    /// may spell either): routers and upstream parsers may disagree on which one counts (first
    /// or last), so the body must be decoded and re-encoded.
    bool duplicate = false;
    bool complete = false;  ///< the whole top level was scanned (false: not an object, or cut)
};

/// Scans the whole top level of `json` once.
RoutingFields scan_routing_fields(std::string_view json);

/// `json` with the value of top-level `key` replaced by `value_json` (inserted first when
/// absent). Returns empty when `json` is not an object.
std::string replace_top_level_value(std::string_view json, std::string_view key,
                                    std::string_view value_json);

/// `json` with `"key":value_json` inserted first unless the key is already present.
std::string insert_top_level_if_absent(std::string_view json, std::string_view key,
                                       std::string_view value_json);

/// `json` without the top-level members whose key `drop(key, value_json)` names (one pass).
/// Returns `json` unchanged when it is not a well-formed object.
std::string remove_top_level_if(
    std::string_view json,
    const std::function<bool(std::string_view key, std::string_view value)>& drop);

using litellm::json_quote;  // common/json.hpp

}  // namespace litellm::wire
