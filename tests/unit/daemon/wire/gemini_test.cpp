#include "daemon/wire/gemini.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/json.hpp"
#include "daemon/wire/anthropic.hpp"
#include "wire_test_support.hpp"

namespace litellm::wire {
namespace {

using namespace test_support;

std::vector<StreamEvent> decode_whole(std::string_view bytes) {
    return decode_whole_with(&gemini::make_stream_decoder, bytes);
}

std::string chunk(const std::string& json) {
    return "data: " + json + "\r\n\r\n";
}

Request anthropic_request(std::string_view body) {
    Request r;
    std::string error;
    EXPECT_TRUE(anthropic::decode_request(body, r, &error)) << error;
    return r;
}

// ---- the schema cleaner ---------------------------------------------------------------------

// Schemas shaped like the ones in Claude Code's tool list (Bash, Edit, Grep, TodoWrite,
// WebFetch, an MCP tool), with what Gemini refuses in them.
TEST(GeminiSchema, ClaudeCodeToolSchemasLoseOnlyWhatGeminiRefuses) {
    std::string cleaned = gemini::clean_schema(R"({
      "$schema": "http://json-schema.org/draft-07/schema#",
      "type": "object", "additionalProperties": false,
      "properties": {
        "command": {"type": "string", "description": "The command"},
        "timeout": {"type": "number", "exclusiveMinimum": 0, "maximum": 600000},
        "replace_all": {"type": "boolean", "default": false},
        "-A": {"type": "number"},
        "format": {"type": "string", "format": "uri"},
        "default": {"type": ["string", "null"]},
        "output_mode": {"type": "string", "enum": ["content", "files_with_matches"]},
        "level": {"const": 3},
        "todos": {"type": "array", "minItems": 1, "items": {
          "type": "object", "additionalProperties": false,
          "properties": {"status": {"type": "string", "enum": ["pending", "completed"]},
                         "id": {"anyOf": [{"type": "string"}, {"type": "null"}]}},
          "required": ["status", "id", "gone"]}},
        "meta": {"type": "object", "propertyNames": {"pattern": "^[a-z]+$"},
                 "patternProperties": {"^x": {}}, "x-google-ext": 1, "examples": [{}]}
      },
      "required": ["command", "missing"]
    })");
    auto d = parse(cleaned);
    EXPECT_FALSE(has(d, "/$schema"));
    EXPECT_FALSE(has(d, "/additionalProperties"));
    EXPECT_EQ(str_at(d, "/properties/command/description"), "The command");
    EXPECT_FALSE(has(d, "/properties/timeout/exclusiveMinimum"));
    EXPECT_EQ(int_at(d, "/properties/timeout/maximum"), 600000);
    EXPECT_FALSE(has(d, "/properties/replace_all/default"));
    // Property names are names, not keywords: "-A", "format" and "default" stay.
    EXPECT_EQ(str_at(d, "/properties/-A/type"), "number");
    EXPECT_EQ(str_at(d, "/properties/format/type"), "string");
    EXPECT_FALSE(has(d, "/properties/format/format"));
    EXPECT_EQ(str_at(d, "/properties/default/type"), "string");  // the type list's first
    EXPECT_EQ(size_at(d, "/properties/output_mode/enum"), 2u);
    EXPECT_EQ(str_at(d, "/properties/level/enum/0"), "3");  // const -> a string enum
    EXPECT_EQ(str_at(d, "/properties/level/type"), "string");
    EXPECT_FALSE(has(d, "/properties/todos/minItems"));
    EXPECT_FALSE(has(d, "/properties/todos/items/additionalProperties"));
    EXPECT_EQ(str_at(d, "/properties/todos/items/properties/id/type"), "string");
    EXPECT_FALSE(has(d, "/properties/todos/items/properties/id/anyOf"));
    EXPECT_EQ(size_at(d, "/properties/todos/items/required"), 2u);  // "gone" is not a property
    EXPECT_FALSE(has(d, "/properties/meta/propertyNames"));
    EXPECT_FALSE(has(d, "/properties/meta/patternProperties"));
    EXPECT_FALSE(has(d, "/properties/meta/x-google-ext"));
    EXPECT_FALSE(has(d, "/properties/meta/examples"));
    EXPECT_EQ(size_at(d, "/required"), 1u);
    // The OpenAPI form's capital types read as JSON Schema's.
    EXPECT_EQ(str_at(parse(gemini::clean_schema(
                         R"({"type":"OBJECT","properties":{"a":{"type":"STRING"}}})")),
                     "/properties/a/type"),
              "string");
    EXPECT_EQ(gemini::clean_schema("not json"), R"({"type":"object"})");
}

// ---- encode_request -------------------------------------------------------------------------

constexpr std::string_view kToolLoop = R"({
  "model": "m", "max_tokens": 1000, "temperature": 0.3, "stop_sequences": ["END"],
  "system": [{"type":"text","text":"x-anthropic-billing-header: cc_version=1"},
             {"type":"text","text":"Be brief."}],
  "thinking": {"type":"enabled","budget_tokens":4000},
  "tools": [{"name":"get_weather","description":"d","input_schema":{"type":"object","additionalProperties":false,"properties":{"city":{"type":"string"}}}}],
  "tool_choice": {"type":"tool","name":"get_weather"},
  "messages": [
    {"role":"user","content":"Weather in Oslo and Rome?"},
    {"role":"assistant","content":[
      {"type":"thinking","thinking":"","signature":"litellm1:gemini:{\"thoughtSignature\":\"SIG-A\"}"},
      {"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Oslo"}},
      {"type":"thinking","thinking":"Claude's","signature":"EqClaude"},
      {"type":"tool_use","id":"toolu_2","name":"get_weather","input":{"city":"Rome"}}]},
    {"role":"user","content":[
      {"type":"tool_result","tool_use_id":"toolu_1","content":"sunny"},
      {"type":"tool_result","tool_use_id":"toolu_2","content":[{"type":"text","text":"rain"}]}]}
  ]})";

// A key given twice means its last value, so cleaning is final: cleaning again changes
// nothing (found by fuzz_codecs' round trip at 8 M: duplicate properties/required copies were
// cleaned differently on each pass).
TEST(GeminiSchema, AKeyGivenTwiceKeepsItsLastValueAndCleaningIsFinal) {
    std::string once = gemini::clean_schema(
        R"({"type":"OBJECT","properties":{"a":{"type":"STRING"}},"required":["a"],)"
        R"("properties":{"b":{"type":"INTEGER"}},"required":["b"]})");
    auto d = parse(once);
    EXPECT_FALSE(has(d, "/properties/a")) << once;
    EXPECT_EQ(str_at(d, "/properties/b/type"), "integer") << once;
    EXPECT_EQ(str_at(d, "/required/0"), "b") << once;
    EXPECT_EQ(once.find("properties"), once.rfind("properties")) << once;
    EXPECT_EQ(gemini::clean_schema(once), once);
}

TEST(GeminiEncode, ToolLoopWithSignaturesNamesAndConfig) {
    Request r = anthropic_request(kToolLoop);
    EncodeOptions o;
    o.model = "gemini-2.5-pro";
    auto d = parse(gemini::encode_request(r, o));
    ASSERT_EQ(size_at(d, "/contents"), 3u) << json_stringify(d);
    EXPECT_EQ(str_at(d, "/contents/0/role"), "user");
    EXPECT_EQ(str_at(d, "/contents/1/role"), "model");
    // The first call carries its own signature; Claude's thinking is not sent; the second call
    // gets the stand-in Gemini 3 accepts.
    ASSERT_EQ(size_at(d, "/contents/1/parts"), 2u);
    EXPECT_EQ(str_at(d, "/contents/1/parts/0/functionCall/name"), "get_weather");
    EXPECT_EQ(str_at(d, "/contents/1/parts/0/functionCall/args/city"), "Oslo");
    EXPECT_EQ(str_at(d, "/contents/1/parts/0/thoughtSignature"), "SIG-A");
    EXPECT_EQ(str_at(d, "/contents/1/parts/1/thoughtSignature"), gemini::kSyntheticSignature);
    // Both results in one user content, named after their calls, in order.
    ASSERT_EQ(size_at(d, "/contents/2/parts"), 2u);
    EXPECT_EQ(str_at(d, "/contents/2/parts/0/functionResponse/name"), "get_weather");
    EXPECT_EQ(str_at(d, "/contents/2/parts/0/functionResponse/response/output"), "sunny");
    EXPECT_EQ(str_at(d, "/contents/2/parts/1/functionResponse/response/output"), "rain");
    // The billing line is not sent.
    ASSERT_EQ(size_at(d, "/systemInstruction/parts"), 1u);
    EXPECT_EQ(str_at(d, "/systemInstruction/parts/0/text"), "Be brief.");
    EXPECT_FALSE(
        has(d, "/tools/0/functionDeclarations/0/parametersJsonSchema/additionalProperties"));
    EXPECT_EQ(str_at(d, "/toolConfig/functionCallingConfig/mode"), "ANY");
    EXPECT_EQ(str_at(d, "/toolConfig/functionCallingConfig/allowedFunctionNames/0"), "get_weather");
    EXPECT_EQ(int_at(d, "/generationConfig/maxOutputTokens"), 1000);
    EXPECT_EQ(str_at(d, "/generationConfig/stopSequences/0"), "END");
    EXPECT_EQ(int_at(d, "/generationConfig/thinkingConfig/thinkingBudget"), 4000);
    EXPECT_TRUE(bool_at(d, "/generationConfig/thinkingConfig/includeThoughts"));

    // Gemini 3 takes a level, never a budget.
    o.model = "gemini-3-pro-preview";
    auto g3 = parse(gemini::encode_request(r, o));
    EXPECT_EQ(str_at(g3, "/generationConfig/thinkingConfig/thinkingLevel"), "low");
    EXPECT_FALSE(has(g3, "/generationConfig/thinkingConfig/thinkingBudget"));
}

TEST(GeminiEncode, ATrailingModelTurnIsNotSent) {
    Request r = anthropic_request(
        R"({"model":"m","max_tokens":10,"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"Sure,"}]})");
    auto d = parse(gemini::encode_request(r, EncodeOptions{}));
    ASSERT_EQ(size_at(d, "/contents"), 1u);
    EXPECT_EQ(str_at(d, "/contents/0/parts/0/text"), "hi");
}

// A user message with nothing Gemini can carry (an unsigned thought, empty text) is not sent,
// so it does not make the model turn before it a middle one: the request still ends on the
// user (found by fuzz_codecs' round trip: the second pass dropped the model turn the first
// had sent).
TEST(GeminiEncode, AModelTurnBeforeAUserMessageWithNothingToSendIsNotSent) {
    Request r = anthropic_request(
        R"({"model":"m","max_tokens":10,"messages":[{"role":"user","content":"hi"},)"
        R"({"role":"assistant","content":"Sure,"},)"
        R"({"role":"user","content":[{"type":"text","text":""}]}]})");
    std::string first = gemini::encode_request(r, EncodeOptions{});
    auto d = parse(first);
    ASSERT_EQ(size_at(d, "/contents"), 1u) << first;
    EXPECT_EQ(str_at(d, "/contents/0/role"), "user");
    Request again;
    std::string error;
    ASSERT_TRUE(gemini::decode_request(first, again, &error)) << error;
    EXPECT_EQ(gemini::encode_request(again, EncodeOptions{}), first);
}

// ---- stream decoding ------------------------------------------------------------------------

TEST(GeminiDecode, ThoughtsTextAndParallelCallsWithSignatures) {
    std::string s =
        chunk(
            R"({"candidates":[{"content":{"role":"model","parts":[{"text":"Plan","thought":true}]},"index":0}],"responseId":"r1","modelVersion":"gemini-2.5-pro"})") +
        chunk(
            R"({"candidates":[{"content":{"role":"model","parts":[{"text":" more","thought":true,"thoughtSignature":"T-SIG"}]}}]})") +
        chunk(R"({"candidates":[{"content":{"role":"model","parts":[{"text":"Checking."}]}}]})") +
        chunk(
            R"({"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{"city":"Oslo"}},"thoughtSignature":"C-SIG"},{"functionCall":{"name":"get_weather","args":{"city":"Rome"}}}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":100,"cachedContentTokenCount":40,"candidatesTokenCount":20,"thoughtsTokenCount":5}})");
    auto events = decode_whole(s);
    auto d = describe_all(events);
    ASSERT_GE(d.size(), 18u) << ::testing::PrintToString(d);
    EXPECT_EQ(d[0], "message_start r1");
    EXPECT_EQ(d[1], "start 0 thinking");
    EXPECT_EQ(d[2], "delta 0 thinking Plan");
    EXPECT_EQ(d[3], "delta 0 thinking  more");
    auto thought = parse_opaque_signature(events[4].text);
    ASSERT_TRUE(thought) << events[4].text;
    EXPECT_EQ(thought->family, "gemini");
    EXPECT_EQ(str_at(parse(thought->json), "/thoughtSignature"), "T-SIG");
    EXPECT_EQ(d[5], "stop 0");
    EXPECT_EQ(d[6], "start 1 text");
    EXPECT_EQ(d[7], "delta 1 text Checking.");
    EXPECT_EQ(d[8], "stop 1");
    // The first call's signature rides in an empty thinking block just before it.
    EXPECT_EQ(d[9], "start 2 thinking");
    EXPECT_NE(events[10].text.find("C-SIG"), std::string::npos);
    EXPECT_EQ(d[11], "stop 2");
    EXPECT_EQ(d[12].rfind("start 3 tool_use toolu_", 0), 0u) << d[12];
    EXPECT_EQ(d[13], R"(delta 3 json {"city":"Oslo"})");
    EXPECT_EQ(d[15].rfind("start 4 tool_use", 0), 0u) << d[15];
    EXPECT_EQ(events[12].id == events[15].id, false);  // each call its own id
    // STOP after calls is a tool_use stop; usage counts each token once.
    EXPECT_EQ(d[d.size() - 2], "message_delta tool_use in=60 out=25 cache_read=40");
    EXPECT_EQ(d.back(), "message_stop");
}

TEST(GeminiDecode, ErrorsFinishReasonsAndAStreamWithoutCandidates) {
    auto err = decode_whole(chunk(
        R"({"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"12s"}]}})"));
    ASSERT_FALSE(err.empty());
    EXPECT_EQ(err.back().kind, StreamEvent::Kind::kError);
    EXPECT_EQ(err.back().error.kind, ErrorKind::kRateLimit);
    EXPECT_EQ(*err.back().error.retry_after_s, 12);

    auto limited = describe_all(decode_whole(chunk(
        R"({"candidates":[{"content":{"parts":[{"text":"par"}]},"finishReason":"MAX_TOKENS"}]})")));
    EXPECT_EQ(limited.at(limited.size() - 2), "message_delta max_tokens in=0 out=0 cache_read=0");

    auto blocked =
        describe_all(decode_whole(chunk(R"({"promptFeedback":{"blockReason":"SAFETY"}})")));
    EXPECT_EQ(blocked.at(blocked.size() - 2), "message_delta refusal in=0 out=0 cache_read=0");

    auto nothing = decode_whole("");
    ASSERT_EQ(nothing.size(), 1u);
    EXPECT_EQ(nothing[0].kind, StreamEvent::Kind::kError);
}

TEST(GeminiErrors, GoogleShapesAlsoInAnArray) {
    Error e = gemini::parse_error(
        429,
        R"([{"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"0.8s"}]}}])");
    EXPECT_EQ(e.kind, ErrorKind::kRateLimit);
    EXPECT_DOUBLE_EQ(*e.retry_after_s, 0.8);
    Error overflow = gemini::parse_error(
        400,
        R"({"error":{"code":400,"message":"The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).","status":"INVALID_ARGUMENT"}})");
    EXPECT_EQ(overflow.kind, ErrorKind::kContextLength);
    Error missing;
    missing.kind = ErrorKind::kNotFound;
    missing.message = "no such model";
    auto body = parse(gemini::encode_error(missing));
    EXPECT_EQ(int_at(body, "/error/code"), 404);
    EXPECT_EQ(str_at(body, "/error/status"), "NOT_FOUND");
}

// ---- the client side ------------------------------------------------------------------------

TEST(GeminiClient, ARequestOfTheGeminiCliDecodes) {
    Request r;
    std::string error;
    ASSERT_TRUE(gemini::decode_request(R"({
      "contents":[
        {"role":"user","parts":[{"text":"List files"}]},
        {"role":"model","parts":[{"text":"thinking...","thought":true,"thoughtSignature":"TS"},
                                 {"functionCall":{"name":"ls","args":{"path":"."}},"thoughtSignature":"CS"},
                                 {"functionCall":{"name":"ls","args":{"path":"/"}}}]},
        {"role":"user","parts":[{"functionResponse":{"name":"ls","response":{"output":"a b"}}},
                                {"functionResponse":{"name":"ls","response":{"output":"bin"}}}]}],
      "systemInstruction":{"parts":[{"text":"You are a CLI."}]},
      "tools":[{"functionDeclarations":[{"name":"ls","description":"list","parameters":{"type":"OBJECT","properties":{"path":{"type":"STRING"}}}}]},{"googleSearch":{}}],
      "toolConfig":{"functionCallingConfig":{"mode":"AUTO"}},
      "generationConfig":{"maxOutputTokens":2048,"temperature":0,"thinkingConfig":{"thinkingBudget":-1,"includeThoughts":true}}
    })",
                                       r, &error))
        << error;
    ASSERT_EQ(r.messages.size(), 3u);
    const auto& model = r.messages[1].blocks;
    ASSERT_EQ(model.size(), 4u);
    EXPECT_EQ(model[0].type, BlockType::kThinking);
    EXPECT_EQ(model[0].signature_origin, "gemini");
    EXPECT_EQ(model[1].type, BlockType::kThinking);  // the call's signature, before it
    EXPECT_EQ(model[2].type, BlockType::kToolUse);
    EXPECT_EQ(model[3].type, BlockType::kToolUse);
    // Results pair with the calls by name and order.
    const auto& results = r.messages[2].blocks;
    EXPECT_EQ(results[0].id, model[2].id);
    EXPECT_EQ(results[1].id, model[3].id);
    EXPECT_NE(model[2].id, model[3].id);
    ASSERT_EQ(r.tools.size(), 1u);
    EXPECT_EQ(str_at(parse(r.tools[0].schema_json), "/properties/path/type"), "string");
    EXPECT_EQ(r.system.at(0).text, "You are a CLI.");
    EXPECT_EQ(*r.max_tokens, 2048);
    EXPECT_EQ(r.thinking.mode, Thinking::Mode::kAdaptive);
    EXPECT_EQ(r.tool_choice.kind, ToolChoice::Kind::kAuto);

    EXPECT_FALSE(gemini::decode_request(R"({"contents":"hi"})", r, &error));
    EXPECT_NE(error.find("contents"), std::string::npos);
    EXPECT_FALSE(gemini::decode_request(R"({"generationConfig":{}})", r, &error));
}

TEST(GeminiClient, StreamAndWholeAnswersCarrySignaturesBack) {
    auto enc = gemini::make_stream_encoder("gemini-cli/gemini-2.5-pro");
    StreamEvent start;
    start.kind = StreamEvent::Kind::kMessageStart;
    StreamEvent t;
    t.kind = StreamEvent::Kind::kBlockStart;
    t.block_type = BlockType::kThinking;
    StreamEvent sig;
    sig.kind = StreamEvent::Kind::kDelta;
    sig.delta_type = StreamEvent::DeltaType::kSignature;
    sig.text = "EqClaude";  // Anthropic's, through a Gemini client
    StreamEvent stop0;
    stop0.kind = StreamEvent::Kind::kBlockStop;
    StreamEvent call;
    call.kind = StreamEvent::Kind::kBlockStart;
    call.index = 1;
    call.block_type = BlockType::kToolUse;
    call.id = "toolu_9";
    call.name = "ls";
    StreamEvent args;
    args.kind = StreamEvent::Kind::kDelta;
    args.index = 1;
    args.delta_type = StreamEvent::DeltaType::kInputJson;
    args.text = R"({"path":"."})";
    StreamEvent stop1 = stop0;
    stop1.index = 1;
    StreamEvent md;
    md.kind = StreamEvent::Kind::kMessageDelta;
    md.stop_reason = StopReason::kToolUse;
    md.usage.input_tokens = 7;
    md.usage.output_tokens = 3;
    StreamEvent end;
    end.kind = StreamEvent::Kind::kMessageStop;
    std::string out = encode_all(*enc, {start, t, sig, stop0, call, args, stop1, md, end});
    auto events = sse_events(out);
    ASSERT_EQ(events.size(), 2u) << out;
    auto c = parse(events[0].second);
    EXPECT_EQ(str_at(c, "/candidates/0/content/parts/0/functionCall/name"), "ls");
    EXPECT_EQ(str_at(c, "/candidates/0/content/parts/0/functionCall/args/path"), ".");
    EXPECT_EQ(str_at(c, "/candidates/0/content/parts/0/thoughtSignature"),
              "litellm1:anthropic:EqClaude");
    auto last = parse(events[1].second);
    EXPECT_EQ(str_at(last, "/candidates/0/finishReason"), "STOP");
    EXPECT_EQ(int_at(last, "/usageMetadata/promptTokenCount"), 7);

    // The client sends that part back: the signature is Anthropic's again.
    Request r;
    std::string error;
    ASSERT_TRUE(gemini::decode_request(
        R"({"contents":[{"role":"user","parts":[{"text":"q"}]},{"role":"model","parts":[{"functionCall":{"id":"toolu_9","name":"ls","args":{}},"thoughtSignature":"litellm1:anthropic:EqClaude"}]}]})",
        r, &error))
        << error;
    EXPECT_EQ(r.messages[1].blocks[0].signature, "EqClaude");
    EXPECT_EQ(r.messages[1].blocks[0].signature_origin, "anthropic");
    EXPECT_EQ(r.messages[1].blocks[1].id, "toolu_9");

    Response whole;
    Block text;
    text.text = std::string("done");
    whole.content.push_back(text);
    auto w = parse(gemini::encode_response(whole, "m"));
    EXPECT_EQ(str_at(w, "/candidates/0/content/parts/0/text"), "done");
    EXPECT_EQ(str_at(w, "/candidates/0/finishReason"), "STOP");
    EXPECT_EQ(str_at(w, "/modelVersion"), "m");
}

TEST(GeminiDecode, AWholeAnswerAndAnArrayOfChunks) {
    Response r;
    std::string error;
    ASSERT_TRUE(gemini::decode_response(
        R"({"candidates":[{"content":{"role":"model","parts":[{"text":"yes"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":1}})",
        r, &error))
        << error;
    ASSERT_EQ(r.content.size(), 1u);
    EXPECT_EQ(r.content[0].text, "yes");
    EXPECT_EQ(r.usage.input_tokens, 3);
    ASSERT_TRUE(gemini::decode_response(
        R"([{"candidates":[{"content":{"parts":[{"text":"a"}]}}]},{"candidates":[{"content":{"parts":[{"text":"b"}]},"finishReason":"STOP"}]}])",
        r, &error));
    EXPECT_EQ(r.content.at(0).text, "ab");
    EXPECT_FALSE(gemini::decode_response(R"({"nope":1})", r, &error));
}

// Found by the round-trip fuzz property (decode, encode, decode, encode gives the same bytes):
// an answer to a call the history no longer holds kept only a made-up id, and went back
// upstream named after it.
TEST(GeminiClient, AnAnswerToACallNoLongerInTheHistoryKeepsItsName) {
    Request r;
    std::string error;
    ASSERT_TRUE(gemini::decode_request(
        R"({"contents":[{"role":"user","parts":[{"text":"q"},)"
        R"({"functionResponse":{"name":"read_file","response":{"output":"o"}}}]}]})",
        r, &error))
        << error;
    EncodeOptions o;
    o.model = "m";
    std::string first = gemini::encode_request(r, o);
    EXPECT_EQ(str_at(parse(first), "/contents/0/parts/1/functionResponse/name"), "read_file")
        << first;
    Request again;
    ASSERT_TRUE(gemini::decode_request(first, again, &error)) << error;
    EXPECT_EQ(gemini::encode_request(again, o), first);
}

}  // namespace
}  // namespace litellm::wire
