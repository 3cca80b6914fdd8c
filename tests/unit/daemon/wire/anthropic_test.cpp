#include "daemon/wire/anthropic.hpp"

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
#include "daemon/wire/json_util.hpp"
#include "daemon/wire/normalize.hpp"
#include "daemon/wire/openai_chat.hpp"
#include "daemon/wire/sse.hpp"
#include "wire_test_support.hpp"

namespace litellm::wire {
namespace {

using namespace test_support;

std::vector<StreamEvent> decode_whole(std::string_view bytes) {
    return decode_whole_with(&anthropic::make_stream_decoder, bytes);
}

// ---- decode_request -------------------------------------------------------------------------

// Shaped like what Claude Code sends (system array with the billing line and cache_control,
// a mid-conversation system message, thinking adaptive + effort, a server tool, ...).
constexpr std::string_view kClaudeCodeBody = R"({
  "model": "claude-opus-4-6",
  "max_tokens": 32000,
  "system": [
    {"type": "text", "text": "x-anthropic-billing-header: cc_version=2.1.3; cc_entrypoint=cli"},
    {"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}}
  ],
  "messages": [
    {"role": "user", "content": [
      {"type": "text", "text": "<system-reminder>ctx</system-reminder>"},
      {"type": "text", "text": "Fix the bug", "cache_control": {"type": "ephemeral"}}]},
    {"role": "assistant", "content": [
      {"type": "thinking", "thinking": "Let me look.", "signature": "EqQBsig=="},
      {"type": "redacted_thinking", "data": "EmwKAhgB"},
      {"type": "text", "text": "Reading the file."},
      {"type": "tool_use", "id": "toolu_01A", "name": "Read", "input": {"file_path": "/a.cpp"}}]},
    {"role": "user", "content": [
      {"type": "tool_result", "tool_use_id": "toolu_01A", "is_error": true,
       "content": [{"type": "text", "text": "ENOENT"},
                   {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}}]},
      {"type": "tool_result", "tool_use_id": "toolu_01B", "content": "plain result"}]},
    {"role": "system", "content": "The user switched to plan mode."},
    {"role": "user", "content": [
      {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
      {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}},
      {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0="}},
      {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "plain doc"}},
      {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": []},
      {"type": "text", "text": "See these"}]}
  ],
  "tools": [
    {"name": "Read", "description": "Reads a file",
     "input_schema": {"type": "object", "properties": {"file_path": {"type": "string"}}, "required": ["file_path"]},
     "cache_control": {"type": "ephemeral"}},
    {"type": "web_search_20250305", "name": "web_search", "max_uses": 5}
  ],
  "tool_choice": {"type": "auto", "disable_parallel_tool_use": true},
  "thinking": {"type": "adaptive"},
  "output_config": {"effort": "high"},
  "metadata": {"user_id": "user_abc_account_x_session_y"},
  "stop_sequences": ["</done>"],
  "temperature": 1,
  "top_p": 0.9,
  "top_k": 40,
  "stream": true,
  "context_management": {"edits": []}
})";

TEST(AnthropicDecodeRequest, ClaudeCodeShapedBody) {
    Request r;
    std::string error;
    ASSERT_TRUE(anthropic::decode_request(kClaudeCodeBody, r, &error)) << error;
    EXPECT_EQ(r.model, "claude-opus-4-6");
    EXPECT_EQ(r.max_tokens, 32000);
    EXPECT_TRUE(r.stream);
    EXPECT_EQ(r.temperature, 1.0);
    EXPECT_EQ(r.top_p, 0.9);
    EXPECT_EQ(r.top_k, 40);
    EXPECT_EQ(r.stop, std::vector<std::string>{"</done>"});
    EXPECT_EQ(r.user, "user_abc_account_x_session_y");

    ASSERT_EQ(r.system.size(), 2u);
    EXPECT_TRUE(r.system[0].text.starts_with("x-anthropic-billing-header:"));
    EXPECT_TRUE(r.system[0].cache_control_json.empty());
    EXPECT_EQ(r.system[1].text, "You are Claude Code.");
    EXPECT_EQ(parse(r.system[1].cache_control_json), parse(R"({"type":"ephemeral"})"));

    ASSERT_EQ(r.messages.size(), 5u);
    EXPECT_EQ(r.messages[0].role, Role::kUser);
    EXPECT_EQ(r.messages[1].role, Role::kAssistant);
    EXPECT_EQ(r.messages[2].role, Role::kUser);
    EXPECT_EQ(r.messages[3].role, Role::kSystem);
    EXPECT_EQ(r.messages[4].role, Role::kUser);

    const auto& m0 = r.messages[0].blocks;
    ASSERT_EQ(m0.size(), 2u);
    EXPECT_EQ(m0[1].text, "Fix the bug");
    EXPECT_FALSE(m0[1].cache_control_json.empty());

    const auto& m1 = r.messages[1].blocks;
    ASSERT_EQ(m1.size(), 4u);
    EXPECT_EQ(m1[0].type, BlockType::kThinking);
    EXPECT_EQ(m1[0].text, "Let me look.");
    EXPECT_EQ(m1[0].signature, "EqQBsig==");
    EXPECT_EQ(m1[1].type, BlockType::kRedactedThinking);
    EXPECT_EQ(m1[1].signature, "EmwKAhgB");
    EXPECT_EQ(m1[2].type, BlockType::kText);
    EXPECT_EQ(m1[3].type, BlockType::kToolUse);
    EXPECT_EQ(m1[3].id, "toolu_01A");
    EXPECT_EQ(m1[3].name, "Read");
    EXPECT_EQ(parse(m1[3].input_json), parse(R"({"file_path":"/a.cpp"})"));

    const auto& m2 = r.messages[2].blocks;
    ASSERT_EQ(m2.size(), 2u);
    EXPECT_EQ(m2[0].type, BlockType::kToolResult);
    EXPECT_EQ(m2[0].id, "toolu_01A");
    EXPECT_TRUE(m2[0].is_error);
    ASSERT_EQ(m2[0].content.size(), 2u);
    EXPECT_EQ(m2[0].content[0].text, "ENOENT");
    EXPECT_EQ(m2[0].content[1].type, BlockType::kImage);
    EXPECT_EQ(m2[0].content[1].data, "AAAA");
    EXPECT_FALSE(m2[1].is_error);
    ASSERT_EQ(m2[1].content.size(), 1u);  // string content becomes one text block
    EXPECT_EQ(m2[1].content[0].text, "plain result");

    ASSERT_EQ(r.messages[3].blocks.size(), 1u);
    EXPECT_EQ(r.messages[3].blocks[0].text, "The user switched to plan mode.");

    const auto& m4 = r.messages[4].blocks;
    ASSERT_EQ(m4.size(), 5u);  // web_search_tool_result has no canonical form: dropped
    EXPECT_EQ(m4[0].type, BlockType::kImage);
    EXPECT_FALSE(m4[0].source_is_url);
    EXPECT_EQ(m4[0].media_type, "image/png");
    EXPECT_EQ(m4[0].data, "iVBORw0KGgo=");
    EXPECT_EQ(m4[1].type, BlockType::kImage);
    EXPECT_TRUE(m4[1].source_is_url);
    EXPECT_EQ(m4[1].data, "https://example.com/a.png");
    EXPECT_EQ(m4[2].type, BlockType::kDocument);
    EXPECT_EQ(m4[2].media_type, "application/pdf");
    EXPECT_EQ(m4[2].data, "JVBERi0=");
    EXPECT_EQ(m4[3].type, BlockType::kDocument);
    EXPECT_EQ(m4[3].media_type, "text/plain");
    EXPECT_EQ(m4[3].text, "plain doc");
    EXPECT_EQ(m4[4].text, "See these");

    ASSERT_EQ(r.tools.size(), 2u);
    EXPECT_EQ(r.tools[0].name, "Read");
    EXPECT_EQ(r.tools[0].description, "Reads a file");
    EXPECT_FALSE(r.tools[0].is_server_tool);
    EXPECT_EQ(str_at(parse(r.tools[0].schema_json), "/required/0"), "file_path");
    EXPECT_TRUE(r.tools[1].is_server_tool);
    EXPECT_EQ(r.tools[1].name, "web_search");
    EXPECT_EQ(int_at(parse(r.tools[1].raw_json), "/max_uses"), 5);

    EXPECT_EQ(r.tool_choice.kind, ToolChoice::Kind::kAuto);
    EXPECT_TRUE(r.tool_choice.disable_parallel);
    EXPECT_EQ(r.thinking.mode, Thinking::Mode::kAdaptive);
    EXPECT_EQ(r.thinking.effort, "high");
}

TEST(AnthropicDecodeRequest, StringSystemAndEnabledThinkingAndToolChoices) {
    Request r;
    std::string error;
    ASSERT_TRUE(anthropic::decode_request(
        R"({"model":"m","max_tokens":5000,"system":"Be terse.",
            "messages":[{"role":"user","content":"hi"}],
            "thinking":{"type":"enabled","budget_tokens":2048},
            "tool_choice":{"type":"tool","name":"get_weather"}})",
        r, &error))
        << error;
    ASSERT_EQ(r.system.size(), 1u);
    EXPECT_EQ(r.system[0].text, "Be terse.");
    EXPECT_EQ(r.thinking.mode, Thinking::Mode::kEnabled);
    EXPECT_EQ(r.thinking.budget_tokens, 2048);
    EXPECT_EQ(r.tool_choice.kind, ToolChoice::Kind::kTool);
    EXPECT_EQ(r.tool_choice.name, "get_weather");
    EXPECT_FALSE(r.stream);

    for (auto [type, kind] :
         {std::pair{"any", ToolChoice::Kind::kAny}, std::pair{"none", ToolChoice::Kind::kNone},
          std::pair{"auto", ToolChoice::Kind::kAuto}}) {
        Request q;
        std::string body = std::string(R"({"model":"m","messages":[],"tool_choice":{"type":")") +
                           type + R"("},"thinking":{"type":"disabled"}})";
        ASSERT_TRUE(anthropic::decode_request(body, q, &error)) << error;
        EXPECT_EQ(q.tool_choice.kind, kind) << type;
        EXPECT_EQ(q.thinking.mode, Thinking::Mode::kDisabled);
    }
}

TEST(AnthropicDecodeRequest, CountTokensBodyWithoutMaxTokens) {
    Request r;
    std::string error;
    ASSERT_TRUE(anthropic::decode_request(
        R"({"model":"m","messages":[{"role":"user","content":"x"}]})", r, &error))
        << error;
    EXPECT_FALSE(r.max_tokens);
}

struct BadBody {
    const char* body;
    const char* error_contains;
};

TEST(AnthropicDecodeRequest, TextViewsPointIntoAPaddedBodyOrIntoTheirOwnCopy) {
    const std::string text_json = R"(two\nlines, a \"quote\", \u00e9 and \ud83d\ude00)";
    std::string body = R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":")" +
                       text_json +
                       R"("}],"tools":[{"name":"t","description":"d\tx",)"
                       R"("input_schema":{ "type" : "object" }}]})";
    {
        // The proxy's case: the body is marked padded and outlives the request.
        PaddedInput padded(body);
        Request r;
        std::string error;
        ASSERT_TRUE(anthropic::decode_request(body, r, &error)) << error;
        EXPECT_EQ(r.source, nullptr);
        const Text& t = r.messages[0].blocks[0].text;
        ASSERT_TRUE(t.is_json());
        EXPECT_EQ(t.json(), text_json);
        EXPECT_GE(t.json().data(), body.data());
        EXPECT_LE(t.json().data() + t.json().size(), body.data() + body.size());
        EXPECT_EQ(t, "two\nlines, a \"quote\", \xc3\xa9 and \xf0\x9f\x98\x80");
        EXPECT_EQ(r.tools[0].description, "d\tx");
        EXPECT_EQ(r.tools[0].schema_json, R"({ "type" : "object" })");  // as the client wrote it
    }
    // Any other caller: the request keeps its own copy, so the views outlive the caller's
    // buffer (an address sanitizer build checks this).
    Request r;
    {
        std::string temporary = body;
        std::string error;
        ASSERT_TRUE(anthropic::decode_request(temporary, r, &error)) << error;
        temporary.assign(temporary.size(), 'x');
    }
    ASSERT_NE(r.source, nullptr);
    EXPECT_EQ(r.messages[0].blocks[0].text.json(), text_json);
    // And the text goes out to an OpenAI upstream as it came in, escapes and all.
    std::string sent = openai_chat::encode_request(r, EncodeOptions{});
    EXPECT_NE(sent.find("\"content\":\"" + text_json + "\""), std::string::npos) << sent;
    auto d = parse(sent);
    EXPECT_EQ(str_at(d, "/messages/0/content"), r.messages[0].blocks[0].text.str());
    // A bare object schema written with spaces still gains its properties.
    EXPECT_TRUE(at(d, "/tools/0/function/parameters/properties").IsObject()) << sent;
}

TEST(AnthropicDecodeRequest, OnlyAToolResultsContentIsReadAndOnlyOneLevelDown) {
    // A server tool's result (content an object on errors, an array of results otherwise) and
    // a search_result inside a tool_result have no canonical form: dropped, not refused.
    Request r;
    std::string error;
    ASSERT_TRUE(
        anthropic::decode_request(
            R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":[)"
            R"({"content":{"type":"web_search_tool_result_error","error_code":"unavailable"},)"
            R"("type":"web_search_tool_result","tool_use_id":"s1"},)"
            R"({"type":"tool_result","tool_use_id":"t","content":[{"type":"text","text":"a"},)"
            R"({"type":"search_result","source":"x","content":[{"type":"text","text":"deep"}]}]},)"
            R"({"content":7,"type":"tool_result","tool_use_id":"late"}]}]})",
            r, &error) == false)
        << "the last block's content is a tool_result's, and wrong";
    EXPECT_NE(error.find("content must be a string or an array of blocks"), std::string::npos)
        << error;
    ASSERT_TRUE(anthropic::decode_request(
        R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":[)"
        R"({"content":{"type":"web_search_tool_result_error","error_code":"unavailable"},)"
        R"("type":"web_search_tool_result","tool_use_id":"s1"},)"
        R"({"type":"tool_result","tool_use_id":"t","content":[{"type":"text","text":"a"},)"
        R"({"type":"search_result","source":"x","content":[{"type":"text","text":"deep"}]}]}]}]})",
        r, &error))
        << error;
    ASSERT_EQ(r.messages[0].blocks.size(), 1u);  // the server tool's result is dropped
    const Block& result = r.messages[0].blocks[0];
    EXPECT_EQ(result.type, BlockType::kToolResult);
    ASSERT_EQ(result.content.size(), 1u);  // search_result: no canonical form
    EXPECT_EQ(result.content[0].text, "a");
}

TEST(AnthropicDecodeRequest, TheFirstOfARepeatedTopLevelKeyCounts) {
    Request r;
    std::string error;
    ASSERT_TRUE(anthropic::decode_request(
        R"({"model":"a","stream":true,"max_tokens":5,"messages":[],"model":"b","stream":false})", r,
        &error))
        << error;
    EXPECT_EQ(r.model, "a");
    EXPECT_TRUE(r.stream);
}

TEST(AnthropicDecodeRequest, InvalidInputsGiveClearErrors) {
    const BadBody cases[] = {
        {"not json", "request body is not valid JSON"},
        {"", "request body is not valid JSON"},
        {"[1,2]", "request body must be a JSON object"},
        {R"({"messages":[]})", "model: field required"},
        {R"({"model":"","messages":[]})", "model: field required"},
        {R"({"model":7,"messages":[]})", "model: field required"},
        {R"({"model":"m","max_tokens":"100","messages":[]})", "max_tokens: must be an integer"},
        {R"({"model":"m"})", "messages: field required"},
        {R"({"model":"m","messages":{}})", "messages: field required"},
        {R"({"model":"m","system":7,"messages":[]})",
         "system: content must be a string or an array of blocks"},
        {R"({"model":"m","messages":[{"role":"tool","content":"x"}]})",
         "messages.0.role: must be user or assistant"},
        {R"({"model":"m","messages":[{"content":"x"}]})", "messages.0.role"},
        {R"({"model":"m","messages":[{"role":"user","content":"ok"},{"role":"user"}]})",
         "messages.1.content: field required"},
        {R"({"model":"m","messages":[{"role":"user","content":5}]})",
         "messages.0.content: content must be a string or an array of blocks"},
        {R"({"model":"m","messages":[{"role":"user","content":["hi"]}]})",
         "messages.0.content: each content block must be an object"},
        {R"({"model":"m","messages":[{"role":"user","content":[{"type":"image"}]}]})",
         "messages.0.content: image block needs a source"},
        {R"({"model":"m","messages":[{"role":"user","content":[{"type":"document"}]}]})",
         "messages.0.content: document block needs a source"},
        {R"({"model":"m","messages":[{"role":"user","content":[{"type":"image","source":{"type":"file","file_id":"f"}}]}]})",
         "messages.0.content: unsupported source type 'file'"},
        {R"({"model":"m","messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"image","source":{}}]}]}]})",
         "messages.0.content: unsupported source type ''"},
        // What the on-demand walk would otherwise let through in the text it re-sends raw.
        {R"({"model":"m","messages":[],"tools":[{"name":"t","input_schema":{"a":[1}}]}]})",
         "request body is not valid JSON"},
        {R"({"model":"m","messages":[{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"n","input":{"a":[}}]}]})",
         "request body is not valid JSON"},
        {R"({"model":"m","messages":[]} trailing)", "request body is not valid JSON"},
        // Keys are matched as spelled: an escaped "model" is not the model.
        {R"({"\u006dodel":"m","messages":[]})", "model: field required"},
    };
    for (const auto& c : cases) {
        Request r;
        std::string error;
        EXPECT_FALSE(anthropic::decode_request(c.body, r, &error)) << c.body;
        EXPECT_NE(error.find(c.error_contains), std::string::npos)
            << "body: " << c.body << "\nerror: " << error << "\nwant: " << c.error_contains;
    }
}

// ---- encode_request -------------------------------------------------------------------------

// A request the way an OpenAI client sends it, decoded by the OpenAI codec: this is what the
// Anthropic encoder really sees on the OpenAI-in -> Anthropic-out route.
Request from_openai(std::string_view body) {
    Request r;
    std::string error;
    EXPECT_TRUE(openai_chat::decode_request(body, r, &error)) << error;
    return r;
}

// What the Anthropic provider hands the encoder: it takes signatures Anthropic minted.
EncodeOptions anthropic_options(bool stream = false) {
    EncodeOptions o;
    o.model = "claude-sonnet-4-5";
    o.stream = stream;
    o.accepts_signature = [](std::string_view family) { return family == "anthropic"; };
    return o;
}

constexpr std::string_view kOpenAiToolLoop = R"({
  "model": "gpt-4o",
  "messages": [
    {"role": "system", "content": "You are helpful."},
    {"role": "user", "content": "Weather in Paris and Rome?"},
    {"role": "developer", "content": "Answer in French."},
    {"role": "user", "content": [{"type": "text", "text": "Be brief."}]},
    {"role": "assistant", "content": "", "tool_calls": [
      {"id": "call_a", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
      {"id": "call_b", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Rome\"}"}}]},
    {"role": "tool", "tool_call_id": "call_a", "content": "18C"},
    {"role": "user", "content": "Also humidity please."},
    {"role": "tool", "tool_call_id": "call_b", "content": "22C"},
    {"role": "assistant", "content": "Il fait 18C a Paris."},
    {"role": "assistant", "content": "Et 22C a Rome."}
  ],
  "tools": [
    {"type": "function", "function": {"name": "get_weather", "description": "Weather by city",
      "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}},
    {"type": "function", "function": {"name": "now"}}
  ],
  "tool_choice": "required",
  "parallel_tool_calls": false,
  "max_completion_tokens": 2000,
  "temperature": 0.7,
  "top_p": 0.5,
  "stop": "END",
  "user": "u-42",
  "stream": true
})";

TEST(AnthropicEncodeRequest, FromOpenAiClientToolLoop) {
    Request r = from_openai(kOpenAiToolLoop);
    auto d = parse(anthropic::encode_request(r, anthropic_options(true)));
    EXPECT_EQ(str_at(d, "/model"), "claude-sonnet-4-5");
    EXPECT_EQ(int_at(d, "/max_tokens"), 2000);
    EXPECT_TRUE(bool_at(d, "/stream"));
    EXPECT_DOUBLE_EQ(dbl_at(d, "/temperature"), 0.7);  // kept: no thinking
    EXPECT_DOUBLE_EQ(dbl_at(d, "/top_p"), 0.5);
    ASSERT_TRUE(at(d, "/stop_sequences").IsArray());
    EXPECT_EQ(str_at(d, "/stop_sequences/0"), "END");
    EXPECT_EQ(str_at(d, "/metadata/user_id"), "u-42");

    // system and developer messages are hoisted into `system`, in order.
    ASSERT_TRUE(at(d, "/system").IsArray());
    ASSERT_EQ(size_at(d, "/system"), 2u);
    EXPECT_EQ(str_at(d, "/system/0/text"), "You are helpful.");
    EXPECT_EQ(str_at(d, "/system/1/text"), "Answer in French.");

    const auto& msgs = at(d, "/messages");
    ASSERT_EQ(size_at(msgs, ""), 4u) << json_stringify(msgs);
    // user + (developer hoisted) + user merge into one turn.
    EXPECT_EQ(str_at(msgs, "/0/role"), "user");
    ASSERT_EQ(size_at(msgs, "/0/content"), 2u);
    EXPECT_EQ(str_at(msgs, "/0/content/0/text"), "Weather in Paris and Rome?");
    EXPECT_EQ(str_at(msgs, "/0/content/1/text"), "Be brief.");
    // Assistant: empty content omitted, just the two tool_use blocks with parsed input.
    EXPECT_EQ(str_at(msgs, "/1/role"), "assistant");
    ASSERT_EQ(size_at(msgs, "/1/content"), 2u);
    EXPECT_EQ(str_at(msgs, "/1/content/0/type"), "tool_use");
    EXPECT_EQ(str_at(msgs, "/1/content/0/id"), "call_a");
    EXPECT_EQ(str_at(msgs, "/1/content/0/name"), "get_weather");
    EXPECT_EQ(str_at(msgs, "/1/content/0/input/city"), "Paris");
    EXPECT_EQ(str_at(msgs, "/1/content/1/input/city"), "Rome");
    // tool, user, tool -> one user turn, tool_results first (in order), then the text.
    EXPECT_EQ(str_at(msgs, "/2/role"), "user");
    const auto& c2 = at(msgs, "/2/content");
    ASSERT_EQ(size_at(c2, ""), 3u);
    EXPECT_EQ(str_at(c2, "/0/type"), "tool_result");
    EXPECT_EQ(str_at(c2, "/0/tool_use_id"), "call_a");
    EXPECT_EQ(str_at(c2, "/0/content/0/text"), "18C");
    EXPECT_EQ(str_at(c2, "/1/type"), "tool_result");
    EXPECT_EQ(str_at(c2, "/1/tool_use_id"), "call_b");
    EXPECT_EQ(str_at(c2, "/2/type"), "text");
    EXPECT_EQ(str_at(c2, "/2/text"), "Also humidity please.");
    // Two assistant messages merge.
    EXPECT_EQ(str_at(msgs, "/3/role"), "assistant");
    ASSERT_EQ(size_at(msgs, "/3/content"), 2u);

    ASSERT_EQ(size_at(d, "/tools"), 2u);
    EXPECT_EQ(str_at(d, "/tools/0/name"), "get_weather");
    EXPECT_EQ(str_at(d, "/tools/0/description"), "Weather by city");
    EXPECT_EQ(str_at(d, "/tools/0/input_schema/properties/city/type"), "string");
    EXPECT_FALSE(has(d, "/tools/1/description"));
    EXPECT_EQ(at(d, "/tools/1/input_schema"), parse(R"({"type":"object","properties":{}})"));

    EXPECT_EQ(str_at(d, "/tool_choice/type"), "any");
    EXPECT_TRUE(bool_at(d, "/tool_choice/disable_parallel_tool_use"));
    EXPECT_FALSE(d.HasMember("thinking"));
}

TEST(AnthropicEncodeRequest, NoEmptyTextBlocksAndNoEmptyMessages) {
    Request r;
    r.model = "m";
    Message u1;
    u1.role = Role::kUser;
    u1.blocks.push_back(Block{});  // empty text
    Block hello;
    hello.text = "hello";
    u1.blocks.push_back(hello);
    Message a;
    a.role = Role::kAssistant;
    a.blocks.push_back(Block{});  // only an empty text: the turn disappears
    Message u2;
    u2.role = Role::kUser;
    Block again;
    again.text = "again";
    u2.blocks.push_back(again);
    r.messages = {u1, a, u2};
    r.system.push_back(Block{});  // empty system text is not sent either
    auto d = parse(anthropic::encode_request(r, anthropic_options()));
    const auto& msgs = at(d, "/messages");
    // The empty assistant turn vanished and the user turns around it merged.
    ASSERT_EQ(size_at(msgs, ""), 1u) << json_stringify(msgs);
    ASSERT_EQ(size_at(msgs, "/0/content"), 2u);
    for (const auto& b : at(msgs, "/0/content").GetArray())
        EXPECT_NE(str_at(b, "/text"), "");
    if (d.HasMember("system")) {
        for (const auto& b : at(d, "/system").GetArray())
            EXPECT_NE(str_at(b, "/text"), "");
    }
    EXPECT_EQ(int_at(d, "/max_tokens"), 8192);  // options.default_max_tokens
    EXPECT_FALSE(bool_at(d, "/stream"));
}

TEST(AnthropicEncodeRequest, ToolUseLastInAssistantTurnThinkingKept) {
    Request r;
    r.model = "m";
    Message a;
    a.role = Role::kAssistant;
    Block use;
    use.type = BlockType::kToolUse;
    use.id = "toolu_1";
    use.name = "Bash";
    use.input_json = R"({"command":"ls"})";
    Block thinking;
    thinking.type = BlockType::kThinking;
    thinking.text = "hmm";
    thinking.signature = "sig";
    thinking.signature_origin = "anthropic";
    Block text;
    text.text = "Running ls.";
    a.blocks = {thinking, use, text};
    r.messages = {a};
    auto d = parse(anthropic::encode_request(r, anthropic_options()));
    const auto& c = at(d, "/messages/0/content");
    ASSERT_EQ(size_at(c, ""), 3u);
    EXPECT_EQ(str_at(c, "/0/type"), "thinking");
    EXPECT_EQ(str_at(c, "/0/signature"), "sig");
    EXPECT_EQ(str_at(c, "/1/type"), "text");
    EXPECT_EQ(str_at(c, "/2/type"), "tool_use");
    EXPECT_EQ(str_at(c, "/2/input/command"), "ls");
}

TEST(AnthropicEncodeRequest, ThinkingFromReasoningEffortKeepsBudgetBelowMaxTokens) {
    Request r = from_openai(R"({"model":"o","reasoning_effort":"high","max_tokens":2000,
        "temperature":0.2,"top_p":0.9,"messages":[{"role":"user","content":"hi"}]})");
    auto d = parse(anthropic::encode_request(r, anthropic_options()));
    ASSERT_TRUE(d.HasMember("thinking"));
    EXPECT_EQ(str_at(d, "/thinking/type"), "enabled");
    std::int64_t budget = int_at(d, "/thinking/budget_tokens");
    EXPECT_EQ(budget, 24576);  // high, wire-formats §2.0
    EXPECT_GT(int_at(d, "/max_tokens"), budget);
    EXPECT_FALSE(d.HasMember("temperature"));  // rejected with thinking on
    EXPECT_DOUBLE_EQ(dbl_at(d, "/top_p"), 0.9);
}

TEST(AnthropicEncodeRequest, EffortToBudgetTable) {
    const std::pair<const char*, int> table[] = {
        {"minimal", 1024}, {"low", 1024}, {"medium", 8192}, {"high", 24576}, {"xhigh", 32768}};
    for (auto [effort, budget] : table) {
        Request r =
            from_openai(std::string(R"({"model":"o","max_tokens":64000,"reasoning_effort":")") +
                        effort + R"(","messages":[{"role":"user","content":"hi"}]})");
        auto d = parse(anthropic::encode_request(r, anthropic_options()));
        EXPECT_EQ(int_at(d, "/thinking/budget_tokens"), budget) << effort;
        EXPECT_EQ(int_at(d, "/max_tokens"), 64000) << effort;  // already above the budget
    }
    Request none = from_openai(R"({"model":"o","reasoning_effort":"none","temperature":0.3,
        "messages":[{"role":"user","content":"hi"}]})");
    auto d = parse(anthropic::encode_request(none, anthropic_options()));
    EXPECT_EQ(str_at(d, "/thinking/type"), "disabled");
    EXPECT_DOUBLE_EQ(dbl_at(d, "/temperature"), 0.3);  // thinking off: kept
}

TEST(AnthropicEncodeRequest, ExplicitBudgetEqualToMaxTokensIsRaisedAndTopKDropped) {
    Request r;
    r.model = "m";
    r.max_tokens = 1024;
    r.top_k = 5;
    r.temperature = 1.0;
    r.thinking.mode = Thinking::Mode::kEnabled;
    r.thinking.budget_tokens = 1024;
    Message u;
    Block b;
    b.text = "hi";
    u.blocks.push_back(b);
    r.messages.push_back(u);
    auto d = parse(anthropic::encode_request(r, anthropic_options()));
    EXPECT_EQ(int_at(d, "/thinking/budget_tokens"), 1024);
    EXPECT_GT(int_at(d, "/max_tokens"), 1024);
    EXPECT_FALSE(d.HasMember("top_k"));
    EXPECT_FALSE(d.HasMember("temperature"));

    // A budget under Anthropic's 1024 minimum is raised to it.
    r.thinking.budget_tokens = 100;
    r.max_tokens = 50000;
    d = parse(anthropic::encode_request(r, anthropic_options()));
    EXPECT_EQ(int_at(d, "/thinking/budget_tokens"), 1024);
    EXPECT_EQ(int_at(d, "/max_tokens"), 50000);
}

TEST(AnthropicEncodeRequest, ToolChoiceFormsAndServerToolsPassThrough) {
    Request r = from_openai(R"({"model":"o","messages":[{"role":"user","content":"hi"}],
        "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{}}}}],
        "tool_choice":{"type":"function","function":{"name":"f"}}})");
    auto d = parse(anthropic::encode_request(r, anthropic_options()));
    EXPECT_EQ(str_at(d, "/tool_choice/type"), "tool");
    EXPECT_EQ(str_at(d, "/tool_choice/name"), "f");
    EXPECT_FALSE(has(d, "/tool_choice/disable_parallel_tool_use"));

    r = from_openai(R"({"model":"o","messages":[{"role":"user","content":"hi"}],
        "tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"none"})");
    d = parse(anthropic::encode_request(r, anthropic_options()));
    EXPECT_EQ(str_at(d, "/tool_choice/type"), "none");

    // Without tools Anthropic rejects any tool_choice, so none is sent.
    r = from_openai(
        R"({"model":"o","messages":[{"role":"user","content":"hi"}],"tool_choice":"auto"})");
    d = parse(anthropic::encode_request(r, anthropic_options()));
    EXPECT_FALSE(has(d, "/tool_choice"));
    EXPECT_FALSE(has(d, "/tools"));

    // Anthropic in, Anthropic out (non-passthrough): server tools go as sent.
    Request cc;
    std::string error;
    ASSERT_TRUE(anthropic::decode_request(kClaudeCodeBody, cc, &error)) << error;
    d = parse(anthropic::encode_request(cc, anthropic_options()));
    ASSERT_EQ(size_at(d, "/tools"), 2u);
    EXPECT_EQ(at(d, "/tools/1"),
              parse(R"({"type":"web_search_20250305","name":"web_search","max_uses":5})"));
}

TEST(AnthropicEncodeRequest, ExtraParamsOnlyWhenNotAlreadySet) {
    Request r =
        from_openai(R"({"model":"o","max_tokens":10,"messages":[{"role":"user","content":"hi"}]})");
    EncodeOptions o = anthropic_options();
    o.extra_params = {{"max_tokens", "99999"}, {"service_tier", R"("auto")"}, {"model", R"("x")"}};
    auto d = parse(anthropic::encode_request(r, o));
    EXPECT_EQ(int_at(d, "/max_tokens"), 10);
    EXPECT_EQ(str_at(d, "/model"), "claude-sonnet-4-5");
    EXPECT_EQ(str_at(d, "/service_tier"), "auto");
}

TEST(AnthropicEncodeRequest, RoundTripThroughDecodeIsStable) {
    // decode -> encode -> decode -> encode gives the same JSON (after the first encode has
    // normalized merges and ordering).
    Request r1;
    std::string error;
    ASSERT_TRUE(anthropic::decode_request(kClaudeCodeBody, r1, &error)) << error;
    std::string once = anthropic::encode_request(r1, anthropic_options(true));
    Request r2;
    ASSERT_TRUE(anthropic::decode_request(once, r2, &error)) << error << "\n" << once;
    std::string twice = anthropic::encode_request(r2, anthropic_options(true));
    EXPECT_EQ(parse(once), parse(twice));
    // The content survived: images, documents, tool results with their error flag.
    auto d = parse(once);
    // The system message between the tool-result turn and the next user turn is hoisted, so
    // those two user turns merge: tool results first, then the images and documents.
    ASSERT_EQ(size_at(d, "/messages"), 3u);
    const auto& last = at(d, "/messages/2/content");
    ASSERT_EQ(size_at(last, ""), 7u);
    EXPECT_EQ(str_at(last, "/0/type"), "tool_result");
    EXPECT_TRUE(bool_at(last, "/0/is_error"));
    EXPECT_EQ(str_at(last, "/0/content/1/type"), "image");
    EXPECT_EQ(str_at(last, "/1/type"), "tool_result");
    EXPECT_FALSE(has(last, "/1/is_error"));
    EXPECT_EQ(str_at(last, "/2/source/type"), "base64");
    EXPECT_EQ(str_at(last, "/3/source/type"), "url");
    EXPECT_EQ(str_at(last, "/3/source/url"), "https://example.com/a.png");
    EXPECT_EQ(str_at(last, "/4/type"), "document");
    EXPECT_EQ(str_at(last, "/4/source/media_type"), "application/pdf");
    EXPECT_EQ(str_at(last, "/5/source/type"), "text");
    EXPECT_EQ(str_at(last, "/5/source/data"), "plain doc");
    EXPECT_EQ(str_at(last, "/6/text"), "See these");
    // Mid-conversation system text is hoisted into `system`.
    ASSERT_EQ(size_at(d, "/system"), 3u);
    EXPECT_EQ(str_at(d, "/system/2/text"), "The user switched to plan mode.");
    EXPECT_EQ(str_at(d, "/system/1/cache_control/type"), "ephemeral");
}

// ---- responses ------------------------------------------------------------------------------

constexpr std::string_view kAnthropicResponse = R"({"id":"msg_01XFDUDYJgAACzvnptvVoYEL",
 "type":"message","role":"assistant","model":"claude-sonnet-4-5",
 "content":[{"type":"thinking","thinking":"Need weather","signature":"EqQB"},
            {"type":"text","text":"Checking."},
            {"type":"tool_use","id":"toolu_01","name":"get_weather","input":{"city":"Paris"}}],
 "stop_reason":"tool_use","stop_sequence":null,
 "usage":{"input_tokens":25,"cache_creation_input_tokens":3,"cache_read_input_tokens":100,"output_tokens":89}})";

TEST(AnthropicResponse, DecodeRealResponse) {
    Response r;
    std::string error;
    ASSERT_TRUE(anthropic::decode_response(kAnthropicResponse, r, &error)) << error;
    EXPECT_EQ(r.id, "msg_01XFDUDYJgAACzvnptvVoYEL");
    EXPECT_EQ(r.model, "claude-sonnet-4-5");
    ASSERT_EQ(r.content.size(), 3u);
    EXPECT_EQ(r.content[0].type, BlockType::kThinking);
    EXPECT_EQ(r.content[0].signature, "EqQB");
    EXPECT_EQ(r.content[1].text, "Checking.");
    EXPECT_EQ(r.content[2].type, BlockType::kToolUse);
    EXPECT_EQ(parse(r.content[2].input_json), parse(R"({"city":"Paris"})"));
    EXPECT_EQ(r.stop_reason, StopReason::kToolUse);
    EXPECT_EQ(r.stop_sequence, "");
    EXPECT_EQ(r.usage.input_tokens, 25);
    EXPECT_EQ(r.usage.cache_creation_tokens, 3);
    EXPECT_EQ(r.usage.cache_read_tokens, 100);
    EXPECT_EQ(r.usage.output_tokens, 89);
}

TEST(AnthropicResponse, DecodeRejectsNonMessages) {
    Response r;
    std::string error;
    EXPECT_FALSE(anthropic::decode_response("{oops", r, &error));
    EXPECT_FALSE(anthropic::decode_response(R"({"type":"error","error":{}})", r, &error));
    EXPECT_NE(error.find("not an Anthropic message"), std::string::npos) << error;
}

TEST(AnthropicResponse, EncodeRoundTrip) {
    Response r;
    std::string error;
    ASSERT_TRUE(anthropic::decode_response(kAnthropicResponse, r, &error)) << error;
    std::string body = anthropic::encode_response(r, "client-model");
    auto d = parse(body);
    EXPECT_EQ(str_at(d, "/id"), "msg_01XFDUDYJgAACzvnptvVoYEL");
    EXPECT_EQ(str_at(d, "/type"), "message");
    EXPECT_EQ(str_at(d, "/role"), "assistant");
    EXPECT_EQ(str_at(d, "/model"), "client-model");
    EXPECT_TRUE(at(d, "/stop_sequence").IsNull());
    Response back;
    ASSERT_TRUE(anthropic::decode_response(body, back, &error)) << error;
    EXPECT_EQ(back.content.size(), 3u);
    EXPECT_EQ(back.stop_reason, StopReason::kToolUse);
    EXPECT_EQ(back.usage.cache_read_tokens, 100);
    EXPECT_EQ(parse(anthropic::encode_response(back, "client-model")), d);
}

TEST(AnthropicResponse, StopReasonDerivedFromEmittedToolUse) {
    Response claimed_tool;  // upstream said tool_use but emitted none
    claimed_tool.stop_reason = StopReason::kToolUse;
    Block t;
    t.text = "Done.";
    claimed_tool.content.push_back(t);
    auto d = parse(anthropic::encode_response(claimed_tool, "m"));
    EXPECT_EQ(str_at(d, "/stop_reason"), "end_turn");

    Response hidden_tool;  // upstream said stop but emitted a call
    hidden_tool.stop_reason = StopReason::kEndTurn;
    Block use;
    use.type = BlockType::kToolUse;
    use.id = "toolu_x";
    use.name = "f";
    use.input_json = "{}";
    hidden_tool.content.push_back(use);
    d = parse(anthropic::encode_response(hidden_tool, "m"));
    EXPECT_EQ(str_at(d, "/stop_reason"), "tool_use");

    Response max;
    max.stop_reason = StopReason::kMaxTokens;
    max.content.push_back(t);
    d = parse(anthropic::encode_response(max, "m"));
    EXPECT_EQ(str_at(d, "/stop_reason"), "max_tokens");
}

TEST(AnthropicResponse, EncodeDropsEmptyTextAndMintsMessageId) {
    Response r;
    r.id = "chatcmpl-123";  // foreign id: clients expect msg_...
    r.content.push_back(Block{});
    r.stop_reason = StopReason::kStopSequence;
    r.stop_sequence = "</done>";
    auto d = parse(anthropic::encode_response(r, "m"));
    EXPECT_EQ(size_at(d, "/content"), 0u);
    EXPECT_EQ(str_at(d, "/id").rfind("msg_", 0), 0u);
    EXPECT_GT(str_at(d, "/id").size(), 10u);
    EXPECT_EQ(str_at(d, "/stop_reason"), "stop_sequence");
    EXPECT_EQ(str_at(d, "/stop_sequence"), "</done>");
    // usage is always complete, cache fields included (Claude Code sums them).
    EXPECT_EQ(at(d, "/usage"), parse(R"({"input_tokens":0,"cache_creation_input_tokens":0,
                                   "cache_read_input_tokens":0,"output_tokens":0})"));
}

// ---- errors ---------------------------------------------------------------------------------

TEST(AnthropicEncodeError, ContextLengthReadsPromptIsTooLong) {
    Error e;
    e.kind = ErrorKind::kContextLength;
    e.message = "This model's maximum context length is 128000 tokens.";
    auto d = parse(anthropic::encode_error(e));
    EXPECT_EQ(str_at(d, "/type"), "error");
    EXPECT_EQ(str_at(d, "/error/type"), "invalid_request_error");
    std::string msg = str_at(d, "/error/message");
    EXPECT_EQ(msg.rfind("prompt is too long", 0), 0u) << msg;
    EXPECT_NE(msg.find("128000"), std::string::npos) << msg;

    e.message = "prompt is too long: 210000 tokens > 200000 maximum";  // not doubled
    d = parse(anthropic::encode_error(e));
    EXPECT_EQ(str_at(d, "/error/message"), e.message);
}

TEST(AnthropicEncodeError, ClassifiedUpstreamErrorsKeepTheirType) {
    Error e = classify_upstream_error(
        400, R"({"error":{"message":"too long","code":"context_length_exceeded"}})");
    auto d = parse(anthropic::encode_error(e));
    EXPECT_EQ(str_at(d, "/error/message"), "prompt is too long: too long");

    e = classify_upstream_error(429, R"({"error":{"message":"slow down"}})");
    d = parse(anthropic::encode_error(e));
    EXPECT_EQ(str_at(d, "/error/type"), "rate_limit_error");
    EXPECT_EQ(str_at(d, "/error/message"), "slow down");

    e = classify_upstream_error(503, "busy");
    d = parse(anthropic::encode_error(e));
    EXPECT_EQ(str_at(d, "/error/type"), "overloaded_error");
}

// ---- stream decoder -------------------------------------------------------------------------

constexpr std::string_view kTextStream =
    "event: message_start\n"
    "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":"
    "\"assistant\",\"model\":\"claude-x\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":"
    "null,\"usage\":{\"input_tokens\":25,\"cache_read_input_tokens\":7,\"output_tokens\":1}}}\n\n"
    "event: ping\n"
    "data: {\"type\":\"ping\"}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\","
    "\"text\":\"\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
    "\"text\":\"Hello\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
    "\"text\":\", \\\"world\\\"\\n\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
    "event: message_delta\n"
    "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":"
    "null},\"usage\":{\"output_tokens\":12}}\n\n"
    "event: message_stop\n"
    "data: {\"type\":\"message_stop\"}\n\n";

// The wire-formats §1.1 example: thinking + signature, then a tool_use in fragments.
constexpr std::string_view kThinkingToolStream =
    "event: message_start\r\n"
    "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_2\",\"type\":\"message\",\"role\":"
    "\"assistant\",\"model\":\"m\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,"
    "\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}}\r\n\r\n"
    "event: content_block_start\r\n"
    "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\","
    "\"thinking\":\"\"}}\r\n\r\n"
    "event: content_block_delta\r\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\","
    "\"thinking\":\"Need weather\"}}\r\n\r\n"
    "event: content_block_delta\r\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\","
    "\"signature\":\"EqQBsig\"}}\r\n\r\n"
    "event: content_block_stop\r\n"
    "data: {\"type\":\"content_block_stop\",\"index\":0}\r\n\r\n"
    "event: ping\r\n"
    "data: {\"type\": \"ping\"}\r\n\r\n"
    "event: content_block_start\r\n"
    "data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\","
    "\"id\":\"toolu_1\",\"name\":\"get_weather\",\"input\":{}}}\r\n\r\n"
    "event: content_block_delta\r\n"
    "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\","
    "\"partial_json\":\"\"}}\r\n\r\n"
    "event: content_block_delta\r\n"
    "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\","
    "\"partial_json\":\"{\\\"city\\\":\\\"Pa\"}}\r\n\r\n"
    "event: content_block_delta\r\n"
    "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\","
    "\"partial_json\":\"ris\\\"}\"}}\r\n\r\n"
    "event: content_block_stop\r\n"
    "data: {\"type\":\"content_block_stop\",\"index\":1}\r\n\r\n"
    "event: message_delta\r\n"
    "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":"
    "null},\"usage\":{\"input_tokens\":25,\"output_tokens\":42}}\r\n\r\n"
    "event: message_stop\r\n"
    "data: {\"type\":\"message_stop\"}\r\n\r\n";

TEST(AnthropicStreamDecoder, TextStreamInRandomPieces) {
    const std::vector<std::string> want = {
        "message_start msg_1",
        "ping",
        "start 0 text",
        "delta 0 text Hello",
        "delta 0 text , \"world\"\n",
        "stop 0",
        "message_delta end_turn in=25 out=12 cache_read=7",  // input kept from message_start
        "message_stop",
    };
    for (unsigned seed = 1; seed <= 25; ++seed) {
        auto d = anthropic::make_stream_decoder();
        auto events = feed_in_pieces(*d, kTextStream, seed);
        ASSERT_EQ(describe_all(events), want) << "seed " << seed;
        EXPECT_TRUE(d->complete());
        EXPECT_EQ(events[0].model, "claude-x");
        EXPECT_EQ(events[0].usage.input_tokens, 25);
    }
}

TEST(AnthropicStreamDecoder, ThinkingSignatureAndFragmentedToolUse) {
    const std::vector<std::string> want = {
        "message_start msg_2",
        "start 0 thinking",
        "delta 0 thinking Need weather",
        "delta 0 signature EqQBsig",
        "stop 0",
        "ping",
        "start 1 tool_use toolu_1 get_weather",
        "delta 1 json ",
        "delta 1 json {\"city\":\"Pa",
        "delta 1 json ris\"}",
        "stop 1",
        "message_delta tool_use in=25 out=42 cache_read=0",
        "message_stop",
    };
    for (unsigned seed = 1; seed <= 25; ++seed) {
        auto d = anthropic::make_stream_decoder();
        auto events = feed_in_pieces(*d, kThinkingToolStream, seed, 40);
        ASSERT_EQ(describe_all(events), want) << "seed " << seed;
        EXPECT_TRUE(d->complete());
    }
}

TEST(AnthropicStreamDecoder, ErrorEventAfterContent) {
    std::string sse =
        std::string(kTextStream.substr(0, kTextStream.find("event: content_block_stop"))) +
        "event: error\n"
        "data: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
        "\"message\":\"Overloaded\"}}\n\n";
    for (unsigned seed = 1; seed <= 10; ++seed) {
        auto d = anthropic::make_stream_decoder();
        auto events = feed_in_pieces(*d, sse, seed);
        auto got = describe_all(events);
        ASSERT_FALSE(got.empty());
        EXPECT_EQ(got.back(), "error overloaded_error Overloaded") << "seed " << seed;
        // finish() adds nothing after an upstream error: one error only.
        EXPECT_EQ(std::count_if(got.begin(), got.end(),
                                [](const std::string& s) { return s.rfind("error", 0) == 0; }),
                  1);
        EXPECT_FALSE(d->complete());
    }
}

TEST(AnthropicStreamDecoder, ErrorTypesMapToKinds) {
    const std::pair<const char*, ErrorKind> table[] = {
        {"overloaded_error", ErrorKind::kOverloaded},
        {"rate_limit_error", ErrorKind::kRateLimit},
        {"invalid_request_error", ErrorKind::kInvalidRequest},
        {"api_error", ErrorKind::kApi},
    };
    for (auto [type, kind] : table) {
        std::string sse =
            std::string("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"") + type +
            "\",\"message\":\"x\"}}\n\n";
        auto events = decode_whole(sse);
        ASSERT_EQ(events.size(), 1u) << type;
        EXPECT_EQ(events[0].kind, StreamEvent::Kind::kError);
        EXPECT_EQ(events[0].error.kind, kind) << type;
    }
}

TEST(AnthropicStreamDecoder, TruncatedStreamIsAnErrorOnFinish) {
    // Cut in the middle of the tool's arguments.
    std::string_view cut = kThinkingToolStream.substr(0, kThinkingToolStream.find("ris\\\""));
    for (unsigned seed = 1; seed <= 10; ++seed) {
        auto d = anthropic::make_stream_decoder();
        auto events = feed_in_pieces(*d, cut, seed);
        auto got = describe_all(events);
        ASSERT_GE(got.size(), 2u);
        EXPECT_EQ(got[got.size() - 2], "delta 1 json {\"city\":\"Pa") << "seed " << seed;
        EXPECT_EQ(got.back(), "error api_error upstream stream ended before message_stop");
        EXPECT_FALSE(d->complete());
        // Finishing again does not add a second error.
        std::vector<StreamEvent> more;
        d->finish(more);
        EXPECT_TRUE(more.empty());
    }
}

TEST(AnthropicStreamDecoder, FinishWithoutBlankLineAfterMessageStopIsComplete) {
    std::string sse(kTextStream);
    sse.resize(sse.size() - 1);  // the last event lacks its blank line
    auto d = anthropic::make_stream_decoder();
    std::vector<StreamEvent> events;
    d->feed(sse, events);
    EXPECT_FALSE(d->complete());
    d->finish(events);
    EXPECT_TRUE(d->complete());
    EXPECT_EQ(describe(events.back()), "message_stop");
}

TEST(AnthropicStreamDecoder, GarbageAndUnknownEventsAreSkipped) {
    std::string sse =
        std::string(kTextStream.substr(0, kTextStream.find("event: content_block_stop"))) +
        "data: not json\n\n"
        "event: content_block_delta\n"
        "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
        "\"citations_delta\",\"citation\":{}}}\n\n"
        "event: future_event\ndata: {\"type\":\"future_event\"}\n\n" +
        std::string(kTextStream.substr(kTextStream.find("event: content_block_stop")));
    auto got = describe_all(decode_whole(sse));
    EXPECT_EQ(got.size(), 8u);
    EXPECT_EQ(got.back(), "message_stop");
}

// ---- stream encoder -------------------------------------------------------------------------

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

StreamEvent message_delta(StopReason stop, std::int64_t in = 0, std::int64_t out = 0) {
    StreamEvent e = ev(StreamEvent::Kind::kMessageDelta);
    e.stop_reason = stop;
    e.usage.input_tokens = in;
    e.usage.output_tokens = out;
    return e;
}

using DT = StreamEvent::DeltaType;
using SK = StreamEvent::Kind;

TEST(AnthropicStreamEncoder, FullMessageKeepsInvariants) {
    auto enc = anthropic::make_stream_encoder("client-model");
    StreamEvent start = ev(SK::kMessageStart);
    start.message_id = "msg_abc";
    start.usage.input_tokens = 10;
    std::string sse = encode_all(
        *enc,
        {start, ev(SK::kPing), block_start(0, BlockType::kThinking), delta(0, DT::kThinking, "hmm"),
         delta(0, DT::kSignature, "sig"), ev(SK::kBlockStop, 0), block_start(1, BlockType::kText),
         delta(1, DT::kText, "Hi \"you\""), ev(SK::kBlockStop, 1),
         block_start(2, BlockType::kToolUse, "toolu_9", "Bash"),
         delta(2, DT::kInputJson, "{\"command\":"), delta(2, DT::kInputJson, "\"ls\"}"),
         ev(SK::kBlockStop, 2), message_delta(StopReason::kToolUse, 10, 33), ev(SK::kMessageStop)});
    AnthropicStream s;
    ASSERT_TRUE(check_anthropic_stream(sse, &s)) << sse;
    EXPECT_TRUE(enc->done());
    EXPECT_EQ(s.types.front(), "message_start");
    EXPECT_EQ(s.types[1], "ping");
    EXPECT_EQ(s.block_types[0], "thinking");
    EXPECT_EQ(s.block_text[0], "hmm");
    EXPECT_EQ(s.block_types[1], "text");
    EXPECT_EQ(s.block_text[1], "Hi \"you\"");
    EXPECT_EQ(s.block_types[2], "tool_use");
    EXPECT_EQ(s.tool_ids[2], "toolu_9");
    EXPECT_EQ(parse(s.block_text[2]), parse(R"({"command":"ls"})"));
    EXPECT_EQ(s.stop_reason, "tool_use");
    EXPECT_EQ(int_at(s.last_usage, "/output_tokens"), 33);
    EXPECT_EQ(int_at(s.last_usage, "/input_tokens"), 10);
    // message_start names the client's model and keeps the upstream id.
    auto first = parse(sse_events(sse).front().second);
    EXPECT_EQ(str_at(first, "/message/model"), "client-model");
    EXPECT_EQ(str_at(first, "/message/id"), "msg_abc");
    EXPECT_EQ(int_at(first, "/message/usage/input_tokens"), 10);
}

TEST(AnthropicStreamEncoder, WithoutUpstreamUsageItStartsAndEndsWithEstimates) {
    // An OpenAI upstream: a chatcmpl- id, no usage at the start, none at the end either
    // (no include_usage). Claude Code's context meter reads both.
    auto enc = anthropic::make_stream_encoder("m", 1234);
    StreamEvent start = ev(SK::kMessageStart);
    start.message_id = "chatcmpl-9";
    std::string sse =
        encode_all(*enc, {start, block_start(0, BlockType::kText), delta(0, DT::kText, "abcdef"),
                          ev(SK::kBlockStop, 0), message_delta(StopReason::kEndTurn, 0, 0),
                          ev(SK::kMessageStop)});
    AnthropicStream s;
    ASSERT_TRUE(check_anthropic_stream(sse, &s)) << sse;
    auto first = parse(sse_events(sse).front().second);
    EXPECT_EQ(str_at(first, "/message/id").rfind("msg_", 0), 0u) << sse;
    EXPECT_EQ(int_at(first, "/message/usage/input_tokens"), 1234);
    EXPECT_EQ(int_at(s.last_usage, "/input_tokens"), 1234);
    EXPECT_EQ(int_at(s.last_usage, "/output_tokens"), 2);  // 6 bytes at about 3 a token
    // Real usage, when it comes, is kept as it is.
    auto enc2 = anthropic::make_stream_encoder("m", 1234);
    sse = encode_all(*enc2,
                     {start, message_delta(StopReason::kEndTurn, 50, 7), ev(SK::kMessageStop)});
    AnthropicStream s2;
    ASSERT_TRUE(check_anthropic_stream(sse, &s2)) << sse;
    EXPECT_EQ(int_at(s2.last_usage, "/input_tokens"), 50);
    EXPECT_EQ(int_at(s2.last_usage, "/output_tokens"), 7);
}

TEST(AnthropicStreamEncoder, OpenBlocksAreStoppedBeforeMessageDelta) {
    auto enc = anthropic::make_stream_encoder("m");
    std::string sse = encode_all(
        *enc, {ev(SK::kMessageStart), block_start(0, BlockType::kText), delta(0, DT::kText, "a"),
               block_start(1, BlockType::kToolUse, "t1", "f"), delta(1, DT::kInputJson, "{}"),
               message_delta(StopReason::kToolUse), ev(SK::kMessageStop)});
    AnthropicStream s;
    ASSERT_TRUE(check_anthropic_stream(sse, &s)) << sse;
    std::vector<std::string> want = {
        "message_start",       "content_block_start", "content_block_delta",
        "content_block_start", "content_block_delta", "content_block_stop",
        "content_block_stop",  "message_delta",       "message_stop"};
    EXPECT_EQ(s.types, want);
}

TEST(AnthropicStreamEncoder, MessageDeltaAndStopExactlyOnce) {
    // message_stop without a message_delta gets one synthesized; repeats are ignored.
    auto enc = anthropic::make_stream_encoder("m");
    std::string sse = encode_all(
        *enc, {ev(SK::kMessageStart), block_start(0, BlockType::kText), delta(0, DT::kText, "x"),
               ev(SK::kBlockStop, 0), ev(SK::kBlockStop, 0),  // a duplicate stop is dropped
               ev(SK::kMessageStop), ev(SK::kMessageStop), message_delta(StopReason::kEndTurn)});
    AnthropicStream s;
    ASSERT_TRUE(check_anthropic_stream(sse, &s)) << sse;
    EXPECT_EQ(s.stop_reason, "end_turn");
    EXPECT_EQ(std::count(s.types.begin(), s.types.end(), "message_delta"), 1);
    EXPECT_EQ(std::count(s.types.begin(), s.types.end(), "message_stop"), 1);

    // A message_delta followed by message_stop: each exactly once.
    auto enc2 = anthropic::make_stream_encoder("m");
    sse = encode_all(*enc2, {ev(SK::kMessageStart), message_delta(StopReason::kMaxTokens),
                             ev(SK::kMessageStop)});
    AnthropicStream s2;
    ASSERT_TRUE(check_anthropic_stream(sse, &s2)) << sse;
    EXPECT_EQ(s2.stop_reason, "max_tokens");
}

TEST(AnthropicStreamEncoder, SynthesizesMessageStartAndDropsEarlyPing) {
    auto enc = anthropic::make_stream_encoder("m");
    std::string sse = encode_all(*enc, {ev(SK::kPing), block_start(0, BlockType::kText),
                                        delta(0, DT::kText, "x"), ev(SK::kMessageStop)});
    AnthropicStream s;
    ASSERT_TRUE(check_anthropic_stream(sse, &s)) << sse;
    EXPECT_EQ(s.types.front(), "message_start");
    EXPECT_EQ(std::count(s.types.begin(), s.types.end(), "ping"), 0);
}

TEST(AnthropicStreamEncoder, ErrorEventEndsTheStream) {
    auto enc = anthropic::make_stream_encoder("m");
    StreamEvent err = ev(SK::kError);
    err.error.kind = ErrorKind::kOverloaded;
    err.error.message = "Overloaded";
    std::string sse = encode_all(*enc, {ev(SK::kMessageStart), block_start(0, BlockType::kText),
                                        delta(0, DT::kText, "partial"), err,
                                        delta(0, DT::kText, "more"), ev(SK::kMessageStop)});
    EXPECT_TRUE(enc->done());
    AnthropicStream s;
    ASSERT_TRUE(check_anthropic_stream(sse, &s)) << sse;
    EXPECT_EQ(s.types.back(), "error");
    EXPECT_EQ(s.error_type, "overloaded_error");
    EXPECT_EQ(s.error_message, "Overloaded");
    EXPECT_EQ(s.block_text[0], "partial");
    // encode_error after the end writes nothing.
    std::string more;
    Error e;
    enc->encode_error(e, more);
    EXPECT_EQ(more, "");
}

TEST(AnthropicStreamEncoder, EncodeErrorBeforeAnythingAndContextLengthWording) {
    auto enc = anthropic::make_stream_encoder("m");
    std::string sse;
    Error e;
    e.kind = ErrorKind::kContextLength;
    e.message = "input too long";
    enc->encode_error(e, sse);
    AnthropicStream s;
    ASSERT_TRUE(check_anthropic_stream(sse, &s)) << sse;
    EXPECT_EQ(s.error_type, "invalid_request_error");
    EXPECT_EQ(s.error_message, "prompt is too long: input too long");
}

TEST(AnthropicStream, DecodeEncodeDecodeRoundTrip) {
    for (std::string_view golden : {kTextStream, kThinkingToolStream}) {
        auto first = decode_whole(golden);
        auto enc = anthropic::make_stream_encoder("m");
        std::string sse = encode_all(*enc, first);
        AnthropicStream s;
        ASSERT_TRUE(check_anthropic_stream(sse, &s)) << sse;
        auto second = decode_whole(sse);
        EXPECT_EQ(describe_all(second), describe_all(first));
    }
}

TEST(AnthropicStream, EncoderCarriesTextAndUsageToOpenAiClient) {
    // Anthropic upstream -> OpenAI client: the usage chunk counts cache reads in prompt_tokens.
    auto events = decode_whole(kTextStream);
    auto enc = openai_chat::make_stream_encoder("gpt-client", true);
    std::string sse = encode_all(*enc, events);
    std::vector<std::string> datas;
    SseParser p([&](std::string_view, std::string_view data) { datas.emplace_back(data); });
    p.feed(sse);
    ASSERT_GE(datas.size(), 3u);
    EXPECT_EQ(datas.back(), "[DONE]");
    auto usage = parse(datas[datas.size() - 2]);
    EXPECT_EQ(size_at(usage, "/choices"), 0u);
    EXPECT_EQ(int_at(usage, "/usage/prompt_tokens"), 32);
    EXPECT_EQ(int_at(usage, "/usage/prompt_tokens_details/cached_tokens"), 7);
    EXPECT_EQ(int_at(usage, "/usage/completion_tokens"), 12);
    std::string text;
    for (const auto& d : datas) {
        if (d == "[DONE]") continue;
        auto c = parse(d);
        if (size_at(c, "/choices") == 0) continue;
        text += json_get_string(at(c, "/choices/0/delta"), "content");
    }
    EXPECT_EQ(text, "Hello, \"world\"\n");
}

}  // namespace
}  // namespace litellm::wire

// ---- issue 11 defects -----------------------------------------------------------------------

namespace litellm::wire {
namespace {

using namespace test_support;

// Defect 4: thinking litellmd made from OpenAI reasoning carries an empty signature, and a
// thinking block another provider signed is not Anthropic's: neither may reach Anthropic.
TEST(AnthropicEncodeRequest, ThinkingWhoseSignatureAnthropicDidNotMintIsDropped) {
    Request r;
    std::string error;
    ASSERT_TRUE(anthropic::decode_request(
        R"({"model":"m","max_tokens":100,"messages":[
            {"role":"user","content":"q1"},
            {"role":"assistant","content":[{"type":"thinking","thinking":"from gpt","signature":""},
                                           {"type":"text","text":"a1"}]},
            {"role":"user","content":"q2"},
            {"role":"assistant","content":[{"type":"thinking","thinking":"real","signature":"EqSig"},
                                           {"type":"text","text":"a2"}]},
            {"role":"user","content":"q3"}]})",
        r, &error))
        << error;
    auto d = parse(anthropic::encode_request(r, anthropic_options()));
    ASSERT_EQ(size_at(d, "/messages/1/content"), 1u);
    EXPECT_EQ(str_at(d, "/messages/1/content/0/type"), "text");
    ASSERT_EQ(size_at(d, "/messages/3/content"), 2u);
    EXPECT_EQ(str_at(d, "/messages/3/content/0/signature"), "EqSig");
    // A provider that accepts no family gets no thinking at all.
    EncodeOptions none = anthropic_options();
    none.accepts_signature = nullptr;
    auto n = parse(anthropic::encode_request(r, none));
    EXPECT_EQ(size_at(n, "/messages/3/content"), 1u);
    // An assistant turn that was only unsigned thinking leaves no empty message behind.
    Request only;
    ASSERT_TRUE(anthropic::decode_request(
        R"({"model":"m","max_tokens":100,"messages":[{"role":"user","content":"q1"},
            {"role":"assistant","content":[{"type":"thinking","thinking":"x","signature":""}]},
            {"role":"user","content":"q2"}]})",
        only, &error));
    auto o = parse(anthropic::encode_request(only, anthropic_options()));
    EXPECT_EQ(size_at(o, "/messages"), 1u);
}

// Defect 5: an OpenAI client with reasoning_effort and tools: turn 2 carries an assistant turn
// of only tool_calls (no thinking block), which Anthropic rejects with thinking enabled.
TEST(AnthropicEncodeRequest, ThinkingOffWhenThePendingToolTurnHasNoThinking) {
    Request r = from_openai(R"({"model":"o","reasoning_effort":"high","max_tokens":4000,
        "temperature":0.3,
        "tools":[{"type":"function","function":{"name":"ls","parameters":{"type":"object"}}}],
        "messages":[{"role":"user","content":"list"},
          {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",
           "function":{"name":"ls","arguments":"{}"}}]},
          {"role":"tool","tool_call_id":"call_1","content":"a.txt"}]})");
    auto d = parse(anthropic::encode_request(r, anthropic_options()));
    EXPECT_FALSE(has(d, "/thinking")) << json_stringify(d);
    EXPECT_TRUE(has(d, "/temperature"));
    // Turn 1 (no tool turn yet) keeps thinking on.
    Request first = from_openai(R"({"model":"o","reasoning_effort":"high","max_tokens":4000,
        "messages":[{"role":"user","content":"list"}]})");
    auto f = parse(anthropic::encode_request(first, anthropic_options()));
    EXPECT_EQ(str_at(f, "/thinking/type"), "enabled");
}

}  // namespace
}  // namespace litellm::wire

namespace litellm::wire {
namespace {

using namespace test_support;

// Defect 7: structured output both ways.
TEST(AnthropicEncodeRequest, JsonSchemaIsNativeWhereTheUpstreamHasItElseAForcedTool) {
    Request r = from_openai(R"({"model":"o","messages":[{"role":"user","content":"q"}],
        "reasoning_effort":"high",
        "response_format":{"type":"json_schema","json_schema":{"name":"a","strict":true,
          "schema":{"type":"object","properties":{"x":{"type":"integer"}}}}}})");
    EncodeOptions native = anthropic_options();
    native.native_structured_output = true;
    auto n = parse(anthropic::encode_request(r, native));
    EXPECT_EQ(str_at(n, "/output_config/format/type"), "json_schema");
    EXPECT_EQ(str_at(n, "/output_config/format/schema/properties/x/type"), "integer");
    EXPECT_FALSE(has(n, "/tools"));

    auto f = parse(anthropic::encode_request(r, anthropic_options()));
    EXPECT_FALSE(has(f, "/output_config"));
    EXPECT_EQ(str_at(f, "/tools/0/name"), kStructuredOutputTool);
    EXPECT_EQ(str_at(f, "/tool_choice/type"), "tool");
    EXPECT_FALSE(has(f, "/thinking"));  // Anthropic refuses thinking with a forced tool

    Request obj = from_openai(R"({"model":"o","messages":[{"role":"user","content":"q"}],
        "response_format":{"type":"json_object"}})");
    auto o = parse(anthropic::encode_request(obj, native));
    EXPECT_EQ(str_at(o, "/tools/0/input_schema/type"), "object");
}

TEST(AnthropicDecodeRequest, OutputFormatInBothSpellings) {
    for (const char* body :
         {R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":"q"}],
              "output_config":{"effort":"low","format":{"type":"json_schema","schema":{"type":"object"}}}})",
          R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":"q"}],
              "output_format":{"type":"json_schema","schema":{"type":"object"}}})"}) {
        Request r;
        std::string error;
        ASSERT_TRUE(anthropic::decode_request(body, r, &error)) << error;
        EXPECT_EQ(r.output_format.kind, OutputFormat::Kind::kJsonSchema);
        EXPECT_EQ(r.output_format.schema_json, R"({"type":"object"})");
    }
    Request bad;
    std::string error;
    EXPECT_FALSE(anthropic::decode_request(
        R"({"model":"m","max_tokens":5,"messages":[],"output_format":{"type":"xml"}})", bad,
        &error));
    EXPECT_NE(error.find("json_schema"), std::string::npos) << error;
}

}  // namespace
}  // namespace litellm::wire

namespace litellm::wire {
namespace {

using namespace test_support;

TEST(AnthropicEncodeRequest, ToolCacheControlAndCitationsSurviveAReEncode) {
    Request r;
    std::string error;
    ASSERT_TRUE(anthropic::decode_request(
        R"({"model":"m","max_tokens":5,
            "tools":[{"name":"a","input_schema":{"type":"object"}},
                     {"name":"b","input_schema":{"type":"object"},"cache_control":{"type":"ephemeral"}}],
            "messages":[{"role":"user","content":"q"},
              {"role":"assistant","content":[{"type":"text","text":"cited",
                "citations":[{"type":"char_location","cited_text":"x","document_index":0,
                              "start_char_index":0,"end_char_index":1}]}]},
              {"role":"user","content":"more"}]})",
        r, &error))
        << error;
    auto d = parse(anthropic::encode_request(r, anthropic_options()));
    EXPECT_FALSE(has(d, "/tools/0/cache_control"));
    EXPECT_EQ(str_at(d, "/tools/1/cache_control/type"), "ephemeral");
    EXPECT_EQ(str_at(d, "/messages/1/content/0/citations/0/cited_text"), "x");
}

}  // namespace
}  // namespace litellm::wire

namespace litellm::wire {
namespace {

using namespace test_support;

// Defect 4 on the route that keeps the bytes: Claude Code replays thinking litellmd made from
// OpenAI reasoning (signature "") to an Anthropic deployment after a fallback.
TEST(AnthropicStripUnsignedThinking, NothingToCutLeavesTheBodyAlone) {
    EXPECT_EQ(
        anthropic::strip_unsigned_thinking(
            R"({"model":"m","messages":[{"role":"assistant","content":[{"type":"thinking","thinking":"t","signature":"EqS"}]}]})"),
        std::nullopt);
    EXPECT_EQ(anthropic::strip_unsigned_thinking(R"({"model":"m","messages":[]})"), std::nullopt);
}

TEST(AnthropicStripUnsignedThinking, CutsOnlyTheUnsignedBlocksByteForByte) {
    std::string body =
        R"({"model":"m","system":[{"type":"text","text":"sys"}],"thinking":{"type":"enabled","budget_tokens":2048},"messages":[)"
        R"({"role":"user","content":"q1"},)"
        R"({"role":"assistant","content":[{"type":"thinking","thinking":"from gpt","signature":""},{"type":"text","text":"a1"}]},)"
        R"({"role":"user","content":"q2"},)"
        R"({"role":"assistant","content":[{"type":"thinking","thinking":"ok","signature":"EqSig"},{"type":"text","text":"a2"}]},)"
        R"({"role":"user","content":"q3"}],"stream":true})";
    auto out = anthropic::strip_unsigned_thinking(body);
    ASSERT_TRUE(out);
    EXPECT_EQ(
        *out,
        R"({"model":"m","system":[{"type":"text","text":"sys"}],"thinking":{"type":"enabled","budget_tokens":2048},"messages":[)"
        R"({"role":"user","content":"q1"},)"
        R"({"role":"assistant","content":[{"type":"text","text":"a1"}]},)"
        R"({"role":"user","content":"q2"},)"
        R"({"role":"assistant","content":[{"type":"thinking","thinking":"ok","signature":"EqSig"},{"type":"text","text":"a2"}]},)"
        R"({"role":"user","content":"q3"}],"stream":true})");
}

TEST(AnthropicStripUnsignedThinking, AToolTurnLeftWithoutThinkingTurnsThinkingOff) {
    std::string body =
        R"({"model": "m", "thinking": {"type": "enabled", "budget_tokens": 2048}, "messages": [)"
        R"({"role": "user", "content": "list"}, )"
        R"({"role": "assistant", "content": [{"type": "thinking", "thinking": "x", "signature": ""}, )"
        R"({"type": "tool_use", "id": "toolu_1", "name": "ls", "input": {}}]}, )"
        R"({"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "a"}]}]})";
    auto out = anthropic::strip_unsigned_thinking(body);
    ASSERT_TRUE(out);
    auto d = parse(*out);
    EXPECT_EQ(str_at(d, "/thinking/type"), "disabled");
    EXPECT_EQ(size_at(d, "/messages/1/content"), 1u);
    EXPECT_EQ(str_at(d, "/messages/1/content/0/type"), "tool_use");
}

// The turn that must start with thinking is the last assistant turn written: an assistant
// message that writes nothing does not stand in for it, and a run of assistant messages is one
// turn.
TEST(AnthropicStripUnsignedThinking, ATurnThatGoesLeavesTheToolTurnBeforeItLast) {
    auto out = anthropic::strip_unsigned_thinking(
        R"({"model":"m","thinking":{"type":"enabled","budget_tokens":2048},"messages":[)"
        R"({"role":"user","content":"list"},)"
        R"({"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"ls","input":{}}]},)"
        R"({"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"a"}]},)"
        R"({"role":"assistant","content":[{"type":"thinking","thinking":"x","signature":""}]},)"
        R"({"role":"user","content":"go on"}]})");
    ASSERT_TRUE(out);
    auto d = parse(*out);
    EXPECT_EQ(size_at(d, "/messages"), 4u) << *out;
    EXPECT_EQ(str_at(d, "/thinking/type"), "disabled") << *out;
}

TEST(AnthropicEncodeRequest, TheToolTurnThatNeedsThinkingIsTheLastOneWritten) {
    const char* loops[] = {
        // An empty assistant message after the tool turn writes nothing.
        R"({"model":"o","reasoning_effort":"high","messages":[{"role":"user","content":"list"},)"
        R"({"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function",)"
        R"("function":{"name":"ls","arguments":"{}"}}]},)"
        R"({"role":"tool","tool_call_id":"c1","content":"a"},)"
        R"({"role":"assistant","content":""},{"role":"user","content":"go on"}]})",
        // Two assistant messages in a row are one turn.
        R"({"model":"o","reasoning_effort":"high","messages":[{"role":"user","content":"list"},)"
        R"({"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function",)"
        R"("function":{"name":"ls","arguments":"{}"}}]},)"
        R"({"role":"assistant","content":"and more"},)"
        R"({"role":"tool","tool_call_id":"c1","content":"a"}]})",
    };
    for (const char* body : loops) {
        Request r = from_openai(body);
        std::string out = anthropic::encode_request(r, anthropic_options());
        auto d = parse(out);
        EXPECT_FALSE(d.HasMember("thinking")) << out;
    }
    // A plain answer as the last turn keeps thinking on.
    Request plain = from_openai(
        R"({"model":"o","reasoning_effort":"high","messages":[{"role":"user","content":"q"},)"
        R"({"role":"assistant","content":"a"},{"role":"user","content":"q2"}]})");
    auto d = parse(anthropic::encode_request(plain, anthropic_options()));
    EXPECT_EQ(str_at(d, "/thinking/type"), "enabled");
}

TEST(AnthropicStripUnsignedThinking, ATurnOfOnlyUnsignedThinkingGoes) {
    auto out = anthropic::strip_unsigned_thinking(
        R"({"model":"m","messages":[{"role":"user","content":"q1"},{"role":"assistant","content":[{"type":"thinking","thinking":"x","signature":""}]},{"role":"user","content":"q2"}]})");
    ASSERT_TRUE(out);
    EXPECT_EQ(
        *out,
        R"({"model":"m","messages":[{"role":"user","content":"q1"},{"role":"user","content":"q2"}]})");
}

}  // namespace
}  // namespace litellm::wire

namespace litellm::wire {
namespace {

using namespace test_support;

// The opaque round-trip slot: another provider's state rides to an Anthropic client in the
// thinking signature and comes back tagged with its family; Anthropic never gets it.
TEST(OpaqueSignature, RoundTripsThroughAnAnthropicClient) {
    Opaque o{"chatgpt", R"({"type":"reasoning","encrypted_content":"gAAA=="})"};
    std::string sig = opaque_signature(o);
    EXPECT_EQ(sig.rfind(kOpaqueSignaturePrefix, 0), 0u);
    auto back = parse_opaque_signature(sig);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->family, "chatgpt");
    EXPECT_EQ(back->json, o.json);
    EXPECT_FALSE(parse_opaque_signature("EqSig"));
    EXPECT_FALSE(parse_opaque_signature("litellm1:"));
    EXPECT_FALSE(parse_opaque_signature("litellm1::{}"));

    // Out to the client in a whole answer...
    Response r;
    Block thinking;
    thinking.type = BlockType::kThinking;
    thinking.text = "summary";
    thinking.opaque = o;
    thinking.signature_origin = "chatgpt";
    Block text;
    text.text = "done";
    r.content = {thinking, text};
    auto d = parse(anthropic::encode_response(r, "claude"));
    EXPECT_EQ(str_at(d, "/content/0/signature"), sig);

    // ...and back in the next turn's history.
    std::string body = R"({"model":"m","max_tokens":10,"messages":[{"role":"user","content":"q"},
        {"role":"assistant","content":[{"type":"thinking","thinking":"summary","signature":)" +
                       json_quote(sig) + R"(},{"type":"text","text":"done"}]},
        {"role":"user","content":"more"}]})";
    Request req;
    std::string error;
    ASSERT_TRUE(anthropic::decode_request(body, req, &error)) << error;
    const Block& got = req.messages[1].blocks[0];
    EXPECT_EQ(got.signature_origin, "chatgpt");
    ASSERT_TRUE(got.opaque);
    EXPECT_EQ(got.opaque->json, o.json);
    // Anthropic takes only its own family: the block stays home.
    auto a = parse(anthropic::encode_request(req, anthropic_options()));
    EXPECT_EQ(size_at(a, "/messages/1/content"), 1u);
    // And on a passthrough route the bytes lose it too.
    auto cut = anthropic::strip_unsigned_thinking(body);
    ASSERT_TRUE(cut);
    EXPECT_EQ(cut->find("litellm1:"), std::string::npos) << *cut;
}

}  // namespace
}  // namespace litellm::wire

namespace litellm::wire {
namespace {

// The quick pass must not miss a spaced or multi-line spelling, and must not be fooled by the
// word inside a string.
TEST(AnthropicStripUnsignedThinking, FindsEverySpellingAndNothingInsideText) {
    EXPECT_TRUE(anthropic::strip_unsigned_thinking(
        "{\"model\":\"m\",\"messages\":[{\"role\":\"assistant\",\"content\":[{\"type\":"
        "\"thinking\",\"thinking\":\"x\",\"signature\" :\n \"\"},{\"type\":\"text\",\"text\":"
        "\"a\"}]}]}"));
    EXPECT_FALSE(anthropic::strip_unsigned_thinking(
        R"({"model":"m","messages":[{"role":"user","content":"say \"signature\": \"\" please"}]})"));
}

}  // namespace
}  // namespace litellm::wire
