#include "daemon/wire/json_util.hpp"

#include "common/json.hpp"

#include <cctype>
#include <cstring>
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

// Found by fuzz_codecs: an empty Text view has no data pointer, and copying it must not pass
// that null to memcpy (undefined behaviour, even for zero bytes).
TEST(JsonWriterText, AnEmptyViewWritesAnEmptyString) {
    JsonOut sb;
    JsonWriter w(sb);
    w.StartArray();
    w.text(Text::json_view(std::string_view()));
    w.text(Text(std::string_view()));
    w.EndArray();
    EXPECT_EQ(std::string(sb.view()), R"(["",""])");
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

TEST(JsonOut, GrowsInStepsAndMovesItsTextOut) {
    JsonOut out(nullptr, 16);
    std::string expect;
    for (int i = 0; i < 5000; ++i) {
        out.Put(static_cast<char>('a' + i % 26));
        expect += static_cast<char>('a' + i % 26);
    }
    std::string long_run(10000, 'z');  // appended straight, past the step
    out.append(long_run.data(), long_run.size());
    expect += long_run;
    char* p = out.Push(10);
    std::memcpy(p, "0123456789", 10);
    out.Pop(4);
    expect += "012345";
    out.append_quoted("k", 1);
    expect += "\"k\"";
    EXPECT_EQ(out.GetSize(), expect.size());
    EXPECT_EQ(out.view(), expect);
    std::string taken = out.take();
    EXPECT_EQ(taken, expect);
    EXPECT_EQ(out.GetSize(), 0u);
}

TEST(JsonWriterText, ViewsAreCopiedAndDecodedTextIsEscaped) {
    JsonOut sb;
    JsonWriter w(sb);
    w.StartArray();
    w.text(Text::json_view(R"(a\nb \"c\")"));
    w.text(Text("a\nb \"c\""));
    w.begin_string();
    w.append(std::string_view("x\n"));
    w.append(Text::json_view(R"(\t)"));
    w.end_string();
    w.EndArray();
    EXPECT_EQ(sb.view(), R"(["a\nb \"c\"","a\nb \"c\"","x\n\t"])");
}

TEST(CheckRawJson, CountsFirstAndWalksOnlyWhenItMust) {
    EXPECT_EQ(check_raw_json(R"({"a":[1,{"b":2}]})", 128), RawJsonCheck::kOk);
    // Brackets inside strings: counts do not balance, the exact walk says it is fine.
    EXPECT_EQ(check_raw_json(R"({"d":"array of [strings"})", 128), RawJsonCheck::kOk);
    // What on-demand skipping lets through: a slice whose kinds do not pair up.
    EXPECT_EQ(check_raw_json(R"({"a":[1}})", 128), RawJsonCheck::kMalformed);
    EXPECT_EQ(check_raw_json(R"({"a":[1},"b":2})", 128), RawJsonCheck::kMalformed);
    EXPECT_EQ(check_raw_json(R"({"a":"[",[}})", 128), RawJsonCheck::kMalformed);
    std::string deep = std::string(20, '[') + std::string(20, ']');
    EXPECT_EQ(check_raw_json(deep, 20), RawJsonCheck::kOk);
    EXPECT_EQ(check_raw_json(deep, 19), RawJsonCheck::kTooDeep);
    // Long text (the 16-byte path) with one bracket near the end.
    std::string longer = "{\"d\":\"" + std::string(100, 'x') + "\",\"e\":[1]}";
    EXPECT_EQ(check_raw_json(longer, 128), RawJsonCheck::kOk);
    EXPECT_EQ(check_raw_json(longer.substr(0, longer.size() - 1), 128), RawJsonCheck::kMalformed);
}

// The same decision made a byte at a time: the 16-byte counting must agree for every length.
RawJsonCheck reference_check(std::string_view json, std::size_t limit) {
    std::size_t c[4] = {0, 0, 0, 0};
    for (char ch : json) {
        c[0] += ch == '{';
        c[1] += ch == '}';
        c[2] += ch == '[';
        c[3] += ch == ']';
    }
    if (c[0] == c[1] && c[2] == c[3] && c[0] + c[2] <= limit) return RawJsonCheck::kOk;
    std::string stack;
    bool in_string = false;
    for (std::size_t i = 0; i < json.size(); ++i) {
        char ch = json[i];
        if (in_string) {
            if (ch == '\\')
                ++i;
            else if (ch == '"')
                in_string = false;
        } else if (ch == '"') {
            in_string = true;
        } else if (ch == '{' || ch == '[') {
            if (stack.size() >= limit) return RawJsonCheck::kTooDeep;
            stack.push_back(ch == '{' ? '}' : ']');
        } else if (ch == '}' || ch == ']') {
            if (stack.empty() || stack.back() != ch) return RawJsonCheck::kMalformed;
            stack.pop_back();
        }
    }
    return stack.empty() && !in_string ? RawJsonCheck::kOk : RawJsonCheck::kMalformed;
}

TEST(CheckRawJson, AgreesWithAByteAtATimeCountOnRandomText) {
    std::mt19937 rng(7);
    const char alphabet[] = "{}[]\"\\ax:,";
    for (int i = 0; i < 20000; ++i) {
        std::string text(rng() % 90, ' ');
        for (char& ch : text)
            ch = alphabet[rng() % (sizeof alphabet - 1)];
        std::size_t limit = 1 + rng() % 8;
        ASSERT_EQ(check_raw_json(text, limit), reference_check(text, limit)) << text;
    }
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
