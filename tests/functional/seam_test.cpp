// The provider seam from outside: a litellmd build with a provider only the tests have
// (tests/providers/relay_test_provider.cpp, one file and one registration row) serves a
// request through that provider's own path, auth header and encode options, with the
// proxy unchanged.

#include <string>

#include <gtest/gtest.h>
#include <httplib.h>

#include "common/json.hpp"
#include "fakes/fake_upstream.hpp"
#include "functional/harness.hpp"

namespace litellm::test {
namespace {

class SeamTest : public ::testing::Test {
  protected:
    void start() {
        m_home.write("config.yaml",
                     "model_list:\n"
                     "  - model_name: relayed\n"
                     "    litellm_params:\n"
                     "      model: relay_test/relay-model-1\n"
                     "      api_base: " +
                         m_upstream.base_url() +
                         "\n"
                         "      api_key: relay-secret-123\n"
                         "  - model_name: gathered\n"
                         "    litellm_params:\n"
                         "      model: envelope_test/stream-model\n"
                         "      api_base: " +
                         m_upstream.base_url() +
                         "\n"
                         "      api_key: envelope-key\n"
                         "  - model_name: backup\n"
                         "    litellm_params:\n"
                         "      model: relay_test/backup\n"
                         "      api_base: " +
                         m_backup.base_url() +
                         "\n"
                         "      api_key: b\n"
                         "router_settings:\n"
                         "  num_retries: 0\n"
                         "  fallbacks:\n"
                         "    - gathered: [backup]\n");
        std::string error;
        ASSERT_TRUE(m_daemon.start({}, &error)) << error;
        m_port = m_daemon.http_port();
    }

    FakeUpstream m_upstream;
    FakeUpstream m_backup;
    TempHome m_home;
    DaemonProcess m_daemon{m_home, LITELLMD_TEST_PROVIDER_BIN};
    int m_port = 0;
};

TEST_F(SeamTest, ATestOnlyProviderServesAnAnthropicClient) {
    start();
    m_upstream.push_reply(openai_fake::text("relayed hello"));
    httplib::Client c("127.0.0.1", m_port);
    auto res = c.Post("/v1/messages", {{"anthropic-version", "2023-06-01"}},
                      R"({"model":"relayed","max_tokens":64,"system":"be brief",
                          "messages":[{"role":"user","content":"hi"},
                                      {"role":"assistant","content":"yes?"},
                                      {"role":"system","content":"answer in French"},
                                      {"role":"user","content":"hello"}]})",
                      "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200) << res->body;
    EXPECT_NE(res->body.find("relayed hello"), std::string::npos) << res->body;
    EXPECT_EQ(res->get_header_value("x-litellm-provider"), "relay_test");

    RecordedRequest up = m_upstream.last_request();
    EXPECT_EQ(up.path, "/relay/v2/generate");
    EXPECT_EQ(up.header("x-relay-token"), "relay-secret-123");
    EXPECT_FALSE(up.has_header("Authorization"));
    auto body = parse_json(up.body);
    EXPECT_STREQ(body["model"].GetString(), "relay-model-1");
    // The provider's own encode options: its limit field, and the later system message folded
    // into the first.
    EXPECT_TRUE(body.HasMember("max_completion_tokens"));
    EXPECT_FALSE(body.HasMember("max_tokens"));
    const auto& messages = body["messages"];
    int systems = 0;
    for (const auto& m : messages.GetArray()) {
        if (std::string(m["role"].GetString()) == "system") ++systems;
    }
    EXPECT_EQ(systems, 1) << up.body;
    EXPECT_STREQ(messages[0]["role"].GetString(), "system");
    EXPECT_NE(up.body.find("answer in French"), std::string::npos);
}

// A provider that only streams serves a client that asked for a whole answer: the body goes
// in the provider's envelope with stream on, and the stream is gathered into one response.
TEST_F(SeamTest, AStreamOnlyProviderAnswersAWholeRequest) {
    start();
    m_upstream.push_reply(openai_fake::stream_tool_calls(
        {{"call_1", "Read", {R"({"path":)", R"("a.txt"})"}}}, {}, {"Let me look."}));
    httplib::Client c("127.0.0.1", m_port);
    auto res = c.Post("/v1/messages", {{"anthropic-version", "2023-06-01"}},
                      R"({"model":"gathered","max_tokens":64,
                          "tools":[{"name":"Read","input_schema":{"type":"object"}}],
                          "messages":[{"role":"user","content":"read a.txt"}]})",
                      "application/json");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    EXPECT_EQ(res->get_header_value("Content-Type").find("application/json"), 0u);
    auto d = parse_json(res->body);
    EXPECT_STREQ(d["stop_reason"].GetString(), "tool_use");
    ASSERT_EQ(d["content"].Size(), 2u) << res->body;
    EXPECT_STREQ(d["content"][0]["text"].GetString(), "Let me look.");
    EXPECT_STREQ(d["content"][1]["input"]["path"].GetString(), "a.txt");

    RecordedRequest up = m_upstream.last_request();
    EXPECT_EQ(up.path, "/v1/stream-only");
    auto body = parse_json(up.body);
    ASSERT_TRUE(body.HasMember("request")) << up.body;
    EXPECT_TRUE(body["request"]["stream"].GetBool());
    EXPECT_STREQ(body["request"]["model"].GetString(), "stream-model");
    EXPECT_EQ(m_backup.request_count(), 0u);
}

// An in-band error in the gathered stream is an attempt that failed before anything reached
// the client, so the next deployment answers.
TEST_F(SeamTest, AnErrorInAGatheredStreamFallsBack) {
    start();
    m_upstream.push_reply(openai_fake::stream_error_after_start());
    m_backup.push_reply(openai_fake::text("from the backup"));
    httplib::Client c("127.0.0.1", m_port);
    auto res = c.Post("/v1/chat/completions",
                      R"({"model":"gathered","messages":[{"role":"user","content":"hi"}]})",
                      "application/json");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    EXPECT_NE(res->body.find("from the backup"), std::string::npos) << res->body;
}

TEST_F(SeamTest, TheTestProviderIsKnownToStatus) {
    start();
    auto reply = m_daemon.call("status");
    ASSERT_TRUE(reply);
    std::string status = json_stringify(reply->payload());
    EXPECT_NE(status.find("relay_test"), std::string::npos);
    // The display name exists only in the provider's own registration row.
    EXPECT_NE(status.find("Relay (test-only provider)"), std::string::npos) << status;
}

}  // namespace
}  // namespace litellm::test
