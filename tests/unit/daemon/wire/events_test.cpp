#include "daemon/wire/events.hpp"

#include <gtest/gtest.h>

#include "daemon/wire/anthropic.hpp"
#include "daemon/wire/normalize.hpp"
#include "daemon/wire/openai_chat.hpp"

namespace litellm::wire {
namespace {

Response sample() {
    Response r;
    r.id = "msg_1";
    r.model = "m";
    Block thinking;
    thinking.type = BlockType::kThinking;
    thinking.text = "let me see";
    thinking.signature = "EqSig";
    Block redacted;
    redacted.type = BlockType::kRedactedThinking;
    redacted.signature = "opaque-data";
    Block text;
    text.text = "Here:";
    Block use;
    use.type = BlockType::kToolUse;
    use.id = "toolu_1";
    use.name = "Bash";
    use.input_json = R"({"command":"ls"})";
    r.content = {thinking, redacted, text, use};
    r.stop_reason = StopReason::kToolUse;
    r.usage.input_tokens = 12;
    r.usage.output_tokens = 7;
    return r;
}

TEST(EventAggregator, GathersWhatResponseToEventsTells) {
    Response r = sample();
    EventAggregator agg;
    for (const auto& e : response_to_events(r))
        agg.add(e);
    ASSERT_TRUE(agg.complete());
    EXPECT_EQ(agg.error(), nullptr);
    const Response& got = agg.response();
    EXPECT_EQ(got.id, "msg_1");
    ASSERT_EQ(got.content.size(), 4u);
    EXPECT_EQ(got.content[0].type, BlockType::kThinking);
    EXPECT_EQ(got.content[0].text, "let me see");
    EXPECT_EQ(got.content[0].signature, "EqSig");
    EXPECT_EQ(got.content[1].type, BlockType::kRedactedThinking);
    EXPECT_EQ(got.content[1].signature, "opaque-data");
    EXPECT_EQ(got.content[2].text, "Here:");
    EXPECT_EQ(got.content[3].input_json, R"({"command":"ls"})");
    EXPECT_EQ(got.stop_reason, StopReason::kToolUse);
    EXPECT_EQ(got.usage.output_tokens, 7);
}

TEST(EventAggregator, GathersARealStreamAndKeepsItsError) {
    std::string sse =
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_2\","
        "\"model\":\"m\",\"usage\":{\"input_tokens\":3,\"output_tokens\":0}}}\n\n"
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
        "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
        "\"delta\":{\"type\":\"text_delta\",\"text\":\"Hel\"}}\n\n"
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
        "\"delta\":{\"type\":\"text_delta\",\"text\":\"lo\"}}\n\n"
        "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
        "\"message\":\"busy\"}}\n\n";
    auto decoder = anthropic::make_stream_decoder();
    std::vector<StreamEvent> events;
    decoder->feed(sse, events);
    EventAggregator agg;
    for (const auto& e : events)
        agg.add(e);
    EXPECT_FALSE(agg.complete());
    ASSERT_NE(agg.error(), nullptr);
    EXPECT_EQ(agg.error()->kind, ErrorKind::kOverloaded);
    ASSERT_EQ(agg.response().content.size(), 1u);
    EXPECT_EQ(agg.response().content[0].text, "Hello");
}

// Defect 7's return path: a structured output asked for with a forced tool comes back as the
// text the client asked for, whole and streamed.
// Arguments an upstream streamed as text become raw JSON in a whole answer: what is not one
// object is {} (found by fuzz_codecs: a garbled argument stream broke the answer's JSON).
TEST(EventAggregator, ToolInputThatIsNotAnObjectBecomesEmpty) {
    EventAggregator agg;
    StreamEvent start;
    start.kind = StreamEvent::Kind::kMessageStart;
    agg.add(start);
    for (int i = 0; i < 2; ++i) {
        StreamEvent open;
        open.kind = StreamEvent::Kind::kBlockStart;
        open.index = i;
        open.block_type = BlockType::kToolUse;
        open.id = "t" + std::to_string(i);
        open.name = "f";
        agg.add(open);
        StreamEvent args;
        args.kind = StreamEvent::Kind::kDelta;
        args.index = i;
        args.delta_type = StreamEvent::DeltaType::kInputJson;
        args.text = i == 0 ? R"({"a": 1})" : R"({"a":)";
        agg.add(args);
    }
    StreamEvent stop;
    stop.kind = StreamEvent::Kind::kMessageStop;
    agg.add(stop);
    Response r = agg.response();
    ASSERT_EQ(r.content.size(), 2u);
    EXPECT_EQ(r.content[0].input_json, R"({"a":1})");
    EXPECT_EQ(r.content[1].input_json, "{}");
}

TEST(EventEmitter, OneStartDenseBlocksAndTheClosingPair) {
    std::vector<StreamEvent> out;
    EventEmitter emit;
    emit.bind(&out);
    EXPECT_FALSE(emit.started());
    emit.start("msg_1", "m");
    emit.start("msg_2", "other");  // once only
    EXPECT_TRUE(emit.started());
    int a = emit.open(BlockType::kThinking);
    int b = emit.open(BlockType::kToolUse, "toolu_1", "f");
    emit.delta(b, StreamEvent::DeltaType::kInputJson, "{}");
    emit.close(a);
    emit.close(b);
    Usage u;
    u.output_tokens = 3;
    emit.end(StopReason::kToolUse, u);
    emit.error(ErrorKind::kApi, "late");
    EXPECT_EQ(a, 0);
    EXPECT_EQ(b, 1);
    EXPECT_EQ(emit.blocks(), 2);
    ASSERT_EQ(out.size(), 9u);
    EXPECT_EQ(out[0].message_id, "msg_1");
    EXPECT_EQ(out[2].id, "toolu_1");
    EXPECT_EQ(out[5].kind, StreamEvent::Kind::kBlockStop);
    EXPECT_EQ(out[6].kind, StreamEvent::Kind::kMessageDelta);
    EXPECT_EQ(*out[6].stop_reason, StopReason::kToolUse);
    EXPECT_EQ(out[6].usage.output_tokens, 3);
    EXPECT_EQ(out[7].kind, StreamEvent::Kind::kMessageStop);
    EXPECT_EQ(out[8].kind, StreamEvent::Kind::kError);
    EXPECT_EQ(out[8].error.message, "late");
    EventAggregator agg;
    for (const auto& e : out)
        agg.add(e);
    EXPECT_TRUE(agg.complete());
}

TEST(StructuredOutputUnwrap, TheForcedToolBecomesTheTextAnswer) {
    Response r;
    Block use;
    use.type = BlockType::kToolUse;
    use.id = "toolu_9";
    use.name = kStructuredOutputTool;
    use.input_json = R"({"city":"Paris"})";
    r.content = {use};
    r.stop_reason = StopReason::kToolUse;

    Response whole = r;
    StructuredOutputUnwrap::apply(whole);
    ASSERT_EQ(whole.content.size(), 1u);
    EXPECT_EQ(whole.content[0].type, BlockType::kText);
    EXPECT_EQ(whole.content[0].text, R"({"city":"Paris"})");
    EXPECT_EQ(whole.stop_reason, StopReason::kEndTurn);

    auto events = response_to_events(r);
    StructuredOutputUnwrap unwrap;
    unwrap.apply(events);
    auto encoder = openai_chat::make_stream_encoder("gpt", false);
    std::string out;
    for (const auto& e : events)
        encoder->encode(e, out);
    EXPECT_NE(out.find(R"("content":"{\"city\":\"Paris\"}")"), std::string::npos) << out;
    EXPECT_EQ(out.find("tool_calls"), std::string::npos) << out;
    EXPECT_NE(out.find(R"("finish_reason":"stop")"), std::string::npos) << out;
}

}  // namespace
}  // namespace litellm::wire
