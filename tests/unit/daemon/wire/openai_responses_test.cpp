#include "daemon/wire/openai_responses.hpp"

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
    return decode_whole_with(&openai_responses::make_stream_decoder, bytes);
}

std::string ev(const std::string& json) {
    // The backend names each event; the decoder reads the type from the data.
    return "event: x\ndata: " + json + "\n\n";
}

Request anthropic_request(std::string_view body) {
    Request r;
    std::string error;
    EXPECT_TRUE(anthropic::decode_request(body, r, &error)) << error;
    return r;
}

// ---- encode_request -------------------------------------------------------------------------

constexpr std::string_view kToolLoop = R"({
  "model": "m", "max_tokens": 100, "temperature": 0.5,
  "system": [{"type":"text","text":"x-anthropic-billing-header: cc_version=1"},
             {"type":"text","text":"Be brief."}],
  "tools": [{"name":"f","description":"d","input_schema":{"type":"object"}}],
  "tool_choice": {"type":"any"},
  "messages": [
    {"role":"user","content":[{"type":"text","text":"hi"},
      {"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAAA"}}]},
    {"role":"assistant","content":[
      {"type":"thinking","thinking":"t","signature":"litellm1:chatgpt:{\"type\":\"reasoning\",\"encrypted_content\":\"E1\",\"summary\":[]}"},
      {"type":"thinking","thinking":"other","signature":"anthropic-sig"},
      {"type":"text","text":"calling"},
      {"type":"tool_use","id":"call_9","name":"f","input":{"a":1}}]},
    {"role":"user","content":[{"type":"tool_result","tool_use_id":"call_9","content":"done","is_error":true},
      {"type":"text","text":"next"}]}
  ]
})";

TEST(ResponsesEncode, ItemsInOrderWithTheReasoningOfThisFamilyOnly) {
    Request req = anthropic_request(kToolLoop);
    EncodeOptions o;
    o.model = "gpt-5.5";
    o.stream = true;
    o.responses_minimal = true;
    o.prompt_cache_key = "sess";
    o.accepts_signature = [](std::string_view f) { return f == "chatgpt"; };
    auto d = parse(openai_responses::encode_request(req, o));
    EXPECT_EQ(str_at(d, "/model"), "gpt-5.5");
    EXPECT_EQ(str_at(d, "/instructions"), "");
    EXPECT_FALSE(bool_at(d, "/store"));
    EXPECT_TRUE(has(d, "/store"));
    EXPECT_TRUE(bool_at(d, "/stream"));
    EXPECT_EQ(str_at(d, "/include/0"), "reasoning.encrypted_content");
    EXPECT_EQ(str_at(d, "/prompt_cache_key"), "sess");
    // The Codex allow-list: no output limit, no sampling.
    EXPECT_FALSE(has(d, "/max_output_tokens"));
    EXPECT_FALSE(has(d, "/temperature"));
    // The system prompt, without the billing line, as a developer message.
    EXPECT_EQ(str_at(d, "/input/0/role"), "developer");
    EXPECT_EQ(size_at(d, "/input/0/content"), 1u);
    EXPECT_EQ(str_at(d, "/input/0/content/0/text"), "Be brief.");
    EXPECT_EQ(str_at(d, "/input/1/role"), "user");
    EXPECT_EQ(str_at(d, "/input/1/content/1/type"), "input_image");
    EXPECT_EQ(str_at(d, "/input/1/content/1/image_url"), "data:image/png;base64,AAAA");
    // Assistant: our reasoning item as it was, the foreign thinking dropped, text, the call.
    EXPECT_EQ(str_at(d, "/input/2/type"), "reasoning");
    EXPECT_EQ(str_at(d, "/input/2/encrypted_content"), "E1");
    EXPECT_EQ(str_at(d, "/input/3/role"), "assistant");
    EXPECT_EQ(str_at(d, "/input/3/content/0/type"), "output_text");
    EXPECT_EQ(str_at(d, "/input/4/type"), "function_call");
    EXPECT_EQ(str_at(d, "/input/4/call_id"), "call_9");
    EXPECT_EQ(str_at(d, "/input/4/arguments"), R"({"a":1})");
    // The result first, then the user's text.
    EXPECT_EQ(str_at(d, "/input/5/type"), "function_call_output");
    EXPECT_EQ(str_at(d, "/input/5/output"), "Error: done");
    EXPECT_EQ(str_at(d, "/input/6/content/0/text"), "next");
    EXPECT_EQ(size_at(d, "/input"), 7u);
    EXPECT_EQ(str_at(d, "/tools/0/type"), "function");
    EXPECT_TRUE(has(d, "/tools/0/parameters/properties"));
    EXPECT_FALSE(bool_at(d, "/tools/0/strict"));
    EXPECT_EQ(str_at(d, "/tool_choice"), "required");
    EXPECT_TRUE(bool_at(d, "/parallel_tool_calls"));
}

TEST(ResponsesEncode, SamplingStaysForOtherBackendsAndEffortFollowsTheBudget) {
    Request req = anthropic_request(
        R"({"model":"m","max_tokens":100,"temperature":0.5,"thinking":{"type":"enabled","budget_tokens":20000},"messages":[{"role":"user","content":"hi"}]})");
    EncodeOptions o;
    o.model = "gpt-5.4";
    auto d = parse(openai_responses::encode_request(req, o));
    EXPECT_EQ(int_at(d, "/max_output_tokens"), 100);
    EXPECT_EQ(dbl_at(d, "/temperature"), 0.5);
    EXPECT_EQ(str_at(d, "/reasoning/effort"), "high");
    EXPECT_EQ(str_at(d, "/reasoning/summary"), "auto");
    EXPECT_FALSE(has(d, "/tools"));
    EXPECT_FALSE(has(d, "/parallel_tool_calls"));  // no tools, no flag
    Request off = anthropic_request(
        R"({"model":"m","max_tokens":10,"thinking":{"type":"disabled"},"messages":[{"role":"user","content":"hi"}]})");
    EXPECT_EQ(str_at(parse(openai_responses::encode_request(off, o)), "/reasoning/effort"), "low");
    EXPECT_EQ(openai_responses::effort_from_budget(1024), "low");
    EXPECT_EQ(openai_responses::effort_from_budget(100000), "xhigh");
}

// ---- stream decoding ------------------------------------------------------------------------

TEST(ResponsesDecode, ParallelCallsInterleaveByOutputIndex) {
    std::string s =
        ev(R"({"type":"response.created","response":{"id":"resp_1","model":"gpt-5.5","output":[]}})") +
        ev(R"({"type":"response.output_item.added","output_index":0,"item":{"type":"function_call","call_id":"c0","name":"a"}})") +
        ev(R"({"type":"response.output_item.added","output_index":1,"item":{"type":"function_call","call_id":"c1","name":"b"}})") +
        ev(R"({"type":"response.function_call_arguments.delta","output_index":1,"delta":"{\"y\""})") +
        ev(R"({"type":"response.function_call_arguments.delta","output_index":0,"delta":"{\"x\":1}"})") +
        ev(R"({"type":"response.function_call_arguments.done","output_index":1,"arguments":"{\"y\":2}"})") +
        ev(R"({"type":"response.output_item.done","output_index":0,"item":{"type":"function_call","call_id":"c0","name":"a","arguments":"{\"x\":1}"}})") +
        ev(R"({"type":"response.output_item.done","output_index":1,"item":{"type":"function_call","call_id":"c1","name":"b","arguments":"{\"y\":2}"}})") +
        ev(R"({"type":"response.completed","response":{"output":[],"usage":{"input_tokens":50,"input_tokens_details":{"cached_tokens":20},"output_tokens":5}}})");
    for (unsigned seed = 0; seed < 20; ++seed) {
        auto d = openai_responses::make_stream_decoder();
        auto events = feed_in_pieces(*d, s, seed);
        EXPECT_EQ(
            describe_all(events),
            (std::vector<std::string>{
                "message_start resp_1", "start 0 tool_use c0 a", "start 1 tool_use c1 b",
                "delta 1 json {\"y\"", "delta 0 json {\"x\":1}", "delta 1 json :2}", "stop 0",
                "stop 1", "message_delta tool_use in=30 out=5 cache_read=20", "message_stop"}))
            << seed;
    }
}

TEST(ResponsesDecode, ReasoningBecomesThinkingWithTheItemAsOpaqueSignature) {
    std::string s =
        ev(R"({"type":"response.created","response":{"id":"r","output":[]}})") +
        ev(R"({"type":"response.output_item.added","output_index":0,"item":{"id":"rs_1","type":"reasoning"}})") +
        ev(R"({"type":"response.reasoning_summary_part.added","output_index":0,"summary_index":0})") +
        ev(R"({"type":"response.reasoning_summary_text.delta","output_index":0,"delta":"A"})") +
        ev(R"({"type":"response.reasoning_summary_part.added","output_index":0,"summary_index":1})") +
        ev(R"({"type":"response.reasoning_summary_text.delta","output_index":0,"delta":"B"})") +
        ev(R"({"type":"response.output_item.done","output_index":0,"item":{"id":"rs_1","type":"reasoning","encrypted_content":"ENC","summary":[]}})") +
        ev(R"({"type":"response.output_item.done","output_index":1,"item":{"type":"message","content":[{"type":"output_text","text":"only in done"}]}})") +
        ev(R"({"type":"response.completed","response":{"output":[]}})");
    auto events = decode_whole(s);
    auto d = describe_all(events);
    ASSERT_EQ(d.size(), 12u) << ::testing::PrintToString(d);
    EXPECT_EQ(d[1], "start 0 thinking");
    EXPECT_EQ(d[2], "delta 0 thinking A");
    EXPECT_EQ(d[3], "delta 0 thinking \n\n");
    EXPECT_EQ(d[4], "delta 0 thinking B");
    auto opaque = parse_opaque_signature(events[5].text);
    ASSERT_TRUE(opaque) << events[5].text;
    EXPECT_EQ(opaque->family, "chatgpt");
    auto item = parse(opaque->json);
    EXPECT_EQ(str_at(item, "/encrypted_content"), "ENC");
    EXPECT_FALSE(has(item, "/id"));  // an id the backend never stored would be refused
    EXPECT_EQ(d[7], "start 1 text");
    EXPECT_EQ(d[8], "delta 1 text only in done");
}

TEST(ResponsesDecode, FailuresIncompleteAndAStreamWithoutEnd) {
    auto failed = decode_whole(
        ev(R"({"type":"response.created","response":{"id":"r","output":[]}})") +
        ev(R"({"type":"response.failed","response":{"status":"failed","error":{"code":"server_is_overloaded","message":"busy"}}})"));
    ASSERT_EQ(failed.size(), 2u);
    EXPECT_EQ(failed[1].kind, StreamEvent::Kind::kError);
    EXPECT_EQ(failed[1].error.kind, ErrorKind::kOverloaded);
    EXPECT_NE(failed[1].error.message.find("server_is_overloaded"), std::string::npos);

    auto limited = decode_whole(
        ev(R"({"type":"response.output_item.added","output_index":0,"item":{"type":"message"}})") +
        ev(R"({"type":"response.output_text.delta","output_index":0,"delta":"par"})") +
        ev(R"({"type":"response.incomplete","response":{"status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"output":[]}})"));
    EXPECT_EQ(describe_all(limited).at(4), "message_delta max_tokens in=0 out=0 cache_read=0");

    auto cut = decode_whole(
        ev(R"({"type":"response.output_item.added","output_index":0,"item":{"type":"message"}})") +
        ev(R"({"type":"response.output_text.delta","output_index":0,"delta":"par"})"));
    EXPECT_EQ(cut.back().kind, StreamEvent::Kind::kError);
    EXPECT_NE(cut.back().error.message.find("before response.completed"), std::string::npos);

    auto error = decode_whole(
        ev(R"({"type":"error","code":"context_length_exceeded","message":"too long"})"));
    ASSERT_EQ(error.size(), 1u);
    EXPECT_EQ(error[0].error.kind, ErrorKind::kContextLength);
}

TEST(ResponsesDecode, ItemsOnlyInTheCompletedOutputAreReplayed) {
    auto events = decode_whole(ev(
        R"({"type":"response.completed","response":{"id":"r","output":[{"type":"message","content":[{"type":"output_text","text":"hi"}]},{"type":"function_call","call_id":"c","name":"f","arguments":"{}"}]}})"));
    EXPECT_EQ(describe_all(events),
              (std::vector<std::string>{"message_start r", "start 0 text", "delta 0 text hi",
                                        "stop 0", "start 1 tool_use c f", "delta 1 json {}",
                                        "stop 1", "message_delta tool_use in=0 out=0 cache_read=0",
                                        "message_stop"}));
}

TEST(ResponsesDecode, AWholeResponseObject) {
    Response r;
    std::string error;
    ASSERT_TRUE(openai_responses::decode_response(
        R"({"id":"resp_9","object":"response","status":"completed","model":"gpt-5.5","output":[{"type":"message","content":[{"type":"output_text","text":"yes"}]}],"usage":{"input_tokens":3,"output_tokens":1}})",
        r, &error))
        << error;
    ASSERT_EQ(r.content.size(), 1u);
    EXPECT_EQ(r.content[0].text, "yes");
    EXPECT_EQ(r.usage.input_tokens, 3);
    EXPECT_FALSE(openai_responses::decode_response(R"({"nope":1})", r, &error));
}

TEST(ResponsesDecode, TheRateLimitsEventIsAQuotaReportEvenAfterTheEnd) {
    auto decoder = openai_responses::make_stream_decoder();
    std::vector<StreamEvent> out;
    const std::string report =
        R"({"type":"codex.rate_limits","rate_limits":{"primary":{"used_percent":40}}})";
    decoder->feed(
        ev(R"({"type":"response.created","response":{"id":"r","output":[]}})") + ev(report), out);
    EXPECT_EQ(decoder->take_quota_report(), report);
    EXPECT_EQ(decoder->take_quota_report(), "");  // taken
    decoder->feed(
        ev(R"({"type":"response.completed","response":{"output":[]}})") +
            ev(R"({"type":"codex.rate_limits","rate_limits":{"primary":{"used_percent":41}}})"),
        out);
    EXPECT_NE(decoder->take_quota_report().find("41"), std::string::npos);
    for (const auto& e : out)
        EXPECT_NE(e.kind, StreamEvent::Kind::kError);  // not content either
}

// Thinking another provider signed travels through a Responses client marked with its origin,
// and comes back as that provider's again (never as Codex's own reasoning).
TEST(ResponsesClient, ForeignThinkingRoundTripsWithItsOrigin) {
    Response r;
    Block t;
    t.type = BlockType::kThinking;
    t.text = std::string("hm");
    t.signature = "EqAnthropicSig";
    t.signature_origin = "anthropic";
    r.content.push_back(t);
    Block text;
    text.text = std::string("ok");
    r.content.push_back(text);
    auto out = parse(openai_responses::encode_response(r, "m"));
    std::string enc = str_at(out, "/output/0/encrypted_content");
    EXPECT_EQ(enc, "litellm1:anthropic:EqAnthropicSig");

    Request back;
    std::string error;
    ASSERT_TRUE(openai_responses::decode_request(
        R"({"model":"m","input":[{"role":"user","content":"q"},{"type":"reasoning","summary":[],"encrypted_content":)" +
            json_quote(enc) +
            R"(},{"type":"reasoning","summary":[],"encrypted_content":"gAAAA-codex"}]})",
        back, &error))
        << error;
    ASSERT_EQ(back.messages.size(), 2u);
    const Block& claude = back.messages[1].blocks.at(0);
    EXPECT_EQ(claude.signature, "EqAnthropicSig");
    EXPECT_EQ(claude.signature_origin, "anthropic");
    EXPECT_FALSE(claude.opaque);
    const Block& codex = back.messages[1].blocks.at(1);
    EXPECT_EQ(codex.signature_origin, "chatgpt");
    ASSERT_TRUE(codex.opaque);
}

TEST(ResponsesClient, PassthroughBytesLoseOnlyForeignReasoning) {
    EXPECT_FALSE(openai_responses::strip_foreign_reasoning(
        R"({"model":"m","input":[{"type":"reasoning","encrypted_content":"gAAAA"}]})"));
    auto cut = openai_responses::strip_foreign_reasoning(
        R"({"model":"m","input":[{"role":"user","content":"litellm1: is just text here"},)"
        R"({"type":"reasoning","summary":[],"encrypted_content":"litellm1:anthropic:sig"},)"
        R"({"type":"reasoning","encrypted_content":"gAAAA"}],"stream":true})");
    ASSERT_TRUE(cut);
    auto b = parse(*cut);
    ASSERT_EQ(size_at(b, "/input"), 2u) << *cut;
    EXPECT_EQ(str_at(b, "/input/0/content"), "litellm1: is just text here");
    EXPECT_EQ(str_at(b, "/input/1/encrypted_content"), "gAAAA");
    EXPECT_TRUE(bool_at(b, "/stream"));
}

// Found by fuzz_codecs: a client's function_call arguments are text, and other formats write
// tool input raw, so text that is not one JSON object must not reach their bodies (it broke the
// JSON, and could have added members such as a second "model").
TEST(ResponsesClient, ArgumentsThatAreNotAnObjectBecomeEmpty) {
    for (const char* args : {R"({{{{)", R"({}}],"model":"other","x":[{)", "[1]", ""}) {
        Request r;
        std::string error;
        ASSERT_TRUE(openai_responses::decode_request(
            std::string(
                R"({"model":"m","input":[{"role":"user","content":"q"},{"type":"function_call","call_id":"c","name":"f","arguments":)") +
                json_quote(args) +
                R"(},{"type":"function_call_output","call_id":"c","output":"o"}]})",
            r, &error))
            << error;
        EXPECT_EQ(r.messages.at(1).blocks.at(0).input_json, "{}") << args;
        EncodeOptions o;
        o.model = "m";
        auto body = parse(anthropic::encode_request(r, o));
        EXPECT_EQ(str_at(body, "/model"), "m");
    }
}

// Found by the round-trip fuzz property: a tool output after the user's own text moved in
// front of it on the second pass (the decoder merged it into the text's message, whose tool
// results the encoder writes first).
TEST(ResponsesClient, AToolOutputAfterUserTextKeepsItsPlace) {
    Request r;
    std::string error;
    ASSERT_TRUE(openai_responses::decode_request(
        R"({"model":"m","input":[{"role":"user","content":[{"type":"input_text","text":"q"}]},)"
        R"({"type":"function_call_output","call_id":"c","output":"o"}]})",
        r, &error))
        << error;
    EncodeOptions o;
    o.model = "m";
    std::string first = openai_responses::encode_request(r, o);
    auto d = parse(first);
    EXPECT_EQ(str_at(d, "/input/0/type"), "message") << first;
    EXPECT_EQ(str_at(d, "/input/1/type"), "function_call_output") << first;
    Request again;
    ASSERT_TRUE(openai_responses::decode_request(first, again, &error)) << error;
    EXPECT_EQ(openai_responses::encode_request(again, o), first);
}

}  // namespace
}  // namespace litellm::wire
