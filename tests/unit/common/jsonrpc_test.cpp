#include "common/jsonrpc.hpp"

#include <gtest/gtest.h>

#include "common/json.hpp"

namespace litellm::rpc {
namespace {

rapidjson::Document parse(const std::string& text) {
    rapidjson::Document d;
    EXPECT_TRUE(json_parse(text, d)) << text;
    return d;
}

int error_code_of(const std::string& reply) {
    auto d = parse(reply);
    return static_cast<int>(json_get_int(d["error"], "code"));
}

TEST(JsonRpcParse, SingleRequestWithParams) {
    auto parsed = parse_line(R"({"jsonrpc":"2.0","id":7,"method":"logs.tail","params":{"n":3}})");
    ASSERT_TRUE(parsed.fatal_reply.empty());
    ASSERT_EQ(parsed.items.size(), 1u);
    ASSERT_TRUE(parsed.items[0].request);
    auto& req = *parsed.items[0].request;
    EXPECT_FALSE(parsed.is_batch);
    EXPECT_TRUE(req.has_id);
    EXPECT_EQ(req.method, "logs.tail");
    EXPECT_EQ(req.id().GetInt(), 7);
    EXPECT_EQ(req.params()["n"].GetInt(), 3);
}

TEST(JsonRpcParse, MissingParamsBecomesNull) {
    auto parsed = parse_line(R"({"jsonrpc":"2.0","id":"a","method":"status"})");
    ASSERT_TRUE(parsed.items[0].request);
    EXPECT_TRUE(parsed.items[0].request->params().IsNull());
    EXPECT_STREQ(parsed.items[0].request->id().GetString(), "a");
}

TEST(JsonRpcParse, NotificationHasNoId) {
    auto parsed = parse_line(R"({"jsonrpc":"2.0","method":"status"})");
    ASSERT_TRUE(parsed.items[0].request);
    EXPECT_FALSE(parsed.items[0].request->has_id);
}

TEST(JsonRpcParse, MalformedJsonIsParseError) {
    auto parsed = parse_line(R"({"jsonrpc":"2.0","id":1,"method":)");
    ASSERT_FALSE(parsed.fatal_reply.empty());
    EXPECT_EQ(error_code_of(parsed.fatal_reply), -32700);
    auto d = parse(parsed.fatal_reply);
    EXPECT_TRUE(d["id"].IsNull());
}

TEST(JsonRpcParse, InvalidRequestShapes) {
    const char* cases[] = {
        R"("just a string")",
        R"({"id":1,"method":"status"})",                        // no jsonrpc
        R"({"jsonrpc":"1.0","id":1,"method":"status"})",        // wrong version
        R"({"jsonrpc":"2.0","id":1})",                          // no method
        R"({"jsonrpc":"2.0","id":1,"method":5})",               // method not a string
        R"({"jsonrpc":"2.0","id":{"x":1},"method":"status"})",  // bad id type
        R"({"jsonrpc":"2.0","id":1,"method":"status","params":"x"})",
    };
    for (const char* c : cases) {
        auto parsed = parse_line(c);
        std::string reply = parsed.fatal_reply;
        if (reply.empty()) {
            ASSERT_EQ(parsed.items.size(), 1u) << c;
            ASSERT_FALSE(parsed.items[0].request) << c;
            reply = parsed.items[0].error_reply;
        }
        EXPECT_EQ(error_code_of(reply), -32600) << c;
    }
}

TEST(JsonRpcParse, InvalidRequestEchoesValidId) {
    auto parsed = parse_line(R"({"jsonrpc":"2.0","id":42})");
    auto d = parse(parsed.items[0].error_reply);
    EXPECT_EQ(d["id"].GetInt(), 42);
}

TEST(JsonRpcParse, BatchMixesGoodAndBad) {
    auto parsed = parse_line(
        R"([{"jsonrpc":"2.0","id":1,"method":"status"},1,{"jsonrpc":"2.0","method":"x"}])");
    ASSERT_TRUE(parsed.is_batch);
    ASSERT_EQ(parsed.items.size(), 3u);
    EXPECT_TRUE(parsed.items[0].request);
    EXPECT_FALSE(parsed.items[1].request);
    EXPECT_EQ(error_code_of(parsed.items[1].error_reply), -32600);
    ASSERT_TRUE(parsed.items[2].request);
    EXPECT_FALSE(parsed.items[2].request->has_id);
}

TEST(JsonRpcParse, EmptyBatchIsInvalid) {
    auto parsed = parse_line("[]");
    EXPECT_EQ(error_code_of(parsed.fatal_reply), -32600);
}

TEST(JsonRpcBuild, ResultErrorAndNotificationShapes) {
    rapidjson::Document id;
    id.SetInt(3);
    rapidjson::Document result(rapidjson::kObjectType);
    result.AddMember("ok", true, result.GetAllocator());
    auto r = parse(make_result(id, result));
    EXPECT_STREQ(r["jsonrpc"].GetString(), "2.0");
    EXPECT_EQ(r["id"].GetInt(), 3);
    EXPECT_TRUE(r["result"]["ok"].GetBool());

    rapidjson::Document data(rapidjson::kObjectType);
    data.AddMember("why", "because", data.GetAllocator());
    auto e = parse(make_error(id, proto::ErrorCode::kNotFound, "no such thing", &data));
    EXPECT_EQ(e["error"]["code"].GetInt(), -32001);
    EXPECT_STREQ(e["error"]["message"].GetString(), "no such thing");
    EXPECT_STREQ(e["error"]["data"]["why"].GetString(), "because");
    EXPECT_FALSE(e.HasMember("result"));

    auto n = parse(make_notification("log", result));
    EXPECT_STREQ(n["method"].GetString(), "log");
    EXPECT_FALSE(n.HasMember("id"));
}

TEST(JsonRpcBuild, RequestRejectsNonObjectParams) {
    EXPECT_TRUE(make_request(1, "status", "[1,2]").empty());
    EXPECT_TRUE(make_request(1, "status", "{nope").empty());
    auto d = parse(make_request(9, "logs.tail", R"({"n":1})"));
    EXPECT_EQ(d["id"].GetInt(), 9);
    EXPECT_EQ(d["params"]["n"].GetInt(), 1);
    auto bare = parse(make_request(2, "status", ""));
    EXPECT_FALSE(bare.HasMember("params"));
}

TEST(JsonRpcMessage, ParsesRepliesAndNotifications) {
    auto ok = parse_message(R"({"jsonrpc":"2.0","id":5,"result":{"a":1}})");
    ASSERT_TRUE(ok);
    EXPECT_FALSE(ok->is_error);
    EXPECT_EQ(ok->id, 5);
    EXPECT_EQ(ok->payload()["a"].GetInt(), 1);

    auto err = parse_message(
        R"({"jsonrpc":"2.0","id":5,"error":{"code":-32602,"message":"bad","data":{"x":2}}})");
    ASSERT_TRUE(err);
    EXPECT_TRUE(err->is_error);
    EXPECT_EQ(err->error_code, -32602);
    EXPECT_EQ(err->error_message, "bad");
    EXPECT_EQ(err->error_data()["x"].GetInt(), 2);

    auto note = parse_message(R"({"jsonrpc":"2.0","method":"log","params":{"seq":1}})");
    ASSERT_TRUE(note);
    EXPECT_TRUE(note->is_notification);
    EXPECT_EQ(note->method, "log");
    EXPECT_EQ(note->payload()["seq"].GetInt(), 1);

    std::string why;
    EXPECT_FALSE(parse_message(R"({"jsonrpc":"2.0","id":1})", &why));
    EXPECT_FALSE(why.empty());
    EXPECT_FALSE(parse_message("not json"));
    EXPECT_FALSE(parse_message(R"({"id":1,"result":1})"));
}

TEST(JsonRpcParse, DeepNestingIsAParseErrorNotACrash) {
    // 110,000 '[' once overflowed the event loop's stack in RapidJSON's recursive parse.
    std::string line(110000, '[');
    ParsedLine parsed = parse_line(line);
    ASSERT_FALSE(parsed.fatal_reply.empty());
    EXPECT_EQ(error_code_of(parsed.fatal_reply), static_cast<int>(proto::ErrorCode::kParseError));
    EXPECT_NE(parsed.fatal_reply.find("nested deeper than"), std::string::npos);
    // At the limit it still parses; strings full of brackets do not count.
    std::string ok(kMaxJsonDepth, '[');
    ok += std::string(kMaxJsonDepth, ']');
    rapidjson::Document d;
    EXPECT_TRUE(json_parse(ok, d));
    EXPECT_TRUE(json_parse("{\"a\":\"" + std::string(1000, '[') + "\\\"[\"}", d));
    EXPECT_FALSE(json_parse("[" + ok + "]", d));
}

}  // namespace
}  // namespace litellm::rpc
