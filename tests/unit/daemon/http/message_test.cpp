#include "daemon/http/message.hpp"

#include <cstring>
#include <string>

#include <gtest/gtest.h>

namespace litellm::http {
namespace {

ParseStatus parse(std::string_view text, Request& req, std::size_t& len) {
    std::string error;
    return parse_request_head(text, req, len, error);
}

TEST(RequestHead, ParsesLineHeadersPathAndQuery) {
    std::string text =
        "POST /v1/messages?beta=true&x=a%20b HTTP/1.1\r\nHost: h\r\nX-Api-Key:  k1 \r\n"
        "Content-Length: 2\r\n\r\n{}";
    Request req;
    std::size_t len = 0;
    ASSERT_EQ(parse(text, req, len), ParseStatus::kOk);
    EXPECT_EQ(len, text.size() - 2);
    EXPECT_EQ(req.method, "POST");
    EXPECT_EQ(req.path, "/v1/messages");
    EXPECT_EQ(req.query, "beta=true&x=a%20b");
    EXPECT_TRUE(req.has_param("beta"));
    EXPECT_EQ(req.get_param_value("beta"), "true");
    EXPECT_EQ(req.get_param_value("x"), "a b");
    EXPECT_FALSE(req.has_param("nope"));
    EXPECT_EQ(req.get_header_value("x-api-key"), "k1");  // any case, trimmed
    EXPECT_TRUE(req.keep_alive);
    EXPECT_EQ(req.minor_version, 1);
}

TEST(RequestHead, IncompleteUntilTheBlankLine) {
    Request req;
    std::size_t len = 0;
    EXPECT_EQ(parse("GET / HTTP/1.1\r\nHost: h\r\n", req, len), ParseStatus::kIncomplete);
    EXPECT_EQ(parse("GET / HTTP/1.1\r\nHost: h\r\n\r", req, len), ParseStatus::kIncomplete);
    EXPECT_EQ(parse("GET / HTTP/1.1\r\nHost: h\r\n\r\n", req, len), ParseStatus::kOk);
}

TEST(RequestHead, AcceptsBareLineFeedsAndLeadingBlankLines) {
    Request req;
    std::size_t len = 0;
    ASSERT_EQ(parse("\r\nGET /health HTTP/1.1\nHost: h\n\n", req, len), ParseStatus::kOk);
    EXPECT_EQ(req.path, "/health");
    EXPECT_EQ(req.get_header_value("host"), "h");
}

TEST(RequestHead, KeepAliveFollowsVersionAndConnection) {
    Request req;
    std::size_t len = 0;
    ASSERT_EQ(parse("GET / HTTP/1.0\r\n\r\n", req, len), ParseStatus::kOk);
    EXPECT_FALSE(req.keep_alive);
    ASSERT_EQ(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", req, len),
              ParseStatus::kOk);
    EXPECT_TRUE(req.keep_alive);
    ASSERT_EQ(parse("GET / HTTP/1.1\r\nConnection: foo, close\r\n\r\n", req, len),
              ParseStatus::kOk);
    EXPECT_FALSE(req.keep_alive);
}

TEST(RequestHead, AbsoluteFormTargetKeepsThePath) {
    Request req;
    std::size_t len = 0;
    ASSERT_EQ(
        parse("POST http://127.0.0.1:4000/v1/chat/completions?a=1 HTTP/1.1\r\n\r\n", req, len),
        ParseStatus::kOk);
    EXPECT_EQ(req.path, "/v1/chat/completions");
    EXPECT_EQ(req.query, "a=1");
}

TEST(RequestHead, RefusesMalformedHeads) {
    for (const char* bad : {
             "GET\r\n\r\n",                         // no target
             "GET / HTTP/2.0\r\n\r\n",              // not HTTP/1.x
             "GET  / HTTP/1.1\r\n\r\n",             // double space
             "GE(T / HTTP/1.1\r\n\r\n",             // bad method
             "GET nopath HTTP/1.1\r\n\r\n",         // bad target
             "GET / HTTP/1.1\r\nNo colon\r\n\r\n",  // header without ':'
             "GET / HTTP/1.1\r\nBad Name: v\r\n\r\n",
             "GET / HTTP/1.1\r\nA: b\r\n  folded\r\n\r\n",
             "GET / HTTP/1.1\r\nA: b\rc\r\n\r\n",  // bare CR inside a value
             "GET / HTTP/1.1\r\nA: b\x01"
             "c\r\n\r\n",
         }) {
        Request req;
        std::size_t len = 0;
        std::string error;
        EXPECT_EQ(parse_request_head(bad, req, len, error), ParseStatus::kBad) << bad;
        EXPECT_FALSE(error.empty()) << bad;
    }
}

TEST(RequestHead, TooLargeHeadsAndTooManyHeaders) {
    Request req;
    std::size_t len = 0;
    std::string huge = "GET / HTTP/1.1\r\nX: " + std::string(kMaxHeadBytes, 'a');
    EXPECT_EQ(parse(huge, req, len), ParseStatus::kTooLarge);
    std::string many = "GET / HTTP/1.1\r\n";
    for (std::size_t i = 0; i <= kMaxHeaders; ++i)
        many += "H" + std::to_string(i) + ": v\r\n";
    many += "\r\n";
    EXPECT_EQ(parse(many, req, len), ParseStatus::kTooLarge);
}

Request with_headers(Headers headers) {
    Request req;
    req.headers = std::move(headers);
    return req;
}

TEST(BodyFraming, ContentLengthChunkedAndConflicts) {
    BodyFraming f;
    std::string error;
    ASSERT_TRUE(body_framing(with_headers({{"Content-Length", "12"}}), f, error));
    EXPECT_EQ(f.content_length, 12u);
    EXPECT_FALSE(f.chunked);
    ASSERT_TRUE(body_framing(with_headers({{"transfer-encoding", "chunked"}}), f, error));
    EXPECT_TRUE(f.chunked);
    ASSERT_TRUE(body_framing(with_headers({{"Expect", "100-continue"}}), f, error));
    EXPECT_TRUE(f.expect_continue);
    // Request smuggling shapes are refused.
    EXPECT_FALSE(body_framing(
        with_headers({{"Content-Length", "3"}, {"Transfer-Encoding", "chunked"}}), f, error));
    EXPECT_FALSE(
        body_framing(with_headers({{"Content-Length", "3"}, {"Content-Length", "4"}}), f, error));
    EXPECT_FALSE(body_framing(with_headers({{"Content-Length", "-1"}}), f, error));
    EXPECT_FALSE(body_framing(with_headers({{"Content-Length", "1e3"}}), f, error));
    EXPECT_FALSE(body_framing(with_headers({{"Transfer-Encoding", "gzip"}}), f, error));
    EXPECT_FALSE(body_framing(with_headers({{"Transfer-Encoding", "chunked, gzip"}}), f, error));
    // Repeating the same length is harmless.
    EXPECT_TRUE(
        body_framing(with_headers({{"Content-Length", "3"}, {"Content-Length", "3"}}), f, error));
    // Two Hosts are not (RFC 9112 3.2): checks would read one and a proxy behind another.
    EXPECT_FALSE(
        body_framing(with_headers({{"Host", "localhost"}, {"host", "evil.example"}}), f, error));
    EXPECT_EQ(error, "more than one Host header");
    EXPECT_TRUE(body_framing(with_headers({{"Host", "localhost"}}), f, error));
}

std::string decode_all(ChunkedDecoder& d, std::string_view in, ChunkedDecoder::Status& status,
                       std::size_t& used) {
    std::string out;
    status = d.feed(in, used, [&](std::string_view piece) {
        out.append(piece);
        return true;
    });
    return out;
}

TEST(ChunkedDecoder, DecodesWholeBodiesWithExtensionsAndTrailers) {
    std::string in = "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\nNEXT";
    ChunkedDecoder d;
    ChunkedDecoder::Status st;
    std::size_t used = 0;
    EXPECT_EQ(decode_all(d, in, st, used), "hello world");
    EXPECT_EQ(st, ChunkedDecoder::Status::kDone);
    EXPECT_EQ(in.substr(used), "NEXT");  // a pipelined request stays in the buffer
}

TEST(ChunkedDecoder, RefusesBadSizesAndEndlessTrailers) {
    ChunkedDecoder::Status st;
    std::size_t used = 0;
    for (const char* bad : {"zz\r\n", "5\r\nhelloXX", "1234567890abcdef0\r\n"}) {
        ChunkedDecoder d;
        decode_all(d, bad, st, used);
        EXPECT_EQ(st, ChunkedDecoder::Status::kBad) << bad;
    }
    ChunkedDecoder d;
    decode_all(d, "5\r\nhel", st, used);
    EXPECT_EQ(st, ChunkedDecoder::Status::kMore);
    // A trailer section that never ends is cut off rather than buffered without limit.
    ChunkedDecoder trailers;
    std::string endless = "0\r\n";
    for (int i = 0; i < 4000; ++i)
        endless += "a: b\r\n";
    decode_all(trailers, endless, st, used);
    EXPECT_EQ(st, ChunkedDecoder::Status::kBad);
}

TEST(ChunkedDecoder, DecodesByteByByteAsDataArrives) {
    std::string in = "4\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\n\r\n";
    ChunkedDecoder d;
    std::string out;
    for (std::size_t i = 0; i < in.size(); ++i) {
        std::size_t used = 0;
        auto s = d.feed(std::string_view(in).substr(i, 1), used, [&](std::string_view piece) {
            out.append(piece);
            return true;
        });
        ASSERT_NE(s, ChunkedDecoder::Status::kBad) << "at byte " << i;
        EXPECT_EQ(used, 1u);
        EXPECT_EQ(s == ChunkedDecoder::Status::kDone, i + 1 == in.size()) << i;
    }
    EXPECT_EQ(out, "Wikipedia in\r\n\r\nchunks.");
}

TEST(ChunkedDecoder, StopsWhenTheReceiverSaysSoAndRefusesGarbage) {
    ChunkedDecoder d;
    std::size_t used = 0;
    int calls = 0;
    auto s = d.feed("3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n", used, [&](std::string_view) {
        ++calls;
        return false;
    });
    EXPECT_EQ(s, ChunkedDecoder::Status::kMore);
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(used, 6u);
    ChunkedDecoder bad;
    EXPECT_EQ(bad.feed("3\r\nabcX", used, [](std::string_view) { return true; }),
              ChunkedDecoder::Status::kBad);
}

TEST(ResponseHead, ParsesStatusAndLowercasesNames) {
    int status = 0, minor = 0;
    Headers h;
    std::size_t len = 0;
    std::string error;
    std::string text = "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nX-A: b\r\n\r\nbody";
    ASSERT_EQ(parse_response_head(text, status, minor, h, len, error), ParseStatus::kOk);
    EXPECT_EQ(status, 429);
    EXPECT_EQ(minor, 1);
    ASSERT_EQ(h.size(), 2u);
    EXPECT_EQ(h[0].first, "retry-after");
    EXPECT_EQ(h[0].second, "7");
    EXPECT_EQ(text.substr(len), "body");
    ASSERT_EQ(parse_response_head("HTTP/1.0 200\r\n\r\n", status, minor, h, len, error),
              ParseStatus::kOk);
    EXPECT_EQ(minor, 0);
    EXPECT_EQ(parse_response_head("HTTP/1.1 200 OK\r\n", status, minor, h, len, error),
              ParseStatus::kIncomplete);
    EXPECT_EQ(parse_response_head("SSH-2.0-OpenSSH\r\n\r\n", status, minor, h, len, error),
              ParseStatus::kBad);
    EXPECT_EQ(parse_response_head("HTTP/1.1 20 OK\r\n\r\n", status, minor, h, len, error),
              ParseStatus::kBad);
}

TEST(Response, HeadersAreReplacedAndSerialised) {
    Response res;
    res.status = 429;
    res.set_header("retry-after", "3");
    res.set_header("Retry-After", "5");
    res.set_content("{}", "application/json");
    ASSERT_NE(res.find_header("RETRY-AFTER"), nullptr);
    EXPECT_EQ(*res.find_header("retry-after"), "5");
    std::string out;
    serialize_head(res, res.body.size(), false, out);
    EXPECT_EQ(out,
              "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 5\r\nContent-Type: "
              "application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n");
    res.erase_header("retry-after");
    EXPECT_EQ(res.find_header("Retry-After"), nullptr);
}

TEST(Response, NoContentHasNoLengthAndHttp10StreamsAreNotChunked) {
    Response res;
    res.status = 204;
    std::string out;
    serialize_head(res, 0, true, out);
    EXPECT_EQ(out, "HTTP/1.1 204 No Content\r\n\r\n");
    res.status = 200;
    out.clear();
    serialize_stream_head(res, false, out, false);
    EXPECT_EQ(out.find("Transfer-Encoding"), std::string::npos) << out;
    EXPECT_NE(out.find("Connection: close"), std::string::npos) << out;
}

class RecordingSink : public ResponseSink {
  public:
    bool send_stream_head(const Response& res) override {
        serialize_stream_head(res, true, out);
        return alive;
    }
    bool send_chunk(std::string_view bytes) override {
        out.append("[").append(bytes).append("]");
        return alive;
    }
    std::string out;
    bool alive = true;
};

TEST(Response, StreamsThroughItsSinkAndReportsAGoneClient) {
    RecordingSink sink;
    Response res;
    EXPECT_FALSE(res.write("x"));  // not started
    res.attach(&sink);
    ASSERT_TRUE(res.begin_stream("text/event-stream"));
    EXPECT_TRUE(res.write("a"));
    EXPECT_TRUE(res.write(""));  // nothing to send is not a failure
    sink.alive = false;
    EXPECT_FALSE(res.write("b"));
    EXPECT_TRUE(res.broken());
    EXPECT_FALSE(res.write("c"));
    EXPECT_NE(sink.out.find("Transfer-Encoding: chunked\r\n"), std::string::npos);
    EXPECT_NE(sink.out.find("[a][b]"), std::string::npos);
    EXPECT_EQ(sink.out.find("[c]"), std::string::npos);
}

TEST(PercentDecode, DecodesEscapesAndKeepsBadOnes) {
    EXPECT_EQ(percent_decode("a%20b%2Fc"), "a b/c");
    EXPECT_EQ(percent_decode("100%"), "100%");
    EXPECT_EQ(percent_decode("%zz"), "%zz");
    EXPECT_EQ(percent_decode("a+b"), "a+b");
    EXPECT_EQ(percent_decode("a+b", true), "a b");
}

TEST(HttpBuffer, GrowsKeepsItsWindowAndShrinks) {
    Buffer b;
    b.reserve_tail(10);
    std::memcpy(b.data.get(), "helloworld", 10);
    b.end = 10;
    b.consume(5);
    EXPECT_EQ(b.view(), "world");
    b.reserve_tail(b.cap);  // forces a move and a larger allocation
    EXPECT_EQ(b.view(), "world");
    EXPECT_GE(b.cap - b.end, 1u);
    b.consume(5);
    EXPECT_EQ(b.size(), 0u);
    b.shrink(1);
    EXPECT_EQ(b.cap, 0u);
}

}  // namespace
}  // namespace litellm::http
