#include "daemon/wire/json_scan.hpp"

#include <gtest/gtest.h>

#include <string>

#include "common/json.hpp"

namespace litellm::wire {
namespace {

std::string value_of(std::string_view json, std::string_view key) {
    auto span = find_top_level_value(json, key);
    if (!span) return "<absent>";
    return std::string(json.substr(span->begin, span->end - span->begin));
}

// A Claude-Code-like body where "model" also appears nested and inside strings.
constexpr std::string_view kBody = R"({
  "metadata": {"model": "nested-model", "user_id": "u"},
  "messages": [{"role": "user", "content": "say \"model\": {\"x\"} and } ] {"}],
  "tools": [{"name": "t", "input_schema": {"properties": {"model": {"type": "string"}}}}],
  "model" : "claude-opus-4-6",
  "stream":true,
  "max_tokens": 1024
})";

TEST(FindTopLevelValue, FindsValuesOfEveryKind) {
    EXPECT_EQ(value_of(kBody, "model"), R"("claude-opus-4-6")");
    EXPECT_EQ(value_of(kBody, "stream"), "true");
    EXPECT_EQ(value_of(kBody, "max_tokens"), "1024");
    EXPECT_EQ(value_of(kBody, "metadata"), R"({"model": "nested-model", "user_id": "u"})");
    EXPECT_EQ(value_of(kBody, "tools"),
              R"([{"name": "t", "input_schema": {"properties": {"model": {"type": "string"}}}}])");
}

TEST(FindTopLevelValue, SkipsStringsWithEscapedQuotesAndBraces) {
    EXPECT_EQ(value_of(kBody, "messages"),
              R"([{"role": "user", "content": "say \"model\": {\"x\"} and } ] {"}])");
    // A key that only appears nested is not found at the top level.
    EXPECT_EQ(value_of(kBody, "user_id"), "<absent>");
    EXPECT_EQ(value_of(kBody, "role"), "<absent>");
}

TEST(FindTopLevelValue, EscapedBackslashBeforeClosingQuote) {
    std::string json = R"({"path":"C:\\dir\\","model":"m"})";
    EXPECT_EQ(value_of(json, "path"), R"("C:\\dir\\")");
    EXPECT_EQ(value_of(json, "model"), R"("m")");
}

TEST(FindTopLevelValue, AbsentKeyAndNonObjectInput) {
    EXPECT_EQ(value_of(kBody, "temperature"), "<absent>");
    EXPECT_EQ(value_of("[1,2,3]", "model"), "<absent>");
    EXPECT_EQ(value_of(R"("model")", "model"), "<absent>");
    EXPECT_EQ(value_of("", "model"), "<absent>");
    EXPECT_EQ(value_of("   ", "model"), "<absent>");
    EXPECT_EQ(value_of("{}", "model"), "<absent>");
    // Truncated body: the value never ends.
    EXPECT_EQ(value_of(R"({"model":"abc)", "model"), "<absent>");
    EXPECT_EQ(value_of(R"({"a":{"b":1)", "a"), "<absent>");
}

TEST(FindTopLevelValue, WhitespaceEverywhere) {
    std::string json = " \n\t{ \r\n \"a\" \t:\n [ 1 , 2 ] ,\n \"b\"  :  null \n } ";
    EXPECT_EQ(value_of(json, "a"), "[ 1 , 2 ]");
    EXPECT_EQ(value_of(json, "b"), "null");
}

TEST(ScanRoutingFields, TheWholeTopLevelInOnePass) {
    RoutingFields f = scan_routing_fields(kBody);
    EXPECT_TRUE(f.complete);
    EXPECT_TRUE(f.stream);
    EXPECT_FALSE(f.duplicate);
    EXPECT_FALSE(scan_routing_fields("[1]").complete);
    EXPECT_FALSE(scan_routing_fields(R"({"model":"a","x":[1,)").complete);
}

TEST(ScanRoutingFields, OnlyTheTopLevelLiteralTrueStreams) {
    EXPECT_FALSE(scan_routing_fields(R"({"stream":false})").stream);
    EXPECT_FALSE(scan_routing_fields(R"({"stream":"true"})").stream);
    EXPECT_FALSE(scan_routing_fields(R"({"x":{"stream":true}})").stream);
    EXPECT_FALSE(scan_routing_fields("{}").stream);
}

TEST(ScanRoutingFields, DuplicatesAndEscapedKeysAreAmbiguous) {
    // Routing by the first while an upstream parser takes the last would be a smuggling path.
    EXPECT_TRUE(scan_routing_fields(R"({"model":"cheap","x":1,"model":"opus"})").duplicate);
    EXPECT_TRUE(scan_routing_fields(R"({"stream":false,"stream":true})").duplicate);
    EXPECT_TRUE(scan_routing_fields(R"({"model":"cheap","mod\u0065l":"opus"})").duplicate);
    EXPECT_FALSE(scan_routing_fields(R"({"model":"a","messages":[{"model":"b"}]})").duplicate);
}

TEST(ReplaceTopLevelValue, ReplacesOnlyTheTopLevelModel) {
    std::string out = replace_top_level_value(kBody, "model", R"("qwen3-coder-plus")");
    EXPECT_EQ(value_of(out, "model"), R"("qwen3-coder-plus")");
    // Everything else, including nested "model" keys, is byte-identical.
    std::string expected(kBody);
    expected.replace(expected.find(R"("claude-opus-4-6")"),
                     std::string_view(R"("claude-opus-4-6")").size(), R"("qwen3-coder-plus")");
    EXPECT_EQ(out, expected);
    rapidjson::Document d;
    ASSERT_TRUE(json_parse(out, d));
    EXPECT_STREQ(d["metadata"]["model"].GetString(), "nested-model");
    EXPECT_STREQ(d["model"].GetString(), "qwen3-coder-plus");
}

TEST(ReplaceTopLevelValue, ReplacesLastKeyAndScalarValues) {
    EXPECT_EQ(replace_top_level_value(R"({"a":1,"max_tokens":100})", "max_tokens", "2048"),
              R"({"a":1,"max_tokens":2048})");
    EXPECT_EQ(replace_top_level_value(R"({"stream":false,"a":1})", "stream", "true"),
              R"({"stream":true,"a":1})");
    EXPECT_EQ(replace_top_level_value(R"({"o":{"x":[1,{"y":"}"}]},"z":0})", "o", "{}"),
              R"({"o":{},"z":0})");
}

TEST(ReplaceTopLevelValue, InsertsWhenAbsent) {
    std::string out = replace_top_level_value(R"({"messages":[]})", "model", R"("m")");
    EXPECT_EQ(out, R"({"model":"m","messages":[]})");
    // Nested "model" does not count as present.
    out = replace_top_level_value(R"({"metadata":{"model":"x"}})", "model", R"("m")");
    EXPECT_EQ(out, R"({"model":"m","metadata":{"model":"x"}})");
}

TEST(ReplaceTopLevelValue, NonObjectGivesEmpty) {
    EXPECT_EQ(replace_top_level_value("[]", "model", R"("m")"), "");
    EXPECT_EQ(replace_top_level_value("", "model", R"("m")"), "");
    EXPECT_EQ(replace_top_level_value("null", "model", R"("m")"), "");
}

TEST(InsertTopLevelIfAbsent, InsertsFirstIntoObjectsOfAnyShape) {
    EXPECT_EQ(insert_top_level_if_absent("{}", "stream_options", R"({"include_usage":true})"),
              R"({"stream_options":{"include_usage":true}})");
    EXPECT_EQ(insert_top_level_if_absent(" { } ", "k", "1"), R"( {"k":1 } )");
    EXPECT_EQ(insert_top_level_if_absent(R"({ "a" : 1 })", "k", "1"), R"({"k":1, "a" : 1 })");
    // Each result is valid JSON.
    for (std::string_view in : {"{}", " { } ", R"({ "a" : 1 })", R"({"a":{"k":2}})"}) {
        std::string out = insert_top_level_if_absent(in, "k", "1");
        rapidjson::Document d;
        ASSERT_TRUE(json_parse(out, d)) << out;
        EXPECT_EQ(d["k"].GetInt(), 1) << out;
    }
}

TEST(InsertTopLevelIfAbsent, LeavesPresentKeyAlone) {
    std::string body = R"({"k":"keep","a":1})";
    EXPECT_EQ(insert_top_level_if_absent(body, "k", "2"), body);
    EXPECT_EQ(insert_top_level_if_absent("[1]", "k", "2"), "");
}

TEST(InsertTopLevelIfAbsent, QuotesTheKey) {
    std::string out = insert_top_level_if_absent("{}", "we\"ird", "1");
    EXPECT_EQ(out, R"({"we\"ird":1})");
    rapidjson::Document d;
    ASSERT_TRUE(json_parse(out, d));
    EXPECT_TRUE(d.HasMember("we\"ird"));
}

TEST(JsonQuote, EscapesSpecialAndControlCharacters) {
    EXPECT_EQ(json_quote("plain"), R"("plain")");
    EXPECT_EQ(json_quote("a\"b\\c"), R"("a\"b\\c")");
    EXPECT_EQ(json_quote("l1\nl2\r\t"), R"("l1\nl2\r\t")");
    EXPECT_EQ(json_quote(std::string("\x01\x1f", 2)), R"("\u0001\u001f")");
    EXPECT_EQ(json_quote("caf\xc3\xa9"), "\"caf\xc3\xa9\"");  // UTF-8 passes through
    std::string quoted = json_quote("x\"\n\x02y");
    rapidjson::Document d;
    ASSERT_TRUE(json_parse(quoted, d));
    EXPECT_EQ(std::string(d.GetString(), d.GetStringLength()), "x\"\n\x02y");
}

}  // namespace
}  // namespace litellm::wire

namespace litellm::wire {
namespace {

TEST(ArrayElements, SpansOfEachElementAndNothingForNonArrays) {
    std::string_view a = R"( [ {"a":"],"} , 2,"x\"]" ,[1,[2]] ] )";
    auto els = array_elements(a);
    ASSERT_TRUE(els);
    ASSERT_EQ(els->size(), 4u);
    auto at = [&](std::size_t i) {
        return a.substr((*els)[i].begin, (*els)[i].end - (*els)[i].begin);
    };
    EXPECT_EQ(at(0), R"({"a":"],"})");
    EXPECT_EQ(at(1), "2");
    EXPECT_EQ(at(2), R"("x\"]")");
    EXPECT_EQ(at(3), "[1,[2]]");
    EXPECT_TRUE(array_elements("[]")->empty());
    EXPECT_FALSE(array_elements("{}"));
    EXPECT_FALSE(array_elements("[1,"));
    EXPECT_FALSE(array_elements("[1 2]"));
}

TEST(RemoveTopLevelIf, DropsTheNamedMembersOnly) {
    auto drop = [](std::string_view k, std::string_view v) {
        return k == "a" || (k == "c" && v == "null");
    };
    EXPECT_EQ(remove_top_level_if(R"({"a":1,"b":{"a":2},"c":null,"d":"a"})", drop),
              R"({"b":{"a":2},"d":"a"})");
    EXPECT_EQ(remove_top_level_if(R"({ "b" : [1, 2] , "a" : "x" })", drop), R"({"b" : [1, 2]})");
    EXPECT_EQ(remove_top_level_if(R"({"a":1})", drop), "{}");
    EXPECT_EQ(remove_top_level_if("[1]", drop), "[1]");                        // not an object
    EXPECT_EQ(remove_top_level_if(R"({"a":1,"b":)", drop), R"({"a":1,"b":)");  // cut: unchanged
}

}  // namespace
}  // namespace litellm::wire
