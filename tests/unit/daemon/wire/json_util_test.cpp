#include "daemon/wire/json_util.hpp"

#include "common/json.hpp"

#include <cctype>
#include <random>
#include <string>

#include <gtest/gtest.h>

namespace litellm::wire {
namespace {

// JSON allows either case in \u escapes: simdjson writes lowercase, RapidJSON uppercase.
std::string lower_unicode_escapes(std::string s) {
    for (size_t i = 0; i + 5 < s.size(); ++i) {
        if (s[i] == '\\' && s[i + 1] == 'u') {
            for (size_t k = i + 2; k < i + 6; ++k)
                s[k] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[k])));
            i += 5;
        } else if (s[i] == '\\') {
            ++i;  // skip the escaped character (an escaped backslash is not an escape)
        }
    }
    return s;
}

// The reference: the project's own scalar escaper (common/json), which escapes every byte
// below 0x20. (Not RapidJSON's SSE2 path: built with RAPIDJSON_SSE2, 1.1.0 leaves some of them
// raw, which is invalid JSON.)
std::string reference_array(const std::vector<std::string>& values) {
    std::string out = "[";
    for (size_t i = 0; i < values.size(); ++i) {
        if (i) out += ',';
        append_json_string(out, values[i]);
    }
    return lower_unicode_escapes(out + "]");
}

std::string fast_array(const std::vector<std::string>& values) {
    JsonOut sb;
    JsonWriter w(sb);
    w.StartArray();
    for (const auto& v : values)
        write_string(w, v);
    w.EndArray();
    return std::string(sb.GetString(), sb.GetSize());
}

TEST(JsonWriterFastString, MatchesTheReferenceForEveryByte) {
    std::vector<std::string> values;
    for (int c = 1; c < 256; ++c)
        values.push_back(std::string("a") + static_cast<char>(c) + "b");
    values.push_back(std::string("nul\0inside", 10));
    values.push_back("");
    values.push_back("line of code\n\"quoted\" back\\slash\ttab é 日本");
    EXPECT_EQ(lower_unicode_escapes(fast_array(values)), reference_array(values));
}

TEST(JsonWriterFastString, MatchesTheReferenceOnRandomText) {
    std::mt19937 rng(42);
    std::vector<std::string> values;
    for (int i = 0; i < 200; ++i) {
        std::string s(rng() % 300, ' ');
        for (char& c : s)
            c = static_cast<char>(rng() % 4 == 0 ? rng() % 0x30 : 'a' + rng() % 26);
        values.push_back(s);
    }
    EXPECT_EQ(lower_unicode_escapes(fast_array(values)), reference_array(values));
}

TEST(JsonWriterFastString, KeysAndRawValuesKeepTheWriterState) {
    JsonOut sb;
    JsonWriter w(sb);
    w.StartObject();
    write_key(w, "a\"b");
    write_raw(w, R"({"x":[1,2]})");
    write_key(w, "list");
    write_raw(w, "[true]");
    write_key(w, "n");
    w.Int(3);
    w.EndObject();
    EXPECT_TRUE(w.IsComplete());
    EXPECT_EQ(std::string(sb.view()), R"({"a\"b":{"x":[1,2]},"list":[true],"n":3})");
}

TEST(ToJsonText, SameTextAsSimdjsonMinify) {
    const char* inputs[] = {
        R"({"type":"object","properties":{"path":{"type":"string","description":"A \"quoted\"\npath\u0001\u001f é"},
            "n":{"type":"integer","minimum":-5,"maximum":18446744073709551615},
            "f":{"type":"number","multipleOf":0.25,"exclusiveMaximum":1e300},
            "flags":[true,false,null,[],{}]},"required":["path"]})",
        R"([1, -2, 3.5, "x", {"a" : {"b" : []}}])",
        R"("just a string\t")",
        "42",
    };
    for (const char* text : inputs) {
        element e;
        std::string error;
        ASSERT_TRUE(parse_json(text, e, &error)) << error;
        EXPECT_EQ(lower_unicode_escapes(to_json_text(e)),
                  lower_unicode_escapes(simdjson::minify(e)))
            << text;
    }
}

TEST(JsonUtil, IntegersThatDoNotFitAreNotIntegers) {
    element doc;
    ASSERT_TRUE(
        parse_json(R"({"a":9223372036854775808,"b":1e300,"c":-4,"d":2.0,"e":2.5})", doc, nullptr));
    EXPECT_FALSE(get_int(doc, "a"));  // 2^63: would have become -2^63
    EXPECT_FALSE(get_int(doc, "b"));
    EXPECT_EQ(get_int(doc, "c"), -4);
    EXPECT_EQ(get_int(doc, "d"), 2);
    EXPECT_FALSE(get_int(doc, "e"));
}

TEST(JsonUtil, NestingDeeperThanTheLimitIsRefused) {
    set_json_depth_limit(16);
    element doc;
    std::string err;
    std::string deep = std::string(17, '[') + std::string(17, ']');
    EXPECT_FALSE(parse_json(deep, doc, &err));
    EXPECT_NE(err.find("deeper than 16"), std::string::npos) << err;
    EXPECT_TRUE(parse_json(deep.substr(1, deep.size() - 2), doc, &err)) << err;
    set_json_depth_limit(128);
    EXPECT_TRUE(parse_json(deep, doc, &err)) << err;
}

}  // namespace
}  // namespace litellm::wire
