#include "daemon/wire/openai_chat.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <rapidjson/pointer.h>

#include "common/json.hpp"
#include "daemon/wire/anthropic.hpp"
#include "daemon/wire/sse.hpp"
#include "wire_test_support.hpp"

namespace litellm::wire {
namespace {

using namespace test_support;

std::vector<StreamEvent> decode_whole(std::string_view bytes) {
    return decode_whole_with(&openai_chat::make_stream_decoder, bytes);
}

// ---- decode_request -------------------------------------------------------------------------

Request decode_ok(std::string_view body) {
    Request r;
    std::string error;
    EXPECT_TRUE(openai_chat::decode_request(body, r, &error)) << error << "\n" << body;
    return r;
}

constexpr std::string_view kOpenAiBody = R"({
  "model": "gpt-4o",
  "messages": [
    {"role": "developer", "content": "Be terse."},
    {"role": "user", "content": [
      {"type": "text", "text": "What is in these?"},
      {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,/9j/4AAQ", "detail": "high"}},
      {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
      {"type": "file", "file": {"filename": "a.pdf", "file_data": "data:application/pdf;base64,JVBERi0="}},
      {"type": "input_audio", "input_audio": {"data": "AAA", "format": "wav"}},
      {"type": "text", "text": ""}]},
    {"role": "system", "content": [{"type": "text", "text": "Mid-conversation rule."}]},
    {"role": "assistant", "content": null, "tool_calls": [
      {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": "{\"q\": \"cats\", \"n\": 2}"}},
      {"id": "call_2", "type": "function", "function": {"name": "broken", "arguments": "{\"q\": \"unterminated"}},
      {"id": "call_3", "type": "function", "function": {"name": "array_args", "arguments": "[1,2]"}},
      {"id": "call_4", "type": "function", "function": {"name": "no_args", "arguments": ""}}]},
    {"role": "tool", "tool_call_id": "call_1", "content": "found 2"},
    {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "part a"}, {"type": "text", "text": "part b"}]},
    {"role": "tool", "tool_call_id": "call_3", "content": ""},
    {"role": "assistant", "content": "Here you go.", "reasoning_content": "hidden chain"}
  ],
  "tools": [
    {"type": "function", "function": {"name": "lookup", "description": "Search", "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}}},
    {"type": "function", "function": {"name": "bare"}},
    {"type": "custom", "custom": {"name": "not_a_function"}}
  ],
  "max_tokens": 100,
  "max_completion_tokens": 4000,
  "temperature": 0.2,
  "top_p": 0.8,
  "stop": "STOP",
  "user": "end-user-1",
  "stream": true,
  "stream_options": {"include_usage": true},
  "reasoning_effort": "low",
  "n": 1,
  "seed": 7
})";

TEST(OpenAiDecodeRequest, FullClientBody) {
    Request r = decode_ok(kOpenAiBody);
    EXPECT_EQ(r.model, "gpt-4o");
    EXPECT_EQ(r.max_tokens, 4000);  // max_completion_tokens wins over the deprecated field
    EXPECT_EQ(r.temperature, 0.2);
    EXPECT_EQ(r.top_p, 0.8);
    EXPECT_EQ(r.stop, std::vector<std::string>{"STOP"});
    EXPECT_EQ(r.user, "end-user-1");
    EXPECT_TRUE(r.stream);
    EXPECT_TRUE(r.include_usage);
    EXPECT_EQ(r.thinking.mode, Thinking::Mode::kEnabled);
    EXPECT_EQ(r.thinking.effort, "low");
    EXPECT_TRUE(r.system.empty());  // system/developer stay in place as system-role messages

    ASSERT_EQ(r.messages.size(), 8u);
    EXPECT_EQ(r.messages[0].role, Role::kSystem);
    ASSERT_EQ(r.messages[0].blocks.size(), 1u);
    EXPECT_EQ(r.messages[0].blocks[0].text, "Be terse.");

    const auto& user = r.messages[1].blocks;
    EXPECT_EQ(r.messages[1].role, Role::kUser);
    ASSERT_EQ(user.size(), 4u);  // audio and the empty text carry nothing
    EXPECT_EQ(user[0].text, "What is in these?");
    EXPECT_EQ(user[1].type, BlockType::kImage);
    EXPECT_FALSE(user[1].source_is_url);
    EXPECT_EQ(user[1].media_type, "image/jpeg");
    EXPECT_EQ(user[1].data, "/9j/4AAQ");
    EXPECT_EQ(user[2].type, BlockType::kImage);
    EXPECT_TRUE(user[2].source_is_url);
    EXPECT_EQ(user[2].data, "https://example.com/cat.png");
    EXPECT_EQ(user[3].type, BlockType::kDocument);
    EXPECT_EQ(user[3].media_type, "application/pdf");
    EXPECT_EQ(user[3].data, "JVBERi0=");

    EXPECT_EQ(r.messages[2].role, Role::kSystem);
    EXPECT_EQ(r.messages[2].blocks[0].text, "Mid-conversation rule.");

    const auto& asst = r.messages[3];
    EXPECT_EQ(asst.role, Role::kAssistant);
    ASSERT_EQ(asst.blocks.size(), 4u);  // content null: no text block, just the calls
    EXPECT_EQ(asst.blocks[0].type, BlockType::kToolUse);
    EXPECT_EQ(asst.blocks[0].id, "call_1");
    EXPECT_EQ(asst.blocks[0].name, "lookup");
    EXPECT_EQ(parse(asst.blocks[0].input_json), parse(R"({"q":"cats","n":2})"));
    EXPECT_EQ(asst.blocks[1].input_json, "{}");  // invalid JSON
    EXPECT_EQ(asst.blocks[2].input_json, "{}");  // not an object
    EXPECT_EQ(asst.blocks[3].input_json, "{}");  // empty

    // Consecutive tool messages: each a user-role tool_result, in order.
    for (size_t i = 4; i <= 6; ++i) {
        EXPECT_EQ(r.messages[i].role, Role::kUser);
        ASSERT_EQ(r.messages[i].blocks.size(), 1u);
        EXPECT_EQ(r.messages[i].blocks[0].type, BlockType::kToolResult);
    }
    EXPECT_EQ(r.messages[4].blocks[0].id, "call_1");
    ASSERT_EQ(r.messages[4].blocks[0].content.size(), 1u);
    EXPECT_EQ(r.messages[4].blocks[0].content[0].text, "found 2");
    EXPECT_EQ(r.messages[5].blocks[0].content.size(), 2u);
    EXPECT_EQ(r.messages[6].blocks[0].id, "call_3");
    EXPECT_TRUE(r.messages[6].blocks[0].content.empty());

    // reasoning_content has no signature any upstream would accept: dropped.
    ASSERT_EQ(r.messages[7].blocks.size(), 1u);
    EXPECT_EQ(r.messages[7].blocks[0].text, "Here you go.");

    ASSERT_EQ(r.tools.size(), 2u);  // the custom tool has no `function`
    EXPECT_EQ(r.tools[0].name, "lookup");
    EXPECT_EQ(r.tools[0].description, "Search");
    EXPECT_EQ(str_at(parse(r.tools[0].schema_json), "/properties/q/type"), "string");
    EXPECT_EQ(r.tools[1].name, "bare");
    EXPECT_EQ(r.tools[1].schema_json, "");
}

TEST(OpenAiDecodeRequest, StopStringOrArrayAndMaxTokensFallback) {
    Request r = decode_ok(R"({"model":"m","messages":[],"stop":["a","b",3],"max_tokens":50})");
    EXPECT_EQ(r.stop, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(r.max_tokens, 50);
    r = decode_ok(R"({"model":"m","messages":[]})");
    EXPECT_TRUE(r.stop.empty());
    EXPECT_FALSE(r.max_tokens);
    EXPECT_FALSE(r.stream);
    EXPECT_FALSE(r.include_usage);
    EXPECT_EQ(r.thinking.mode, Thinking::Mode::kUnset);
}

TEST(OpenAiDecodeRequest, ToolChoiceForms) {
    using K = ToolChoice::Kind;
    const std::pair<const char*, K> table[] = {
        {R"("auto")", K::kAuto},
        {R"("none")", K::kNone},
        {R"("required")", K::kAny},
        {R"({"type":"function","function":{"name":"lookup"}})", K::kTool},
    };
    for (auto [choice, kind] : table) {
        Request r =
            decode_ok(std::string(R"({"model":"m","messages":[],"tool_choice":)") + choice + "}");
        EXPECT_EQ(r.tool_choice.kind, kind) << choice;
        EXPECT_FALSE(r.tool_choice.disable_parallel);
    }
    Request named = decode_ok(
        R"({"model":"m","messages":[],"tool_choice":{"type":"function","function":{"name":"lookup"}}})");
    EXPECT_EQ(named.tool_choice.name, "lookup");
    Request unset = decode_ok(R"({"model":"m","messages":[]})");
    EXPECT_EQ(unset.tool_choice.kind, K::kUnset);
}

TEST(OpenAiDecodeRequest, ParallelToolCallsFalse) {
    Request r = decode_ok(R"({"model":"m","messages":[],"parallel_tool_calls":false})");
    EXPECT_EQ(r.tool_choice.kind, ToolChoice::Kind::kAuto);
    EXPECT_TRUE(r.tool_choice.disable_parallel);
    r = decode_ok(
        R"({"model":"m","messages":[],"tool_choice":"required","parallel_tool_calls":false})");
    EXPECT_EQ(r.tool_choice.kind, ToolChoice::Kind::kAny);
    EXPECT_TRUE(r.tool_choice.disable_parallel);
    r = decode_ok(R"({"model":"m","messages":[],"parallel_tool_calls":true})");
    EXPECT_EQ(r.tool_choice.kind, ToolChoice::Kind::kUnset);
    EXPECT_FALSE(r.tool_choice.disable_parallel);
}

TEST(OpenAiDecodeRequest, ReasoningEffort) {
    Request r = decode_ok(R"({"model":"m","messages":[],"reasoning_effort":"high"})");
    EXPECT_EQ(r.thinking.mode, Thinking::Mode::kEnabled);
    EXPECT_EQ(r.thinking.effort, "high");
    r = decode_ok(R"({"model":"m","messages":[],"reasoning_effort":"none"})");
    EXPECT_EQ(r.thinking.mode, Thinking::Mode::kDisabled);
}

TEST(OpenAiDecodeRequest, InvalidInputsGiveClearErrors) {
    const std::pair<const char*, const char*> cases[] = {
        {"{", "request body is not valid JSON"},
        {"\"str\"", "request body must be a JSON object"},
        {R"({"messages":[]})", "you must provide a model parameter"},
        {R"({"model":"m"})", "messages: field required"},
        {R"({"model":"m","messages":"hi"})", "messages: field required"},
        {R"({"model":"m","messages":[{"role":"function","content":"x"}]})",
         "messages[0].role: 'function' is not one of"},
        {R"({"model":"m","messages":[{"role":"user","content":"a"},{"role":"user","content":5}]})",
         "messages[1].content: content must be a string or an array of parts"},
        {R"({"model":"m","messages":[{"role":"tool","tool_call_id":"x","content":{}}]})",
         "messages[0].content"},
        {R"({"model":"m","messages":[{"role":"assistant","content":true}]})",
         "messages[0].content"},
    };
    for (auto [body, want] : cases) {
        Request r;
        std::string error;
        EXPECT_FALSE(openai_chat::decode_request(body, r, &error)) << body;
        EXPECT_NE(error.find(want), std::string::npos)
            << "body: " << body << "\nerror: " << error << "\nwant: " << want;
    }
}

// ---- encode_request -------------------------------------------------------------------------

// What Claude Code sends, decoded by the Anthropic codec: the Anthropic-in -> OpenAI-out route.
constexpr std::string_view kClaudeCodeBody = R"({
  "model": "claude-sonnet-4-5",
  "max_tokens": 32000,
  "system": [
    {"type": "text", "text": "x-anthropic-billing-header: cc_version=2.1.3; cc_entrypoint=cli"},
    {"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}}
  ],
  "messages": [
    {"role": "user", "content": "Fix it"},
    {"role": "assistant", "content": [
      {"type": "thinking", "thinking": "Look first.", "signature": "sig"},
      {"type": "text", "text": "Let me check."},
      {"type": "tool_use", "id": "toolu_1", "name": "Read", "input": {"path": "/a"}},
      {"type": "tool_use", "id": "toolu_2", "name": "Grep", "input": {}}]},
    {"role": "user", "content": [
      {"type": "text", "text": "also this"},
      {"type": "tool_result", "tool_use_id": "toolu_1", "content": [
        {"type": "text", "text": "file content"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "IMG_A"}},
        {"type": "image", "source": {"type": "base64", "media_type": "image/gif", "data": "IMG_B"}}]},
      {"type": "tool_result", "tool_use_id": "toolu_2", "is_error": true, "content": "no matches"}]},
    {"role": "system", "content": "reminder"},
    {"role": "user", "content": [
      {"type": "image", "source": {"type": "url", "url": "https://example.com/x.png"}},
      {"type": "text", "text": "what is this"}]}
  ],
  "tools": [
    {"name": "Read", "description": "Read a file", "input_schema": {"type": "object"}},
    {"name": "Grep", "input_schema": {"type": "object", "properties": {"pattern": {"type": "string"}}, "required": ["pattern"]}},
    {"type": "web_search_20250305", "name": "web_search"}
  ],
  "tool_choice": {"type": "any", "disable_parallel_tool_use": true},
  "thinking": {"type": "enabled", "budget_tokens": 10000},
  "stop_sequences": ["</end>"],
  "temperature": 0.5,
  "stream": true
})";

Request from_anthropic(std::string_view body) {
    Request r;
    std::string error;
    EXPECT_TRUE(anthropic::decode_request(body, r, &error)) << error;
    return r;
}

EncodeOptions openai_options(bool stream = false) {
    EncodeOptions o;
    o.model = "qwen3-coder-plus";
    o.stream = stream;
    return o;
}

TEST(OpenAiEncodeRequest, FromClaudeCodeRequest) {
    Request r = from_anthropic(kClaudeCodeBody);
    auto d = parse(openai_chat::encode_request(r, openai_options(true)));
    EXPECT_EQ(str_at(d, "/model"), "qwen3-coder-plus");
    EXPECT_EQ(int_at(d, "/max_tokens"), 32000);
    EXPECT_DOUBLE_EQ(dbl_at(d, "/temperature"), 0.5);
    EXPECT_EQ(str_at(d, "/stop/0"), "</end>");
    EXPECT_TRUE(bool_at(d, "/stream"));
    EXPECT_TRUE(bool_at(d, "/stream_options/include_usage"));
    EXPECT_FALSE(has(d, "/reasoning_effort"));  // not asked for in these options

    const auto& m = at(d, "/messages");
    ASSERT_EQ(size_at(m, ""), 8u) << json_stringify(m);
    // The billing-header block is dropped; the rest of system is one system message.
    EXPECT_EQ(str_at(m, "/0/role"), "system");
    EXPECT_EQ(str_at(m, "/0/content"), "You are Claude Code.");
    EXPECT_EQ(str_at(m, "/1/role"), "user");
    EXPECT_EQ(str_at(m, "/1/content"), "Fix it");
    // Assistant: text + tool_calls, thinking dropped; arguments are JSON strings.
    EXPECT_EQ(str_at(m, "/2/role"), "assistant");
    EXPECT_EQ(str_at(m, "/2/content"), "Let me check.");
    ASSERT_EQ(size_at(m, "/2/tool_calls"), 2u);
    EXPECT_EQ(str_at(m, "/2/tool_calls/0/id"), "toolu_1");
    EXPECT_EQ(str_at(m, "/2/tool_calls/0/type"), "function");
    EXPECT_EQ(str_at(m, "/2/tool_calls/0/function/name"), "Read");
    EXPECT_EQ(parse(str_at(m, "/2/tool_calls/0/function/arguments")), parse(R"({"path":"/a"})"));
    EXPECT_EQ(str_at(m, "/2/tool_calls/1/function/arguments"), "{}");
    EXPECT_FALSE(has(m, "/2/reasoning_content"));
    // Tool results come right after the assistant's tool_calls, before the user's text.
    EXPECT_EQ(str_at(m, "/3/role"), "tool");
    EXPECT_EQ(str_at(m, "/3/tool_call_id"), "toolu_1");
    EXPECT_EQ(str_at(m, "/3/content"), "file content\n[image attached below]");
    EXPECT_EQ(str_at(m, "/4/role"), "tool");
    EXPECT_EQ(str_at(m, "/4/tool_call_id"), "toolu_2");
    EXPECT_EQ(str_at(m, "/4/content"), "Error: no matches");
    // Images from tool results go to the following user message, in order, then its text.
    EXPECT_EQ(str_at(m, "/5/role"), "user");
    ASSERT_EQ(size_at(m, "/5/content"), 3u) << json_stringify(at(m, "/5"));
    EXPECT_EQ(str_at(m, "/5/content/0/type"), "image_url");
    EXPECT_EQ(str_at(m, "/5/content/0/image_url/url"), "data:image/png;base64,IMG_A");
    EXPECT_EQ(str_at(m, "/5/content/1/image_url/url"), "data:image/gif;base64,IMG_B");
    EXPECT_EQ(str_at(m, "/5/content/2/type"), "text");
    EXPECT_EQ(str_at(m, "/5/content/2/text"), "also this");
    EXPECT_EQ(str_at(m, "/6/role"), "system");
    EXPECT_EQ(str_at(m, "/6/content"), "reminder");
    EXPECT_EQ(str_at(m, "/7/role"), "user");
    EXPECT_EQ(str_at(m, "/7/content/0/image_url/url"), "https://example.com/x.png");
    EXPECT_EQ(str_at(m, "/7/content/1/text"), "what is this");

    // Tools: the server tool is dropped; a bare object schema gains properties:{}.
    ASSERT_EQ(size_at(d, "/tools"), 2u);
    EXPECT_EQ(str_at(d, "/tools/0/type"), "function");
    EXPECT_EQ(str_at(d, "/tools/0/function/name"), "Read");
    EXPECT_EQ(str_at(d, "/tools/0/function/description"), "Read a file");
    EXPECT_EQ(at(d, "/tools/0/function/parameters"), parse(R"({"type":"object","properties":{}})"));
    EXPECT_FALSE(has(d, "/tools/1/function/description"));
    EXPECT_EQ(str_at(d, "/tools/1/function/parameters/required/0"), "pattern");
    EXPECT_EQ(str_at(d, "/tool_choice"), "required");
    EXPECT_FALSE(bool_at(d, "/parallel_tool_calls"));
    EXPECT_TRUE(has(d, "/parallel_tool_calls"));
}

TEST(OpenAiEncodeRequest, NoAnthropicOnlyFieldsLeak) {
    Request r = from_anthropic(kClaudeCodeBody);
    std::string body = openai_chat::encode_request(r, openai_options(true));
    for (const char* leaked : {"cache_control", "x-anthropic-billing-header", "signature",
                               "thinking", "input_schema", "tool_use", "web_search"}) {
        EXPECT_EQ(body.find(leaked), std::string::npos) << leaked << " in " << body;
    }
}

TEST(OpenAiEncodeRequest, ReasoningEffortAndLimitFieldPerUpstream) {
    Request r = from_anthropic(kClaudeCodeBody);
    EncodeOptions o = openai_options();
    o.send_reasoning_effort = true;
    o.max_tokens_field = "max_completion_tokens";
    auto d = parse(openai_chat::encode_request(r, o));
    EXPECT_EQ(str_at(d, "/reasoning_effort"), "high");  // budget 10000, wire-formats §2.0
    EXPECT_EQ(int_at(d, "/max_completion_tokens"), 32000);
    EXPECT_FALSE(has(d, "/max_tokens"));
    EXPECT_FALSE(bool_at(d, "/stream"));
    EXPECT_FALSE(has(d, "/stream_options"));

    const std::pair<std::int64_t, const char*> table[] = {
        {100, "minimal"}, {1024, "low"}, {8192, "medium"}, {24576, "high"}, {32000, "xhigh"}};
    for (auto [budget, effort] : table) {
        r.thinking.budget_tokens = budget;
        d = parse(openai_chat::encode_request(r, o));
        EXPECT_EQ(str_at(d, "/reasoning_effort"), effort) << budget;
    }
    Request adaptive = from_anthropic(
        R"({"model":"m","max_tokens":10,"messages":[],"thinking":{"type":"adaptive"},"output_config":{"effort":"max"}})");
    d = parse(openai_chat::encode_request(adaptive, o));
    EXPECT_EQ(str_at(d, "/reasoning_effort"), "xhigh");
    Request off = from_anthropic(
        R"({"model":"m","max_tokens":10,"messages":[],"thinking":{"type":"disabled"}})");
    d = parse(openai_chat::encode_request(off, o));
    EXPECT_EQ(str_at(d, "/reasoning_effort"), "none");
}

TEST(OpenAiEncodeRequest, KeepCacheControlForDashScopeLikeUpstreams) {
    Request r = from_anthropic(kClaudeCodeBody);
    EncodeOptions o = openai_options();
    o.keep_cache_control = true;
    auto d = parse(openai_chat::encode_request(r, o));
    // With a cache_control to carry, system becomes parts.
    EXPECT_EQ(str_at(d, "/messages/0/content/0/text"), "You are Claude Code.");
    EXPECT_EQ(str_at(d, "/messages/0/content/0/cache_control/type"), "ephemeral");
}

TEST(OpenAiEncodeRequest, ToolChoiceForms) {
    using K = ToolChoice::Kind;
    Request r = from_anthropic(kClaudeCodeBody);
    r.tool_choice.disable_parallel = false;
    const std::pair<K, const char*> strings[] = {
        {K::kAuto, "auto"}, {K::kAny, "required"}, {K::kNone, "none"}};
    for (auto [kind, want] : strings) {
        r.tool_choice.kind = kind;
        auto d = parse(openai_chat::encode_request(r, openai_options()));
        EXPECT_EQ(str_at(d, "/tool_choice"), want);
        EXPECT_FALSE(has(d, "/parallel_tool_calls"));
    }
    r.tool_choice.kind = K::kTool;
    r.tool_choice.name = "Grep";
    auto d = parse(openai_chat::encode_request(r, openai_options()));
    EXPECT_EQ(at(d, "/tool_choice"), parse(R"({"type":"function","function":{"name":"Grep"}})"));
    // No tools, no tool_choice (OpenAI rejects tool_choice without tools).
    r.tools.clear();
    d = parse(openai_chat::encode_request(r, openai_options()));
    EXPECT_FALSE(has(d, "/tool_choice"));
    EXPECT_FALSE(has(d, "/tools"));
}

TEST(OpenAiEncodeRequest, AllTextUserTurnIsAStringAndEmptyTurnsVanish) {
    Request r = from_anthropic(R"({"model":"m","max_tokens":5,"messages":[
        {"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},
        {"role":"assistant","content":[{"type":"thinking","thinking":"only thinking","signature":"s"}]},
        {"role":"user","content":"c"}]})");
    auto d = parse(openai_chat::encode_request(r, openai_options()));
    ASSERT_EQ(size_at(d, "/messages"), 2u) << json_stringify(at(d, "/messages"));
    EXPECT_EQ(str_at(d, "/messages/0/content"), "a\nb");
    EXPECT_EQ(str_at(d, "/messages/1/content"), "c");
}

TEST(OpenAiEncodeRequest, ExtraParamsDoNotOverrideTranslatedFields) {
    Request r = from_anthropic(kClaudeCodeBody);
    EncodeOptions o = openai_options();
    o.extra_params = {{"temperature", "1.5"}, {"enable_thinking", "true"}};
    auto d = parse(openai_chat::encode_request(r, o));
    EXPECT_DOUBLE_EQ(dbl_at(d, "/temperature"), 0.5);
    EXPECT_TRUE(bool_at(d, "/enable_thinking"));
}

TEST(OpenAiEncodeRequest, RoundTripOpenAiBodyKeepsTheConversation) {
    // OpenAI in -> canonical -> OpenAI out -> canonical: the same conversation.
    Request r1 = decode_ok(kOpenAiBody);
    std::string once = openai_chat::encode_request(r1, openai_options(true));
    Request r2 = decode_ok(once);
    ASSERT_EQ(r2.messages.size(), r1.messages.size()) << once;
    for (size_t i = 0; i < r1.messages.size(); ++i) {
        EXPECT_EQ(r2.messages[i].role, r1.messages[i].role) << i;
        ASSERT_EQ(r2.messages[i].blocks.size(), r1.messages[i].blocks.size()) << i << once;
        for (size_t j = 0; j < r1.messages[i].blocks.size(); ++j) {
            const Block& a = r1.messages[i].blocks[j];
            const Block& b = r2.messages[i].blocks[j];
            EXPECT_EQ(a.type, b.type) << i << "/" << j;
            EXPECT_EQ(a.text, b.text) << i << "/" << j;
            EXPECT_EQ(a.data, b.data) << i << "/" << j;
            EXPECT_EQ(a.id, b.id) << i << "/" << j;
            EXPECT_EQ(a.input_json, b.input_json) << i << "/" << j;
        }
    }
    EXPECT_EQ(r2.tools.size(), r1.tools.size());
    EXPECT_EQ(r2.max_tokens, r1.max_tokens);
    EXPECT_EQ(r2.stop, r1.stop);
}

// ---- responses ------------------------------------------------------------------------------

constexpr std::string_view kOpenAiResponse = R"({"id":"chatcmpl-1","object":"chat.completion",
 "created":1,"model":"qwen3",
 "choices":[{"index":0,"message":{"role":"assistant","content":null,"reasoning_content":"Need weather",
   "tool_calls":[{"id":"call_a","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
                 {"id":"call_b","type":"function","function":{"name":"get_time","arguments":"{bad json"}}]},
   "finish_reason":"tool_calls"}],
 "usage":{"prompt_tokens":120,"completion_tokens":30,"total_tokens":150,
          "prompt_tokens_details":{"cached_tokens":100},"completion_tokens_details":{"reasoning_tokens":12}}})";

TEST(OpenAiResponse, DecodeReasoningToolCallsAndUsage) {
    Response r;
    std::string error;
    ASSERT_TRUE(openai_chat::decode_response(kOpenAiResponse, r, &error)) << error;
    EXPECT_EQ(r.id, "chatcmpl-1");
    EXPECT_EQ(r.model, "qwen3");
    ASSERT_EQ(r.content.size(), 3u);
    EXPECT_EQ(r.content[0].type, BlockType::kThinking);
    EXPECT_EQ(r.content[0].text, "Need weather");
    EXPECT_EQ(r.content[0].signature, "");
    EXPECT_EQ(r.content[1].type, BlockType::kToolUse);
    EXPECT_EQ(r.content[1].id, "call_a");
    EXPECT_EQ(r.content[1].name, "get_weather");
    EXPECT_EQ(parse(r.content[1].input_json), parse(R"({"city":"Paris"})"));
    EXPECT_EQ(r.content[2].input_json, "{}");
    EXPECT_EQ(r.stop_reason, StopReason::kToolUse);
    EXPECT_EQ(r.usage.input_tokens, 20);  // prompt - cached: each token counted once
    EXPECT_EQ(r.usage.cache_read_tokens, 100);
    EXPECT_EQ(r.usage.output_tokens, 30);
    EXPECT_EQ(r.usage.reasoning_tokens, 12);
}

TEST(OpenAiResponse, DecodeStopReasonsAndContent) {
    auto decode = [](std::string_view finish, std::string_view message) {
        Response r;
        std::string error;
        std::string body = std::string(R"({"id":"x","choices":[{"index":0,"message":)") +
                           std::string(message) + R"(,"finish_reason":")" + std::string(finish) +
                           R"("}]})";
        EXPECT_TRUE(openai_chat::decode_response(body, r, &error)) << error;
        return r;
    };
    Response r = decode("stop", R"({"role":"assistant","content":"Hi"})");
    ASSERT_EQ(r.content.size(), 1u);
    EXPECT_EQ(r.content[0].text, "Hi");
    EXPECT_EQ(r.stop_reason, StopReason::kEndTurn);
    EXPECT_EQ(r.usage.input_tokens, 0);  // no usage block
    EXPECT_EQ(decode("length", R"({"content":"Hi"})").stop_reason, StopReason::kMaxTokens);
    EXPECT_EQ(decode("content_filter", R"({"content":""})").stop_reason, StopReason::kRefusal);
    // Claimed tool_calls without any call is a plain end of turn.
    EXPECT_EQ(decode("tool_calls", R"({"content":"Hi"})").stop_reason, StopReason::kEndTurn);
    // A call with finish_reason stop is still a tool_use turn.
    r = decode(
        "stop",
        R"({"content":"","tool_calls":[{"type":"function","function":{"name":"f","arguments":"{}"}}]})");
    EXPECT_EQ(r.stop_reason, StopReason::kToolUse);
    ASSERT_EQ(r.content.size(), 1u);       // empty content dropped
    EXPECT_EQ(r.content[0].id, "call_0");  // missing id gets one
}

TEST(OpenAiResponse, DecodeRejectsNonCompletions) {
    Response r;
    std::string error;
    EXPECT_FALSE(openai_chat::decode_response("nope", r, &error));
    EXPECT_FALSE(openai_chat::decode_response(R"({"error":{"message":"x"}})", r, &error));
    EXPECT_NE(error.find("not a chat.completion"), std::string::npos) << error;
    Response empty;
    EXPECT_TRUE(openai_chat::decode_response(R"({"choices":[]})", empty, &error));
    EXPECT_TRUE(empty.content.empty());
}

TEST(OpenAiResponse, EncodeFromAnthropicShapedResponse) {
    Response r;
    r.id = "msg_1";
    Block thinking;
    thinking.type = BlockType::kThinking;
    thinking.text = "Need weather";
    thinking.signature = "EqQB";
    Block text;
    text.text = "Checking.";
    Block use;
    use.type = BlockType::kToolUse;
    use.id = "toolu_1";
    use.name = "get_weather";
    use.input_json = R"({"city":"Paris"})";
    r.content = {thinking, text, use};
    r.stop_reason = StopReason::kToolUse;
    r.usage.input_tokens = 20;
    r.usage.cache_read_tokens = 100;
    r.usage.cache_creation_tokens = 5;
    r.usage.output_tokens = 30;
    auto d = parse(openai_chat::encode_response(r, "client-model"));
    EXPECT_EQ(str_at(d, "/object"), "chat.completion");
    EXPECT_EQ(str_at(d, "/model"), "client-model");
    EXPECT_EQ(str_at(d, "/id").rfind("chatcmpl-", 0), 0u);
    EXPECT_EQ(str_at(d, "/choices/0/message/role"), "assistant");
    EXPECT_EQ(str_at(d, "/choices/0/message/content"), "Checking.");
    EXPECT_EQ(str_at(d, "/choices/0/message/reasoning_content"), "Need weather");
    // The signature rides in LiteLLM's thinking_blocks, for the client to send back.
    EXPECT_EQ(str_at(d, "/choices/0/message/thinking_blocks/0/thinking"), "Need weather");
    EXPECT_EQ(str_at(d, "/choices/0/message/thinking_blocks/0/signature"), "EqQB");
    EXPECT_EQ(str_at(d, "/choices/0/message/tool_calls/0/id"), "toolu_1");
    EXPECT_EQ(str_at(d, "/choices/0/message/tool_calls/0/function/arguments"),
              R"({"city":"Paris"})");
    EXPECT_EQ(str_at(d, "/choices/0/finish_reason"), "tool_calls");
    EXPECT_EQ(int_at(d, "/usage/prompt_tokens"), 125);  // input + cache read + cache write
    EXPECT_EQ(int_at(d, "/usage/prompt_tokens_details/cached_tokens"), 100);
    EXPECT_EQ(int_at(d, "/usage/completion_tokens"), 30);
    EXPECT_EQ(int_at(d, "/usage/total_tokens"), 155);

    // Only tool calls: content is null, not "".
    r.content = {use};
    d = parse(openai_chat::encode_response(r, "m"));
    EXPECT_TRUE(at(d, "/choices/0/message/content").IsNull());
    // Text only with a claimed tool_use stop: "stop".
    r.content = {text};
    d = parse(openai_chat::encode_response(r, "m"));
    EXPECT_EQ(str_at(d, "/choices/0/finish_reason"), "stop");
    EXPECT_FALSE(has(d, "/choices/0/message/tool_calls"));
    r.stop_reason = StopReason::kMaxTokens;
    d = parse(openai_chat::encode_response(r, "m"));
    EXPECT_EQ(str_at(d, "/choices/0/finish_reason"), "length");
}

TEST(OpenAiResponse, EncodeDecodeRoundTrip) {
    Response r;
    std::string error;
    ASSERT_TRUE(openai_chat::decode_response(kOpenAiResponse, r, &error)) << error;
    Response back;
    ASSERT_TRUE(openai_chat::decode_response(openai_chat::encode_response(r, "m"), back, &error))
        << error;
    ASSERT_EQ(back.content.size(), r.content.size());
    for (size_t i = 0; i < r.content.size(); ++i) {
        EXPECT_EQ(back.content[i].type, r.content[i].type);
        EXPECT_EQ(back.content[i].text, r.content[i].text);
        EXPECT_EQ(back.content[i].input_json, r.content[i].input_json);
    }
    EXPECT_EQ(back.stop_reason, r.stop_reason);
    EXPECT_EQ(back.usage.input_tokens, r.usage.input_tokens);
    EXPECT_EQ(back.usage.cache_read_tokens, r.usage.cache_read_tokens);
    EXPECT_EQ(back.usage.output_tokens, r.usage.output_tokens);
    EXPECT_EQ(back.usage.reasoning_tokens, r.usage.reasoning_tokens);
}

TEST(OpenAiEncodeError, ShapeAndCodes) {
    const std::tuple<ErrorKind, const char*, const char*> table[] = {
        {ErrorKind::kContextLength, "invalid_request_error", "context_length_exceeded"},
        {ErrorKind::kRateLimit, "rate_limit_error", "rate_limit_exceeded"},
        {ErrorKind::kAuthentication, "invalid_request_error", "invalid_api_key"},
        {ErrorKind::kNotFound, "invalid_request_error", "model_not_found"},
        {ErrorKind::kOverloaded, "server_error", nullptr},
        {ErrorKind::kInvalidRequest, "invalid_request_error", nullptr},
    };
    for (auto [kind, type, code] : table) {
        Error e;
        e.kind = kind;
        e.message = "why it failed";
        auto d = parse(openai_chat::encode_error(e));
        EXPECT_EQ(str_at(d, "/error/message"), "why it failed");
        EXPECT_EQ(str_at(d, "/error/type"), type);
        EXPECT_TRUE(at(d, "/error/param").IsNull());
        if (code)
            EXPECT_EQ(str_at(d, "/error/code"), code);
        else
            EXPECT_TRUE(at(d, "/error/code").IsNull());
    }
    // OpenAI clients see the upstream's context message as is (no "prompt is too long").
    Error e = classify_upstream_error(400, R"({"error":{"message":"too many tokens"}})");
    auto d = parse(openai_chat::encode_error(e));
    EXPECT_EQ(str_at(d, "/error/message"), "too many tokens");
    EXPECT_EQ(str_at(d, "/error/code"), "context_length_exceeded");
}

// ---- stream decoder: the per-index tool-call state machine -----------------------------------

// One chat.completion.chunk as an SSE event.
std::string chunk(std::string_view delta, std::string_view finish = "null",
                  std::string_view extra = "") {
    return std::string(R"(data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,)"
                       R"("model":"m","choices":[{"index":0,"delta":)") +
           std::string(delta) + R"(,"finish_reason":)" + std::string(finish) + "}]" +
           std::string(extra) + "}\n\n";
}

std::string usage_chunk(int prompt, int cached, int completion) {
    return R"(data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m",)"
           R"("choices":[],"usage":{"prompt_tokens":)" +
           std::to_string(prompt) + R"(,"completion_tokens":)" + std::to_string(completion) +
           R"(,"total_tokens":)" + std::to_string(prompt + completion) +
           R"(,"prompt_tokens_details":{"cached_tokens":)" + std::to_string(cached) + "}}}\n\n";
}

const std::string kRole = chunk(R"({"role":"assistant","content":""})");
const std::string kDone = "data: [DONE]\n\n";

// Runs `sse` through the OpenAI decoder in random pieces (several seeds; all must agree with
// `want`), then the events through the Anthropic encoder, checking the Anthropic invariants.
void expect_stream(const std::string& sse, const std::vector<std::string>& want, bool want_complete,
                   AnthropicStream* anthropic_out = nullptr) {
    for (unsigned seed = 1; seed <= 12; ++seed) {
        auto d = openai_chat::make_stream_decoder();
        auto events = feed_in_pieces(*d, sse, seed, seed < 4 ? 3 : 29);
        ASSERT_EQ(describe_all(events), want) << "seed " << seed;
        EXPECT_EQ(d->complete(), want_complete);
        if (seed == 1) {
            auto enc = anthropic::make_stream_encoder("claude-client");
            std::string out = encode_all(*enc, events);
            AnthropicStream s;
            ASSERT_TRUE(check_anthropic_stream(out, &s)) << out;
            EXPECT_TRUE(enc->done());
            if (anthropic_out) *anthropic_out = std::move(s);
        }
    }
}

TEST(OpenAiStreamDecoder, TextOnly) {
    std::string sse = kRole + chunk(R"({"content":"Hel"})") + chunk(R"({"content":"lo"})") +
                      chunk("{}", R"("stop")") + usage_chunk(10, 4, 5) + kDone;
    AnthropicStream s;
    expect_stream(
        sse,
        {"message_start chatcmpl-1", "start 0 text", "delta 0 text Hel", "delta 0 text lo",
         "stop 0", "message_delta end_turn in=6 out=5 cache_read=4", "message_stop"},
        true, &s);
    EXPECT_EQ(s.block_text[0], "Hello");
    EXPECT_EQ(s.stop_reason, "end_turn");
    EXPECT_EQ(int_at(s.last_usage, "/input_tokens"), 6);
    EXPECT_EQ(int_at(s.last_usage, "/cache_read_input_tokens"), 4);
    EXPECT_EQ(int_at(s.last_usage, "/output_tokens"), 5);
}

TEST(OpenAiStreamDecoder, ReasoningThenText) {
    std::string sse = kRole + chunk(R"({"reasoning_content":"Think"})") +
                      chunk(R"({"reasoning_content":"ing","content":null})") +
                      chunk(R"({"content":"Answer"})") + chunk("{}", R"("length")") + kDone;
    AnthropicStream s;
    expect_stream(sse,
                  {"message_start chatcmpl-1", "start 0 thinking", "delta 0 thinking Think",
                   "delta 0 thinking ing", "stop 0", "start 1 text", "delta 1 text Answer",
                   "stop 1", "message_delta max_tokens in=0 out=0 cache_read=0", "message_stop"},
                  true, &s);
    EXPECT_EQ(s.block_types[0], "thinking");
    EXPECT_EQ(s.block_text[0], "Thinking");
    EXPECT_EQ(s.block_text[1], "Answer");
    EXPECT_EQ(s.stop_reason, "max_tokens");
}

TEST(OpenAiStreamDecoder, SingleToolCallInManyFragments) {
    std::string sse =
        kRole +
        chunk(
            R"({"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"get_weather","arguments":""}}]})") +
        chunk(R"({"tool_calls":[{"index":0,"function":{"arguments":"{\"ci"}}]})") +
        chunk(R"({"tool_calls":[{"index":0,"function":{"arguments":"ty\": "}}]})") +
        chunk(R"({"tool_calls":[{"index":0,"function":{"arguments":"\"Par"}}]})") +
        chunk(R"({"tool_calls":[{"index":0,"function":{"arguments":"is\"}"}}]})") +
        chunk("{}", R"("tool_calls")") + usage_chunk(20, 0, 9) + kDone;
    AnthropicStream s;
    expect_stream(
        sse,
        {"message_start chatcmpl-1", "start 0 tool_use call_a get_weather", "delta 0 json {\"ci",
         "delta 0 json ty\": ", "delta 0 json \"Par", "delta 0 json is\"}", "stop 0",
         "message_delta tool_use in=20 out=9 cache_read=0", "message_stop"},
        true, &s);
    EXPECT_EQ(parse(s.block_text[0]), parse(R"({"city":"Paris"})"));
    EXPECT_EQ(s.tool_ids[0], "call_a");
    EXPECT_EQ(s.stop_reason, "tool_use");
}

TEST(OpenAiStreamDecoder, ParallelToolCallsInterleaveByIndex) {
    // Text first, then two calls whose argument fragments alternate: each fragment must land
    // on its own call's block.
    std::string sse =
        kRole + chunk(R"({"content":"Checking both."})") +
        chunk(
            R"({"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"get_weather","arguments":""}}]})") +
        chunk(
            R"({"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"get_time","arguments":""}}]})") +
        chunk(R"({"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]})") +
        chunk(R"({"tool_calls":[{"index":1,"function":{"arguments":"{\"tz\":"}}]})") +
        chunk(R"({"tool_calls":[{"index":1,"function":{"arguments":"\"CET\"}"}}]})") +
        chunk(R"({"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]})") +
        chunk("{}", R"("tool_calls")") + kDone;
    AnthropicStream s;
    expect_stream(
        sse,
        {"message_start chatcmpl-1", "start 0 text", "delta 0 text Checking both.", "stop 0",
         "start 1 tool_use call_a get_weather", "start 2 tool_use call_b get_time",
         "delta 1 json {\"city\":", "delta 2 json {\"tz\":", "delta 2 json \"CET\"}",
         "delta 1 json \"Paris\"}", "stop 1", "stop 2",
         "message_delta tool_use in=0 out=0 cache_read=0", "message_stop"},
        true, &s);
    EXPECT_EQ(parse(s.block_text[1]), parse(R"({"city":"Paris"})"));
    EXPECT_EQ(parse(s.block_text[2]), parse(R"({"tz":"CET"})"));
    EXPECT_EQ(s.tool_ids[1], "call_a");
    EXPECT_EQ(s.tool_ids[2], "call_b");
}

TEST(OpenAiStreamDecoder, ParallelCallsInOneChunk) {
    std::string sse =
        kRole +
        chunk(
            R"({"tool_calls":[{"index":0,"id":"call_a","function":{"name":"f","arguments":"{\"a\":1}"}},{"index":1,"id":"call_b","function":{"name":"g","arguments":"{\"b\":2}"}}]})") +
        chunk("{}", R"("tool_calls")") + kDone;
    expect_stream(
        sse,
        {"message_start chatcmpl-1", "start 0 tool_use call_a f", "delta 0 json {\"a\":1}",
         "start 1 tool_use call_b g", "delta 1 json {\"b\":2}", "stop 0", "stop 1",
         "message_delta tool_use in=0 out=0 cache_read=0", "message_stop"},
        true);
}

TEST(OpenAiStreamDecoder, IdAndNameInDifferentChunks) {
    // Arguments arrive before the name: they are held until the block can open.
    std::string sse =
        kRole +
        chunk(R"({"tool_calls":[{"index":0,"id":"call_x","function":{"arguments":"{\"a\""}}]})") +
        chunk(R"({"tool_calls":[{"index":0,"function":{"arguments":":"}}]})") +
        chunk(R"({"tool_calls":[{"index":0,"function":{"name":"lookup","arguments":"1}"}}]})") +
        // Second call: name first, id later.
        chunk(R"({"tool_calls":[{"index":1,"type":"function","function":{"name":"other"}}]})") +
        chunk(R"({"tool_calls":[{"index":1,"id":"call_y","function":{"arguments":"{}"}}]})") +
        chunk("{}", R"("tool_calls")") + kDone;
    AnthropicStream s;
    expect_stream(sse,
                  {"message_start chatcmpl-1", "start 0 tool_use call_x lookup",
                   "delta 0 json {\"a\":", "delta 0 json 1}", "start 1 tool_use call_y other",
                   "delta 1 json {}", "stop 0", "stop 1",
                   "message_delta tool_use in=0 out=0 cache_read=0", "message_stop"},
                  true, &s);
    EXPECT_EQ(parse(s.block_text[0]), parse(R"({"a":1})"));
}

TEST(OpenAiStreamDecoder, CallWhoseNameNeverArrivesIsSynthesizedAtFinish) {
    std::string sse =
        kRole + chunk(R"({"content":"Calling."})") +
        chunk(R"({"tool_calls":[{"index":0,"id":"call_q","function":{"arguments":"{\"x\":"}}]})") +
        chunk(R"({"tool_calls":[{"index":0,"function":{"arguments":"1}"}}]})") +
        chunk(R"({"tool_calls":[{"index":1,"function":{"name":"no_id"}}]})") +
        chunk("{}", R"("tool_calls")") + kDone;
    AnthropicStream s;
    expect_stream(sse,
                  // The text block ends where the first (synthesized) call begins; the
                  // buffered arguments are flushed into it in one delta.
                  {"message_start chatcmpl-1", "start 0 text", "delta 0 text Calling.", "stop 0",
                   "start 1 tool_use call_q tool_0", "delta 1 json {\"x\":1}",
                   "start 2 tool_use call_1 no_id", "stop 1", "stop 2",
                   "message_delta tool_use in=0 out=0 cache_read=0", "message_stop"},
                  true, &s);
    EXPECT_EQ(parse(s.block_text[1]), parse(R"({"x":1})"));
}

TEST(OpenAiStreamDecoder, ContentAndFinishReasonInOneChunk) {
    std::string sse = kRole +
                      chunk(R"({"content":"All done."})", R"("stop")",
                            R"(,"usage":{"prompt_tokens":7,"completion_tokens":3})") +
                      kDone;
    AnthropicStream s;
    expect_stream(sse,
                  {"message_start chatcmpl-1", "start 0 text", "delta 0 text All done.", "stop 0",
                   "message_delta end_turn in=7 out=3 cache_read=0", "message_stop"},
                  true, &s);
    EXPECT_EQ(s.block_text[0], "All done.");
}

TEST(OpenAiStreamDecoder, ToolCallAndFinishReasonInOneChunkWithoutRoleChunk) {
    // Some providers send the whole call, and the finish, in the very first chunk.
    std::string sse =
        chunk(
            R"({"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]})",
            R"("tool_calls")") +
        kDone;
    expect_stream(sse,
                  {"message_start chatcmpl-1", "start 0 tool_use call_1 f", "delta 0 json {}",
                   "stop 0", "message_delta tool_use in=0 out=0 cache_read=0", "message_stop"},
                  true);
}

TEST(OpenAiStreamDecoder, FinishReasonToolCallsWithoutACallIsEndTurn) {
    std::string sse = kRole + chunk(R"({"content":"Hi"})") + chunk("{}", R"("tool_calls")") + kDone;
    AnthropicStream s;
    expect_stream(sse,
                  {"message_start chatcmpl-1", "start 0 text", "delta 0 text Hi", "stop 0",
                   "message_delta end_turn in=0 out=0 cache_read=0", "message_stop"},
                  true, &s);
    EXPECT_EQ(s.stop_reason, "end_turn");
}

TEST(OpenAiStreamDecoder, UsageChunkWithEmptyChoicesFeedsMessageDelta) {
    std::string sse = kRole + chunk(R"({"content":"x"})") + chunk("{}", R"("stop")") +
                      usage_chunk(1000, 800, 42) + kDone;
    expect_stream(sse,
                  {"message_start chatcmpl-1", "start 0 text", "delta 0 text x", "stop 0",
                   "message_delta end_turn in=200 out=42 cache_read=800", "message_stop"},
                  true);
}

TEST(OpenAiStreamDecoder, ErrorMidStream) {
    std::string sse =
        kRole + chunk(R"({"content":"partial"})") +
        R"(data: {"error":{"message":"Rate limit reached","type":"rate_limit_error","code":"rate_limit_exceeded"}})" +
        "\n\n" + chunk(R"({"content":"ignored"})") + kDone;
    AnthropicStream s;
    // No "stop 0" before the error: the block is left open, as Anthropic does it.
    expect_stream(sse,
                  {"message_start chatcmpl-1", "start 0 text", "delta 0 text partial",
                   "error rate_limit_error Rate limit reached"},
                  false, &s);
    EXPECT_EQ(s.error_type, "rate_limit_error");
    EXPECT_EQ(s.error_message, "Rate limit reached");
}

TEST(OpenAiStreamDecoder, OverloadedErrorMidStream) {
    std::string sse =
        kRole + R"(data: {"error":{"message":"The server is overloaded","type":"server_error"}})" +
        "\n\n";
    expect_stream(sse,
                  {"message_start chatcmpl-1", "error overloaded_error The server is overloaded"},
                  false);
}

TEST(OpenAiStreamDecoder, StreamCutBeforeFinishReasonIsAnError) {
    std::string sse =
        kRole + chunk(R"({"content":"Hello"})") +
        chunk(
            R"({"tool_calls":[{"index":0,"id":"c","function":{"name":"f","arguments":"{\"a"}}]})");
    AnthropicStream s;
    expect_stream(sse,
                  {"message_start chatcmpl-1", "start 0 text", "delta 0 text Hello", "stop 0",
                   "start 1 tool_use c f", "delta 1 json {\"a",
                   "error api_error upstream stream ended before finish_reason"},
                  false, &s);
    EXPECT_EQ(s.error_type, "api_error");
}

TEST(OpenAiStreamDecoder, EmptyStreamIsAnError) {
    expect_stream("", {"error api_error upstream stream ended before finish_reason"}, false);
}

TEST(OpenAiStreamDecoder, FinishReasonWithoutDoneClosesOnFinish) {
    std::string sse = kRole + chunk(R"({"content":"Bye"})") + chunk("{}", R"("stop")");
    auto d = openai_chat::make_stream_decoder();
    std::vector<StreamEvent> events;
    d->feed(sse, events);
    // Nothing is closed yet: a usage chunk may still follow.
    EXPECT_EQ(describe_all(events), (std::vector<std::string>{"message_start chatcmpl-1",
                                                              "start 0 text", "delta 0 text Bye"}));
    EXPECT_FALSE(d->complete());
    expect_stream(sse,
                  {"message_start chatcmpl-1", "start 0 text", "delta 0 text Bye", "stop 0",
                   "message_delta end_turn in=0 out=0 cache_read=0", "message_stop"},
                  true);
}

TEST(OpenAiStreamDecoder, DoneWithoutFinishReasonEndsTheTurn) {
    std::string sse = kRole + chunk(R"({"content":"Bye"})") + kDone;
    expect_stream(sse,
                  {"message_start chatcmpl-1", "start 0 text", "delta 0 text Bye", "stop 0",
                   "message_delta end_turn in=0 out=0 cache_read=0", "message_stop"},
                  true);
}

TEST(OpenAiStreamDecoder, KeepAlivesAndOtherChoicesAreIgnored) {
    std::string sse =
        ": OPENROUTER PROCESSING\n\n" + kRole +
        R"(data: {"id":"chatcmpl-1","choices":[{"index":1,"delta":{"content":"other choice"},"finish_reason":null}]})" +
        "\n\n" + chunk(R"({"content":"mine"})") + "data: {not json}\n\n" +
        chunk("{}", R"("stop")") + kDone + chunk(R"({"content":"after done"})");
    expect_stream(sse,
                  {"message_start chatcmpl-1", "start 0 text", "delta 0 text mine", "stop 0",
                   "message_delta end_turn in=0 out=0 cache_read=0", "message_stop"},
                  true);
}

// ---- stream encoder (canonical -> chat.completion.chunk) --------------------------------------

StreamEvent ev(StreamEvent::Kind kind, int index = 0) {
    StreamEvent e;
    e.kind = kind;
    e.index = index;
    return e;
}

StreamEvent block_start(int index, BlockType type, std::string id = {}, std::string name = {}) {
    StreamEvent e = ev(StreamEvent::Kind::kBlockStart, index);
    e.block_type = type;
    e.id = std::move(id);
    e.name = std::move(name);
    return e;
}

StreamEvent delta(int index, StreamEvent::DeltaType type, std::string text) {
    StreamEvent e = ev(StreamEvent::Kind::kDelta, index);
    e.delta_type = type;
    e.text = std::move(text);
    return e;
}

StreamEvent message_delta(StopReason stop, std::int64_t in = 0, std::int64_t out = 0,
                          std::int64_t cache_read = 0) {
    StreamEvent e = ev(StreamEvent::Kind::kMessageDelta);
    e.stop_reason = stop;
    e.usage.input_tokens = in;
    e.usage.output_tokens = out;
    e.usage.cache_read_tokens = cache_read;
    return e;
}

using DT = StreamEvent::DeltaType;
using SK = StreamEvent::Kind;

// The data lines of an OpenAI stream; checks each is a chunk of one stream (same id, object,
// model) except [DONE], which must come last and only once.
std::vector<std::string> openai_datas(const std::string& sse) {
    std::vector<std::string> datas;
    for (auto& [name, data] : sse_events(sse)) {
        EXPECT_EQ(name, "") << "OpenAI streams have no event names";
        datas.push_back(data);
    }
    EXPECT_FALSE(datas.empty());
    if (datas.empty()) return datas;
    EXPECT_EQ(datas.back(), "[DONE]");
    EXPECT_EQ(std::count(datas.begin(), datas.end(), "[DONE]"), 1);
    std::string id;
    for (const auto& data : datas) {
        if (data == "[DONE]") continue;
        auto c = parse(data);
        if (has(c, "/error")) continue;
        EXPECT_EQ(str_at(c, "/object"), "chat.completion.chunk");
        EXPECT_EQ(str_at(c, "/model"), "gpt-client");
        if (id.empty()) id = str_at(c, "/id");
        EXPECT_EQ(str_at(c, "/id"), id);
    }
    return datas;
}

TEST(OpenAiStreamEncoder, ToolCallIndexIsItsOwnCounter) {
    // thinking = block 0, tool_use = blocks 1 and 2 -> tool_calls indexes 0 and 1.
    auto enc = openai_chat::make_stream_encoder("gpt-client", true);
    std::string sse = encode_all(
        *enc,
        {ev(SK::kMessageStart), ev(SK::kPing), block_start(0, BlockType::kThinking),
         delta(0, DT::kThinking, "plan"), delta(0, DT::kSignature, "sig-from-anthropic"),
         ev(SK::kBlockStop, 0), block_start(1, BlockType::kToolUse, "toolu_a", "Read"),
         delta(1, DT::kInputJson, "{\"path\":"),
         block_start(2, BlockType::kToolUse, "toolu_b", "Grep"), delta(2, DT::kInputJson, "{}"),
         delta(1, DT::kInputJson, "\"/a\"}"), ev(SK::kBlockStop, 1), ev(SK::kBlockStop, 2),
         message_delta(StopReason::kToolUse, 10, 20, 5), ev(SK::kMessageStop)});
    auto datas = openai_datas(sse);
    ASSERT_EQ(datas.size(), 11u) << sse;
    auto first = parse(datas[0]);
    EXPECT_EQ(str_at(first, "/choices/0/delta/role"), "assistant");
    EXPECT_EQ(str_at(parse(datas[1]), "/choices/0/delta/reasoning_content"), "plan");
    // The signature travels in LiteLLM's thinking_blocks, with the block's whole text, so a
    // client can send it back; the ping is not sent.
    auto signed_block = parse(datas[2]);
    EXPECT_EQ(str_at(signed_block, "/choices/0/delta/thinking_blocks/0/type"), "thinking");
    EXPECT_EQ(str_at(signed_block, "/choices/0/delta/thinking_blocks/0/thinking"), "plan");
    EXPECT_EQ(str_at(signed_block, "/choices/0/delta/thinking_blocks/0/signature"),
              "sig-from-anthropic");
    EXPECT_FALSE(has(signed_block, "/choices/0/delta/reasoning_content"));
    auto call_a = parse(datas[3]);
    EXPECT_EQ(int_at(call_a, "/choices/0/delta/tool_calls/0/index"), 0);
    EXPECT_EQ(str_at(call_a, "/choices/0/delta/tool_calls/0/id"), "toolu_a");
    EXPECT_EQ(str_at(call_a, "/choices/0/delta/tool_calls/0/type"), "function");
    EXPECT_EQ(str_at(call_a, "/choices/0/delta/tool_calls/0/function/name"), "Read");
    EXPECT_EQ(str_at(call_a, "/choices/0/delta/tool_calls/0/function/arguments"), "");
    auto args_a = parse(datas[4]);
    EXPECT_EQ(int_at(args_a, "/choices/0/delta/tool_calls/0/index"), 0);
    EXPECT_EQ(str_at(args_a, "/choices/0/delta/tool_calls/0/function/arguments"), "{\"path\":");
    EXPECT_FALSE(has(args_a, "/choices/0/delta/tool_calls/0/id"));
    auto call_b = parse(datas[5]);
    EXPECT_EQ(int_at(call_b, "/choices/0/delta/tool_calls/0/index"), 1);
    EXPECT_EQ(str_at(call_b, "/choices/0/delta/tool_calls/0/id"), "toolu_b");
    EXPECT_EQ(int_at(parse(datas[6]), "/choices/0/delta/tool_calls/0/index"), 1);
    auto more_a = parse(datas[7]);
    EXPECT_EQ(int_at(more_a, "/choices/0/delta/tool_calls/0/index"), 0);
    EXPECT_EQ(str_at(more_a, "/choices/0/delta/tool_calls/0/function/arguments"), "\"/a\"}");
    auto fin = parse(datas[8]);
    EXPECT_EQ(str_at(fin, "/choices/0/finish_reason"), "tool_calls");
    auto usage = parse(datas[9]);
    EXPECT_EQ(size_at(usage, "/choices"), 0u);
    EXPECT_EQ(int_at(usage, "/usage/prompt_tokens"), 15);
    EXPECT_TRUE(enc->done());
}

TEST(OpenAiStreamEncoder, IncludeUsageAddsAChoicesEmptyChunkBeforeDone) {
    std::vector<StreamEvent> events = {ev(SK::kMessageStart),
                                       block_start(0, BlockType::kText),
                                       delta(0, DT::kText, "Hi"),
                                       ev(SK::kBlockStop, 0),
                                       message_delta(StopReason::kEndTurn, 10, 20, 5),
                                       ev(SK::kMessageStop)};
    auto with = openai_chat::make_stream_encoder("gpt-client", true);
    auto datas = openai_datas(encode_all(*with, events));
    ASSERT_EQ(datas.size(), 5u);
    EXPECT_EQ(str_at(parse(datas[1]), "/choices/0/delta/content"), "Hi");
    EXPECT_EQ(str_at(parse(datas[2]), "/choices/0/finish_reason"), "stop");
    auto usage = parse(datas[3]);
    EXPECT_EQ(size_at(usage, "/choices"), 0u);
    EXPECT_EQ(int_at(usage, "/usage/prompt_tokens"), 15);
    EXPECT_EQ(int_at(usage, "/usage/prompt_tokens_details/cached_tokens"), 5);
    EXPECT_EQ(int_at(usage, "/usage/completion_tokens"), 20);
    EXPECT_EQ(int_at(usage, "/usage/total_tokens"), 35);

    auto without = openai_chat::make_stream_encoder("gpt-client", false);
    datas = openai_datas(encode_all(*without, events));
    ASSERT_EQ(datas.size(), 4u);
    for (const auto& data : datas)
        EXPECT_EQ(data.find("\"usage\""), std::string::npos) << data;
}

TEST(OpenAiStreamEncoder, StopReasonFollowsEmittedToolCalls) {
    auto finish_of = [](std::vector<StreamEvent> events) {
        auto enc = openai_chat::make_stream_encoder("gpt-client", false);
        auto datas = openai_datas(encode_all(*enc, events));
        std::vector<std::string> reasons;
        for (const auto& d : datas) {
            if (d == "[DONE]") continue;
            auto c = parse(d);
            if (at(c, "/choices/0/finish_reason").IsString()) {
                reasons.push_back(str_at(c, "/choices/0/finish_reason"));
            }
        }
        return reasons;
    };
    using V = std::vector<std::string>;
    EXPECT_EQ(finish_of({ev(SK::kMessageStart), block_start(0, BlockType::kText),
                         delta(0, DT::kText, "x"), message_delta(StopReason::kToolUse),
                         ev(SK::kMessageStop)}),
              V{"stop"});
    EXPECT_EQ(finish_of({ev(SK::kMessageStart), block_start(0, BlockType::kToolUse, "t", "f"),
                         message_delta(StopReason::kEndTurn), ev(SK::kMessageStop)}),
              V{"tool_calls"});
    EXPECT_EQ(finish_of({ev(SK::kMessageStart), message_delta(StopReason::kMaxTokens),
                         ev(SK::kMessageStop)}),
              V{"length"});
    EXPECT_EQ(finish_of({ev(SK::kMessageStart), message_delta(StopReason::kRefusal),
                         ev(SK::kMessageStop)}),
              V{"content_filter"});
    // message_stop alone still finishes once; a repeated message_delta does not add a second
    // finish_reason (Anthropic allows several message_delta events, OpenAI one finish).
    EXPECT_EQ(finish_of({ev(SK::kMessageStart), ev(SK::kMessageStop)}), V{"stop"});
    EXPECT_EQ(finish_of({ev(SK::kMessageStart), message_delta(StopReason::kEndTurn),
                         message_delta(StopReason::kEndTurn, 1, 2), ev(SK::kMessageStop)}),
              V{"stop"});
}

TEST(OpenAiStreamEncoder, ErrorThenDoneEndsTheStream) {
    auto enc = openai_chat::make_stream_encoder("gpt-client", true);
    StreamEvent err = ev(SK::kError);
    err.error.kind = ErrorKind::kOverloaded;
    err.error.message = "Overloaded";
    std::string sse = encode_all(*enc, {ev(SK::kMessageStart), block_start(0, BlockType::kText),
                                        delta(0, DT::kText, "par"), err, delta(0, DT::kText, "x"),
                                        message_delta(StopReason::kEndTurn), ev(SK::kMessageStop)});
    EXPECT_TRUE(enc->done());
    auto datas = openai_datas(sse);
    ASSERT_EQ(datas.size(), 4u) << sse;
    auto e = parse(datas[2]);
    EXPECT_EQ(str_at(e, "/error/message"), "Overloaded");
    EXPECT_EQ(str_at(e, "/error/type"), "server_error");
    EXPECT_TRUE(at(e, "/error/param").IsNull());
    EXPECT_EQ(datas[3], "[DONE]");
    std::string more;
    enc->encode_error(Error{}, more);
    EXPECT_EQ(more, "");
}

TEST(OpenAiStreamEncoder, ErrorBeforeAnyOutput) {
    auto enc = openai_chat::make_stream_encoder("gpt-client", false);
    std::string sse;
    Error e;
    e.kind = ErrorKind::kContextLength;
    e.message = "too long";
    enc->encode_error(e, sse);
    auto datas = openai_datas(sse);
    ASSERT_EQ(datas.size(), 2u);
    EXPECT_EQ(str_at(parse(datas[0]), "/error/code"), "context_length_exceeded");
}

TEST(OpenAiStream, DecodeEncodeDecodeRoundTripWithParallelCalls) {
    std::string sse =
        kRole + chunk(R"({"reasoning_content":"hmm"})") + chunk(R"({"content":"Two calls."})") +
        chunk(
            R"({"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"f","arguments":""}}]})") +
        chunk(
            R"({"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"g","arguments":"{\"y\""}}]})") +
        chunk(R"({"tool_calls":[{"index":0,"function":{"arguments":"{\"x\":1}"}}]})") +
        chunk(R"({"tool_calls":[{"index":1,"function":{"arguments":":2}"}}]})") +
        chunk("{}", R"("tool_calls")") + usage_chunk(50, 10, 7) + kDone;
    auto first = decode_whole(sse);
    auto enc = openai_chat::make_stream_encoder("gpt-client", true);
    std::string re = encode_all(*enc, first);
    openai_datas(re);
    auto second = decode_whole(re);
    auto a = describe_all(first), b = describe_all(second);
    ASSERT_EQ(a.size(), b.size()) << re;
    for (size_t i = 1; i < a.size(); ++i)
        EXPECT_EQ(a[i], b[i]);  // [0]: the chunk id differs
    EXPECT_EQ(a.back(), "message_stop");
    EXPECT_EQ(a[a.size() - 2], "message_delta tool_use in=40 out=7 cache_read=10");
}

TEST(OpenAiStream, AnthropicUpstreamToOpenAiClient) {
    // Anthropic SSE (thinking block 0, tool_use block 1) through both codecs.
    const std::string sse =
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\","
        "\"model\":\"m\",\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}}\n\n"
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
        "\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}\n\n"
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
        "\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"Need weather\"}}\n\n"
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
        "\"delta\":{\"type\":\"signature_delta\",\"signature\":\"EqQB\"}}\n\n"
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,"
        "\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"get_weather\","
        "\"input\":{}}}\n\n"
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,"
        "\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"city\\\":\\\"Pa\"}}\n\n"
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,"
        "\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"ris\\\"}\"}}\n\n"
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n"
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
        "\"tool_use\"},\"usage\":{\"output_tokens\":42}}\n\n"
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    auto dec = anthropic::make_stream_decoder();
    std::vector<StreamEvent> events;
    dec->feed(sse, events);
    dec->finish(events);
    auto enc = openai_chat::make_stream_encoder("gpt-client", true);
    std::string out = encode_all(*enc, events);
    // What an OpenAI client would rebuild: one call at index 0 with the whole arguments.
    std::map<std::int64_t, std::string> args, names;
    std::string reasoning, finish;
    for (const auto& data : openai_datas(out)) {
        if (data == "[DONE]") continue;
        auto c = parse(data);
        if (size_at(c, "/choices") != 1) continue;
        const auto& delta = at(c, "/choices/0/delta");
        reasoning += json_get_string(delta, "reasoning_content");
        if (at(delta, "/tool_calls").IsArray()) {
            std::int64_t k = int_at(delta, "/tool_calls/0/index");
            args[k] += json_get_string(at(delta, "/tool_calls/0/function"), "arguments");
            names[k] += json_get_string(at(delta, "/tool_calls/0/function"), "name");
        }
        if (at(c, "/choices/0/finish_reason").IsString()) {
            finish = str_at(c, "/choices/0/finish_reason");
        }
    }
    EXPECT_EQ(reasoning, "Need weather");
    ASSERT_EQ(args.size(), 1u);
    EXPECT_EQ(args.begin()->first, 0);
    EXPECT_EQ(names[0], "get_weather");
    EXPECT_EQ(parse(args[0]), parse(R"({"city":"Paris"})"));
    EXPECT_EQ(finish, "tool_calls");
}

}  // namespace
}  // namespace litellm::wire

// ---- issue 11 defects -----------------------------------------------------------------------

namespace litellm::wire {
namespace {

using namespace test_support;

// Defect 2: an emoji whose surrogate pair is split across two deltas, and a UTF-8 character
// split across two events, used to make both events unparseable and lose their text.
TEST(OpenAiStreamDecoder, SurrogatePairSplitAcrossDeltasIsJoined) {
    std::string sse = kRole + chunk(R"({"content":"smile \ud83d"})") +
                      chunk(R"({"content":"\ude00 done"})") + chunk("{}", R"("stop")") + kDone;
    AnthropicStream s;
    expect_stream(sse,
                  {"message_start chatcmpl-1", "start 0 text", "delta 0 text smile ",
                   "delta 0 text \xF0\x9F\x98\x80 done", "stop 0",
                   "message_delta end_turn in=0 out=0 cache_read=0", "message_stop"},
                  true, &s);
    EXPECT_EQ(s.block_text[0], "smile \xF0\x9F\x98\x80 done");
}

TEST(OpenAiStreamDecoder, Utf8CharacterSplitAcrossEventsIsJoined) {
    // "€" is E2 82 AC: its first two bytes end one event, the last begins the next.
    std::string sse = kRole + chunk("{\"content\":\"cost 5\xE2\x82\"}") +
                      chunk("{\"content\":\"\xAC today\"}") + chunk("{}", R"("stop")") + kDone;
    AnthropicStream s;
    expect_stream(sse,
                  {"message_start chatcmpl-1", "start 0 text", "delta 0 text cost 5",
                   "delta 0 text \xE2\x82\xAC today", "stop 0",
                   "message_delta end_turn in=0 out=0 cache_read=0", "message_stop"},
                  true, &s);
    EXPECT_EQ(s.block_text[0], "cost 5\xE2\x82\xAC today");
}

TEST(OpenAiStreamDecoder, InvalidBytesAndLoneSurrogatesBecomeReplacementCharacters) {
    std::string sse = kRole +
                      chunk(
                          "{\"content\":\"a\xFF"
                          "b \\udc00 c \\ud800x\"}") +
                      chunk("{}", R"("stop")") + kDone;
    auto events = decode_whole(sse);
    std::string text;
    for (const auto& e : events) {
        if (e.kind == StreamEvent::Kind::kDelta) text += e.text;
    }
    EXPECT_EQ(text,
              "a\xEF\xBF\xBD"
              "b \xEF\xBF\xBD c \xEF\xBF\xBDx");
}

// Defect 3: a refusal reached Anthropic clients as an empty answer with end_turn.
TEST(OpenAiStreamDecoder, StreamedRefusalIsTextWithStopReasonRefusal) {
    std::string sse = kRole + chunk(R"({"refusal":"I can't "})") +
                      chunk(R"({"refusal":"help with that."})") + chunk("{}", R"("stop")") + kDone;
    AnthropicStream s;
    expect_stream(sse,
                  {"message_start chatcmpl-1", "start 0 text", "delta 0 text I can't ",
                   "delta 0 text help with that.", "stop 0",
                   "message_delta refusal in=0 out=0 cache_read=0", "message_stop"},
                  true, &s);
    EXPECT_EQ(s.stop_reason, "refusal");
}

TEST(OpenAiResponse, WholeRefusalIsTextWithStopReasonRefusalAndBack) {
    Response r;
    std::string error;
    ASSERT_TRUE(openai_chat::decode_response(
        R"({"id":"c1","object":"chat.completion","model":"m","choices":[{"index":0,
            "message":{"role":"assistant","content":null,"refusal":"I can't help with that."},
            "finish_reason":"stop"}]})",
        r, &error))
        << error;
    ASSERT_EQ(r.content.size(), 1u);
    EXPECT_EQ(r.content[0].type, BlockType::kText);
    EXPECT_EQ(r.content[0].text, "I can't help with that.");
    EXPECT_EQ(r.stop_reason, StopReason::kRefusal);
    // Back to an OpenAI client: its own refusal field, content null.
    auto d = parse(openai_chat::encode_response(r, "gpt"));
    EXPECT_TRUE(at(d, "/choices/0/message/content").IsNull());
    EXPECT_EQ(str_at(d, "/choices/0/message/refusal"), "I can't help with that.");
    EXPECT_EQ(str_at(d, "/choices/0/finish_reason"), "content_filter");
}

// Defect 8: a tool call cut off by the token limit was reported as a finished tool_use.
TEST(OpenAiStreamDecoder, ToolCallCutByTheLimitEndsAsMaxTokens) {
    std::string sse =
        kRole +
        chunk(
            R"({"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"Write","arguments":"{\"path\":\"a.txt\",\"content\":\"lo"}}]})") +
        chunk("{}", R"("length")") + kDone;
    auto events = decode_whole(sse);
    ASSERT_GE(events.size(), 2u);
    const StreamEvent& md = events[events.size() - 2];
    ASSERT_EQ(md.kind, StreamEvent::Kind::kMessageDelta);
    EXPECT_EQ(md.stop_reason, StopReason::kMaxTokens);
}

TEST(OpenAiResponse, TruncatedToolCallIsMaxTokensAndBackIsLength) {
    Response r;
    std::string error;
    ASSERT_TRUE(openai_chat::decode_response(
        R"({"id":"c1","object":"chat.completion","model":"m","choices":[{"index":0,
            "message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_1",
            "type":"function","function":{"name":"Write","arguments":"{\"path\":\"a"}}]},
            "finish_reason":"length"}]})",
        r, &error))
        << error;
    EXPECT_EQ(r.stop_reason, StopReason::kMaxTokens);
    auto d = parse(openai_chat::encode_response(r, "gpt"));
    EXPECT_EQ(str_at(d, "/choices/0/finish_reason"), "length");
    // And from an Anthropic upstream: max_tokens with a tool_use block stays length.
    Response a;
    a.stop_reason = StopReason::kMaxTokens;
    Block use;
    use.type = BlockType::kToolUse;
    use.id = "toolu_1";
    use.name = "Write";
    use.input_json = "{}";
    a.content = {use};
    EXPECT_EQ(str_at(parse(openai_chat::encode_response(a, "gpt")), "/choices/0/finish_reason"),
              "length");
}

// Defect 6: Claude Code's mid-conversation system messages, for a strict chat template.
TEST(OpenAiEncodeRequest, LaterSystemMessagesFoldIntoTheFirstWhenAsked) {
    Request r;
    std::string error;
    ASSERT_TRUE(anthropic::decode_request(
        R"({"model":"m","max_tokens":10,"system":"rules","messages":[
            {"role":"user","content":"hi"},{"role":"assistant","content":"yes"},
            {"role":"system","content":"now in French"},{"role":"user","content":"go"}]})",
        r, &error))
        << error;
    EncodeOptions o;
    o.model = "qwen";
    o.fold_system_messages = true;
    auto d = parse(openai_chat::encode_request(r, o));
    ASSERT_EQ(size_at(d, "/messages"), 4u);
    EXPECT_EQ(str_at(d, "/messages/0/role"), "system");
    EXPECT_EQ(str_at(d, "/messages/0/content"), "rules\nnow in French");
    for (size_t i = 1; i < 4; ++i)
        EXPECT_NE(str_at(d, "/messages/" + std::to_string(i) + "/role"), "system");
    // Without the option (real OpenAI), the message stays where it was.
    o.fold_system_messages = false;
    auto kept = parse(openai_chat::encode_request(r, o));
    EXPECT_EQ(size_at(kept, "/messages"), 5u);
    EXPECT_EQ(str_at(kept, "/messages/3/role"), "system");
}

}  // namespace
}  // namespace litellm::wire

namespace litellm::wire {
namespace {

TEST(OpenAiDecodeRequest, ResponseFormatNAndLogprobs) {
    Request r = decode_ok(R"({"model":"m","messages":[{"role":"user","content":"q"}],"n":3,
        "top_logprobs":2,"response_format":{"type":"json_schema","json_schema":{"name":"a",
        "schema":{"type":"object"},"strict":true}}})");
    EXPECT_EQ(r.n, 3);
    EXPECT_TRUE(r.logprobs);
    EXPECT_EQ(r.output_format.kind, OutputFormat::Kind::kJsonSchema);
    EXPECT_EQ(r.output_format.name, "a");
    EXPECT_TRUE(r.output_format.strict);
    // And out again to an OpenAI-compatible upstream.
    EncodeOptions o;
    o.model = "m";
    auto d = test_support::parse(openai_chat::encode_request(r, o));
    EXPECT_EQ(test_support::str_at(d, "/response_format/json_schema/name"), "a");
    EXPECT_TRUE(test_support::bool_at(d, "/response_format/json_schema/strict"));

    Request bad;
    std::string error;
    EXPECT_FALSE(openai_chat::decode_request(
        R"({"model":"m","messages":[],"response_format":{"type":"json_schema"}})", bad, &error));
    EXPECT_NE(error.find("json_schema.schema"), std::string::npos) << error;
    EXPECT_FALSE(openai_chat::decode_request(R"({"model":"m","messages":[],"n":0})", bad, &error));
}

TEST(OpenAiDecodeRequest, ThinkingBlocksComeBackWithTheirOrigin) {
    Request r;
    std::string error;
    ASSERT_TRUE(openai_chat::decode_request(
        R"({"model":"m","messages":[{"role":"user","content":"q"},)"
        R"({"role":"assistant","content":"a","thinking_blocks":[)"
        R"({"type":"thinking","thinking":"t1","signature":"EqClaude"},)"
        R"({"type":"thinking","thinking":"t2","signature":"litellm1:chatgpt:{\"type\":\"reasoning\"}"},)"
        R"({"type":"thinking","thinking":"unsigned","signature":""},)"
        R"({"type":"redacted_thinking","data":"REDACTED"}]}]})",
        r, &error))
        << error;
    const auto& blocks = r.messages.at(1).blocks;
    ASSERT_EQ(blocks.size(), 4u);  // three signed blocks first, then the text
    EXPECT_EQ(blocks[0].type, BlockType::kThinking);
    EXPECT_EQ(blocks[0].signature_origin, "anthropic");
    EXPECT_EQ(blocks[0].text, "t1");
    EXPECT_EQ(blocks[1].signature_origin, "chatgpt");
    ASSERT_TRUE(blocks[1].opaque);
    EXPECT_EQ(blocks[1].opaque->json, R"({"type":"reasoning"})");
    EXPECT_EQ(blocks[2].type, BlockType::kRedactedThinking);
    EXPECT_EQ(blocks[2].signature, "REDACTED");
    EXPECT_EQ(blocks[3].type, BlockType::kText);
}

TEST(OpenAiPassthrough, ThinkingBlocksAreCutFromTheBytesOnly) {
    EXPECT_FALSE(openai_chat::strip_thinking_blocks(R"({"model":"m","messages":[]})"));
    auto cut = openai_chat::strip_thinking_blocks(
        R"({"model":"m","messages":[{"role":"user","content":"say \"thinking_blocks\""},)"
        R"({"role":"assistant","content":"a","thinking_blocks":[{"type":"thinking"}]}],"n":1})");
    ASSERT_TRUE(cut);
    auto d = parse(*cut);
    EXPECT_EQ(str_at(d, "/messages/0/content"), "say \"thinking_blocks\"");
    EXPECT_EQ(str_at(d, "/messages/1/content"), "a");
    EXPECT_FALSE(has(d, "/messages/1/thinking_blocks"));
    EXPECT_EQ(int_at(d, "/n"), 1);
}

}  // namespace
}  // namespace litellm::wire
