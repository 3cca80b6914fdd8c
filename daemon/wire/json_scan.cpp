#include "daemon/wire/json_scan.hpp"

#include <cstdio>
#include <cstring>

#include "common/json.hpp"

namespace litellm::wire {

namespace {

size_t skip_ws(std::string_view s, size_t i) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        ++i;
    return i;
}

// Index just past the string starting at s[i] == '"', or npos. memchr jumps from quote to
// quote (most of a request body is string content); a quote preceded by an odd number of
// backslashes is escaped.
size_t skip_string(std::string_view s, size_t i) {
    size_t p = i + 1;
    while (p < s.size()) {
        const void* q = std::memchr(s.data() + p, '"', s.size() - p);
        if (!q) return std::string_view::npos;
        size_t k = static_cast<size_t>(static_cast<const char*>(q) - s.data());
        size_t b = k;
        while (b > i + 1 && s[b - 1] == '\\')
            --b;
        if (((k - b) & 1) == 0) return k + 1;
        p = k + 1;
    }
    return std::string_view::npos;
}

// Index just past the value starting at s[i], or npos.
size_t skip_value(std::string_view s, size_t i) {
    if (i >= s.size()) return std::string_view::npos;
    char c = s[i];
    if (c == '"') return skip_string(s, i);
    if (c == '{' || c == '[') {
        int depth = 0;
        for (; i < s.size(); ++i) {
            char d = s[i];
            if (d == '"') {
                i = skip_string(s, i);
                if (i == std::string_view::npos) return i;
                --i;
            } else if (d == '{' || d == '[') {
                ++depth;
            } else if (d == '}' || d == ']') {
                if (--depth == 0) return i + 1;
            }
        }
        return std::string_view::npos;
    }
    // number, true, false, null
    while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' &&
           s[i] != '\n' && s[i] != '\r' && s[i] != '\t') {
        ++i;
    }
    return i;
}

}  // namespace

std::optional<std::vector<ValueSpan>> array_elements(std::string_view json) {
    size_t i = skip_ws(json, 0);
    if (i >= json.size() || json[i] != '[') return std::nullopt;
    std::vector<ValueSpan> out;
    i = skip_ws(json, i + 1);
    if (i < json.size() && json[i] == ']') return out;
    for (;;) {
        size_t end = skip_value(json, i);
        if (end == std::string_view::npos || end == i) return std::nullopt;
        out.push_back({i, end});
        i = skip_ws(json, end);
        if (i >= json.size()) return std::nullopt;
        if (json[i] == ']') return out;
        if (json[i] != ',') return std::nullopt;
        i = skip_ws(json, i + 1);
    }
}

std::optional<ValueSpan> find_top_level_value(std::string_view json, std::string_view key) {
    size_t i = skip_ws(json, 0);
    if (i >= json.size() || json[i] != '{') return std::nullopt;
    i = skip_ws(json, i + 1);
    while (i < json.size() && json[i] == '"') {
        size_t key_end = skip_string(json, i);
        if (key_end == std::string_view::npos) return std::nullopt;
        std::string_view k = json.substr(i + 1, key_end - i - 2);
        i = skip_ws(json, key_end);
        if (i >= json.size() || json[i] != ':') return std::nullopt;
        i = skip_ws(json, i + 1);
        size_t value_end = skip_value(json, i);
        if (value_end == std::string_view::npos) return std::nullopt;
        if (k == key) return ValueSpan{i, value_end};
        i = skip_ws(json, value_end);
        if (i < json.size() && json[i] == ',') i = skip_ws(json, i + 1);
    }
    return std::nullopt;
}

RoutingFields scan_routing_fields(std::string_view json) {
    RoutingFields out;
    size_t i = skip_ws(json, 0);
    if (i >= json.size() || json[i] != '{') return out;
    i = skip_ws(json, i + 1);
    int models = 0, streams = 0;
    while (i < json.size() && json[i] == '"') {
        size_t key_end = skip_string(json, i);
        if (key_end == std::string_view::npos) return out;
        std::string_view k = json.substr(i + 1, key_end - i - 2);
        i = skip_ws(json, key_end);
        if (i >= json.size() || json[i] != ':') return out;
        i = skip_ws(json, i + 1);
        size_t value_end = skip_value(json, i);
        if (value_end == std::string_view::npos) return out;
        std::string_view value = json.substr(i, value_end - i);
        // A key written with escapes ("mod\\u0065l") is "model" to a JSON parser but not to
        // this scan: the body is then decoded like one with duplicates.
        if (k.find('\\') != std::string_view::npos) models = streams = 2;
        if (k == "model") {
            ++models;
        } else if (k == "stream" && streams++ == 0) {
            out.stream = value == "true";
        }
        i = skip_ws(json, value_end);
        if (i < json.size() && json[i] == ',') i = skip_ws(json, i + 1);
    }
    out.duplicate = models > 1 || streams > 1;
    out.complete = i < json.size() && json[i] == '}';
    return out;
}

std::string replace_top_level_value(std::string_view json, std::string_view key,
                                    std::string_view value_json) {
    auto span = find_top_level_value(json, key);
    if (!span) return insert_top_level_if_absent(json, key, value_json);
    std::string out;
    out.reserve(json.size() + value_json.size());
    out.append(json.substr(0, span->begin));
    out.append(value_json);
    out.append(json.substr(span->end));
    return out;
}

std::string insert_top_level_if_absent(std::string_view json, std::string_view key,
                                       std::string_view value_json) {
    size_t open = skip_ws(json, 0);
    if (open >= json.size() || json[open] != '{') return {};
    if (find_top_level_value(json, key)) return std::string(json);
    size_t next = skip_ws(json, open + 1);
    bool empty = next < json.size() && json[next] == '}';
    std::string out;
    out.reserve(json.size() + key.size() + value_json.size() + 4);
    out.append(json.substr(0, open + 1));
    out.append(json_quote(key));
    out.push_back(':');
    out.append(value_json);
    if (!empty) out.push_back(',');
    out.append(json.substr(open + 1));
    return out;
}

std::string remove_top_level_if(
    std::string_view json,
    const std::function<bool(std::string_view key, std::string_view value)>& drop) {
    size_t i = skip_ws(json, 0);
    if (i >= json.size() || json[i] != '{') return std::string(json);
    std::string out(json.substr(0, i + 1));
    bool first = true;
    i = skip_ws(json, i + 1);
    while (i < json.size() && json[i] == '"') {
        size_t key_begin = i;
        size_t key_end = skip_string(json, i);
        if (key_end == std::string_view::npos) return std::string(json);
        std::string_view k = json.substr(i + 1, key_end - i - 2);
        i = skip_ws(json, key_end);
        if (i >= json.size() || json[i] != ':') return std::string(json);
        i = skip_ws(json, i + 1);
        size_t value_end = skip_value(json, i);
        if (value_end == std::string_view::npos) return std::string(json);
        if (!drop(k, json.substr(i, value_end - i))) {
            if (!first) out.push_back(',');
            first = false;
            out.append(json.substr(key_begin, value_end - key_begin));
        }
        i = skip_ws(json, value_end);
        if (i < json.size() && json[i] == ',') i = skip_ws(json, i + 1);
    }
    if (i >= json.size() || json[i] != '}') return std::string(json);
    out.append(json.substr(i));
    return out;
}

}  // namespace litellm::wire
