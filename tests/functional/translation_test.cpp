// Issue 11's translation defects, seen from a client of the real litellmd: each test sends
// what a real client sends across formats and checks what that client gets back (and what the
// upstream was sent).

#include <string>

#include <gtest/gtest.h>
#include <httplib.h>

#include "common/json.hpp"
#include "fakes/fake_upstream.hpp"
#include "functional/harness.hpp"

namespace litellm::test {
namespace {

class TranslationTest : public ::testing::Test {
  protected:
    void SetUp() override {
        m_home.write("config.yaml",
                     "model_list:\n"
                     "  - model_name: claude-a\n"
                     "    litellm_params:\n"
                     "      model: anthropic/up-claude\n"
                     "      api_base: " +
                         m_anthropic.base_url() +
                         "\n"
                         "      api_key: key-anthropic\n"
                         "  - model_name: qwen-o\n"
                         "    litellm_params:\n"
                         "      model: openai/up-qwen\n"
                         "      api_base: " +
                         m_openai.base_url() +
                         "/v1\n"
                         "      api_key: key-openai\n");
        std::string error;
        ASSERT_TRUE(m_daemon.start({}, &error)) << error;
        m_port = m_daemon.http_port();
    }

    httplib::Result messages(const std::string& body) {
        httplib::Client c("127.0.0.1", m_port);
        c.set_read_timeout(20, 0);
        return c.Post("/v1/messages", {{"anthropic-version", "2023-06-01"}}, body,
                      "application/json");
    }
    httplib::Result chat(const std::string& body) {
        httplib::Client c("127.0.0.1", m_port);
        c.set_read_timeout(20, 0);
        return c.Post("/v1/chat/completions", body, "application/json");
    }

    FakeUpstream m_anthropic;
    FakeUpstream m_openai;
    TempHome m_home;
    DaemonProcess m_daemon{m_home};
    int m_port = 0;
};

FakeReply json_reply(std::string body) {
    FakeReply r;
    r.body = std::move(body);
    return r;
}

// The text of every text_delta in an Anthropic stream, and its stop reason.
std::pair<std::string, std::string> anthropic_stream_text(const std::string& sse) {
    std::string text, stop;
    for (const auto& e : parse_sse(sse)) {
        auto d = parse_json(e.data);
        if (e.event == "content_block_delta" &&
            std::string(d["delta"]["type"].GetString()) == "text_delta") {
            text += d["delta"]["text"].GetString();
        }
        if (e.event == "message_delta") stop = d["delta"]["stop_reason"].GetString();
    }
    return {text, stop};
}

// Defect 2: an emoji split between two deltas lost the text of both, silently.
TEST_F(TranslationTest, AnEmojiSplitAcrossDeltasReachesClaudeCodeWhole) {
    FakeReply reply;
    reply.content_type = "text/event-stream";
    auto chunk = [](const std::string& delta, const std::string& finish = "null") {
        return "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"m\","
               "\"choices\":[{\"index\":0,\"delta\":" +
               delta + ",\"finish_reason\":" + finish + "}]}\n\n";
    };
    reply.chunks = {chunk(R"({"role":"assistant","content":""})"),
                    chunk(R"({"content":"ok \ud83d"})"), chunk(R"({"content":"\ude00!"})"),
                    chunk("{}", "\"stop\""), "data: [DONE]\n\n"};
    m_openai.push_reply(reply);
    auto res = messages(
        R"({"model":"qwen-o","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"hi"}]})");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    auto [text, stop] = anthropic_stream_text(res->body);
    EXPECT_EQ(text, "ok \xF0\x9F\x98\x80!");
    EXPECT_EQ(stop, "end_turn");
}

// Defect 3: a refusal reached Claude Code as an empty answer with end_turn.
TEST_F(TranslationTest, AnOpenAiRefusalIsARefusalForAnthropicClients) {
    m_openai.push_reply(json_reply(
        R"({"id":"c1","object":"chat.completion","model":"m","choices":[{"index":0,
            "message":{"role":"assistant","content":null,"refusal":"I can't help with that."},
            "finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":6}})"));
    auto res = messages(
        R"({"model":"qwen-o","max_tokens":50,"messages":[{"role":"user","content":"bad"}]})");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    auto d = parse_json(res->body);
    EXPECT_STREQ(d["stop_reason"].GetString(), "refusal");
    EXPECT_STREQ(d["content"][0]["text"].GetString(), "I can't help with that.");
}

// Defect 4: thinking made from OpenAI reasoning has an empty signature; forwarded to
// Anthropic after a fallback, Anthropic rejects the request.
TEST_F(TranslationTest, UnsignedThinkingNeverReachesAnthropic) {
    m_anthropic.push_reply(anthropic_fake::text("fine"));
    auto res = messages(R"({"model":"claude-a","max_tokens":50,"messages":[
        {"role":"user","content":"q1"},
        {"role":"assistant","content":[{"type":"thinking","thinking":"gpt thought","signature":""},
                                       {"type":"text","text":"a1"}]},
        {"role":"user","content":"q2"}]})");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    // Same format, so the bytes pass through, but not that block (Anthropic would refuse it).
    std::string passed = m_anthropic.last_request().body;
    EXPECT_EQ(passed.find("gpt thought"), std::string::npos) << passed;
    EXPECT_NE(passed.find(R"("text":"a1")"), std::string::npos) << passed;
    // Through a translated route too: an OpenAI client's reasoning_content.
    m_anthropic.push_reply(anthropic_fake::text("fine"));
    res = chat(R"({"model":"claude-a","max_tokens":50,"messages":[
        {"role":"user","content":"q1"},
        {"role":"assistant","content":"a1","reasoning_content":"gpt thought"},
        {"role":"user","content":"q2"}]})");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    std::string sent = m_anthropic.last_request().body;
    EXPECT_EQ(sent.find("thinking"), std::string::npos) << sent;
}

// The count for a turn sees the history the turn would send.
TEST_F(TranslationTest, CountTokensSendsNoUnsignedThinkingEither) {
    m_anthropic.push_reply(json_reply(R"({"input_tokens":42})"));
    httplib::Client c("127.0.0.1", m_port);
    auto res = c.Post("/v1/messages/count_tokens", {{"anthropic-version", "2023-06-01"}},
                      R"({"model":"claude-a","messages":[{"role":"user","content":"q1"},
        {"role":"assistant","content":[{"type":"thinking","thinking":"gpt thought","signature":""},
                                       {"type":"text","text":"a1"}]},
        {"role":"user","content":"q2"}]})",
                      "application/json");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    EXPECT_EQ(parse_json(res->body)["input_tokens"].GetInt(), 42);
    RecordedRequest up = m_anthropic.last_request();
    EXPECT_EQ(up.path, "/v1/messages/count_tokens");
    EXPECT_EQ(up.body.find("gpt thought"), std::string::npos) << up.body;
}

// Defect 5: reasoning_effort with tools from an OpenAI client: turn 2 went out with thinking
// on and a tool-only assistant turn, which Anthropic rejects.
TEST_F(TranslationTest, AToolTurnWithoutThinkingTurnsThinkingOff) {
    m_anthropic.push_reply(anthropic_fake::text("a.txt is there"));
    auto res = chat(R"({"model":"claude-a","max_tokens":4000,"reasoning_effort":"high",
        "tools":[{"type":"function","function":{"name":"ls","parameters":{"type":"object"}}}],
        "messages":[{"role":"user","content":"list"},
          {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",
           "function":{"name":"ls","arguments":"{}"}}]},
          {"role":"tool","tool_call_id":"call_1","content":"a.txt"}]})");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    auto sent = parse_json(m_anthropic.last_request().body);
    EXPECT_FALSE(sent.HasMember("thinking")) << m_anthropic.last_request().body;
}

// Defect 7: a schema asked for must not come back as prose, and what an upstream cannot do
// is refused in the client's own format.
TEST_F(TranslationTest, AJsonSchemaGoesToAnAnthropicCompatibleUpstreamAsAForcedTool) {
    m_anthropic.push_reply(
        anthropic_fake::tool_use("toolu_1", "structured_output", R"({"city":"Paris"})"));
    auto res = chat(R"({"model":"claude-a","messages":[{"role":"user","content":"capital?"}],
        "response_format":{"type":"json_schema","json_schema":{"name":"answer",
          "schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}})");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    auto d = parse_json(res->body);
    EXPECT_STREQ(d["choices"][0]["message"]["content"].GetString(), R"({"city":"Paris"})");
    EXPECT_STREQ(d["choices"][0]["finish_reason"].GetString(), "stop");
    EXPECT_FALSE(d["choices"][0]["message"].HasMember("tool_calls"));
    auto sent = parse_json(m_anthropic.last_request().body);
    EXPECT_STREQ(sent["tool_choice"]["name"].GetString(), "structured_output");
    EXPECT_STREQ(sent["tools"][0]["input_schema"]["properties"]["city"]["type"].GetString(),
                 "string");
}

TEST_F(TranslationTest, AnAnthropicOutputFormatBecomesResponseFormat) {
    m_openai.push_reply(openai_fake::text(R"({"ok":true})"));
    auto res = messages(R"({"model":"qwen-o","max_tokens":50,
        "messages":[{"role":"user","content":"ok?"}],
        "output_config":{"format":{"type":"json_schema","schema":{"type":"object",
          "properties":{"ok":{"type":"boolean"}}}}}})");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    auto sent = parse_json(m_openai.last_request().body);
    EXPECT_STREQ(sent["response_format"]["type"].GetString(), "json_schema");
    EXPECT_STREQ(
        sent["response_format"]["json_schema"]["schema"]["properties"]["ok"]["type"].GetString(),
        "boolean");
}

TEST_F(TranslationTest, SeveralChoicesTowardAnthropicAreAClear400) {
    auto res = chat(R"({"model":"claude-a","n":2,"messages":[{"role":"user","content":"hi"}]})");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400) << res->body;
    auto d = parse_json(res->body);
    ASSERT_TRUE(d.HasMember("error"));
    EXPECT_NE(std::string(d["error"]["message"].GetString()).find("n > 1"), std::string::npos)
        << res->body;
    EXPECT_EQ(m_anthropic.request_count(), 0u);
    res =
        chat(R"({"model":"claude-a","logprobs":true,"messages":[{"role":"user","content":"hi"}]})");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400) << res->body;
}

// Defect 8: a tool call cut off by the token limit was reported as a finished tool_use.
TEST_F(TranslationTest, AToolCallCutByTheLimitIsMaxTokens) {
    m_openai.push_reply(json_reply(
        R"({"id":"c1","object":"chat.completion","model":"m","choices":[{"index":0,
            "message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_1",
            "type":"function","function":{"name":"Write","arguments":"{\"path\":\"a"}}]},
            "finish_reason":"length"}]})"));
    auto res = messages(R"({"model":"qwen-o","max_tokens":20,
        "tools":[{"name":"Write","input_schema":{"type":"object"}}],
        "messages":[{"role":"user","content":"write it"}]})");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    EXPECT_STREQ(parse_json(res->body)["stop_reason"].GetString(), "max_tokens");
}

// Defect 6: Claude Code's mid-conversation system message, toward a strict chat template.
TEST_F(TranslationTest, LaterSystemMessagesAreFoldedForOpenAiCompatibleUpstreams) {
    m_openai.push_reply(openai_fake::text("bonjour"));
    auto res = messages(R"({"model":"qwen-o","max_tokens":50,"system":"be brief","messages":[
        {"role":"user","content":"hi"},{"role":"assistant","content":"hello"},
        {"role":"system","content":"answer in French"},{"role":"user","content":"again"}]})");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    auto sent = parse_json(m_openai.last_request().body);
    const auto& msgs = sent["messages"];
    ASSERT_GE(msgs.Size(), 1u);
    EXPECT_STREQ(msgs[0]["role"].GetString(), "system");
    for (rapidjson::SizeType i = 1; i < msgs.Size(); ++i)
        EXPECT_STRNE(msgs[i]["role"].GetString(), "system") << m_openai.last_request().body;
}

}  // namespace
}  // namespace litellm::test
