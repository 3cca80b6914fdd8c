// The proxy end to end inside our own tree: real litellmd, scripted fake upstreams of both
// formats, every inbound/outbound pair, whole and streamed, and the error paths.

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>

#include "common/json.hpp"
#include "fakes/fake_upstream.hpp"
#include "functional/harness.hpp"

namespace litellm::test {
namespace {

constexpr const char* kMasterKey = "sk-master-functional-0000";

class ProxyTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string config =
            "model_list:\n"
            "  - model_name: claude-a\n"
            "    litellm_params:\n"
            "      model: anthropic/up-claude\n"
            "      api_base: " +
            m_anthropic.base_url() +
            "\n"
            "      api_key: key-anthropic\n"
            "  - model_name: gpt-o\n"
            "    litellm_params:\n"
            "      model: openai/up-gpt\n"
            "      api_base: " +
            m_openai.base_url() +
            "/v1\n"
            "      api_key: key-openai\n"
            "  - model_name: dead\n"
            "    litellm_params:\n"
            "      model: openai/nothing\n"
            "      api_base: http://127.0.0.1:1/v1\n"
            "      api_key: k\n"
            "  - model_name: codex/gpt-5\n"
            "    litellm_params:\n"
            "      model: chatgpt/gpt-5\n"
            "general_settings:\n"
            "  master_key: " +
            std::string(kMasterKey) + "\n";
        m_home.write("config.yaml", config);
        std::string error;
        ASSERT_TRUE(m_daemon.start({}, &error)) << error;
        m_port = m_daemon.http_port();
        ASSERT_GT(m_port, 0);
    }

    httplib::Result post(const std::string& path, const std::string& body,
                         httplib::Headers headers = {}) {
        httplib::Client c("127.0.0.1", m_port);
        c.set_read_timeout(20, 0);
        if (headers.find("Authorization") == headers.end() &&
            headers.find("x-api-key") == headers.end()) {
            headers.emplace("Authorization", std::string("Bearer ") + kMasterKey);
        }
        return c.Post(path.c_str(), headers, body, "application/json");
    }

    FakeUpstream m_anthropic;
    FakeUpstream m_openai;
    TempHome m_home;
    DaemonProcess m_daemon{m_home};
    int m_port = 0;
};

rapidjson::Document json_of(const std::string& text) {
    return parse_json(text);
}

// Checks the Anthropic stream invariants a client SDK relies on and returns the text and the
// tool inputs (by tool name) it carried.
struct AnthropicStreamSummary {
    std::string text;
    std::string thinking;
    std::map<std::string, std::string> tool_inputs;
    std::string stop_reason;
    long long output_tokens = -1;
    bool saw_error = false;
};

AnthropicStreamSummary check_anthropic_stream(const std::string& body) {
    AnthropicStreamSummary s;
    auto events = parse_sse(body);
    EXPECT_FALSE(events.empty());
    std::set<int> open, closed;
    std::map<int, std::string> tool_name_by_index;
    int next_index = 0;
    bool started = false, stopped = false, delta_seen = false;
    for (const auto& e : events) {
        EXPECT_FALSE(stopped) << "event after message_stop: " << e.event;
        auto d = json_of(e.data);
        std::string type = d["type"].GetString();
        EXPECT_EQ(type, e.event) << "event name and data.type differ";
        if (type == "message_start") {
            EXPECT_FALSE(started);
            started = true;
        } else if (type == "content_block_start") {
            int i = d["index"].GetInt();
            EXPECT_EQ(i, next_index++) << "block indexes must be dense from 0";
            open.insert(i);
            if (std::string(d["content_block"]["type"].GetString()) == "tool_use") {
                tool_name_by_index[i] = d["content_block"]["name"].GetString();
            }
        } else if (type == "content_block_delta") {
            int i = d["index"].GetInt();
            EXPECT_TRUE(open.count(i)) << "delta to a block that is not open: " << i;
            std::string dt = d["delta"]["type"].GetString();
            if (dt == "text_delta") s.text += d["delta"]["text"].GetString();
            if (dt == "thinking_delta") s.thinking += d["delta"]["thinking"].GetString();
            if (dt == "input_json_delta") {
                s.tool_inputs[tool_name_by_index[i]] += d["delta"]["partial_json"].GetString();
            }
        } else if (type == "content_block_stop") {
            int i = d["index"].GetInt();
            EXPECT_TRUE(open.erase(i)) << "stop of a block that is not open: " << i;
            EXPECT_TRUE(closed.insert(i).second);
        } else if (type == "message_delta") {
            EXPECT_TRUE(open.empty()) << "message_delta with blocks still open";
            delta_seen = true;
            s.stop_reason = d["delta"]["stop_reason"].GetString();
            s.output_tokens = d["usage"]["output_tokens"].GetInt64();
        } else if (type == "message_stop") {
            EXPECT_TRUE(delta_seen);
            stopped = true;
        } else if (type == "error") {
            s.saw_error = true;
            stopped = true;
        }
    }
    EXPECT_TRUE(started);
    EXPECT_TRUE(stopped) << "stream never ended:\n" << body;
    return s;
}

struct OpenAIStreamSummary {
    std::string text;
    std::string reasoning;
    std::map<int, std::string> tool_names;
    std::map<int, std::string> tool_args;
    std::string finish_reason;
    bool saw_usage = false;
    bool saw_done = false;
    bool saw_error = false;
};

OpenAIStreamSummary check_openai_stream(const std::string& body) {
    OpenAIStreamSummary s;
    for (const auto& e : parse_sse(body)) {
        EXPECT_FALSE(s.saw_done) << "data after [DONE]";
        if (e.data == "[DONE]") {
            s.saw_done = true;
            continue;
        }
        auto d = json_of(e.data);
        if (d.HasMember("error")) {
            s.saw_error = true;
            continue;
        }
        if (d.HasMember("usage") && d["usage"].IsObject()) s.saw_usage = true;
        for (const auto& c : d["choices"].GetArray()) {
            const auto& delta = c["delta"];
            if (delta.HasMember("content") && delta["content"].IsString()) {
                s.text += delta["content"].GetString();
            }
            if (delta.HasMember("reasoning_content")) {
                s.reasoning += delta["reasoning_content"].GetString();
            }
            if (delta.HasMember("tool_calls")) {
                for (const auto& tc : delta["tool_calls"].GetArray()) {
                    int idx = tc["index"].GetInt();
                    if (tc.HasMember("function") && tc["function"].HasMember("name")) {
                        s.tool_names[idx] = tc["function"]["name"].GetString();
                    }
                    if (tc.HasMember("function") && tc["function"].HasMember("arguments")) {
                        s.tool_args[idx] += tc["function"]["arguments"].GetString();
                    }
                }
            }
            if (c.HasMember("finish_reason") && c["finish_reason"].IsString()) {
                s.finish_reason = c["finish_reason"].GetString();
            }
        }
    }
    EXPECT_TRUE(s.saw_done) << "stream never sent [DONE]:\n" << body;
    return s;
}

const char* kAnthropicBody =
    R"({"model":"%s","max_tokens":256,"stream":%s,"system":[{"type":"text","text":"be brief"}],)"
    R"("messages":[{"role":"user","content":"hi"}],"context_management":{"edits":[]},)"
    R"("output_config":{"effort":"high"},)"
    R"("tools":[{"name":"get_weather","description":"w","input_schema":{"type":"object",)"
    R"("properties":{"city":{"type":"string"}}}}]})";

std::string anthropic_body(const std::string& model, bool stream) {
    char buf[2048];
    std::snprintf(buf, sizeof buf, kAnthropicBody, model.c_str(), stream ? "true" : "false");
    return buf;
}

std::string openai_body(const std::string& model, bool stream) {
    return R"({"model":")" + model + R"(","stream":)" + (stream ? "true" : "false") +
           (stream ? R"(,"stream_options":{"include_usage":true})" : "") +
           R"(,"max_tokens":256,"messages":[{"role":"system","content":"be brief"},)"
           R"({"role":"user","content":"hi"}],"tools":[{"type":"function","function":)"
           R"({"name":"get_weather","parameters":{"type":"object","properties":{"city":)"
           R"({"type":"string"}}}}}]})";
}

// ---- Anthropic in ----------------------------------------------------------------------------

TEST_F(ProxyTest, AnthropicToAnthropicPassesBytesThroughWithOnlyTheModelChanged) {
    FakeReply reply = anthropic_fake::text("Hello there", 12, 3, 7, 2);
    m_anthropic.push_reply(reply);
    auto res = post("/v1/messages?beta=true", anthropic_body("claude-a", false),
                    {{"Authorization", std::string("Bearer ") + kMasterKey},
                     {"anthropic-version", "2026-10-21"},
                     {"anthropic-beta", "context-management-2025-06-27"}});
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200) << res->body;
    EXPECT_EQ(res->body, reply.body);  // untouched bytes
    EXPECT_EQ(res->get_header_value("x-litellm-model"), "anthropic/up-claude");
    EXPECT_EQ(res->get_header_value("x-litellm-provider"), "anthropic");
    auto got = m_anthropic.last_request();
    EXPECT_EQ(got.path, "/v1/messages");
    EXPECT_EQ(got.query, "beta=true");
    EXPECT_EQ(got.header("x-api-key"), "key-anthropic");
    EXPECT_EQ(got.header("anthropic-version"), "2026-10-21");
    EXPECT_EQ(got.header("anthropic-beta"), "context-management-2025-06-27");
    EXPECT_EQ(got.body, anthropic_body("up-claude", false));  // only the model differs
}

TEST_F(ProxyTest, ADuplicateModelKeyIsRoutedAndSentAsOneModel) {
    // Routed by the first `model` while the upstream's parser would take the last: the body is
    // decoded and re-encoded, so the upstream sees only the model litellmd routed to.
    m_anthropic.push_reply(anthropic_fake::text("from claude-a"));
    auto res =
        post("/v1/messages", R"({"model":"claude-a","max_tokens":8,"messages":[{"role":"user",)"
                             R"("content":"hi"}],"stream":false,"model":"gpt-o","stream":true})");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200) << res->body;
    EXPECT_EQ(res->get_header_value("x-litellm-model"), "anthropic/up-claude");
    ASSERT_EQ(m_anthropic.request_count(), 1u);
    EXPECT_EQ(m_openai.request_count(), 0u);
    std::string sent = m_anthropic.last_request().body;
    auto d = json_of(sent);
    std::size_t models = 0, streams = 0;
    for (auto it = d.MemberBegin(); it != d.MemberEnd(); ++it) {
        models += std::string(it->name.GetString()) == "model";
        streams += std::string(it->name.GetString()) == "stream";
    }
    EXPECT_EQ(models, 1u) << sent;
    EXPECT_LE(streams, 1u) << sent;
    EXPECT_STREQ(d["model"].GetString(), "up-claude");
    EXPECT_TRUE(!d.HasMember("stream") || !d["stream"].GetBool()) << sent;  // the first: false
    EXPECT_EQ(json_of(res->body)["content"][0]["text"], "from claude-a");
}

TEST_F(ProxyTest, AnthropicToAnthropicStreamsUpstreamBytes) {
    FakeReply reply =
        anthropic_fake::stream_thinking_then_text({"Let me ", "think"}, "sig-1", {"Hel", "lo"});
    m_anthropic.push_reply(reply);
    auto res = post("/v1/messages", anthropic_body("claude-a", true));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->body, full_body(reply));
    auto s = check_anthropic_stream(res->body);
    EXPECT_EQ(s.text, "Hello");
    EXPECT_EQ(s.thinking, "Let me think");
}

TEST_F(ProxyTest, AnthropicToOpenAITranslatesTheRequestAndTheWholeAnswer) {
    ReplyOptions usage;
    usage.input_tokens = 30;
    usage.cache_read = 10;
    usage.output_tokens = 4;
    m_openai.push_reply(openai_fake::text("Hi from GPT", usage));
    auto res = post("/v1/messages", anthropic_body("gpt-o", false));
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    auto d = json_of(res->body);
    EXPECT_STREQ(d["type"].GetString(), "message");
    EXPECT_STREQ(d["model"].GetString(), "gpt-o");
    EXPECT_STREQ(d["content"][0]["text"].GetString(), "Hi from GPT");
    EXPECT_STREQ(d["stop_reason"].GetString(), "end_turn");
    // OpenAI prompt_tokens include cached ones; Anthropic input_tokens do not.
    EXPECT_EQ(d["usage"]["input_tokens"].GetInt(), 20);
    EXPECT_EQ(d["usage"]["cache_read_input_tokens"].GetInt(), 10);
    EXPECT_EQ(d["usage"]["output_tokens"].GetInt(), 4);

    auto got = m_openai.last_request();
    EXPECT_EQ(got.path, "/v1/chat/completions");
    EXPECT_EQ(got.header("Authorization"), "Bearer key-openai");
    EXPECT_FALSE(got.has_header("anthropic-beta"));
    EXPECT_FALSE(got.has_header("anthropic-version"));
    auto up = json_of(got.body);
    EXPECT_STREQ(up["model"].GetString(), "up-gpt");
    EXPECT_STREQ(up["messages"][0]["role"].GetString(), "system");
    EXPECT_STREQ(up["messages"][0]["content"].GetString(), "be brief");
    EXPECT_STREQ(up["messages"][1]["content"].GetString(), "hi");
    EXPECT_STREQ(up["tools"][0]["function"]["name"].GetString(), "get_weather");
    EXPECT_EQ(up["max_tokens"].GetInt(), 256);
    // Anthropic-only keys are dropped on purpose when translating.
    EXPECT_FALSE(up.HasMember("context_management"));
    EXPECT_FALSE(up.HasMember("output_config"));
}

TEST_F(ProxyTest, AnthropicToOpenAIStreamsParallelToolCallsAsSeparateBlocks) {
    m_openai.push_reply(
        openai_fake::stream_tool_calls({{"call_1", "get_weather", {"{\"ci", "ty\":\"Pa", "ris\"}"}},
                                        {"call_2", "get_time", {"{\"tz\"", ":\"UTC\"}"}}},
                                       {}, {"Checking"}));
    auto res = post("/v1/messages", anthropic_body("gpt-o", true));
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    auto s = check_anthropic_stream(res->body);
    EXPECT_EQ(s.text, "Checking");
    EXPECT_EQ(s.tool_inputs["get_weather"], "{\"city\":\"Paris\"}");
    EXPECT_EQ(s.tool_inputs["get_time"], "{\"tz\":\"UTC\"}");
    EXPECT_EQ(s.stop_reason, "tool_use");
    auto up = json_of(m_openai.last_request().body);
    EXPECT_TRUE(up["stream"].GetBool());
    EXPECT_TRUE(up["stream_options"]["include_usage"].GetBool());
}

TEST_F(ProxyTest, AnthropicToOpenAIStreamReassemblesOddlySplitBytes) {
    ReplyOptions opts;
    opts.split_every_bytes = 7;
    m_openai.push_reply(
        openai_fake::stream_thinking_then_text({"step ", "one"}, {"Fi", "ne"}, opts));
    auto res = post("/v1/messages", anthropic_body("gpt-o", true));
    ASSERT_TRUE(res);
    auto s = check_anthropic_stream(res->body);
    EXPECT_EQ(s.thinking, "step one");
    EXPECT_EQ(s.text, "Fine");
    EXPECT_EQ(s.stop_reason, "end_turn");
}

TEST_F(ProxyTest, AnthropicToOpenAIStreamWithoutUsageStartsAndEndsWithEstimates) {
    // An OpenAI upstream that ignores stream_options.include_usage: no usage anywhere. Claude
    // Code reads message_start and the final message_delta for its context meter.
    ReplyOptions opts;
    opts.include_usage = false;
    m_openai.push_reply(openai_fake::stream_text({"Hello ", "world"}, opts));
    auto res = post("/v1/messages", anthropic_body("gpt-o", true));
    ASSERT_TRUE(res);
    auto s = check_anthropic_stream(res->body);
    EXPECT_EQ(s.text, "Hello world");
    auto events = parse_sse(res->body);
    ASSERT_FALSE(events.empty());
    auto start = json_of(events.front().data);
    EXPECT_EQ(std::string(start["message"]["id"].GetString()).rfind("msg_", 0), 0u)
        << events.front().data;
    EXPECT_GT(start["message"]["usage"]["input_tokens"].GetInt64(), 0) << events.front().data;
    for (const auto& e : events) {
        if (e.event != "message_delta") continue;
        auto d = json_of(e.data);
        EXPECT_GT(d["usage"]["input_tokens"].GetInt64(), 0) << e.data;
        EXPECT_GT(d["usage"]["output_tokens"].GetInt64(), 0) << e.data;
    }
}

// ---- OpenAI in -------------------------------------------------------------------------------

TEST_F(ProxyTest, OpenAIToOpenAIPassesThrough) {
    FakeReply reply = openai_fake::text("plain");
    m_openai.push_reply(reply);
    auto res = post("/v1/chat/completions", openai_body("gpt-o", false));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->body, reply.body);
    EXPECT_EQ(m_openai.last_request().body, openai_body("up-gpt", false));
}

TEST_F(ProxyTest, OpenAIToOpenAIStreamPassesThrough) {
    FakeReply reply = openai_fake::stream_text({"a", "b", "c"});
    m_openai.push_reply(reply);
    auto res = post("/v1/chat/completions", openai_body("gpt-o", true));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->body, full_body(reply));
    EXPECT_EQ(check_openai_stream(res->body).text, "abc");
}

TEST_F(ProxyTest, OpenAIToAnthropicTranslatesWholeAnswersWithToolCalls) {
    m_anthropic.push_reply(
        anthropic_fake::tool_use("toolu_9", "get_weather", R"({"city":"Paris"})"));
    auto res = post("/v1/chat/completions", openai_body("claude-a", false));
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    auto d = json_of(res->body);
    EXPECT_STREQ(d["object"].GetString(), "chat.completion");
    const auto& msg = d["choices"][0]["message"];
    EXPECT_STREQ(msg["tool_calls"][0]["id"].GetString(), "toolu_9");
    EXPECT_STREQ(msg["tool_calls"][0]["function"]["name"].GetString(), "get_weather");
    auto args = json_of(msg["tool_calls"][0]["function"]["arguments"].GetString());
    EXPECT_STREQ(args["city"].GetString(), "Paris");
    EXPECT_STREQ(d["choices"][0]["finish_reason"].GetString(), "tool_calls");

    auto got = m_anthropic.last_request();
    EXPECT_EQ(got.path, "/v1/messages");
    EXPECT_EQ(got.header("x-api-key"), "key-anthropic");
    EXPECT_EQ(got.header("anthropic-version"), "2023-06-01");
    auto up = json_of(got.body);
    EXPECT_STREQ(up["model"].GetString(), "up-claude");
    EXPECT_STREQ(up["system"][0]["text"].GetString(), "be brief");
    EXPECT_EQ(up["messages"].Size(), 1u);
    EXPECT_STREQ(up["tools"][0]["name"].GetString(), "get_weather");
    EXPECT_TRUE(up["tools"][0].HasMember("input_schema"));
}

TEST_F(ProxyTest, OpenAIToAnthropicStreamsToolCallsWithDenseIndexes) {
    m_anthropic.push_reply(anthropic_fake::stream_tool_calls(
        {{"toolu_a", "get_weather", {"{\"city\":", "\"Paris\"}"}}, {"toolu_b", "get_time", {"{}"}}},
        {}, {"Looking"}));
    auto res = post("/v1/chat/completions", openai_body("claude-a", true));
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    auto s = check_openai_stream(res->body);
    EXPECT_EQ(s.text, "Looking");
    // tool_calls indexes count calls from 0, not content blocks (the text block is block 0).
    EXPECT_EQ(s.tool_names[0], "get_weather");
    EXPECT_EQ(s.tool_names[1], "get_time");
    EXPECT_EQ(s.tool_args[0], "{\"city\":\"Paris\"}");
    EXPECT_EQ(s.finish_reason, "tool_calls");
    EXPECT_TRUE(s.saw_usage);
}

// ---- errors ----------------------------------------------------------------------------------

TEST_F(ProxyTest, UpstreamRateLimitKeepsStatusTypeAndRetryAfter) {
    m_openai.push_reply(openai_fake::rate_limited(7));
    auto res = post("/v1/messages", anthropic_body("gpt-o", false));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 429);
    EXPECT_EQ(res->get_header_value("retry-after"), "7");
    auto d = json_of(res->body);
    EXPECT_STREQ(d["type"].GetString(), "error");
    EXPECT_STREQ(d["error"]["type"].GetString(), "rate_limit_error");
}

TEST_F(ProxyTest, ContextLengthReachesAnthropicClientsAsPromptIsTooLong) {
    for (bool stream : {false, true}) {
        m_openai.push_reply(openai_fake::context_length_error());
        auto res = post("/v1/messages", anthropic_body("gpt-o", stream));
        ASSERT_TRUE(res);
        EXPECT_EQ(res->status, 400);
        auto d = json_of(res->body);
        EXPECT_STREQ(d["error"]["type"].GetString(), "invalid_request_error");
        EXPECT_NE(std::string(d["error"]["message"].GetString()).find("prompt is too long"),
                  std::string::npos)
            << res->body;
    }
    m_anthropic.push_reply(anthropic_fake::context_length_error());
    auto res = post("/v1/chat/completions", openai_body("claude-a", false));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400);
    EXPECT_STREQ(json_of(res->body)["error"]["code"].GetString(), "context_length_exceeded");
}

TEST_F(ProxyTest, CutMidStreamEndsWithAnErrorEventInTheClientsFormat) {
    FakeReply cut = openai_fake::stream_text({"par", "tial", "never"});
    cut.cut_after_chunks = 2;
    m_openai.push_reply(cut);
    auto res = post("/v1/messages", anthropic_body("gpt-o", true));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    auto s = check_anthropic_stream(res->body);
    EXPECT_TRUE(s.saw_error) << res->body;

    FakeReply cut2 = openai_fake::stream_text({"x", "y", "z"});
    cut2.cut_after_chunks = 2;
    m_openai.push_reply(cut2);
    auto res2 = post("/v1/chat/completions", openai_body("gpt-o", true));
    ASSERT_TRUE(res2);
    auto s2 = check_openai_stream(res2->body);
    EXPECT_TRUE(s2.saw_error) << res2->body;
}

TEST_F(ProxyTest, InBandErrorBeforeContentBecomesAProperHttpError) {
    // The stream start is held until the first content, so an overloaded_error right after the
    // upstream's 200 still reaches the client as a status it can retry on.
    m_anthropic.push_reply(anthropic_fake::stream_error_after_start());
    auto res = post("/v1/chat/completions", openai_body("claude-a", true));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 503) << res->body;
    EXPECT_STREQ(json_of(res->body)["error"]["type"].GetString(), "server_error");
    m_anthropic.push_reply(anthropic_fake::stream_error_after_start());
    auto anth = post("/v1/messages", anthropic_body("claude-a", true));
    ASSERT_TRUE(anth);
    EXPECT_EQ(anth->status, 529) << anth->body;
    EXPECT_STREQ(json_of(anth->body)["error"]["type"].GetString(), "overloaded_error");
}

TEST_F(ProxyTest, InBandErrorAfterContentEndsTheStreamWithAnErrorEvent) {
    m_openai.push_reply(openai_fake::stream_error_after_start());  // content, then error
    auto res = post("/v1/messages", anthropic_body("gpt-o", true));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    auto s = check_anthropic_stream(res->body);
    EXPECT_TRUE(s.saw_error) << res->body;
    EXPECT_FALSE(s.text.empty());
    // The error arrives inside the open block, as Anthropic sends it (Claude Code then retries
    // the turn; after a content_block_stop it would keep the partial text and fail).
    std::size_t error_at = res->body.find("event: error");
    ASSERT_NE(error_at, std::string::npos);
    EXPECT_EQ(res->body.rfind("content_block_stop", error_at), std::string::npos) << res->body;
}

TEST_F(ProxyTest, DeadUpstreamIsABadGatewayInTheClientsFormat) {
    auto res = post("/v1/messages", anthropic_body("dead", false));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 502);
    auto d = json_of(res->body);
    EXPECT_STREQ(d["error"]["type"].GetString(), "api_error");
    EXPECT_NE(std::string(d["error"]["message"].GetString()).find("127.0.0.1"), std::string::npos);
    auto streamed = post("/v1/chat/completions", openai_body("dead", true));
    ASSERT_TRUE(streamed);
    EXPECT_EQ(streamed->status, 502);
    EXPECT_STREQ(json_of(streamed->body)["error"]["type"].GetString(), "server_error");
}

TEST_F(ProxyTest, ClientMistakesGetClearErrorsAndTheDaemonKeepsServing) {
    auto unknown = post("/v1/messages", anthropic_body("no-such-model", false));
    ASSERT_TRUE(unknown);
    EXPECT_EQ(unknown->status, 404);
    EXPECT_NE(unknown->body.find("no-such-model"), std::string::npos);
    auto bad = post("/v1/messages", "{\"model\": ");
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 400);
    EXPECT_STREQ(json_of(bad->body)["error"]["type"].GetString(), "invalid_request_error");
    auto no_model = post("/v1/chat/completions", R"({"messages":[]})");
    ASSERT_TRUE(no_model);
    EXPECT_EQ(no_model->status, 400);
    EXPECT_TRUE(json_of(no_model->body).HasMember("error"));
    auto wrong_type = post("/v1/messages", R"({"model":"gpt-o","max_tokens":"x","messages":[]})");
    ASSERT_TRUE(wrong_type);
    EXPECT_EQ(wrong_type->status, 400) << wrong_type->body;
    auto oauth = post("/v1/messages", anthropic_body("codex/gpt-5", false));
    ASSERT_TRUE(oauth);
    EXPECT_GE(oauth->status, 400);
    EXPECT_NE(oauth->body.find("codex/gpt-5"), std::string::npos);
    auto path = post("/v1/nothing", "{}");
    ASSERT_TRUE(path);
    EXPECT_EQ(path->status, 404);
    EXPECT_TRUE(json_of(path->body).HasMember("error"));
    std::string huge = "{\"model\":\"gpt-o\",\"pad\":\"" + std::string(33u << 20, 'a') + "\"}";
    auto big = post("/v1/messages", huge);
    ASSERT_TRUE(big);
    EXPECT_EQ(big->status, 413);
    EXPECT_STREQ(json_of(big->body)["error"]["type"].GetString(), "request_too_large");
    httplib::Client c("127.0.0.1", m_port);
    auto health = c.Get("/health");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200);
    EXPECT_EQ(m_anthropic.request_count() + m_openai.request_count(), 0u);
}

TEST_F(ProxyTest, LitellmsLivenessAndReadinessProbesAnswerWithoutAKey) {
    httplib::Client c("127.0.0.1", m_port);  // no master key sent
    auto live = c.Get("/health/liveliness");
    ASSERT_TRUE(live);
    EXPECT_EQ(live->status, 200);
    EXPECT_EQ(live->body, "\"I'm alive!\"");  // a JSON string, as LiteLLM's FastAPI sends it
    EXPECT_EQ(live->get_header_value("Content-Type"), "application/json");
    ASSERT_TRUE(c.Get("/health/liveness"));
    auto ready = c.Get("/health/readiness");
    ASSERT_TRUE(ready);
    EXPECT_EQ(ready->status, 200);
    auto d = json_of(ready->body);
    EXPECT_STREQ(d["status"].GetString(), "healthy");
    EXPECT_TRUE(d.HasMember("litellm_version"));
    EXPECT_TRUE(d["cache"].IsNull());
    EXPECT_EQ(m_anthropic.request_count() + m_openai.request_count(), 0u);
}

TEST_F(ProxyTest, MasterKeyIsRequiredInEitherHeader) {
    m_anthropic.set_default_reply(anthropic_fake::text("ok"));
    httplib::Client bare("127.0.0.1", m_port);
    auto none = bare.Post("/v1/messages", anthropic_body("claude-a", false), "application/json");
    ASSERT_TRUE(none);
    EXPECT_EQ(none->status, 401);
    EXPECT_STREQ(json_of(none->body)["error"]["type"].GetString(), "authentication_error");
    auto wrong = post("/v1/chat/completions", openai_body("gpt-o", false),
                      {{"Authorization", "Bearer nope"}});
    ASSERT_TRUE(wrong);
    EXPECT_EQ(wrong->status, 401);
    EXPECT_STREQ(json_of(wrong->body)["error"]["code"].GetString(), "invalid_api_key");
    auto x_api_key = post("/v1/messages", anthropic_body("claude-a", false),
                          {{"x-api-key", kMasterKey}, {"anthropic-version", "2023-06-01"}});
    ASSERT_TRUE(x_api_key);
    EXPECT_EQ(x_api_key->status, 200);
    // The client's key never reaches the upstream; the deployment's key does.
    EXPECT_EQ(m_anthropic.last_request().header("x-api-key"), "key-anthropic");
}

TEST_F(ProxyTest, TheMasterKeyInEitherHeaderIsEnoughWhenBothAreSent) {
    m_anthropic.set_default_reply(anthropic_fake::text("ok"));
    m_openai.set_default_reply(openai_fake::text("ok"));
    // A helper that sends a stale x-api-key beside the right bearer token, and the reverse.
    auto a = post("/v1/messages", anthropic_body("claude-a", false),
                  {{"x-api-key", "stale"},
                   {"Authorization", std::string("Bearer ") + kMasterKey},
                   {"anthropic-version", "2023-06-01"}});
    ASSERT_TRUE(a);
    EXPECT_EQ(a->status, 200) << a->body;
    auto o = post("/v1/chat/completions", openai_body("gpt-o", false),
                  {{"Authorization", "Bearer stale"}, {"x-api-key", kMasterKey}});
    ASSERT_TRUE(o);
    EXPECT_EQ(o->status, 200) << o->body;
    auto neither = post("/v1/messages", anthropic_body("claude-a", false),
                        {{"x-api-key", "stale"}, {"Authorization", "Bearer stale2"}});
    ASSERT_TRUE(neither);
    EXPECT_EQ(neither->status, 401);
}

TEST_F(ProxyTest, ARefusedClientLeavesOneRateLimitedLogLine) {
    for (int i = 0; i < 20; ++i) {
        auto wrong = post("/v1/chat/completions", openai_body("gpt-o", false),
                          {{"Authorization", "Bearer nope-" + std::to_string(i)}});
        ASSERT_TRUE(wrong);
        EXPECT_EQ(wrong->status, 401);
    }
    std::string log;
    for (int i = 0; i < 100 && log.find("refused (401)") == std::string::npos; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        log = m_daemon.stderr_text();
    }
    EXPECT_NE(log.find("POST /v1/chat/completions refused (401): a wrong API key"),
              std::string::npos)
        << log;
    // Twenty refusals in well under a second: one line, not twenty.
    std::size_t lines = 0;
    for (std::size_t at = log.find("refused (401)"); at != std::string::npos;
         at = log.find("refused (401)", at + 1))
        ++lines;
    EXPECT_LE(lines, 3u) << log;
    EXPECT_EQ(log.find("nope-"), std::string::npos);  // the key presented is not logged
}

// ---- count_tokens, models, probes -------------------------------------------------------------

TEST_F(ProxyTest, CountTokensForwardsToAnthropicAndEstimatesOtherwise) {
    m_anthropic.push_reply(anthropic_fake::count_tokens(1234));
    std::string body = R"({"model":"claude-a","messages":[{"role":"user","content":"hello"}]})";
    auto res = post("/v1/messages/count_tokens?beta=true", body);
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    EXPECT_EQ(json_of(res->body)["input_tokens"].GetInt(), 1234);
    EXPECT_EQ(m_anthropic.last_request().path, "/v1/messages/count_tokens");
    EXPECT_STREQ(json_of(m_anthropic.last_request().body)["model"].GetString(), "up-claude");

    std::string text(4000, 'x');
    auto est = post("/v1/messages/count_tokens",
                    R"({"model":"gpt-o","messages":[{"role":"user","content":")" + text + "\"}]}");
    ASSERT_TRUE(est);
    ASSERT_EQ(est->status, 200);
    EXPECT_GE(json_of(est->body)["input_tokens"].GetInt(), 1000);  // errs high: >= bytes/4
    EXPECT_EQ(m_openai.request_count(), 0u);
}

TEST_F(ProxyTest, ModelsListInBothShapes) {
    httplib::Client c("127.0.0.1", m_port);
    auto openai = c.Get("/v1/models", {{"Authorization", std::string("Bearer ") + kMasterKey}});
    ASSERT_TRUE(openai);
    auto o = json_of(openai->body);
    EXPECT_STREQ(o["object"].GetString(), "list");
    EXPECT_STREQ(o["data"][0]["id"].GetString(), "claude-a");
    auto anthropic =
        c.Get("/v1/models", {{"x-api-key", kMasterKey}, {"anthropic-version", "2023-06-01"}});
    ASSERT_TRUE(anthropic);
    auto a = json_of(anthropic->body);
    EXPECT_STREQ(a["data"][1]["type"].GetString(), "model");
    EXPECT_STREQ(a["last_id"].GetString(), "codex/gpt-5");
    EXPECT_FALSE(a["has_more"].GetBool());
    auto probe = c.Head("/api/hello");
    ASSERT_TRUE(probe);
    EXPECT_EQ(probe->status, 200);
}

}  // namespace
}  // namespace litellm::test
