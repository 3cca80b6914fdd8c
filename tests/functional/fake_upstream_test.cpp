// Tests of the fake upstream itself (tests/fakes/): scripting, recording, streaming, cuts, and
// the shape of the wire data its builders produce. The proxy tests trust all of this.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <rapidjson/document.h>

#include "fakes/fake_upstream.hpp"

extern char** environ;

namespace litellm::test {
namespace {

using Clock = std::chrono::steady_clock;

rapidjson::Document parse(const std::string& text) {
    rapidjson::Document doc;
    doc.Parse(text.data(), text.size());
    EXPECT_FALSE(doc.HasParseError()) << "not JSON: " << text;
    return doc;
}

std::string str(const rapidjson::Value& v) {
    return v.IsString() ? std::string(v.GetString(), v.GetStringLength()) : std::string("<?>");
}

httplib::Client client_for(const FakeUpstream& up) {
    httplib::Client c(up.base_url());
    c.set_tcp_nodelay(true);
    c.set_read_timeout(5);
    return c;
}

// POSTs `body` and collects the response body piece by piece as httplib delivers it
// (0.11.4's Client::Post has no content-receiver overload, so go through send()).
httplib::Result post_receiving(httplib::Client& c, const std::string& path,
                               std::vector<std::string>& pieces) {
    httplib::Request req;
    req.method = "POST";
    req.path = path;
    req.body = "{}";
    req.set_header("Content-Type", "application/json");
    req.content_receiver = [&pieces](const char* data, size_t n, uint64_t, uint64_t) {
        pieces.emplace_back(data, n);
        return true;
    };
    return c.send(req);
}

std::string joined(const std::vector<std::string>& pieces) {
    std::string all;
    for (const auto& p : pieces)
        all += p;
    return all;
}

// Anthropic SSE: every event's `event:` equals its data.type; returns the types in order.
std::vector<std::string> anthropic_types(const std::vector<SseEvent>& events) {
    std::vector<std::string> types;
    for (const auto& e : events) {
        auto doc = parse(e.data);
        EXPECT_EQ(e.event, str(doc["type"])) << e.data;
        types.push_back(e.event);
    }
    return types;
}

// ----- the server ----------------------------------------------------------------------------

TEST(FakeUpstream, QueueIsFifoThenDefaultIsAnUnscriptedError) {
    FakeUpstream up;
    FakeReply a;
    a.body = "first";
    FakeReply b;
    b.status = 201;
    b.body = "second";
    up.push_reply(a);
    up.push_reply(b);
    auto c = client_for(up);
    auto r1 = c.Post("/x", "{}", "application/json");
    auto r2 = c.Post("/y", "{}", "application/json");
    auto r3 = c.Get("/v1/models");
    ASSERT_TRUE(r1 && r2 && r3);
    EXPECT_EQ(r1->status, 200);
    EXPECT_EQ(r1->body, "first");
    EXPECT_EQ(r2->status, 201);
    EXPECT_EQ(r2->body, "second");
    EXPECT_EQ(r3->status, 500);
    auto err = parse(r3->body);
    EXPECT_NE(str(err["error"]["message"]).find("no reply was scripted for GET /v1/models"),
              std::string::npos);
    EXPECT_EQ(up.request_count(), 3u);
}

TEST(FakeUpstream, ResponderRunsBeforeDefaultAndQueueBeforeResponder) {
    FakeUpstream up;
    FakeReply def;
    def.status = 418;
    up.set_default_reply(def);
    auto c = client_for(up);
    EXPECT_EQ(c.Get("/a")->status, 418);
    up.set_responder([](const RecordedRequest& req) {
        FakeReply r;
        r.body = "echo " + req.path;
        return r;
    });
    FakeReply queued;
    queued.body = "queued";
    up.push_reply(queued);
    EXPECT_EQ(c.Get("/b")->body, "queued");
    EXPECT_EQ(c.Get("/c")->body, "echo /c");
}

TEST(FakeUpstream, RecordsMethodPathQueryHeadersAndBody) {
    FakeUpstream up;
    up.set_default_reply(FakeReply{});
    auto c = client_for(up);
    httplib::Headers h = {{"X-Api-Key", "sk-test"}, {"anthropic-version", "2023-06-01"}};
    ASSERT_TRUE(c.Post("/v1/messages?beta=true", h, R"({"model":"m"})", "application/json"));
    ASSERT_TRUE(c.Delete("/thing"));
    auto reqs = up.requests();
    ASSERT_EQ(reqs.size(), 2u);
    EXPECT_EQ(reqs[0].method, "POST");
    EXPECT_EQ(reqs[0].path, "/v1/messages");
    EXPECT_EQ(reqs[0].query, "beta=true");
    EXPECT_EQ(reqs[0].body, R"({"model":"m"})");
    EXPECT_EQ(reqs[0].header("x-api-key"), "sk-test");
    EXPECT_EQ(reqs[0].header("ANTHROPIC-VERSION"), "2023-06-01");
    EXPECT_EQ(reqs[0].header("content-type"), "application/json");
    EXPECT_FALSE(reqs[0].has_header("REMOTE_ADDR"));  // httplib's pseudo-header is filtered
    EXPECT_EQ(reqs[1].method, "DELETE");
    EXPECT_EQ(up.last_request().path, "/thing");
    up.clear();
    EXPECT_EQ(up.request_count(), 0u);
    EXPECT_TRUE(up.last_request().method.empty());
}

TEST(FakeUpstream, StatusAndExtraHeadersReachTheClient) {
    FakeUpstream up;
    up.push_reply(anthropic_fake::rate_limited(7));
    auto c = client_for(up);
    auto r = c.Post("/v1/messages", "{}", "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 429);
    EXPECT_EQ(r->get_header_value("retry-after"), "7");
    EXPECT_EQ(str(parse(r->body)["error"]["type"]), "rate_limit_error");
}

TEST(FakeUpstream, StreamedReplyArrivesWholeOneChunkPerWrite) {
    FakeUpstream up;
    FakeReply s = openai_fake::stream_text({"Hel", "lo ", "wörld"});
    s.delay_between_chunks_ms = 1;
    up.push_reply(s);
    auto c = client_for(up);
    std::vector<std::string> pieces;
    auto r = post_receiving(c, "/v1/chat/completions", pieces);
    ASSERT_TRUE(r) << httplib::to_string(r.error());
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->get_header_value("Content-Type"), "text/event-stream");
    EXPECT_EQ(r->get_header_value("Transfer-Encoding"), "chunked");
    // httplib hands each HTTP chunk to the receiver separately: the chunking survived.
    EXPECT_EQ(pieces, s.chunks);
}

TEST(FakeUpstream, CutDropsTheConnectionMidStream) {
    FakeUpstream up;
    FakeReply s = anthropic_fake::stream_text({"a", "b", "c"});
    s.cut_after_chunks = 3;
    up.push_reply(s);
    auto c = client_for(up);
    std::vector<std::string> pieces;
    auto r = post_receiving(c, "/v1/messages", pieces);
    EXPECT_FALSE(r) << "a cut stream must not look complete";
    EXPECT_EQ(r.error(), httplib::Error::Read);
    EXPECT_EQ(joined(pieces), s.chunks[0] + s.chunks[1] + s.chunks[2]);
    // The fake itself keeps serving.
    up.push_reply(openai_fake::text("ok"));
    auto c2 = client_for(up);
    auto r2 = c2.Post("/v1/chat/completions", "{}", "application/json");
    ASSERT_TRUE(r2);
    EXPECT_EQ(r2->status, 200);
}

TEST(FakeUpstream, DelaysAndConcurrentRequests) {
    FakeUpstream up;
    // Concurrency is counted, not timed: each reply is held 150 ms while the others arrive.
    std::atomic<int> in_flight{0}, most{0};
    up.set_responder([&](const RecordedRequest&) {
        int now = ++in_flight;
        for (int seen = most.load(); now > seen && !most.compare_exchange_weak(seen, now);) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(150));
        --in_flight;
        FakeReply slow = openai_fake::text("slow");
        slow.delay_before_ms = 100;
        return slow;
    });
    constexpr int kClients = 6;
    auto start = Clock::now();
    std::vector<std::future<int>> results;
    for (int i = 0; i < kClients; ++i) {
        results.push_back(std::async(std::launch::async, [&up] {
            auto c = client_for(up);
            auto r = c.Post("/v1/chat/completions", "{}", "application/json");
            return r ? r->status : -1;
        }));
    }
    for (auto& f : results)
        EXPECT_EQ(f.get(), 200);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    EXPECT_GE(ms, 250);  // the responder's hold and the scripted delay both happened
    EXPECT_GE(most.load(), 2) << "requests were served one at a time";
    EXPECT_TRUE(up.wait_for_requests(kClients, 0));
}

TEST(FakeUpstream, DestructorInterruptsLongDelays) {
    auto start = Clock::now();
    {
        auto up = std::make_unique<FakeUpstream>();
        FakeReply slow;
        slow.delay_before_ms = 60000;
        up->push_reply(slow);
        std::thread t([port = up->port()] {
            httplib::Client c("127.0.0.1", port);
            c.Get("/");
        });
        ASSERT_TRUE(up->wait_for_requests(1, 2000));
        up.reset();
        t.join();
    }
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
}

TEST(FakeUpstream, BusyFixedPortThrowsInsteadOfSharing) {
    FakeUpstream first;
    EXPECT_THROW(FakeUpstream second(first.port()), std::runtime_error);
}

TEST(FakeUpstream, DestructorDoesNotWaitForIdleKeepAliveConnections) {
    auto up = std::make_unique<FakeUpstream>();
    up->set_default_reply(openai_fake::text("x"));
    auto c = client_for(*up);
    c.set_keep_alive(true);  // the connection stays open and idle, like a proxy's pool
    ASSERT_TRUE(c.Get("/"));
    auto start = Clock::now();
    up.reset();
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(1));
}

// ----- builders: Anthropic ------------------------------------------------------------------

TEST(AnthropicFake, WholeMessagesHaveTheDocumentedShape) {
    auto t = parse(anthropic_fake::text("Hi \"there\"\n", 11, 6, 3, 2).body);
    EXPECT_EQ(str(t["type"]), "message");
    EXPECT_EQ(str(t["role"]), "assistant");
    EXPECT_EQ(str(t["content"][0]["type"]), "text");
    EXPECT_EQ(str(t["content"][0]["text"]), "Hi \"there\"\n");
    EXPECT_EQ(str(t["stop_reason"]), "end_turn");
    EXPECT_TRUE(t["stop_sequence"].IsNull());
    EXPECT_EQ(t["usage"]["input_tokens"].GetInt(), 11);
    EXPECT_EQ(t["usage"]["output_tokens"].GetInt(), 6);
    EXPECT_EQ(t["usage"]["cache_read_input_tokens"].GetInt(), 3);
    EXPECT_EQ(t["usage"]["cache_creation_input_tokens"].GetInt(), 2);

    auto tu = parse(anthropic_fake::tool_use("toolu_1", "get_weather", R"({"city":"Paris"})").body);
    EXPECT_EQ(str(tu["stop_reason"]), "tool_use");
    EXPECT_EQ(str(tu["content"][0]["type"]), "tool_use");
    EXPECT_EQ(str(tu["content"][0]["input"]["city"]), "Paris");
    EXPECT_THROW(anthropic_fake::tool_use("t", "n", "[1]"), std::invalid_argument);

    auto th = parse(anthropic_fake::thinking_then_text("hmm", "sig", "ok").body);
    EXPECT_EQ(str(th["content"][0]["signature"]), "sig");
    EXPECT_EQ(str(th["content"][1]["text"]), "ok");
}

TEST(AnthropicFake, ErrorsHaveTheDocumentedShape) {
    auto e = anthropic_fake::error(403, "permission_error", "no");
    EXPECT_EQ(e.status, 403);
    auto d = parse(e.body);
    EXPECT_EQ(str(d["type"]), "error");
    EXPECT_EQ(str(d["error"]["type"]), "permission_error");
    EXPECT_EQ(str(d["error"]["message"]), "no");

    auto ctx = anthropic_fake::context_length_error();
    EXPECT_EQ(ctx.status, 400);
    EXPECT_EQ(str(parse(ctx.body)["error"]["message"]),
              "prompt is too long: 210000 tokens > 200000 maximum");
    EXPECT_EQ(anthropic_fake::overloaded().status, 529);
}

TEST(AnthropicFake, StreamTextEventOrderAndUsage) {
    ReplyOptions o;
    o.input_tokens = 25;
    o.output_tokens = 42;
    o.cache_read = 7;
    auto r = anthropic_fake::stream_text({"Hel", "lo"}, o);
    EXPECT_EQ(r.content_type, "text/event-stream");
    auto events = parse_sse(full_body(r));
    EXPECT_EQ(events.size(), r.chunks.size()) << "one chunk per event";
    EXPECT_EQ(anthropic_types(events),
              (std::vector<std::string>{"message_start", "ping", "content_block_start",
                                        "content_block_delta", "content_block_delta",
                                        "content_block_stop", "message_delta", "message_stop"}));
    auto start = parse(events[0].data);
    EXPECT_EQ(start["message"]["content"].Size(), 0u);
    EXPECT_EQ(start["message"]["usage"]["input_tokens"].GetInt(), 25);
    EXPECT_EQ(start["message"]["usage"]["cache_read_input_tokens"].GetInt(), 7);
    EXPECT_EQ(
        str(parse(events[3].data)["delta"]["text"]) + str(parse(events[4].data)["delta"]["text"]),
        "Hello");
    auto delta = parse(events[6].data);
    EXPECT_EQ(str(delta["delta"]["stop_reason"]), "end_turn");
    EXPECT_EQ(delta["usage"]["output_tokens"].GetInt(), 42);
}

TEST(AnthropicFake, StreamThinkingThenText) {
    auto events =
        parse_sse(full_body(anthropic_fake::stream_thinking_then_text({"a", "b"}, "SIG", {"x"})));
    auto types = anthropic_types(events);
    ASSERT_EQ(types.size(), 12u);
    auto b0 = parse(events[2].data);
    EXPECT_EQ(str(b0["content_block"]["type"]), "thinking");
    EXPECT_EQ(str(parse(events[3].data)["delta"]["type"]), "thinking_delta");
    auto sig = parse(events[5].data);
    EXPECT_EQ(str(sig["delta"]["type"]), "signature_delta");
    EXPECT_EQ(str(sig["delta"]["signature"]), "SIG");
    EXPECT_EQ(types[6], "content_block_stop");
    auto b1 = parse(events[7].data);
    EXPECT_EQ(b1["index"].GetInt(), 1);
    EXPECT_EQ(str(b1["content_block"]["type"]), "text");
}

TEST(AnthropicFake, StreamToolCallsOneBlockPerCall) {
    std::vector<ToolCall> calls = {{"toolu_a", "get_weather", {R"({"city":)", R"("Paris"})"}},
                                   {"toolu_b", "get_time", {R"({"tz":"UTC"})"}}};
    auto events = parse_sse(full_body(anthropic_fake::stream_tool_calls(calls, {}, {"Let me"})));
    anthropic_types(events);
    std::map<int, std::string> json_by_block;
    std::vector<std::string> starts;
    std::string stop_reason;
    for (const auto& e : events) {
        auto d = parse(e.data);
        if (e.event == "content_block_start") starts.push_back(str(d["content_block"]["type"]));
        if (e.event == "content_block_delta" && str(d["delta"]["type"]) == "input_json_delta")
            json_by_block[d["index"].GetInt()] += str(d["delta"]["partial_json"]);
        if (e.event == "message_delta") stop_reason = str(d["delta"]["stop_reason"]);
    }
    EXPECT_EQ(starts, (std::vector<std::string>{"text", "tool_use", "tool_use"}));
    EXPECT_EQ(str(parse(json_by_block[1])["city"]), "Paris");
    EXPECT_EQ(str(parse(json_by_block[2])["tz"]), "UTC");
    EXPECT_EQ(stop_reason, "tool_use");
}

TEST(AnthropicFake, StreamErrorAfterStart) {
    auto events = parse_sse(full_body(anthropic_fake::stream_error_after_start()));
    EXPECT_EQ(anthropic_types(events), (std::vector<std::string>{"message_start", "error"}));
    EXPECT_EQ(str(parse(events[1].data)["error"]["type"]), "overloaded_error");
}

// ----- builders: OpenAI ---------------------------------------------------------------------

TEST(OpenAIFake, WholeCompletionsHaveTheDocumentedShape) {
    auto t = parse(openai_fake::text("Hi", 20, 9, 4).body);
    EXPECT_EQ(str(t["object"]), "chat.completion");
    EXPECT_EQ(str(t["choices"][0]["message"]["role"]), "assistant");
    EXPECT_EQ(str(t["choices"][0]["message"]["content"]), "Hi");
    EXPECT_EQ(str(t["choices"][0]["finish_reason"]), "stop");
    EXPECT_EQ(t["usage"]["prompt_tokens"].GetInt(), 20);
    EXPECT_EQ(t["usage"]["total_tokens"].GetInt(), 29);
    EXPECT_EQ(t["usage"]["prompt_tokens_details"]["cached_tokens"].GetInt(), 4);
    EXPECT_EQ(t["usage"]["completion_tokens_details"]["reasoning_tokens"].GetInt(), 0);

    auto tc = parse(openai_fake::tool_use("call_a", "get_weather", R"({"city":"Paris"})").body);
    const auto& msg = tc["choices"][0]["message"];
    EXPECT_TRUE(msg["content"].IsNull());
    EXPECT_EQ(str(msg["tool_calls"][0]["type"]), "function");
    EXPECT_EQ(str(msg["tool_calls"][0]["function"]["arguments"]), R"({"city":"Paris"})");
    EXPECT_EQ(str(tc["choices"][0]["finish_reason"]), "tool_calls");

    auto th = parse(openai_fake::thinking_then_text("why", "because").body);
    EXPECT_EQ(str(th["choices"][0]["message"]["reasoning_content"]), "why");
}

TEST(OpenAIFake, ErrorsHaveTheDocumentedShape) {
    auto e =
        parse(openai_fake::error(401, "invalid_request_error", "bad key", "invalid_api_key").body);
    EXPECT_EQ(str(e["error"]["message"]), "bad key");
    EXPECT_TRUE(e["error"]["param"].IsNull());
    EXPECT_EQ(str(e["error"]["code"]), "invalid_api_key");
    EXPECT_TRUE(parse(openai_fake::error(500, "server_error", "x").body)["error"]["code"].IsNull());

    auto ctx = openai_fake::context_length_error();
    EXPECT_EQ(ctx.status, 400);
    auto c = parse(ctx.body);
    EXPECT_EQ(str(c["error"]["code"]), "context_length_exceeded");
    EXPECT_EQ(str(c["error"]["message"]).rfind("This model's maximum context length is 128000", 0),
              0u);
    auto rl = openai_fake::rate_limited(2);
    EXPECT_EQ(rl.status, 429);
    EXPECT_EQ(rl.headers.back(), (std::pair<std::string, std::string>{"retry-after", "2"}));
    EXPECT_EQ(str(parse(rl.body)["error"]["code"]), "rate_limit_exceeded");
}

// Parses an OpenAI stream: every event but the last is a JSON chunk, the last is [DONE].
std::vector<rapidjson::Document> openai_chunks(const FakeReply& r) {
    auto events = parse_sse(full_body(r));
    EXPECT_FALSE(events.empty());
    EXPECT_EQ(events.back().data, "[DONE]");
    std::vector<rapidjson::Document> out;
    for (size_t i = 0; i + 1 < events.size(); ++i) {
        EXPECT_TRUE(events[i].event.empty());
        out.push_back(parse(events[i].data));
    }
    return out;
}

TEST(OpenAIFake, StreamTextChunkOrderAndUsage) {
    ReplyOptions o;
    o.input_tokens = 20;
    o.output_tokens = 9;
    o.cache_read = 5;
    auto r = openai_fake::stream_text({"Hel", "lo"}, o);
    EXPECT_EQ(parse_sse(full_body(r)).size(), r.chunks.size());
    auto chunks = openai_chunks(r);
    ASSERT_EQ(chunks.size(), 5u);
    EXPECT_EQ(str(chunks[0]["choices"][0]["delta"]["role"]), "assistant");
    EXPECT_EQ(str(chunks[1]["choices"][0]["delta"]["content"]) +
                  str(chunks[2]["choices"][0]["delta"]["content"]),
              "Hello");
    EXPECT_TRUE(chunks[2]["choices"][0]["finish_reason"].IsNull());
    EXPECT_EQ(str(chunks[3]["choices"][0]["finish_reason"]), "stop");
    EXPECT_EQ(chunks[4]["choices"].Size(), 0u);
    EXPECT_EQ(chunks[4]["usage"]["prompt_tokens_details"]["cached_tokens"].GetInt(), 5);
    EXPECT_EQ(chunks[4]["usage"]["total_tokens"].GetInt(), 29);

    o.include_usage = false;
    EXPECT_EQ(openai_chunks(openai_fake::stream_text({"x"}, o)).size(), 3u);
}

TEST(OpenAIFake, StreamReasoningThenContent) {
    auto chunks = openai_chunks(openai_fake::stream_thinking_then_text({"th", "ink"}, {"ok"}));
    ASSERT_EQ(chunks.size(), 6u);
    EXPECT_EQ(str(chunks[1]["choices"][0]["delta"]["reasoning_content"]), "th");
    EXPECT_EQ(str(chunks[2]["choices"][0]["delta"]["reasoning_content"]), "ink");
    EXPECT_EQ(str(chunks[3]["choices"][0]["delta"]["content"]), "ok");
}

TEST(OpenAIFake, ParallelToolCallFragmentsInterleaveByIndex) {
    std::vector<ToolCall> calls = {{"call_a", "get_weather", {R"({"ci)", R"(ty":"Pa)", R"(ris"})"}},
                                   {"call_b", "get_time", {R"({"tz":)", R"("UTC"})"}}};
    auto chunks = openai_chunks(openai_fake::stream_tool_calls(calls));
    std::vector<int> fragment_order;
    std::map<int, std::string> args;
    std::set<int> seen;
    std::string finish;
    for (const auto& c : chunks) {
        if (c["choices"].Empty()) continue;
        const auto& choice = c["choices"][0];
        if (choice["finish_reason"].IsString()) finish = str(choice["finish_reason"]);
        const auto& delta = choice["delta"];
        if (!delta.HasMember("tool_calls")) continue;
        ASSERT_EQ(delta["tool_calls"].Size(), 1u);
        const auto& tc = delta["tool_calls"][0];
        int index = tc["index"].GetInt();
        if (seen.insert(index).second) {
            // The first delta of a call names it and carries empty arguments.
            EXPECT_EQ(str(tc["id"]), calls[index].id);
            EXPECT_EQ(str(tc["type"]), "function");
            EXPECT_EQ(str(tc["function"]["name"]), calls[index].name);
            EXPECT_EQ(str(tc["function"]["arguments"]), "");
        } else {
            EXPECT_FALSE(tc.HasMember("id"));
            fragment_order.push_back(index);
            args[index] += str(tc["function"]["arguments"]);
        }
    }
    EXPECT_EQ(fragment_order, (std::vector<int>{0, 1, 0, 1, 0}));
    EXPECT_EQ(str(parse(args[0])["city"]), "Paris");
    EXPECT_EQ(str(parse(args[1])["tz"]), "UTC");
    EXPECT_EQ(finish, "tool_calls");
}

TEST(OpenAIFake, StreamErrorAfterStart) {
    auto events = parse_sse(full_body(openai_fake::stream_error_after_start()));
    ASSERT_EQ(events.size(), 3u);
    EXPECT_EQ(str(parse(events[1].data)["choices"][0]["delta"]["content"]), "Hel");
    EXPECT_EQ(str(parse(events[2].data)["error"]["type"]), "server_error");
}

// ----- shared helpers ------------------------------------------------------------------------

TEST(FakeWire, SplitEveryBytesCutsEventsAtOddOffsets) {
    ReplyOptions o;
    o.split_every_bytes = 7;
    auto whole = anthropic_fake::stream_text({"héllo", " wörld"});
    auto split = anthropic_fake::stream_text({"héllo", " wörld"}, o);
    EXPECT_EQ(full_body(split), full_body(whole));
    EXPECT_GT(split.chunks.size(), whole.chunks.size());
    for (size_t i = 0; i + 1 < split.chunks.size(); ++i)
        EXPECT_EQ(split.chunks[i].size(), 7u);
    auto o2 = openai_fake::stream_text({"a"});
    EXPECT_EQ(full_body(resplit(o2, 3)), full_body(o2));
}

TEST(FakeWire, ParseSseHandlesCrlfCommentsAndMultilineData) {
    auto ev =
        parse_sse(": comment\r\nevent: a\r\ndata: 1\r\ndata: 2\r\n\r\ndata:x\n\ndata: partial");
    ASSERT_EQ(ev.size(), 2u);
    EXPECT_EQ(ev[0].event, "a");
    EXPECT_EQ(ev[0].data, "1\n2");
    EXPECT_EQ(ev[1].data, "x");
}

TEST(FakeWire, SplitUtf8KeepsSequencesWhole) {
    auto parts = split_utf8("aé€b", 2);
    EXPECT_EQ(parts, (std::vector<std::string>{"aé", "€", "b"}));
    EXPECT_EQ(json_quote("a\"\\\n\x01"), "\"a\\\"\\\\\\n\\u0001\"");
}

// ----- the standalone program ----------------------------------------------------------------

#ifdef FAKE_UPSTREAM_BIN

// The fake_upstream program on a free port, recording to a temp file.
class FakeUpstreamProgram : public ::testing::Test {
  protected:
    void SetUp() override {
        m_record = (std::filesystem::temp_directory_path() /
                    ("fake_upstream_rec_" + std::to_string(::getpid()) + ".jsonl"))
                       .string();
        std::filesystem::remove(m_record);
        int fds[2];
        ASSERT_EQ(::pipe(fds), 0);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
        posix_spawn_file_actions_addclose(&fa, fds[0]);
        std::vector<std::string> args = {FAKE_UPSTREAM_BIN, "--record", m_record};
        std::vector<char*> argv;
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        ASSERT_EQ(posix_spawn(&m_pid, FAKE_UPSTREAM_BIN, &fa, nullptr, argv.data(), environ), 0);
        posix_spawn_file_actions_destroy(&fa);
        ::close(fds[1]);
        std::string out;
        pollfd p{fds[0], POLLIN, 0};
        while (out.find('\n') == std::string::npos && ::poll(&p, 1, 5000) > 0) {
            char buf[64];
            ssize_t n = ::read(fds[0], buf, sizeof buf);
            if (n <= 0) break;
            out.append(buf, static_cast<size_t>(n));
        }
        ::close(fds[0]);
        ASSERT_EQ(out.rfind("PORT ", 0), 0u) << out;
        m_port = std::stoi(out.substr(5));
    }
    void TearDown() override {
        if (m_pid > 0) {
            ::kill(m_pid, SIGTERM);
            int status = 0;
            ::waitpid(m_pid, &status, 0);
            EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
        }
        std::filesystem::remove(m_record);
    }
    httplib::Client client() {
        httplib::Client c("127.0.0.1", m_port);
        c.set_tcp_nodelay(true);
        c.set_read_timeout(5);
        return c;
    }

    pid_t m_pid = -1;
    int m_port = 0;
    std::string m_record;
};

TEST_F(FakeUpstreamProgram, AnthropicToolLoop) {
    auto c = client();
    auto r = c.Post(
        "/v1/messages",
        R"({"model":"claude-x","max_tokens":50,"stream":true,"tools":[{"name":"get_weather","input_schema":{}}],
                        "messages":[{"role":"user","content":[{"type":"text","text":"weather? [[tool]]"}]}]})",
        "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    std::string json;
    for (const auto& e : parse_sse(r->body)) {
        auto d = parse(e.data);
        if (e.event == "content_block_start") {
            EXPECT_EQ(str(d["content_block"]["name"]), "get_weather");
            EXPECT_EQ(str(d["content_block"]["id"]), "toolu_fake1");
        }
        if (e.event == "content_block_delta") json += str(d["delta"]["partial_json"]);
    }
    EXPECT_EQ(json, R"({"city":"Paris"})");

    r = c.Post(
        "/v1/messages",
        R"({"model":"claude-x","max_tokens":50,"messages":[{"role":"user","content":"[[tool]]"},
                   {"role":"assistant","content":[{"type":"tool_use","id":"toolu_fake1","name":"get_weather","input":{}}]},
                   {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_fake1","content":"sunny"}]}]})",
        "application/json");
    ASSERT_TRUE(r);
    auto d = parse(r->body);
    EXPECT_EQ(str(d["content"][0]["text"]), "Tool said: sunny");
    EXPECT_EQ(str(d["model"]), "claude-x");
}

TEST_F(FakeUpstreamProgram, OpenAIStreamErrorsAndRecording) {
    auto c = client();
    auto r = c.Post("/chat/completions",
                    R"({"model":"gpt-x","stream":true,"stream_options":{"include_usage":true},
                        "messages":[{"role":"user","content":"hi"}]})",
                    "application/json");
    ASSERT_TRUE(r);
    std::string text;
    bool usage = false;
    auto events = parse_sse(r->body);
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events.back().data, "[DONE]");
    events.pop_back();
    for (const auto& e : events) {
        auto d = parse(e.data);
        if (d.HasMember("usage")) usage = true;
        if (!d["choices"].Empty() && d["choices"][0]["delta"].HasMember("content"))
            text += str(d["choices"][0]["delta"]["content"]);
    }
    EXPECT_EQ(text, "Hello from the fake upstream.");
    EXPECT_TRUE(usage);

    r = c.Post("/v1/chat/completions",
               R"({"messages":[{"role":"user","content":"x [[error429]]"}]})", "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 429);
    EXPECT_EQ(r->get_header_value("retry-after"), "1");
    r = c.Post("/v1/chat/completions", R"({"messages":[{"role":"user","content":"[[context]]"}]})",
               "application/json");
    EXPECT_EQ(str(parse(r->body)["error"]["code"]), "context_length_exceeded");
    r = c.Post("/v1/messages", "{not json", "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    EXPECT_EQ(str(parse(r->body)["type"]), "error");
    EXPECT_EQ(c.Get("/nope")->status, 404);
    r = c.Post("/v1/messages/count_tokens",
               R"({"messages":[{"role":"user","content":"abcdefgh"}]})", "application/json");
    EXPECT_GT(parse(r->body)["input_tokens"].GetInt(), 0);

    std::ifstream in(m_record);
    std::string line;
    std::vector<std::string> lines;
    while (std::getline(in, line))
        lines.push_back(line);
    ASSERT_EQ(lines.size(), 6u);
    auto first = parse(lines[0]);
    EXPECT_EQ(str(first["path"]), "/chat/completions");
    EXPECT_EQ(str(first["headers"]["content-type"]), "application/json");
    EXPECT_EQ(str(first["body"]["model"]), "gpt-x");
    EXPECT_EQ(str(parse(lines[3])["body"]), "{not json");
}

#endif  // FAKE_UPSTREAM_BIN

}  // namespace
}  // namespace litellm::test
