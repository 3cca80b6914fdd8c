#include "daemon/wire/sse.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace litellm::wire {
namespace {

using Events = std::vector<std::pair<std::string, std::string>>;

// Collects (event, data) pairs; the parser hands out views that die after the callback.
struct Collector {
    Events events;
    SseParser parser{[this](std::string_view event, std::string_view data) {
        events.emplace_back(std::string(event), std::string(data));
    }};
};

Events parse_whole(std::string_view bytes) {
    Collector c;
    c.parser.feed(bytes);
    c.parser.finish();
    return c.events;
}

constexpr std::string_view kTwoEvents =
    "event: message_start\n"
    "data: {\"type\":\"message_start\"}\n"
    "\n"
    ": keep-alive comment\n"
    "data: {\"a\":1}\n"
    "\n";

TEST(SseParser, ParsesNamedAndUnnamedEventsAndSkipsComments) {
    Events got = parse_whole(kTwoEvents);
    Events want = {{"message_start", R"({"type":"message_start"})"}, {"", R"({"a":1})"}};
    EXPECT_EQ(got, want);
}

TEST(SseParser, EverySplitPointGivesTheSameEvents) {
    Events want = parse_whole(kTwoEvents);
    ASSERT_EQ(want.size(), 2u);
    for (size_t cut = 0; cut <= kTwoEvents.size(); ++cut) {
        Collector c;
        c.parser.feed(kTwoEvents.substr(0, cut));
        c.parser.feed(kTwoEvents.substr(cut));
        EXPECT_EQ(c.events, want) << "cut at " << cut;
    }
}

TEST(SseParser, ByteAtATimeWithCrLf) {
    std::string crlf =
        "event: ping\r\ndata: {\"type\":\"ping\"}\r\n\r\n"
        "data: line1\r\ndata: line2\r\n\r\n";
    Collector c;
    for (char ch : crlf)
        c.parser.feed(std::string_view(&ch, 1));
    Events want = {{"ping", R"({"type":"ping"})"}, {"", "line1\nline2"}};
    EXPECT_EQ(c.events, want);
}

TEST(SseParser, CrLfSplitBetweenCrAndLfAtEveryOffset) {
    std::string crlf = "data: x\r\n\r\nevent: e\r\ndata: y\r\n\r\n";
    Events want = {{"", "x"}, {"e", "y"}};
    for (size_t a = 0; a <= crlf.size(); ++a) {
        for (size_t b = a; b <= crlf.size(); ++b) {
            Collector c;
            c.parser.feed(std::string_view(crlf).substr(0, a));
            c.parser.feed(std::string_view(crlf).substr(a, b - a));
            c.parser.feed(std::string_view(crlf).substr(b));
            ASSERT_EQ(c.events, want) << "cuts " << a << "," << b;
        }
    }
}

TEST(SseParser, MultiLineDataJoinsWithNewline) {
    Events got = parse_whole("data: {\"a\":\ndata: 1}\n\n");
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].second, "{\"a\":\n1}");
}

TEST(SseParser, OnlyOneLeadingSpaceIsStripped) {
    Events got = parse_whole("data:no-space\n\ndata:  two\n\n");
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].second, "no-space");
    EXPECT_EQ(got[1].second, " two");
}

TEST(SseParser, EventNameDoesNotLeakIntoNextEvent) {
    Events got = parse_whole("event: error\ndata: 1\n\ndata: 2\n\n");
    Events want = {{"error", "1"}, {"", "2"}};
    EXPECT_EQ(got, want);
}

TEST(SseParser, EventWithoutDataIsNotDispatched) {
    // An `event:` line alone, or a comment block, carries nothing to hand on.
    Events got = parse_whole("event: ping\n\n: comment\n\nid: 7\nretry: 100\n\n");
    EXPECT_TRUE(got.empty());
}

TEST(SseParser, EmptyDataLineStillDispatches) {
    Events got = parse_whole("data\n\n");
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].second, "");
}

TEST(SseParser, FinishDispatchesTrailingEventWithoutBlankLine) {
    Collector c;
    c.parser.feed("data: first\n\ndata: [DONE]");
    ASSERT_EQ(c.events.size(), 1u);  // the second event is not complete yet
    c.parser.finish();
    Events want = {{"", "first"}, {"", "[DONE]"}};
    EXPECT_EQ(c.events, want);
}

TEST(SseParser, FinishDispatchesTrailingEventEndingInSingleNewline) {
    Collector c;
    c.parser.feed("event: message_stop\ndata: {\"type\":\"message_stop\"}\n");
    EXPECT_TRUE(c.events.empty());
    c.parser.finish();
    Events want = {{"message_stop", R"({"type":"message_stop"})"}};
    EXPECT_EQ(c.events, want);
}

TEST(SseParser, FinishTwiceAndFinishOnNothingAreHarmless) {
    Collector c;
    c.parser.finish();
    c.parser.feed("data: a\n\n");
    c.parser.finish();
    c.parser.finish();
    EXPECT_EQ(c.events, (Events{{"", "a"}}));
}

TEST(SseParser, DataContainingColonsIsKeptWhole) {
    Events got = parse_whole("data: {\"url\":\"https://x.y/z\"}\n\n");
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].second, R"({"url":"https://x.y/z"})");
}

TEST(AppendSseEvent, FormatsNamedAndUnnamedEvents) {
    std::string out;
    append_sse_event(out, "ping", R"({"type":"ping"})");
    append_sse_event(out, {}, "[DONE]");
    EXPECT_EQ(out, "event: ping\ndata: {\"type\":\"ping\"}\n\ndata: [DONE]\n\n");
    // And what we write parses back to the same events.
    Events want = {{"ping", R"({"type":"ping"})"}, {"", "[DONE]"}};
    EXPECT_EQ(parse_whole(out), want);
}

TEST(SseParser, ALineWithoutANewlineStopsAtTheLimit) {
    set_sse_event_limit(1024);
    Collector c;
    set_sse_event_limit(8u << 20);  // parsers made later get the default again
    c.parser.feed("data: {\"a\":1}\n\n");
    std::string endless(600, 'x');
    c.parser.feed(endless);
    EXPECT_FALSE(c.parser.overflowed());
    c.parser.feed(endless);  // 1,200 bytes of one unfinished line
    EXPECT_TRUE(c.parser.overflowed());
    c.parser.feed("\n\ndata: {}\n\n");  // nothing more is parsed
    c.parser.finish();
    EXPECT_EQ(c.events.size(), 1u);
}

TEST(SseParser, AnEventOfManyDataLinesStopsAtTheLimit) {
    set_sse_event_limit(1024);
    Collector c;
    set_sse_event_limit(8u << 20);
    for (int i = 0; i < 40; ++i)
        c.parser.feed("data: " + std::string(50, 'y') + "\n");
    EXPECT_TRUE(c.parser.overflowed());
    EXPECT_TRUE(c.events.empty());
}

}  // namespace
}  // namespace litellm::wire
