#include "daemon/control/handlers.hpp"

#include <gtest/gtest.h>

#include "common/json.hpp"
#include "daemon/daemon.hpp"
#include "proto/methods.hpp"
#include "proto/version.hpp"

namespace litellm {
namespace {

rapidjson::Document parse(const std::string& text) {
    rapidjson::Document d;
    EXPECT_TRUE(json_parse(text, d)) << text;
    return d;
}

class DispatcherTest : public ::testing::Test {
  protected:
    static DaemonOptions options() {
        DaemonOptions o;
        o.home = "/nonexistent-home";
        return o;
    }
    DispatcherTest() : m_daemon(options()), m_dispatcher(m_daemon) {}

    rapidjson::Document call(const std::string& line) {
        std::string reply = m_dispatcher.handle_line(line, m_ctx);
        return parse(reply);
    }

    Daemon m_daemon;
    RpcDispatcher m_dispatcher;
    CallContext m_ctx;
};

TEST_F(DispatcherTest, HelloReportsVersionsAndMatchesItsSpec) {
    auto r = call(R"({"jsonrpc":"2.0","id":1,"method":"rpc.hello","params":{"protocol":1}})");
    ASSERT_TRUE(r.HasMember("result")) << json_stringify(r);
    EXPECT_EQ(r["result"]["protocol"].GetInt(), proto::kProtocolVersion);
    EXPECT_STREQ(r["result"]["daemon_version"].GetString(), proto::kVersion);
    EXPECT_TRUE(proto::check_result(*proto::find_method("rpc.hello"), r["result"]).empty());
}

TEST_F(DispatcherTest, HelloRefusesTooOldClients) {
    auto r = call(R"({"jsonrpc":"2.0","id":1,"method":"rpc.hello","params":{"protocol":0}})");
    ASSERT_TRUE(r.HasMember("error"));
    EXPECT_EQ(r["error"]["code"].GetInt(), static_cast<int>(proto::ErrorCode::kIncompatible));
}

TEST_F(DispatcherTest, DescribeListsTheWholeTableOrOneMethod) {
    auto all = call(R"({"jsonrpc":"2.0","id":1,"method":"rpc.describe"})");
    EXPECT_EQ(all["result"]["methods"].Size(), proto::method_table().size());
    auto one =
        call(R"({"jsonrpc":"2.0","id":2,"method":"rpc.describe","params":{"method":"logs.tail"}})");
    ASSERT_EQ(one["result"]["methods"].Size(), 1u);
    auto missing =
        call(R"({"jsonrpc":"2.0","id":3,"method":"rpc.describe","params":{"method":"x"}})");
    EXPECT_EQ(missing["error"]["code"].GetInt(), static_cast<int>(proto::ErrorCode::kNotFound));
}

TEST_F(DispatcherTest, UnknownMethodAndBadParams) {
    auto r = call(R"({"jsonrpc":"2.0","id":1,"method":"no.such"})");
    EXPECT_EQ(r["error"]["code"].GetInt(), -32601);
    auto p = call(R"({"jsonrpc":"2.0","id":2,"method":"logs.tail","params":{"n":"x"}})");
    EXPECT_EQ(p["error"]["code"].GetInt(), -32602);
    EXPECT_EQ(p["id"].GetInt(), 2);
}

TEST_F(DispatcherTest, NotificationsGetNoReply) {
    EXPECT_EQ(m_dispatcher.handle_line(R"({"jsonrpc":"2.0","method":"rpc.hello"})", m_ctx), "");
    EXPECT_EQ(m_dispatcher.handle_line(R"([{"jsonrpc":"2.0","method":"rpc.hello"}])", m_ctx), "");
}

TEST_F(DispatcherTest, BatchAnswersEachRequestInOrder) {
    auto r = call(R"([{"jsonrpc":"2.0","id":1,"method":"rpc.hello"},)"
                  R"({"jsonrpc":"2.0","method":"rpc.hello"},)"
                  R"({"jsonrpc":"2.0","id":2,"method":"nope"},)"
                  R"({"jsonrpc":"2.0","id":3,"method":"logs.follow"}])");
    ASSERT_TRUE(r.IsArray());
    ASSERT_EQ(r.Size(), 3u);
    EXPECT_EQ(r[0]["id"].GetInt(), 1);
    EXPECT_TRUE(r[0].HasMember("result"));
    EXPECT_EQ(r[1]["error"]["code"].GetInt(), -32601);
    // Streaming methods are refused inside a batch.
    EXPECT_EQ(r[2]["error"]["code"].GetInt(), -32600);
}

TEST_F(DispatcherTest, ParseErrorsComeBackAsReplies) {
    auto r = call("{oops");
    EXPECT_EQ(r["error"]["code"].GetInt(), -32700);
}

TEST_F(DispatcherTest, LogsTailReturnsRecords) {
    log_warn("unit", "a line for logs.tail");
    auto r =
        call(R"({"jsonrpc":"2.0","id":1,"method":"logs.tail","params":{"n":5,"level":"warn"}})");
    ASSERT_TRUE(r.HasMember("result")) << json_stringify(r);
    const auto& recs = r["result"]["records"];
    ASSERT_GE(recs.Size(), 1u);
    EXPECT_STREQ(recs[recs.Size() - 1]["msg"].GetString(), "a line for logs.tail");
    EXPECT_TRUE(proto::check_result(*proto::find_method("logs.tail"), r["result"]).empty());
}

TEST(DispatcherTable, EveryMethodHasExactlyOneHandler) {
    std::vector<std::string> names;
    for (const auto& spec : proto::method_table())
        names.emplace_back(spec.name);
    EXPECT_TRUE(dispatcher_mismatches(names).empty());
    names.pop_back();
    names.push_back("made.up");
    EXPECT_EQ(dispatcher_mismatches(names).size(), 2u);
}

}  // namespace
}  // namespace litellm
