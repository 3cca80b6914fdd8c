// The fault matrix: every way an upstream, an OAuth server or a client can fail, each row run
// against the real litellmd (a fresh daemon per row, so no cooldown carries over) with the
// outcome a user should see. Each test prints its part of the matrix; a row whose outcome is
// not the expected one fails the test. docs/RELIABILITY.md reproduces the printed tables.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <httplib.h>

#include "common/fs.hpp"
#include "common/json.hpp"
#include "fakes/fake_qwen.hpp"
#include "fakes/fake_upstream.hpp"
#include "functional/harness.hpp"

namespace litellm::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

long long ms_since(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

// ---- an upstream that misbehaves below HTTP ---------------------------------------------------

/// A TCP server on 127.0.0.1:0 that reads each request (head and Content-Length body) and then
/// hands the connection to a scripted behaviour: write broken HTTP, stall, reset, stream
/// forever. The connection is closed when the behaviour returns.
class RawUpstream {
  public:
    using Behaviour = std::function<void(RawUpstream& self, int fd)>;

    explicit RawUpstream(Behaviour behaviour) : m_behaviour(std::move(behaviour)) {
        m_listen = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        ::setsockopt(m_listen, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::bind(m_listen, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
            ::listen(m_listen, 64) != 0) {
            throw std::runtime_error("RawUpstream: cannot listen");
        }
        socklen_t len = sizeof a;
        ::getsockname(m_listen, reinterpret_cast<sockaddr*>(&a), &len);
        m_port = ntohs(a.sin_port);
        m_accepter = std::thread([this] { accept_loop(); });
    }

    ~RawUpstream() {
        m_stop = true;
        ::shutdown(m_listen, SHUT_RDWR);
        m_accepter.join();
        std::vector<std::thread> threads;
        {
            std::lock_guard lock(m_mutex);
            for (int fd : m_open)
                ::shutdown(fd, SHUT_RDWR);
            threads.swap(m_threads);
        }
        for (auto& t : threads)
            t.join();
        ::close(m_listen);
    }

    std::string base_url() const { return "http://127.0.0.1:" + std::to_string(m_port); }
    int port() const { return m_port; }
    int connections() const { return m_connections.load(); }

    /// Sleeps `ms` in small steps; false as soon as the server is stopping.
    bool pause(int ms) {
        auto end = Clock::now() + std::chrono::milliseconds(ms);
        while (Clock::now() < end) {
            if (m_stop) return false;
            std::this_thread::sleep_for(10ms);
        }
        return !m_stop;
    }

    /// Waits up to `timeout_ms` for the peer to close `fd` (EOF or reset); on a close, records
    /// when it happened (closed_at()) and returns true.
    bool wait_peer_close(int fd, int timeout_ms) {
        auto end = Clock::now() + std::chrono::milliseconds(timeout_ms);
        char buf[4096];
        while (Clock::now() < end && !m_stop) {
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 20) > 0) {
                ssize_t n = ::recv(fd, buf, sizeof buf, 0);
                if (n <= 0) {
                    note_closed();
                    return true;
                }
            }
        }
        return false;
    }

    /// Records that the peer went away now (the first time only).
    void note_closed() {
        std::lock_guard lock(m_mutex);
        if (!m_closed_at) m_closed_at = Clock::now();
    }
    std::optional<Clock::time_point> closed_at() const {
        std::lock_guard lock(m_mutex);
        return m_closed_at;
    }

  private:
    void accept_loop() {
        while (!m_stop) {
            int fd = ::accept4(m_listen, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd < 0) {
                if (m_stop) return;
                continue;
            }
            ++m_connections;
            std::lock_guard lock(m_mutex);
            m_open.push_back(fd);
            m_threads.emplace_back([this, fd] {
                if (read_request(fd)) m_behaviour(*this, fd);
                std::lock_guard l(m_mutex);
                std::erase(m_open, fd);
                ::close(fd);
            });
        }
    }

    // Reads one request head and its Content-Length body; false when the peer left first.
    bool read_request(int fd) {
        std::string in;
        char buf[16384];
        std::size_t need = std::string::npos;
        while (!m_stop) {
            std::size_t head_end = in.find("\r\n\r\n");
            if (head_end != std::string::npos && need == std::string::npos) {
                std::string head = in.substr(0, head_end);
                std::size_t length = 0;
                for (std::size_t at = 0; at < head.size();) {
                    std::size_t eol = head.find("\r\n", at);
                    if (eol == std::string::npos) eol = head.size();
                    std::string line = head.substr(at, eol - at);
                    if (line.size() > 15 && strncasecmp(line.c_str(), "content-length:", 15) == 0)
                        length = std::stoul(line.substr(15));
                    at = eol + 2;
                }
                need = head_end + 4 + length;
            }
            if (need != std::string::npos && in.size() >= need) return true;
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 50) <= 0) continue;
            ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) return false;
            in.append(buf, static_cast<std::size_t>(n));
        }
        return false;
    }

    Behaviour m_behaviour;
    int m_listen = -1;
    int m_port = 0;
    std::thread m_accepter;
    std::atomic<bool> m_stop{false};
    std::atomic<int> m_connections{0};
    mutable std::mutex m_mutex;
    std::vector<std::thread> m_threads;
    std::vector<int> m_open;
    std::optional<Clock::time_point> m_closed_at;
};

/// Makes close() send a reset instead of a FIN.
void arm_reset(int fd) {
    linger l{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

std::string chunk(const std::string& bytes) {
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", bytes.size());
    return size + bytes + "\r\n";
}

const char* const kSseHead =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";

/// The Anthropic stream of "partial " + "text": message_start, ping, content_block_start,
/// two text deltas, content_block_stop, message_delta, message_stop (one element each).
std::vector<std::string> anthropic_events() {
    return anthropic_fake::stream_text({"partial ", "text"}).chunks;
}
constexpr int kBeforeContent = 3;  // message_start, ping, content_block_start
constexpr int kFirstDelta = 4;     // ... and the "partial " delta

/// Sends the SSE head and the first `n` events, chunked.
bool send_events(int fd, int n) {
    if (!send_all(fd, kSseHead)) return false;
    auto events = anthropic_events();
    for (int i = 0; i < n && i < static_cast<int>(events.size()); ++i) {
        if (!send_all(fd, chunk(events[static_cast<std::size_t>(i)]))) return false;
    }
    return true;
}

/// A stream that never ends: text deltas every 50 ms until the peer goes away (noted).
void endless_stream(RawUpstream& self, int fd) {
    auto events = anthropic_events();
    send_events(fd, kFirstDelta);
    while (self.pause(50)) {
        if (!send_all(fd, chunk(events[kFirstDelta - 1]))) {
            self.note_closed();
            return;
        }
    }
}

// ---- what the client saw, in a few words -------------------------------------------------------

std::optional<rapidjson::Document> parse_doc(std::string_view text) {
    rapidjson::Document d;
    if (!json_parse(text, d) || !d.IsObject()) return std::nullopt;
    return d;
}

std::string error_type(const std::string& body) {
    auto d = parse_doc(body);
    if (!d || !d->IsObject()) return "unreadable body";
    const auto& root = *d;
    if (root.HasMember("error") && root["error"].IsObject() && root["error"].HasMember("type") &&
        root["error"]["type"].IsString()) {
        return root["error"]["type"].GetString();
    }
    return "no error type";
}

/// An Anthropic answer: "200 <text>", "<status> <error type>", or for a stream
/// "200 stream '<text>' complete" / "... then error <type>" / "... no end".
std::string describe_anthropic(const httplib::Result& r) {
    if (!r) return "no answer (" + httplib::to_string(r.error()) + ")";
    std::string status = std::to_string(r->status);
    if (r->get_header_value("Content-Type").find("text/event-stream") != std::string::npos) {
        std::string text, end = "no end";
        for (const auto& e : parse_sse(r->body)) {
            auto d = parse_doc(e.data);
            if (!d || !d->IsObject() || !d->HasMember("type")) continue;
            std::string type = (*d)["type"].GetString();
            if (type == "content_block_delta" && (*d)["delta"].HasMember("text")) {
                text += (*d)["delta"]["text"].GetString();
            } else if (type == "message_stop") {
                end = "complete";
            } else if (type == "error") {
                end = "then error " + error_type(e.data);
            }
        }
        return status + " stream '" + text + "' " + end;
    }
    if (r->status != 200) return status + " " + error_type(r->body);
    auto d = parse_doc(r->body);
    if (!d || !d->HasMember("content") || !(*d)["content"].IsArray() || (*d)["content"].Empty()) {
        return "200 unreadable: " + r->body.substr(0, 80);
    }
    return "200 " + std::string((*d)["content"][0]["text"].GetString());
}

/// An OpenAI chat answer, in the same words as describe_anthropic.
std::string describe_openai(const httplib::Result& r) {
    if (!r) return "no answer (" + httplib::to_string(r.error()) + ")";
    std::string status = std::to_string(r->status);
    if (r->get_header_value("Content-Type").find("text/event-stream") != std::string::npos) {
        std::string text, end = "no end";
        for (const auto& e : parse_sse(r->body)) {
            if (e.data == "[DONE]") {
                if (end == "no end") end = "complete";
                continue;
            }
            auto d = parse_doc(e.data);
            if (!d || !d->IsObject()) continue;
            if (d->HasMember("error")) {
                end = "then error " + error_type(e.data);
                continue;
            }
            if (!d->HasMember("choices") || (*d)["choices"].Empty()) continue;
            const auto& delta = (*d)["choices"][0]["delta"];
            if (delta.HasMember("content") && delta["content"].IsString())
                text += delta["content"].GetString();
        }
        return status + " stream '" + text + "' " + end;
    }
    if (r->status != 200) return status + " " + error_type(r->body);
    auto d = parse_doc(r->body);
    if (!d || !d->HasMember("choices")) return "200 unreadable: " + r->body.substr(0, 80);
    return "200 " + std::string((*d)["choices"][0]["message"]["content"].GetString());
}

// ---- the matrix ---------------------------------------------------------------------------------

struct Row {
    std::string fault;
    std::string expected;
    std::string actual;
};

/// One part of the matrix: rows are checked as they are added and printed at the end.
class Matrix {
  public:
    explicit Matrix(std::string title) : m_title(std::move(title)) {}
    ~Matrix() { print(); }

    void add(const std::string& fault, const std::string& expected, const std::string& actual) {
        EXPECT_EQ(actual, expected) << "fault: " << fault;
        m_rows.push_back({fault, expected, actual});
    }

  private:
    void print() const {
        std::printf("\n%s\n", m_title.c_str());
        std::printf("| fault | expected | actual | ok |\n|---|---|---|---|\n");
        for (const auto& r : m_rows) {
            std::printf("| %s | %s | %s | %s |\n", r.fault.c_str(), r.expected.c_str(),
                        r.actual.c_str(), r.actual == r.expected ? "yes" : "**NO**");
        }
        std::fflush(stdout);
    }

    std::string m_title;
    std::vector<Row> m_rows;
};

const char* const kMessage =
    R"({"model":"claude-a","max_tokens":8,"messages":[{"role":"user","content":"hi"}]})";
const char* const kStreamMessage = R"({"model":"claude-a","max_tokens":8,"stream":true,)"
                                   R"("messages":[{"role":"user","content":"hi"}]})";
const char* const kChatMessage =
    R"({"model":"claude-a","messages":[{"role":"user","content":"hi"}]})";
const char* const kChatStream =
    R"({"model":"claude-a","stream":true,"messages":[{"role":"user","content":"hi"}]})";

FakeReply backup_reply(const RecordedRequest& req) {
    if (req.body.find("\"stream\":true") != std::string::npos)
        return anthropic_fake::stream_text({"from ", "the backup"});
    return anthropic_fake::text("from the backup");
}

/// A daemon whose `claude-a` is the faulty upstream at `primary` (1 s timeouts) and falls
/// back to `claude-b`, a healthy fake.
class Stack {
  public:
    explicit Stack(const std::string& primary, const std::string& general = {},
                   const std::string& router = {}) {
        m_backup.set_responder(backup_reply);
        m_home.write("config.yaml",
                     "model_list:\n"
                     "  - model_name: claude-a\n"
                     "    litellm_params: {model: anthropic/up, api_base: " +
                         primary +
                         ", api_key: key-primary, timeout: 1, stream_timeout: 1, "
                         "first_byte_timeout: 1}\n"
                         "  - model_name: claude-b\n"
                         "    litellm_params: {model: anthropic/up, api_base: " +
                         m_backup.base_url() +
                         ", api_key: key-backup}\n"
                         "router_settings:\n  num_retries: 0\n  stream_hold_timeout_s: 2\n"
                         "  fallbacks: [{claude-a: [claude-b]}]\n" +
                         router + "general_settings:\n  log_file: always\n" + general);
        std::string error;
        m_started = m_daemon.start({}, &error);
        EXPECT_TRUE(m_started) << error;
        if (m_started) m_port = m_daemon.http_port();
    }

    httplib::Result post(const std::string& body, const std::string& path = "/v1/messages") {
        httplib::Client c("127.0.0.1", m_port);
        c.set_read_timeout(20, 0);
        return c.Post(path.c_str(), body, "application/json");
    }
    /// The answer to kMessage (or kStreamMessage), described.
    std::string ask(bool stream = false) {
        return describe_anthropic(post(stream ? kStreamMessage : kMessage));
    }
    bool alive() {
        httplib::Client c("127.0.0.1", m_port);
        c.set_read_timeout(5, 0);
        auto r = c.Get("/health");
        return r && r->status == 200;
    }
    int port() const { return m_port; }
    FakeUpstream& backup() { return m_backup; }
    DaemonProcess& daemon() { return m_daemon; }

  private:
    FakeUpstream m_backup;
    TempHome m_home;
    DaemonProcess m_daemon{m_home};
    bool m_started = false;
    int m_port = 0;
};

/// The answer to kMessage through a stack whose primary is a fake answering `reply`, plus
/// whether the daemon still serves.
std::string with_reply(FakeReply reply, bool stream = false, const std::string& general = {}) {
    FakeUpstream primary;
    primary.set_default_reply(std::move(reply));
    Stack s(primary.base_url(), general);
    std::string out = s.ask(stream);
    if (!s.alive()) out += " (daemon down)";
    return out;
}

std::string with_raw(RawUpstream::Behaviour b, bool stream = false,
                     const std::string& general = {}) {
    RawUpstream primary(std::move(b));
    Stack s(primary.base_url(), general);
    std::string out = s.ask(stream);
    if (!s.alive()) out += " (daemon down)";
    return out;
}

const std::string kClosedSoon = "upstream closed within 2 s of the client leaving";

/// Streams `body` to `path` from an upstream that never ends, reads until the first text and
/// `linger_ms` more, hangs up, and says whether litellmd closed the upstream connection soon.
std::string hang_up_on_endless_stream(const char* path, const std::string& body, int linger_ms) {
    RawUpstream primary(endless_stream);
    Stack s(primary.base_url());
    int fd = connect_tcp(s.port());
    send_all(fd, std::string("POST ") + path +
                     " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     "Content-Length: " +
                     std::to_string(body.size()) + "\r\n\r\n" + body);
    std::string got = read_until(
        fd, [](const std::string& t) { return t.find("partial ") != std::string::npos; }, nullptr,
        5000);
    if (linger_ms > 0)
        got += read_until(
            fd, [](const std::string&) { return false; }, nullptr, linger_ms);
    auto left = Clock::now();
    ::close(fd);
    for (int i = 0; i < 300 && !primary.closed_at(); ++i)
        std::this_thread::sleep_for(10ms);
    auto closed = primary.closed_at();
    std::string out = got.find("partial ") == std::string::npos ? "no text streamed"
                      : !closed             ? "upstream still open 3 s after the client left"
                      : *closed - left < 2s ? kClosedSoon
                                            : "upstream closed late";
    if (!s.alive()) out += " (daemon down)";
    return out;
}

const std::string kFromBackup = "200 from the backup";
const std::string kBackupStream = "200 stream 'from the backup' complete";

TEST(FaultMatrix, Upstream) {
    Matrix m("Fault matrix: upstream answers (Anthropic client, claude-a falls back to claude-b)");
    {
        Stack s("http://127.0.0.1:" + std::to_string(free_port()));
        m.add("connection refused", kFromBackup, s.ask());
    }
    {
        FakeUpstream plain;  // speaks HTTP, not TLS
        plain.set_default_reply(anthropic_fake::text("never"));
        Stack s("https://127.0.0.1:" + std::to_string(plain.port()));
        m.add("TLS handshake fails", kFromBackup, s.ask());
    }
    {
        Stack s("http://no-such-host.invalid");
        m.add("DNS name does not resolve", kFromBackup, s.ask());
    }
    {
        FakeReply slow = anthropic_fake::text("late");
        slow.delay_before_ms = 4000;
        auto t0 = Clock::now();
        std::string out = with_reply(slow);
        m.add("slow response head (4 s; first_byte_timeout 1 s)", kFromBackup + " within 3 s",
              out + (ms_since(t0) < 3000 ? " within 3 s" : " after 3 s"));
    }
    m.add("slow body (head, then silence; timeout 1 s)", kFromBackup,
          with_raw([](RawUpstream& self, int fd) {
              send_all(fd,
                       "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                       "Content-Length: 1000\r\n\r\n{\"id\":");
              self.pause(5000);
          }));
    m.add("429 rate_limit_error (retry-after 30)", kFromBackup,
          with_reply(anthropic_fake::rate_limited(30)));
    m.add("500 api_error", kFromBackup,
          with_reply(anthropic_fake::error(500, "api_error", "Internal server error")));
    m.add("502 bad gateway (HTML body)", kFromBackup, with_reply([] {
              FakeReply r;
              r.status = 502;
              r.content_type = "text/html";
              r.body = "<html><body>502 Bad Gateway</body></html>";
              return r;
          }()));
    m.add("503 service unavailable", kFromBackup,
          with_reply(anthropic_fake::error(503, "api_error", "Service unavailable")));
    m.add("529 overloaded_error", kFromBackup, with_reply(anthropic_fake::overloaded()));
    {
        FakeUpstream primary;
        primary.set_default_reply(
            anthropic_fake::error(400, "invalid_request_error", "messages: field required"));
        Stack s(primary.base_url());
        std::string out = s.ask();
        m.add("400 invalid_request_error (the client's fault)",
              "400 invalid_request_error; backup untouched",
              out + (s.backup().request_count() == 0 ? "; backup untouched" : "; backup asked"));
    }
    m.add("reset before the first byte", kFromBackup,
          with_raw([](RawUpstream&, int fd) { arm_reset(fd); }));
    m.add("answer cut short (Content-Length 500, 20 bytes, FIN)", kFromBackup,
          with_raw([](RawUpstream&, int fd) {
              send_all(fd,
                       "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                       "Content-Length: 500\r\n\r\n{\"id\":\"msg_1\",\"type\"");
          }));
    {
        FakeReply truncated = anthropic_fake::text("cut");
        truncated.body.resize(truncated.body.size() / 2);
        m.add("truncated JSON (framing complete)", kFromBackup, with_reply(truncated));
    }
    m.add("garbage instead of HTTP", kFromBackup, with_raw([](RawUpstream&, int fd) {
              send_all(fd, "SSH-2.0-OpenSSH_9.2\r\n\x01\x02\x03 not http at all\r\n\r\n");
          }));
    m.add("oversized answer (2 MB; max_response_size_mb 1)", kFromBackup,
          with_reply(anthropic_fake::text(std::string(2u << 20, 'x')), false,
                     "  max_response_size_mb: 1\n"));
    {
        FakeUpstream primary;
        primary.set_default_reply(anthropic_fake::error(500, "api_error", "boom"));
        Stack s(primary.base_url());
        s.backup().set_responder(
            [](const RecordedRequest&) { return anthropic_fake::overloaded(); });
        m.add("every deployment fails (500, then 529)", "529 overloaded_error", s.ask());
    }
    {
        FakeUpstream primary;
        primary.set_default_reply(anthropic_fake::error(500, "api_error", "boom"));
        Stack s(primary.base_url());
        m.add("500 on a translated route (OpenAI chat client)", kFromBackup,
              describe_openai(s.post(kChatMessage, "/v1/chat/completions")));
    }
}

TEST(FaultMatrix, Streams) {
    Matrix m("Fault matrix: streams (Anthropic client, stream: true)");
    m.add("reset after the 200 head, before any event", kBackupStream,
          with_raw(
              [](RawUpstream&, int fd) {
                  send_events(fd, 0);
                  arm_reset(fd);
              },
              true));
    m.add("reset after message_start and ping (before content)", kBackupStream,
          with_raw(
              [](RawUpstream&, int fd) {
                  send_events(fd, 2);
                  arm_reset(fd);
              },
              true));
    m.add("reset after the first text delta", "200 stream 'partial ' then error api_error",
          with_raw(
              [](RawUpstream&, int fd) {
                  send_events(fd, kFirstDelta);
                  arm_reset(fd);
              },
              true));
    m.add("stream ends cleanly without message_stop", "200 stream 'partial ' then error api_error",
          with_raw(
              [](RawUpstream&, int fd) {
                  send_events(fd, kFirstDelta);
                  send_all(fd, "0\r\n\r\n");
              },
              true));
    m.add("malformed SSE before content", kBackupStream,
          with_raw(
              [](RawUpstream& self, int fd) {
                  send_events(fd, 1);
                  send_all(fd, chunk("event: content_block_delta\ndata: {\"type\":\"content_"
                                     "block_delta\",\"delta\":{\"text\n\n"));
                  send_all(fd, "0\r\n\r\n");
              },
              true));
    m.add("in-band overloaded_error after message_start", kBackupStream,
          with_reply(anthropic_fake::stream_error_after_start(), true));
    m.add("silence before content (stream_timeout 1 s)", kBackupStream,
          with_raw(
              [](RawUpstream& self, int fd) {
                  send_events(fd, kBeforeContent);
                  self.pause(5000);
              },
              true));
    m.add("silence after content (stream_timeout 1 s)",
          "200 stream 'partial ' then error api_error",
          with_raw(
              [](RawUpstream& self, int fd) {
                  send_events(fd, kFirstDelta);
                  self.pause(5000);
              },
              true));
    m.add("an SSE line over max_sse_line_kb (1) before content", kBackupStream,
          with_raw(
              [](RawUpstream&, int fd) {
                  send_events(fd, 1);
                  send_all(fd, chunk("data: " + std::string(4096, 'a') + "\n\n"));
                  send_all(fd, "0\r\n\r\n");
              },
              true, "  max_sse_line_kb: 1\n"));
    m.add("never-ending stream; the client hangs up after 1 s", kClosedSoon,
          hang_up_on_endless_stream("/v1/messages", kStreamMessage, 1000));
}

TEST(FaultMatrix, OAuth) {
    Matrix m("Fault matrix: OAuth (Qwen Portal, OpenAI chat client, falls back to an API key)");
    auto now_s = [] { return static_cast<long long>(::time(nullptr)); };
    struct QwenStack {
        FakeQwen qwen;
        FakeUpstream backup;
        TempHome home;
        DaemonProcess daemon{home};
        int port = 0;

        void start(const std::string& dotenv, const std::string& tokens) {
            backup.set_default_reply(openai_fake::text("from the backup"));
            home.write(
                "config.yaml",
                "model_list:\n"
                "  - model_name: coder\n"
                "    litellm_params: {model: qwen_portal/qwen3-coder-plus}\n"
                "  - model_name: backup\n"
                "    litellm_params: {model: openai/b, api_base: " +
                    backup.base_url() +
                    "/v1, api_key: k}\n"
                    "router_settings:\n  num_retries: 0\n  fallbacks: [{coder: [backup]}]\n");
            home.write(".env", dotenv);
            home.write("auth.qwen_portal.json", tokens);
            std::string error;
            EXPECT_TRUE(daemon.start({}, &error)) << error;
            port = daemon.http_port();
        }
        std::string chat(bool stream = false) {
            httplib::Client c("127.0.0.1", port);
            c.set_read_timeout(20, 0);
            return describe_openai(c.Post(
                "/v1/chat/completions",
                stream
                    ? R"({"model":"coder","stream":true,"messages":[{"role":"user","content":"x"}]})"
                    : R"({"model":"coder","messages":[{"role":"user","content":"x"}]})",
                "application/json"));
        }
        std::string tokens_on_disk() const {
            return read_file(home.file("auth.qwen_portal.json")).value_or("");
        }
    };
    {
        QwenStack q;
        q.qwen.set_current(1);
        std::string file = q.qwen.token_file(1, now_s() - 10);
        q.start("QWEN_PORTAL_OAUTH_TOKEN_URL=http://127.0.0.1:" + std::to_string(free_port()) +
                    "/token\n",
                file);
        std::string out = q.chat();
        m.add(
            "token endpoint down during refresh (connection refused)",
            kFromBackup + "; token file unchanged",
            out + (q.tokens_on_disk() == file ? "; token file unchanged" : "; token file changed"));
    }
    {
        QwenStack q;
        q.qwen.set_current(1);
        q.qwen.fail_refreshes(500);
        std::string file = q.qwen.token_file(1, now_s() - 10);
        q.start(q.qwen.dotenv(), file);
        std::string out = q.chat();
        m.add(
            "token endpoint answers 500 during refresh", kFromBackup + "; token file unchanged",
            out + (q.tokens_on_disk() == file ? "; token file unchanged" : "; token file changed"));
    }
    {
        QwenStack q;
        q.qwen.set_current(1);
        q.qwen.fail_refreshes(400);
        q.start(q.qwen.dotenv(), q.qwen.token_file(1, now_s() - 10));
        std::string out = q.chat();
        auto status = q.daemon.call("auth.status");
        std::string state =
            status && json_stringify(status->payload()).find("login_needed") != std::string::npos
                ? "; login needed"
                : "; state not login_needed";
        m.add("refresh token refused (invalid_grant)", kFromBackup + "; login needed", out + state);
    }
    {
        // The access token is revoked while a stream runs on it: the stream (already
        // authorised) completes; the next request is refused 401, refreshed once and retried.
        QwenStack q;
        q.qwen.set_current(1);
        q.qwen.set_stream_chunk_delay_ms(200);
        q.start(q.qwen.dotenv(), q.qwen.token_file(1, now_s() + 3600));
        std::string first;
        std::thread streamer([&] { first = q.chat(true); });
        std::this_thread::sleep_for(300ms);
        q.qwen.revoke_current_access();
        streamer.join();
        std::string next = q.chat();
        m.add("access token revoked mid-stream",
              "200 stream 'hello from qwen' complete; next: 200 hello from qwen after 1 refresh",
              first + "; next: " + next + " after " + std::to_string(q.qwen.refreshes()) +
                  " refresh" + (q.qwen.refreshes() == 1 ? "" : "es"));
    }
}

TEST(FaultMatrix, Clients) {
    Matrix m("Fault matrix: clients");
    {
        // The client leaves while the daemon waits for a slow upstream's head.
        RawUpstream primary([](RawUpstream& self, int fd) { self.wait_peer_close(fd, 5000); });
        Stack s(primary.base_url(), {}, {});
        int fd = connect_tcp(s.port());
        std::string body = kMessage;
        send_all(fd, "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " +
                         std::to_string(body.size()) + "\r\n\r\n" + body);
        for (int i = 0; i < 200 && primary.connections() == 0; ++i)
            std::this_thread::sleep_for(10ms);
        auto left = Clock::now();
        ::close(fd);
        for (int i = 0; i < 300 && !primary.closed_at(); ++i)
            std::this_thread::sleep_for(10ms);
        auto closed = primary.closed_at();
        std::this_thread::sleep_for(1500ms);  // past first_byte_timeout: would a fallback run?
        std::string out = !closed               ? "upstream still open"
                          : *closed - left < 2s ? "upstream closed"
                                                : "late";
        out += s.backup().request_count() == 0 ? "; no fallback" : "; fallback ran";
        if (!s.alive()) out += " (daemon down)";
        m.add("client disconnects while the upstream is silent", "upstream closed; no fallback",
              out);
    }
    // The client leaves mid-stream on a translated route (OpenAI client, Anthropic upstream).
    m.add("client disconnects mid-stream (translated route)", kClosedSoon,
          hang_up_on_endless_stream("/v1/chat/completions", kChatStream, 0));
    {
        // Slowloris: 20 clients trickle a head a byte at a time; each is closed at its
        // deadline while an honest client is served.
        FakeUpstream primary;
        primary.set_default_reply(anthropic_fake::text("served"));
        Stack s(primary.base_url(), "  client_head_timeout_s: 1\n");
        std::vector<int> fds;
        for (int i = 0; i < 20; ++i)
            fds.push_back(connect_tcp(s.port()));
        std::string head = "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
        auto t0 = Clock::now();
        std::vector<bool> closed(fds.size(), false);
        std::size_t n_closed = 0;
        long long last_close_ms = 0;
        std::string honest;
        for (int step = 0; step < 60 && n_closed < fds.size(); ++step) {
            for (std::size_t i = 0; i < fds.size(); ++i) {
                if (closed[i]) continue;
                char c =
                    head[std::min<std::size_t>(static_cast<std::size_t>(step), head.size() - 1)];
                if (!send_all(fds[i], std::string_view(&c, 1))) {
                    closed[i] = true;
                    ++n_closed;
                    last_close_ms = ms_since(t0);
                    continue;
                }
                pollfd p{fds[i], POLLIN, 0};
                char buf[256];
                if (::poll(&p, 1, 0) > 0 && ::recv(fds[i], buf, sizeof buf, 0) <= 0) {
                    closed[i] = true;
                    ++n_closed;
                    last_close_ms = ms_since(t0);
                }
            }
            if (step == 2) honest = s.ask();
            std::this_thread::sleep_for(100ms);
        }
        for (int fd : fds)
            ::close(fd);
        std::string out = std::to_string(n_closed) + " of 20 closed" +
                          (n_closed == fds.size() && last_close_ms < 3000 ? " within 3 s" : "") +
                          "; honest client: " + honest;
        if (!s.alive()) out += " (daemon down)";
        m.add("slowloris: 20 heads a byte per 100 ms (client_head_timeout_s 1)",
              "20 of 20 closed within 3 s; honest client: 200 served", out);
    }
    {
        // A body that never finishes: closed at client_request_timeout_s.
        FakeUpstream primary;
        primary.set_default_reply(anthropic_fake::text("served"));
        Stack s(primary.base_url(), "  client_request_timeout_s: 2\n");
        int fd = connect_tcp(s.port());
        send_all(
            fd, "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n{");
        auto t0 = Clock::now();
        bool gone = false;
        while (ms_since(t0) < 5000 && !gone) {
            if (!send_all(fd, " ")) gone = true;
            pollfd p{fd, POLLIN, 0};
            char buf[512];
            if (::poll(&p, 1, 0) > 0 && ::recv(fd, buf, sizeof buf, 0) <= 0) gone = true;
            std::this_thread::sleep_for(200ms);
        }
        long long took = ms_since(t0);
        ::close(fd);
        std::string out = gone && took < 4000 ? "closed within 4 s" : "still open after 4 s";
        out += primary.request_count() == 0 ? "; nothing sent upstream" : "; sent upstream";
        if (!s.alive()) out += " (daemon down)";
        m.add("a body trickled forever (client_request_timeout_s 2)",
              "closed within 4 s; nothing sent upstream", out);
    }
}

}  // namespace
}  // namespace litellm::test
