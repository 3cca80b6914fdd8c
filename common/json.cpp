#include "common/json.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>

namespace litellm {

std::string json_stringify(const rapidjson::Value& value) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    value.Accept(writer);
    return std::string(buffer.GetString(), buffer.GetSize());
}

std::string json_pretty(const rapidjson::Value& value) {
    rapidjson::StringBuffer buffer;
    rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
    writer.SetIndent(' ', 2);
    value.Accept(writer);
    return std::string(buffer.GetString(), buffer.GetSize());
}

std::size_t json_nesting_depth(std::string_view text, std::size_t stop_at) {
    std::size_t depth = 0, deepest = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (in_string) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > deepest) deepest = depth;
            if (deepest > stop_at) return deepest;
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return deepest;
}

bool json_parse(std::string_view text, rapidjson::Document& doc, std::string* error,
                std::size_t max_depth) {
    // RapidJSON parses, copies and frees values recursively: nesting is bounded before any of
    // that, or one line of '[' would overflow the thread's stack.
    if (json_nesting_depth(text, max_depth) > max_depth) {
        doc.SetNull();
        if (error) *error = "JSON nested deeper than " + std::to_string(max_depth) + " levels";
        return false;
    }
    doc.Parse(text.data(), text.size());
    if (!doc.HasParseError()) return true;
    if (error) {
        *error = "offset " + std::to_string(doc.GetErrorOffset()) + ": " +
                 rapidjson::GetParseError_En(doc.GetParseError());
    }
    return false;
}

void append_json_string(std::string& out, std::string_view s) {
    out += '"';
    for (char c : s) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
                    out += buf;
                } else {
                    out += c;
                }
        }
    }
    out += '"';
}

std::string json_quote(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 2);
    append_json_string(out, s);
    return out;
}

std::string_view json_get_string(const rapidjson::Value& obj, const char* key,
                                 std::string_view fallback) {
    if (!obj.IsObject()) return fallback;
    auto it = obj.FindMember(key);
    if (it == obj.MemberEnd() || !it->value.IsString()) return fallback;
    return {it->value.GetString(), it->value.GetStringLength()};
}

long long json_get_int(const rapidjson::Value& obj, const char* key, long long fallback) {
    if (!obj.IsObject()) return fallback;
    auto it = obj.FindMember(key);
    if (it == obj.MemberEnd() || !it->value.IsInt64()) return fallback;
    return it->value.GetInt64();
}

}  // namespace litellm
