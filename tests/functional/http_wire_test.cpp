// HTTP/1.1 on the wire, both sides of litellmd, with raw sockets: what clients send that
// high-level libraries never do (pipelining, chunked bodies, Expect, HTTP/1.0, malformed heads),
// and what upstreams answer that is legal but unusual (gzip, informational heads, bodies ended
// by closing, keep-alive connections closed while idle, garbage).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <httplib.h>

#include "common/json.hpp"
#include "fakes/fake_upstream.hpp"
#include "functional/harness.hpp"

namespace litellm::test {
namespace {

void send_text(int fd, const std::string& s) {
    ASSERT_EQ(::send(fd, s.data(), s.size(), MSG_NOSIGNAL), static_cast<ssize_t>(s.size()));
}

// True once `text` holds `count` complete responses framed by Content-Length.
bool has_responses(const std::string& text, int count) {
    size_t pos = 0;
    for (int i = 0; i < count; ++i) {
        size_t end = text.find("\r\n\r\n", pos);
        if (end == std::string::npos) return false;
        size_t cl = text.find("Content-Length: ", pos);
        if (cl == std::string::npos || cl > end) return false;
        size_t len = std::stoul(text.substr(cl + 16));
        if (text.size() < end + 4 + len) return false;
        pos = end + 4 + len;
    }
    return true;
}

int count_of(const std::string& text, const std::string& what) {
    int n = 0;
    for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1))
        ++n;
    return n;
}

constexpr const char* kMessage =
    R"({"model":"claude-a","max_tokens":8,"messages":[{"role":"user","content":"hi"}]})";

constexpr const char* kAnswer =
    R"({"id":"msg_1","type":"message","role":"assistant","model":"up","content":[{"type":"text",)"
    R"("text":"raw answer"}],"stop_reason":"end_turn","stop_sequence":null,)"
    R"("usage":{"input_tokens":1,"output_tokens":2}})";

// ---- the client side ------------------------------------------------------------------------

class HttpWireClientTest : public ::testing::Test {
  protected:
    void SetUp() override {
        m_upstream.set_default_reply(anthropic_fake::text("from the fake"));
        m_home.write("config.yaml",
                     "model_list:\n"
                     "  - model_name: claude-a\n"
                     "    litellm_params:\n"
                     "      model: anthropic/up\n"
                     "      api_base: " +
                         m_upstream.base_url() +
                         "\n"
                         "      api_key: k\n");
        std::string error;
        ASSERT_TRUE(m_daemon.start({}, &error)) << error;
        m_port = m_daemon.http_port();
        m_fd = connect_tcp(m_port);
        ASSERT_GE(m_fd, 0);
    }
    void TearDown() override {
        if (m_fd >= 0) ::close(m_fd);
    }

    FakeUpstream m_upstream;
    TempHome m_home;
    DaemonProcess m_daemon{m_home};
    int m_port = 0;
    int m_fd = -1;
};

TEST_F(HttpWireClientTest, PipelinedRequestsAreAnsweredInOrder) {
    std::string body = kMessage;
    send_text(m_fd,
              "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
              "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " +
                  std::to_string(body.size()) + "\r\n\r\n" + body +
                  "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    std::string got = read_until(m_fd, [](const std::string& t) { return has_responses(t, 3); });
    ASSERT_TRUE(has_responses(got, 3)) << got;
    size_t health = got.find("\"healthy\"");
    size_t message = got.find("from the fake");
    size_t root = got.find("litellmd is running");
    ASSERT_NE(health, std::string::npos);
    ASSERT_NE(message, std::string::npos);
    ASSERT_NE(root, std::string::npos);
    EXPECT_LT(health, message);
    EXPECT_LT(message, root);
}

TEST_F(HttpWireClientTest, ChunkedRequestBodyIsReassembled) {
    std::string body = kMessage;
    std::string chunked;
    for (size_t i = 0; i < body.size(); i += 10) {
        std::string part = body.substr(i, 10);
        char size[16];
        std::snprintf(size, sizeof size, "%zx", part.size());
        chunked += std::string(size) + "\r\n" + part + "\r\n";
    }
    chunked += "0\r\n\r\n";
    send_text(
        m_fd,
        "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n" +
            chunked);
    std::string got = read_until(m_fd, [](const std::string& t) { return has_responses(t, 1); });
    EXPECT_EQ(got.rfind("HTTP/1.1 200", 0), 0u) << got;
    EXPECT_NE(got.find("from the fake"), std::string::npos) << got;
    ASSERT_EQ(m_upstream.request_count(), 1u);
    EXPECT_NE(m_upstream.requests()[0].body.find("\"up\""), std::string::npos);
}

TEST_F(HttpWireClientTest, ExpectContinueGetsAnInterimAnswerBeforeTheBody) {
    std::string body = kMessage;
    send_text(m_fd,
              "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\n"
              "Content-Length: " +
                  std::to_string(body.size()) + "\r\n\r\n");
    std::string interim = read_until(
        m_fd, [](const std::string& t) { return t.find("\r\n\r\n") != std::string::npos; });
    EXPECT_EQ(interim, "HTTP/1.1 100 Continue\r\n\r\n");
    send_text(m_fd, body);
    std::string got = read_until(m_fd, [](const std::string& t) { return has_responses(t, 1); });
    EXPECT_EQ(got.rfind("HTTP/1.1 200", 0), 0u) << got;
}

TEST_F(HttpWireClientTest, Http10ClientGetsItsAnswerAndAClose) {
    send_text(m_fd, "GET /health HTTP/1.0\r\n\r\n");
    bool closed = false;
    std::string got = read_until(
        m_fd, [](const std::string&) { return false; }, &closed);
    EXPECT_TRUE(closed);
    EXPECT_NE(got.find("Connection: close"), std::string::npos) << got;
    EXPECT_NE(got.find("healthy"), std::string::npos) << got;
}

TEST_F(HttpWireClientTest, Http10StreamEndsWithTheConnectionNotWithChunks) {
    m_upstream.set_default_reply(anthropic_fake::stream_text({"one ", "two"}));
    std::string body =
        R"({"model":"claude-a","max_tokens":8,"stream":true,"messages":[{"role":"user","content":"hi"}]})";
    send_text(m_fd, "POST /v1/messages HTTP/1.0\r\nContent-Length: " + std::to_string(body.size()) +
                        "\r\n\r\n" + body);
    bool closed = false;
    std::string got = read_until(
        m_fd, [](const std::string&) { return false; }, &closed);
    EXPECT_TRUE(closed);
    EXPECT_EQ(got.rfind("HTTP/1.1 200", 0), 0u) << got;
    EXPECT_EQ(got.find("Transfer-Encoding"), std::string::npos) << got;
    auto body_start = got.find("\r\n\r\n");
    ASSERT_NE(body_start, std::string::npos);
    // The body is the SSE text itself, with no chunk-size lines in it.
    EXPECT_EQ(got.compare(body_start + 4, 6, "event:"), 0) << got.substr(body_start, 40);
    EXPECT_NE(got.find("message_stop"), std::string::npos);
}

TEST_F(HttpWireClientTest, BetaQueryWithALineBreakIsNotForwarded) {
    std::string body = kMessage;
    send_text(m_fd,
              "POST /v1/messages?beta=true%0D%0AX-Evil:%201 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              "Content-Length: " +
                  std::to_string(body.size()) + "\r\n\r\n" + body);
    std::string got = read_until(m_fd, [](const std::string& t) { return has_responses(t, 1); });
    EXPECT_EQ(got.rfind("HTTP/1.1 200", 0), 0u) << got;
    ASSERT_EQ(m_upstream.request_count(), 1u);
    auto seen = m_upstream.requests()[0];
    EXPECT_FALSE(seen.has_header("X-Evil"));
    EXPECT_EQ(seen.query.find("Evil"), std::string::npos) << seen.query;
}

TEST_F(HttpWireClientTest, EndlessChunkTrailersAreRefused) {
    std::string request =
        "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n";
    for (int i = 0; i < 5000; ++i)
        request += "a: b\r\n";
    ::send(m_fd, request.data(), request.size(), MSG_NOSIGNAL);
    bool closed = false;
    std::string got = read_until(
        m_fd, [](const std::string&) { return false; }, &closed);
    EXPECT_EQ(got.rfind("HTTP/1.1 400", 0), 0u) << got.substr(0, 200);
    EXPECT_TRUE(closed);
    EXPECT_EQ(m_upstream.request_count(), 0u);
}

TEST_F(HttpWireClientTest, WholeAnswerToAStreamRequestBecomesAStream) {
    // The upstream ignores "stream": true and answers JSON; an SSE client must still get SSE.
    std::string body =
        R"({"model":"claude-a","max_tokens":8,"stream":true,"messages":[{"role":"user","content":"hi"}]})";
    send_text(m_fd, "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " +
                        std::to_string(body.size()) + "\r\n\r\n" + body);
    std::string got = read_until(
        m_fd, [](const std::string& t) { return t.find("0\r\n\r\n") != std::string::npos; });
    EXPECT_NE(got.find("text/event-stream"), std::string::npos) << got;
    EXPECT_NE(got.find("event: content_block_delta"), std::string::npos) << got;
    EXPECT_NE(got.find("from the fake"), std::string::npos) << got;
    EXPECT_NE(got.find("event: message_stop"), std::string::npos) << got;
}

TEST_F(HttpWireClientTest, StatusCountsOpenConnectionsAndLiveStreams) {
    auto reply = anthropic_fake::stream_text({"a", "b", "c", "d", "e", "f"});
    reply.delay_between_chunks_ms = 150;  // about a second of streaming
    m_upstream.set_default_reply(reply);
    std::string body =
        R"({"model":"claude-a","max_tokens":8,"stream":true,"messages":[{"role":"user","content":"hi"}]})";
    send_text(m_fd, "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " +
                        std::to_string(body.size()) + "\r\n\r\n" + body);
    // Wait for the stream's head, then look at status while it runs.
    read_until(m_fd,
               [](const std::string& t) { return t.find("message_start") != std::string::npos; });
    auto during = m_daemon.call("status");
    ASSERT_TRUE(during);
    const auto& listen = during->payload()["listen"];
    EXPECT_EQ(json_get_int(listen, "streams"), 1);
    EXPECT_GE(json_get_int(listen, "connections"), 1);
    read_until(m_fd, [](const std::string& t) { return t.find("0\r\n\r\n") != std::string::npos; });
    auto after = m_daemon.call("status");
    ASSERT_TRUE(after);
    EXPECT_EQ(json_get_int(after->payload()["listen"], "streams"), 0);
    auto text = run_ctl(m_home, {"status"});
    EXPECT_NE(text.out.find("connections open, 0 streaming"), std::string::npos) << text.out;
}

TEST_F(HttpWireClientTest, HeadRequestGetsHeadersOnly) {
    send_text(m_fd,
              "HEAD / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /health HTTP/1.1\r\nHost: "
              "127.0.0.1\r\n\r\n");
    std::string got = read_until(
        m_fd, [](const std::string& t) { return t.find("healthy") != std::string::npos; });
    EXPECT_EQ(got.find("litellmd is running"), std::string::npos) << got;
    EXPECT_EQ(count_of(got, "HTTP/1.1 200"), 2) << got;
}

TEST_F(HttpWireClientTest, MalformedHeadsGetErrorsInApiFormatAndTheDaemonServesOn) {
    struct Case {
        std::string request;
        std::string status;
    };
    std::vector<Case> cases = {
        {"BROKEN\r\n\r\n", "HTTP/1.1 400"},
        {"POST /v1/messages HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
         "HTTP/1.1 400"},
        {"POST /v1/messages HTTP/1.1\r\nContent-Length: abc\r\n\r\n", "HTTP/1.1 400"},
        {"GET /v1/models HTTP/1.1\r\nX-Big: " + std::string(70000, 'a') + "\r\n\r\n",
         "HTTP/1.1 431"},
        {"POST /v1/chat/completions HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
         "HTTP/1.1 400"},
    };
    for (const auto& c : cases) {
        int fd = connect_tcp(m_port);
        ASSERT_GE(fd, 0);
        ::send(fd, c.request.data(), c.request.size(), MSG_NOSIGNAL);
        bool closed = false;
        std::string got = read_until(
            fd, [](const std::string&) { return false; }, &closed);
        ::close(fd);
        EXPECT_EQ(got.rfind(c.status, 0), 0u) << c.request.substr(0, 80) << " -> " << got;
        EXPECT_NE(got.find("\"error\""), std::string::npos) << got;
        EXPECT_TRUE(closed) << "the connection should close after a framing error";
    }
    httplib::Client http("127.0.0.1", m_port);
    auto health = http.Get("/health");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200);
    EXPECT_EQ(m_upstream.request_count(), 0u);
}

TEST_F(HttpWireClientTest, IdleKeepAliveConnectionDoesNotHoldUpShutdown) {
    send_text(m_fd, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    std::string got = read_until(m_fd, [](const std::string& t) { return has_responses(t, 1); });
    ASSERT_TRUE(has_responses(got, 1));
    // The connection stays open and idle; the daemon must close it and exit promptly (the
    // keep-alive timeout is 30 s, the test's limit 5 s).
    auto status = m_daemon.signal_and_wait(SIGTERM, 5000);
    ASSERT_TRUE(status.has_value()) << "litellmd did not exit while a connection was idle";
    EXPECT_EQ(*status, 0);
    bool closed = false;
    read_until(
        m_fd, [](const std::string&) { return false; }, &closed);
    EXPECT_TRUE(closed);
}

// ---- the upstream side ----------------------------------------------------------------------

// A TCP server that reads each request (head and Content-Length body) and lets the test
// answer with raw bytes.
class RawUpstream {
  public:
    /// Gets the request text and the connection's request number (0, 1, ...); returns the
    /// bytes to send and whether to close the connection after them.
    using Script = std::function<std::pair<std::string, bool>(const std::string&, int)>;

    explicit RawUpstream(Script script) : m_script(std::move(script)) {
        m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(m_fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
        ::listen(m_fd, 16);
        socklen_t len = sizeof a;
        ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&a), &len);
        m_port = ntohs(a.sin_port);
        m_thread = std::thread([this] { run(); });
    }
    ~RawUpstream() {
        m_stop = true;
        ::shutdown(m_fd, SHUT_RDWR);
        m_thread.join();
        {
            // litellmd keeps its connections pooled: end them so their threads return.
            std::lock_guard lock(m_mutex);
            for (int c : m_open)
                ::shutdown(c, SHUT_RDWR);
        }
        ::close(m_fd);
        for (auto& t : m_conns)
            t.join();
    }
    int port() const { return m_port; }
    int connections() const { return m_accepted.load(); }

  private:
    void run() {
        while (!m_stop) {
            int c = ::accept(m_fd, nullptr, nullptr);
            if (c < 0) break;
            ++m_accepted;
            {
                std::lock_guard lock(m_mutex);
                m_open.push_back(c);
            }
            m_conns.emplace_back([this, c] {
                serve(c);
                std::lock_guard lock(m_mutex);
                m_open.erase(std::find(m_open.begin(), m_open.end(), c));
                ::close(c);
            });
        }
    }
    void serve(int c) {
        std::string buf;
        for (int n = 0;; ++n) {
            size_t end;
            while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
                char tmp[65536];
                ssize_t got = ::recv(c, tmp, sizeof tmp, 0);
                if (got <= 0) return;
                buf.append(tmp, static_cast<size_t>(got));
            }
            size_t cl = buf.find("Content-Length: ");
            size_t len = cl == std::string::npos || cl > end ? 0 : std::stoul(buf.substr(cl + 16));
            while (buf.size() < end + 4 + len) {
                char tmp[65536];
                ssize_t got = ::recv(c, tmp, sizeof tmp, 0);
                if (got <= 0) return;
                buf.append(tmp, static_cast<size_t>(got));
            }
            std::string request = buf.substr(0, end + 4 + len);
            buf.erase(0, end + 4 + len);
            auto [bytes, close_after] = m_script(request, n);
            ::send(c, bytes.data(), bytes.size(), MSG_NOSIGNAL);
            if (close_after) return;
        }
    }

    Script m_script;
    int m_fd = -1;
    int m_port = 0;
    std::atomic<bool> m_stop{false};
    std::atomic<int> m_accepted{0};
    std::thread m_thread;
    std::mutex m_mutex;
    std::vector<int> m_open;           // accepted sockets not yet closed
    std::vector<std::thread> m_conns;  // touched by the accept thread only, joined at the end
};

std::string answer_with(const std::string& extra_headers, const std::string& body) {
    return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + extra_headers +
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

class HttpWireUpstreamTest : public ::testing::Test {
  protected:
    void start(int upstream_port) {
        m_home.write("config.yaml",
                     "model_list:\n"
                     "  - model_name: claude-a\n"
                     "    litellm_params:\n"
                     "      model: anthropic/up\n"
                     "      api_base: http://127.0.0.1:" +
                         std::to_string(upstream_port) +
                         "\n"
                         "      api_key: k\n"
                         "router_settings:\n"
                         "  num_retries: 0\n");
        std::string error;
        ASSERT_TRUE(m_daemon.start({}, &error)) << error;
        m_port = m_daemon.http_port();
    }
    httplib::Result post() {
        httplib::Client c("127.0.0.1", m_port);
        c.set_read_timeout(15, 0);
        return c.Post("/v1/messages", kMessage, "application/json");
    }

    TempHome m_home;
    DaemonProcess m_daemon{m_home};
    int m_port = 0;
};

TEST_F(HttpWireUpstreamTest, GzipAnswerIsDecoded) {
    RawUpstream up([](const std::string&, int) {
        return std::pair{answer_with("Content-Encoding: gzip\r\n", gzip(kAnswer)), false};
    });
    start(up.port());
    auto r = post();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, kAnswer);
}

TEST_F(HttpWireUpstreamTest, InformationalHeadIsSkippedAndCloseDelimitedBodyRead) {
    RawUpstream up([](const std::string&, int) {
        // No Content-Length: the body ends when the connection does.
        return std::pair{std::string("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
                                     "Content-Type: application/json\r\n\r\n") +
                             kAnswer,
                         true};
    });
    start(up.port());
    for (int i = 0; i < 2; ++i) {
        auto r = post();
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 200);
        EXPECT_EQ(r->body, kAnswer);
    }
    EXPECT_EQ(up.connections(), 2);  // a close-delimited connection is never reused
}

TEST_F(HttpWireUpstreamTest, KeepAliveConnectionClosedByTheUpstreamIsNotAFailure) {
    // Every answer says keep-alive, and then the upstream closes anyway (its idle timeout).
    RawUpstream up([](const std::string&, int) {
        return std::pair{answer_with("", kAnswer), true};
    });
    start(up.port());
    for (int i = 0; i < 4; ++i) {
        auto r = post();
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 200) << "request " << i << ": " << r->body;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(up.connections(), 4);
}

TEST_F(HttpWireUpstreamTest, ReusedConnectionClosedWithoutAnAnswerIsRetriedOnce) {
    // The second request on each connection meets a close without any answer, which is what a
    // keep-alive race looks like; it must go out again on a fresh connection.
    RawUpstream up([](const std::string&, int n) {
        if (n == 0) return std::pair{answer_with("", kAnswer), false};
        return std::pair{std::string(), true};
    });
    start(up.port());
    for (int i = 0; i < 3; ++i) {
        auto r = post();
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 200) << "request " << i << ": " << r->body;
    }
    EXPECT_EQ(up.connections(), 3);
}

TEST_F(HttpWireUpstreamTest, GarbageAnswerIsAClearErrorAndTheDaemonServesOn) {
    RawUpstream up([](const std::string&, int) {
        return std::pair{std::string("SSH-2.0-OpenSSH_9.2\r\n\r\n"), true};
    });
    start(up.port());
    auto r = post();
    ASSERT_TRUE(r);
    EXPECT_GE(r->status, 500);
    EXPECT_NE(r->body.find("malformed response"), std::string::npos) << r->body;
    httplib::Client c("127.0.0.1", m_port);
    auto health = c.Get("/health");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200);
}

TEST_F(HttpWireUpstreamTest, AbsurdContentLengthIsAnErrorAndTheDaemonServesOn) {
    RawUpstream up([](const std::string&, int) {
        return std::pair{std::string("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                                     "Content-Length: 99999999999999999999999\r\n\r\n"),
                         true};
    });
    start(up.port());
    httplib::Client c("127.0.0.1", m_port);
    c.set_read_timeout(15, 0);
    // A streamed request: its 200 head arms the stream-hold timer before the body is read.
    auto r = c.Post(
        "/v1/messages",
        R"({"model":"claude-a","max_tokens":8,"stream":true,"messages":[{"role":"user","content":"hi"}]})",
        "application/json");
    ASSERT_TRUE(r);
    EXPECT_GE(r->status, 500);
    EXPECT_NE(r->body.find("Content-Length"), std::string::npos) << r->body;
    auto health = c.Get("/health");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200);
}

TEST_F(HttpWireUpstreamTest, AnswerCutShortIsAnErrorNotATruncatedBody) {
    RawUpstream up([](const std::string&, int) {
        std::string full = answer_with("", kAnswer);
        return std::pair{full.substr(0, full.size() - 10), true};
    });
    start(up.port());
    auto r = post();
    ASSERT_TRUE(r);
    EXPECT_GE(r->status, 500);
    EXPECT_NE(r->body.find("closed the connection mid-answer"), std::string::npos) << r->body;
}

}  // namespace
}  // namespace litellm::test
