// Attacks from the same machine, each run against the real daemon: what a local process without
// the master key (or with a misbehaving upstream) could make litellmd hold, crash on or leak.
// Every test checks that the daemon is still alive and answering, that the attacker got a
// clear error in its own API format, and, where memory was the target, a bound read from
// /proc.

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <sys/stat.h>

#include <filesystem>

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include "common/fs.hpp"
#include "common/json.hpp"
#include "fakes/fake_upstream.hpp"
#include "functional/harness.hpp"

namespace litellm::test {
namespace {

using namespace std::chrono_literals;

#ifdef LITELLM_TSAN_BUILD
// ThreadSanitizer's allocator and shadow memory grow RSS on their own, so the memory bounds are
// checked in the other builds only (the rest of each test runs under TSan too).
constexpr long kRssSlack = 1L << 40;
#else
constexpr long kRssSlack = 0;
#endif

constexpr const char* kMessage =
    R"({"model":"claude-a","max_tokens":8,"messages":[{"role":"user","content":"hi"}]})";

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// One model, `claude-a`, on `upstream` (Anthropic format), and `extra` appended (settings).
std::string one_model_config(const FakeUpstream& upstream, const std::string& extra = {},
                             const std::string& provider = "anthropic") {
    return "model_list:\n"
           "  - model_name: claude-a\n"
           "    litellm_params:\n"
           "      model: " +
           provider +
           "/up\n"
           "      api_base: " +
           upstream.base_url() + (provider == "openai" ? "/v1" : "") +
           "\n"
           "      api_key: key-for-tests\n"
           "router_settings:\n"
           "  num_retries: 0\n" +
           extra;
}

class SecurityTest : public ::testing::Test {
  protected:
    void start(const std::string& config, std::vector<std::string> args = {}) {
        m_home.write("config.yaml", config);
        std::string error;
        ASSERT_TRUE(m_daemon.start(args, &error)) << error;
        m_port = m_daemon.http_port();
        ASSERT_GT(m_port, 0);
    }
    int pid() { return m_daemon.process().pid(); }
    httplib::Result post(const std::string& body, const std::string& path = "/v1/messages",
                         httplib::Headers headers = {}) {
        httplib::Client c("127.0.0.1", m_port);
        c.set_read_timeout(20, 0);
        return c.Post(path.c_str(), headers, body, "application/json");
    }
    // The daemon still serves: /health answers 200.
    void expect_alive() {
        httplib::Client c("127.0.0.1", m_port);
        c.set_read_timeout(5, 0);
        auto r = c.Get("/health");
        ASSERT_TRUE(r) << "litellmd no longer answers /health";
        EXPECT_EQ(r->status, 200);
    }
    std::string log_text() { return read_text(m_home.file("logs/litellmd.log")); }
    // `n` connections to the daemon that each sent `bytes`; fewer when one failed.
    std::vector<int> open_connections(int n, const std::string& bytes) {
        std::vector<int> fds;
        for (int i = 0; i < n; ++i) {
            int fd = connect_tcp(m_port);
            if (fd < 0) break;
            fds.push_back(fd);
            if (!bytes.empty() && !send_all(fd, bytes)) break;
        }
        return fds;
    }

    FakeUpstream m_upstream;
    TempHome m_home;
    DaemonProcess m_daemon{m_home};
    int m_port = 0;
};

// ---- request bodies -------------------------------------------------------------------------

TEST_F(SecurityTest, DeclaredHugeBodiesDoNotReserveMemoryBeforeTheBytesArrive) {
    m_upstream.set_default_reply(anthropic_fake::text("ok"));
    start(one_model_config(m_upstream));
    long before = rss_kib(pid());
    // 60 connections declare 32 MiB each and send one byte: 1.98 GB resident before the fix.
    std::vector<int> fds =
        open_connections(60,
                         "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                         "application/json\r\nContent-Length: 33554432\r\n\r\n{");
    ASSERT_EQ(fds.size(), 60u);
    std::this_thread::sleep_for(500ms);
    long during = rss_kib(pid());
    EXPECT_LT(during - before, 64 * 1024 + kRssSlack)
        << "RSS grew from " << before << " to " << during << " KiB for 60 one-byte bodies";
    expect_alive();
    for (int fd : fds)
        ::close(fd);
}

TEST_F(SecurityTest, TheDaemonWideBodyBudgetRefusesInTheClientsFormat) {
    m_upstream.set_default_reply(anthropic_fake::text("ok"));
    start(one_model_config(m_upstream,
                           "general_settings:\n  max_request_size_mb: 3\n"
                           "  max_buffered_requests_mb: 4\n"));
    // A valid 2 MB request (trailing spaces are JSON whitespace), half of it sent: its buffer
    // holds 2 MB of the 4 MB budget.
    std::string big = std::string(kMessage) + std::string((2u << 20) - std::strlen(kMessage), ' ');
    int first = connect_tcp(m_port);
    ASSERT_GE(first, 0);
    ASSERT_TRUE(
        send_all(first, "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " +
                            std::to_string(big.size()) + "\r\n\r\n" + big.substr(0, 1200 * 1024)));
    std::this_thread::sleep_for(300ms);
    // A second body that would take the total past 4 MB is refused. 2.4 MB makes sure of it
    // however far the daemon has read the first (it holds at least 1 MB of it by now).
    int second = connect_tcp(m_port);
    ASSERT_GE(second, 0);
    ASSERT_TRUE(send_all(
        second, "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3000000\r\n\r\n" +
                    std::string(2400 * 1024, ' ')));
    std::string answer = read_until(second, [](const std::string& t) {
        return t.find("\r\n\r\n") != std::string::npos && t.find("}}") != std::string::npos;
    });
    // An Anthropic client: 529 overloaded_error, which Claude Code retries.
    EXPECT_EQ(answer.rfind("HTTP/1.1 529", 0), 0u) << answer;
    EXPECT_NE(answer.find("\"overloaded_error\""), std::string::npos) << answer;
    EXPECT_NE(answer.find("max_buffered_requests_mb"), std::string::npos) << answer;
    ::close(second);
    // The first request loses nothing: it completes and is answered.
    ASSERT_TRUE(send_all(first, big.substr(1200 * 1024)));
    std::string first_answer = read_until(
        first, [](const std::string& t) { return t.find("\"ok\"") != std::string::npos; });
    EXPECT_EQ(first_answer.rfind("HTTP/1.1 200", 0), 0u) << first_answer.substr(0, 300);
    ::close(first);
    // And the budget is whole again.
    auto r = post(big);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
}

TEST_F(SecurityTest, DeeplyNestedBodiesAreRefusedNotRecursedInto) {
    m_upstream.set_default_reply(openai_fake::text("ok"));
    start(one_model_config(m_upstream, {}, "openai"));
    // Anthropic in, OpenAI out: the body is decoded and its tool schema walked.
    std::string schema = std::string(5000, '[') + std::string(5000, ']');
    std::string body = R"({"model":"claude-a","max_tokens":8,"messages":[{"role":"user",)"
                       R"("content":"hi"}],"tools":[{"name":"t","input_schema":{"x":)" +
                       schema + "}}]}";
    auto r = post(body);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << r->body;
    EXPECT_NE(r->body.find("invalid_request_error"), std::string::npos) << r->body;
    EXPECT_NE(r->body.find("nested deeper than"), std::string::npos) << r->body;
    expect_alive();
}

TEST_F(SecurityTest, NestingWithinTheLimitStillTranslatesOnAWorkerStack) {
    m_upstream.set_default_reply(openai_fake::text("ok"));
    start(one_model_config(m_upstream, {}, "openai"));
    // 121 levels of JSON nesting in the schema (125 in the body, the limit being 128), walked
    // recursively by the translation: the worker stack (and the sanitizer build's larger one)
    // has room for every depth the limit lets through.
    std::string schema;
    for (int i = 0; i < 60; ++i)
        schema += R"({"type":"object","properties":{"p":)";
    schema += R"({"type":"string"})";
    for (int i = 0; i < 60; ++i)
        schema += "}}";
    auto r = post(R"({"model":"claude-a","max_tokens":8,"messages":[{"role":"user",)"
                  R"("content":"hi"}],"tools":[{"name":"t","input_schema":)" +
                  schema + "}]}");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body.substr(0, 300);
    ASSERT_EQ(m_upstream.request_count(), 1u);
    EXPECT_NE(m_upstream.last_request().body.find(R"({"type":"string"})"), std::string::npos);
}

TEST_F(SecurityTest, WithAMasterKeyAKeylessBodyIsNeverRead) {
    m_upstream.set_default_reply(anthropic_fake::text("ok"));
    start(one_model_config(m_upstream, "general_settings:\n  master_key: sk-master-0123456789\n"));
    long before = rss_kib(pid());
    std::vector<int> fds = open_connections(
        20, "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 30000000\r\n\r\n" +
                std::string(64 * 1024, ' '));
    ASSERT_EQ(fds.size(), 20u);
    // Each is answered 401 at once, in the Anthropic format, without its body.
    for (int fd : fds) {
        std::string answer = read_until(
            fd, [](const std::string& t) { return t.find("}}") != std::string::npos; }, nullptr,
            3000);
        EXPECT_EQ(answer.rfind("HTTP/1.1 401", 0), 0u) << answer;
        EXPECT_NE(answer.find("authentication_error"), std::string::npos) << answer;
    }
    EXPECT_LT(rss_kib(pid()) - before, 32 * 1024 + kRssSlack);
    for (int fd : fds)
        ::close(fd);
    expect_alive();
}

TEST_F(SecurityTest, MaxTokensThatDoNotFitAreAClientError) {
    m_upstream.set_default_reply(openai_fake::text("ok"));
    start(one_model_config(m_upstream, {}, "openai"));
    auto r = post(
        R"({"model":"claude-a","max_tokens":9223372036854775808,"messages":[{"role":"user","content":"hi"}]})");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << r->body;
    EXPECT_NE(r->body.find("max_tokens"), std::string::npos) << r->body;
    EXPECT_EQ(m_upstream.request_count(), 0u);  // never forwarded as -2^63
}

// ---- the control socket ---------------------------------------------------------------------

int connect_unix(const std::string& path) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

TEST_F(SecurityTest, ANestedLineOnTheControlSocketIsAParseError) {
    m_upstream.set_default_reply(anthropic_fake::text("ok"));
    start(one_model_config(m_upstream));
    int fd = connect_unix(m_daemon.socket_path());
    ASSERT_GE(fd, 0);
    // 110,000 '[': this once overflowed the event loop's stack (SIGSEGV, daemon gone).
    ASSERT_TRUE(send_all(fd, std::string(110000, '[') + "\n"));
    std::string reply =
        read_until(fd, [](const std::string& t) { return t.find('\n') != std::string::npos; });
    EXPECT_NE(reply.find("-32700"), std::string::npos) << reply;
    EXPECT_NE(reply.find("nested deeper than"), std::string::npos) << reply;
    ::close(fd);
    auto status = m_daemon.call("status");
    ASSERT_TRUE(status);
    EXPECT_FALSE(status->is_error);
}

TEST_F(SecurityTest, AControlClientThatNeverReadsHoldsBoundedMemory) {
    m_upstream.set_default_reply(anthropic_fake::text("ok"));
    start(one_model_config(m_upstream));
    // Fill the log ring so each logs.tail reply is large.
    for (int i = 0; i < 300; ++i)
        post(R"({"model":"no-such-model","max_tokens":1,"messages":[]})");
    long before = rss_kib(pid());
    int fd = connect_unix(m_daemon.socket_path());
    ASSERT_GE(fd, 0);
    std::string line = R"({"jsonrpc":"2.0","id":1,"method":"logs.tail","params":{"n":4096}})"
                       "\n";
    std::string batch;
    for (int i = 0; i < 100; ++i)
        batch += line;
    // 3,000 pipelined requests, never reading a reply (4.18 GB before the fix). The daemon
    // stops reading once its reply queue is full, so our writes stall: send without blocking.
    int sent = 0;
    auto deadline = std::chrono::steady_clock::now() + 3s;
    std::string_view rest;
    while (sent < 30 && std::chrono::steady_clock::now() < deadline) {
        if (rest.empty()) {
            rest = batch;
            ++sent;
        }
        ssize_t n = ::send(fd, rest.data(), rest.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            rest.remove_prefix(static_cast<size_t>(n));
        } else {
            std::this_thread::sleep_for(10ms);
        }
    }
    std::this_thread::sleep_for(500ms);
    long during = rss_kib(pid());
    EXPECT_LT(during - before, 48 * 1024 + kRssSlack)
        << "RSS grew from " << before << " to " << during;
    ::close(fd);
    // The same calls in one batch line: 14,000 fit in 1 MiB, and are refused whole.
    std::string call = R"({"jsonrpc":"2.0","id":1,"method":"logs.tail","params":{"n":4096}})";
    auto batch_of = [&](std::size_t max_bytes, std::size_t max_calls) {
        std::string line = "[" + call;
        for (std::size_t n = 1; n < max_calls && line.size() + call.size() + 3 < max_bytes; ++n)
            line += "," + call;
        return line + "]\n";
    };
    auto send_and_read = [&](const std::string& line) {
        int c = connect_unix(m_daemon.socket_path());
        EXPECT_GE(c, 0);
        EXPECT_TRUE(send_all(c, line));
        std::string reply = read_until(
            c, [](const std::string& t) { return t.find('\n') != std::string::npos; }, nullptr,
            5000);
        ::close(c);
        return reply;
    };
    std::string reply = send_and_read(batch_of(1u << 20, 100000));
    EXPECT_NE(reply.find("at most 256 calls"), std::string::npos) << reply.substr(0, 200);
    // 256 calls whose replies would be 256 copies of the ring: one error, past the line limit.
    reply = send_and_read(batch_of(1u << 20, 256));
    EXPECT_NE(reply.find("send fewer calls per batch"), std::string::npos) << reply.substr(0, 200);
    during = rss_kib(pid());
    EXPECT_LT(during - before, 64 * 1024 + kRssSlack)
        << "RSS grew from " << before << " to " << during;
    auto status = m_daemon.call("status");
    ASSERT_TRUE(status);
    EXPECT_FALSE(status->is_error);
}

// ---- reload and the master key --------------------------------------------------------------

TEST_F(SecurityTest, WithoutAMasterKeyOnlyLoopbackIsServed) {
    m_home.write("config.yaml", one_model_config(m_upstream));
    for (const char* host : {"0.0.0.0", "127.0.0.2", "::"}) {
        RunResult r = run_daemon_binary({"--home", m_home.path(), "--port", "0", "--host", host});
        EXPECT_EQ(r.exit_code, 5) << host << ": " << r.err;
        EXPECT_NE(r.err.find(std::string("refusing to listen on ") + host), std::string::npos)
            << r.err;
        // The reason reads whole (the redaction once took "anyone" for a key).
        EXPECT_NE(r.err.find("anyone on the network could use your credentials"), std::string::npos)
            << r.err;
        EXPECT_EQ(r.err.find("[REDACTED]"), std::string::npos) << r.err;
    }
    // Loopback needs no key.
    start(one_model_config(m_upstream), {"--host", "127.0.0.1"});
    expect_alive();
}

// Without a key any local program is trusted, so a web page must not pass for one: a
// cross-site POST (the page's Origin) or a DNS-rebinding page (its own name in Host) is
// refused before anything reaches an upstream; programs, which send this machine's names or
// none, are served.
TEST_F(SecurityTest, WithoutAMasterKeyAWebPageIsRefusedAndProgramsAreServed) {
    m_upstream.set_default_reply(anthropic_fake::text("ok"));
    start(one_model_config(m_upstream));
    struct Row {
        std::string header;
        std::string value;
        int status;
    };
    const std::vector<Row> rows = {
        {"Origin", "https://evil.example", 403},
        {"Origin", "null", 403},  // a sandboxed frame or a file:// page
        {"Origin", "http://localhost.evil.example:4000", 403},
        {"Origin", "http://127.0.0.1.nip.io", 403},
        {"Origin", "not an origin", 403},
        {"Sec-Fetch-Site", "cross-site", 403},
        {"Host", "rebind.evil.example:4000", 403},
        {"Host", "EVIL.example.", 403},
        {"Host", "localhost:4000@evil.example", 403},
        {"Origin", "http://localhost:3000", 200},
        {"Origin", "http://127.0.0.1:8080", 200},
        {"Origin", "http://[::1]:8080", 200},
        {"Host", "localhost:4000", 200},
        {"Host", "LOCALHOST.", 200},
        {"Host", "app.localhost", 200},
        {"Host", "[::1]:4000", 200},
        {"Host", "192.0.2.7:4000", 200},  // an address: no page can rebind it
        {"Sec-Fetch-Site", "same-origin", 200},
        {"Sec-Fetch-Site", "none", 200},
    };
    for (const Row& row : rows) {
        std::size_t before = m_upstream.request_count();
        auto r = post(kMessage, "/v1/messages", {{row.header, row.value}});
        ASSERT_TRUE(r) << row.header << ": " << row.value;
        EXPECT_EQ(r->status, row.status) << row.header << ": " << row.value << "\n" << r->body;
        if (row.status == 403) {
            EXPECT_EQ(m_upstream.request_count(), before) << row.value;
            EXPECT_NE(r->body.find("\"permission_error\""), std::string::npos) << r->body;
            EXPECT_NE(r->body.find("set a master_key"), std::string::npos) << r->body;
        }
    }
    // The refusal speaks each client's API, for reads too.
    auto chat = post(R"({"model":"claude-a","messages":[{"role":"user","content":"hi"}]})",
                     "/v1/chat/completions", {{"Origin", "https://evil.example"}});
    ASSERT_TRUE(chat);
    EXPECT_EQ(chat->status, 403);
    EXPECT_NE(chat->body.find("\"error\":{"), std::string::npos) << chat->body;
    httplib::Client c("127.0.0.1", m_port);
    auto models = c.Get("/v1/models", {{"Host", "rebind.evil.example:4000"}});
    ASSERT_TRUE(models);
    EXPECT_EQ(models->status, 403) << models->body;
    EXPECT_EQ(models->body.find("claude-a"), std::string::npos) << models->body;
    // A page's Sec-Fetch-Site says cross-site even from localhost; its Origin decides.
    auto from_localhost =
        post(kMessage, "/v1/messages",
             {{"Origin", "http://localhost:3000"}, {"Sec-Fetch-Site", "cross-site"}});
    ASSERT_TRUE(from_localhost);
    EXPECT_EQ(from_localhost->status, 200) << from_localhost->body;
    // Two Hosts are refused outright: the check would read one, something behind another.
    int fd = connect_tcp(m_port);
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(send_all(fd,
                         "GET /v1/models HTTP/1.1\r\nHost: localhost\r\nHost: "
                         "evil.example\r\n\r\n"));
    std::string reply = read_until(fd, [](const std::string&) { return false; });
    ::close(fd);
    EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0u) << reply;
    // This machine's own names are not a page's.
    char name[256] = {};
    ASSERT_EQ(::gethostname(name, sizeof name - 1), 0);
    auto own = post(kMessage, "/v1/messages", {{"Host", std::string(name) + ":4000"}});
    ASSERT_TRUE(own);
    EXPECT_EQ(own->status, 200) << name << ": " << own->body;
    auto docker = post(kMessage, "/v1/messages", {{"Host", "host.docker.internal:4000"}});
    ASSERT_TRUE(docker);
    EXPECT_EQ(docker->status, 200) << docker->body;
    EXPECT_NE(log_text().find("refused (403): a request from the web page https://evil.example"),
              std::string::npos)
        << log_text();
    expect_alive();
}

// Names of the user's own for this machine (an /etc/hosts alias) are allowed by config, and
// the refusal says where.
TEST_F(SecurityTest, AllowedHostsAddNamesOfTheUsersOwn) {
    m_upstream.set_default_reply(anthropic_fake::text("ok"));
    start(one_model_config(m_upstream, "general_settings:\n  allowed_hosts: [litellm.internal]\n"));
    auto alias = post(kMessage, "/v1/messages", {{"Host", "LiteLLM.internal:4000"}});
    ASSERT_TRUE(alias);
    EXPECT_EQ(alias->status, 200) << alias->body;
    auto other = post(kMessage, "/v1/messages", {{"Host", "other.internal:4000"}});
    ASSERT_TRUE(other);
    EXPECT_EQ(other->status, 403);
    EXPECT_NE(other->body.find("general_settings.allowed_hosts"), std::string::npos) << other->body;
}

// With a master key, the key decides: a page cannot read it, and a program that holds it may
// call from a browser-like client.
TEST_F(SecurityTest, WithAMasterKeyTheKeyDecidesWhateverTheOrigin) {
    m_upstream.set_default_reply(anthropic_fake::text("ok"));
    start(one_model_config(m_upstream, "general_settings:\n  master_key: sk-master-0123456789\n"));
    httplib::Headers page = {{"Origin", "https://evil.example"}, {"Host", "rebind.example"}};
    auto keyless = post(kMessage, "/v1/messages", page);
    ASSERT_TRUE(keyless);
    EXPECT_EQ(keyless->status, 401) << keyless->body;
    page.emplace("x-api-key", "sk-master-0123456789");
    auto keyed = post(kMessage, "/v1/messages", page);
    ASSERT_TRUE(keyed);
    EXPECT_EQ(keyed->status, 200) << keyed->body;
}

TEST_F(SecurityTest, ReloadCannotDropTheMasterKeyWhileListeningBeyondLoopback) {
    m_upstream.set_default_reply(anthropic_fake::text("ok"));
    std::string with_key =
        one_model_config(m_upstream, "general_settings:\n  master_key: sk-master-0123456789\n");
    start(with_key, {"--host", "0.0.0.0"});
    ASSERT_EQ(post(kMessage)->status, 401);
    m_home.write("config.yaml", one_model_config(m_upstream));
    RunResult reload = run_ctl(m_home, {"reload"});
    EXPECT_NE(reload.exit_code, 0) << reload.out << reload.err;
    EXPECT_NE(reload.err.find("master_key"), std::string::npos) << reload.err;
    // The old config (and its key) stays: keyless requests are still refused.
    auto r = post(kMessage);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << r->body;
    EXPECT_EQ(m_upstream.request_count(), 0u);
}

// ---- upstream answers -----------------------------------------------------------------------

TEST_F(SecurityTest, AnOversizedWholeAnswerIsCutOffWithAClearError) {
    FakeReply big = anthropic_fake::text(std::string(3 << 20, 'a'));
    m_upstream.set_default_reply(big);
    start(one_model_config(m_upstream, "general_settings:\n  max_response_size_mb: 1\n"));
    auto r = post(kMessage);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 502) << r->body.substr(0, 300);
    EXPECT_NE(r->body.find("max_response_size_mb"), std::string::npos) << r->body.substr(0, 300);
    expect_alive();
}

TEST_F(SecurityTest, AGzipBombIsRefusedBeforeItInflates) {
    FakeReply bomb;
    bomb.body = gzip(std::string(256u << 20, ' '));  // 256 MiB of spaces, ~250 KB on the wire
    bomb.headers = {{"Content-Encoding", "gzip"}};
    m_upstream.set_default_reply(bomb);
    start(one_model_config(m_upstream));
    long before = rss_kib(pid());
    for (bool stream : {false, true}) {
        std::string body = stream ? R"({"model":"claude-a","max_tokens":8,"stream":true,)"
                                    R"("messages":[{"role":"user","content":"hi"}]})"
                                  : kMessage;
        auto r = post(body);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 502) << stream << r->body.substr(0, 300);
        EXPECT_NE(r->body.find("max_inflate_ratio"), std::string::npos) << r->body.substr(0, 300);
    }
    long after = rss_kib(pid());
    EXPECT_LT(after - before, 64 * 1024 + kRssSlack)
        << "RSS grew from " << before << " to " << after;
    expect_alive();
}

TEST_F(SecurityTest, AnSseLineThatNeverEndsStopsAtItsLimit) {
    FakeReply endless;
    endless.content_type = "text/event-stream";
    for (int i = 0; i < 40; ++i)
        endless.chunks.push_back(i == 0 ? "data: {\"type\":\"" : std::string(16384, 'x'));
    m_upstream.set_default_reply(endless);
    start(one_model_config(m_upstream, "general_settings:\n  max_sse_line_kb: 64\n"));
    auto r = post(R"({"model":"claude-a","max_tokens":8,"stream":true,)"
                  R"("messages":[{"role":"user","content":"hi"}]})");
    ASSERT_TRUE(r);
    // Nothing reached the client yet, so it is a proper HTTP error in its format.
    EXPECT_EQ(r->status, 502) << r->body.substr(0, 300);
    EXPECT_NE(r->body.find("max_sse_line_kb"), std::string::npos) << r->body.substr(0, 300);
    expect_alive();
}

TEST_F(SecurityTest, ATruncatedPassthroughAnswerFallsBack) {
    FakeUpstream backup;
    backup.set_default_reply(anthropic_fake::text("from the backup"));
    FakeReply truncated = anthropic_fake::text("cut");
    truncated.body.resize(truncated.body.size() / 2);
    m_upstream.set_default_reply(truncated);
    start(
        "model_list:\n"
        "  - model_name: claude-a\n"
        "    litellm_params: {model: anthropic/up, api_base: " +
        m_upstream.base_url() +
        ", api_key: k}\n"
        "  - model_name: claude-b\n"
        "    litellm_params: {model: anthropic/up, api_base: " +
        backup.base_url() +
        ", api_key: k}\n"
        "router_settings:\n  num_retries: 0\n  fallbacks: [{claude-a: [claude-b]}]\n");
    auto r = post(kMessage);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_NE(r->body.find("from the backup"), std::string::npos) << r->body;
}

TEST_F(SecurityTest, AClientThatHangsUpCancelsTheRestOfTheChain) {
    FakeUpstream backup;
    backup.set_default_reply(anthropic_fake::text("from the backup"));
    FakeReply slow = anthropic_fake::text("late");
    slow.delay_before_ms = 3000;
    m_upstream.set_default_reply(slow);
    start(
        "model_list:\n"
        "  - model_name: claude-a\n"
        "    litellm_params: {model: anthropic/up, api_base: " +
        m_upstream.base_url() +
        ", api_key: k, timeout: 2}\n"
        "  - model_name: claude-b\n"
        "    litellm_params: {model: anthropic/up, api_base: " +
        backup.base_url() +
        ", api_key: k}\n"
        "router_settings:\n  num_retries: 0\n  fallbacks: [{claude-a: [claude-b]}]\n");
    for (bool stream : {false, true}) {
        std::string body = stream ? R"({"model":"claude-a","max_tokens":8,"stream":true,)"
                                    R"("messages":[{"role":"user","content":"hi"}]})"
                                  : kMessage;
        int fd = connect_tcp(m_port);
        ASSERT_GE(fd, 0);
        ASSERT_TRUE(
            send_all(fd, "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " +
                             std::to_string(body.size()) + "\r\n\r\n" + body));
        std::this_thread::sleep_for(300ms);
        ::close(fd);  // gone before the upstream (timeout 2 s) gives up
    }
    std::this_thread::sleep_for(2500ms);
    EXPECT_EQ(backup.request_count(), 0u) << "the chain went on for a client that had left";
    std::string log = log_text();
    EXPECT_NE(log.find("abandoned: the client went away"), std::string::npos) << log;
    // The upstream was not blamed: no cooldown.
    auto cd = m_daemon.call("status");
    ASSERT_TRUE(cd);
    EXPECT_EQ(json_stringify(cd->payload()).find("\"cooldowns\":[{"), std::string::npos);
}

// ---- the control socket and a second local user ---------------------------------------------

// Another local user (nobody, through setpriv) cannot drive the daemon: the socket's mode
// stops it at connect, and with every mode opened up the daemon's peer-uid check still does.
TEST_F(SecurityTest, ASecondUserIsStoppedByTheSocketModeAndByThePeerUidCheck) {
    if (::geteuid() != 0) GTEST_SKIP() << "switching to a second uid needs root";
    if (::access("/usr/bin/setpriv", X_OK) != 0) GTEST_SKIP() << "setpriv is not installed";
    start(one_model_config(m_upstream));
    const std::string sock = m_daemon.socket_path();
    struct stat st {};
    ASSERT_EQ(::stat(sock.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    auto as_nobody = [&] {
        SpawnOptions o;
        o.argv = {"/usr/bin/setpriv",
                  "--reuid=65534",
                  "--regid=65534",
                  "--clear-groups",
                  LITELLMCTL_BIN,
                  "--socket",
                  sock,
                  "status"};
        o.env_unset = {"LITELLM_SOCKET", "LITELLM_HOME"};
        o.env_set["HOME"] = "/nonexistent";
        return run_capture(o, 10000);
    };
    // 1. As created: the home is 0700 and the socket 0600.
    RunResult closed = as_nobody();
    EXPECT_NE(closed.exit_code, 0) << closed.out;
    EXPECT_NE(closed.err.find("permission denied on " + sock), std::string::npos) << closed.err;
    EXPECT_NE(closed.err.find("belongs to another user"), std::string::npos) << closed.err;
    // 2. Every mode opened up, as a careless chmod would: the peer's uid is refused.
    for (std::filesystem::path p = std::filesystem::path(sock).parent_path();
         p.string().rfind(std::filesystem::temp_directory_path().string(), 0) == 0 &&
         p != std::filesystem::temp_directory_path();
         p = p.parent_path()) {
        ::chmod(p.c_str(), 0711);
    }
    ASSERT_EQ(::chmod(sock.c_str(), 0666), 0);
    RunResult refused = as_nobody();
    EXPECT_NE(refused.exit_code, 0) << refused.out;
    EXPECT_NE(refused.err.find("only the user running litellmd may use its control socket"),
              std::string::npos)
        << refused.err;
    EXPECT_EQ(refused.out.find("\"models\""), std::string::npos) << refused.out;
    EXPECT_NE(log_text().find("refused control connection from uid 65534"), std::string::npos)
        << log_text();
    // The owner still gets in.
    EXPECT_EQ(run_ctl(m_home, {"status"}).exit_code, 0);
}

// ---- logs -----------------------------------------------------------------------------------

TEST_F(SecurityTest, LogRecordsAreCappedAndCannotBeForged) {
    m_upstream.set_default_reply(anthropic_fake::text("ok"));
    start(one_model_config(m_upstream, "general_settings:\n  max_log_line_kb: 4\n"));
    std::size_t before = log_text().size();
    for (int i = 0; i < 5; ++i) {
        auto r = post(R"({"model":")" + std::string(1 << 20, 'm') +
                      R"(","max_tokens":1,"messages":[]})");
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 404);
    }
    post(R"({"model":"x\n2026-01-01T00:00:00.000Z ERROR daemon: forged line","max_tokens":1,)"
         R"("messages":[]})");
    std::this_thread::sleep_for(200ms);  // info lines are flushed in batches
    std::string log = log_text();
    EXPECT_LT(log.size() - before, 6u * 5 * 1024) << "the log grew by " << log.size() - before;
    std::istringstream lines(log);
    for (std::string line; std::getline(lines, line);) {
        EXPECT_LE(line.size(), 4u * 1024 + 128) << line.substr(0, 100);
        EXPECT_NE(line.rfind("2026-01-01T00:00:00.000Z", 0), 0u) << "forged: " << line;
    }
    auto tail = m_daemon.call("logs.tail", R"({"n":20})");
    ASSERT_TRUE(tail);
    for (const auto& rec : tail->payload()["records"].GetArray())
        EXPECT_LE(rec["msg"].GetStringLength(), 4u * 1024 + 32);
}

// ---- connections ----------------------------------------------------------------------------

TEST_F(SecurityTest, ConnectionsBeyondTheLimitGet503AtOnce) {
    m_upstream.set_default_reply(anthropic_fake::text("ok"));
    start(one_model_config(m_upstream, "general_settings:\n  max_connections: 16\n"));
    std::vector<int> idle = open_connections(40, "");
    ASSERT_EQ(idle.size(), 40u);
    std::this_thread::sleep_for(300ms);
    auto started = std::chrono::steady_clock::now();
    httplib::Client c("127.0.0.1", m_port);
    c.set_read_timeout(5, 0);
    auto r = c.Get("/health");
    auto took = std::chrono::steady_clock::now() - started;
    ASSERT_TRUE(r) << "a refused connection must still get an answer";
    EXPECT_EQ(r->status, 503);
    EXPECT_NE(r->body.find("max_connections"), std::string::npos) << r->body;
    EXPECT_LT(took, 2s);
    for (int fd : idle)
        ::close(fd);
    bool healthy = false;
    for (int i = 0; i < 50 && !healthy; ++i) {
        auto h = c.Get("/health");
        healthy = h && h->status == 200;
        if (!healthy) std::this_thread::sleep_for(100ms);
    }
    EXPECT_TRUE(healthy);
    // One rate-limited line, not one per refused connection.
    std::string log = log_text();
    std::size_t lines = 0;
    for (std::size_t p = log.find("refusing a connection"); p != std::string::npos;
         p = log.find("refusing a connection", p + 1))
        ++lines;
    EXPECT_GE(lines, 1u);
    EXPECT_LE(lines, 2u);
}

// ---- secrets --------------------------------------------------------------------------------

TEST_F(SecurityTest, AnUpstreamThatEchoesTheKeyDoesNotLeakIt) {
    const std::string key = "zq-UNPATTERNED-key-4e1d9c";
    FakeReply echo;
    echo.status = 429;
    echo.body = R"({"type":"error","error":{"type":"rate_limit_error","message":"key )" + key +
                R"( is over its quota"}})";
    m_upstream.set_default_reply(echo);
    std::string config = one_model_config(m_upstream);
    config.replace(config.find("key-for-tests"), 13, key);
    start(config);
    auto r = post(kMessage);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 429);
    EXPECT_EQ(r->body.find(key), std::string::npos) << r->body;
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"status"}, {"status", "--json"}, {"cooldowns"}, {"rpc", "status"}}) {
        RunResult out = run_ctl(m_home, args);
        EXPECT_EQ(out.out.find(key), std::string::npos) << args[0] << ": " << out.out;
        EXPECT_NE(out.out.find("over its quota"), std::string::npos) << args[0] << out.out;
    }
    EXPECT_EQ(log_text().find(key), std::string::npos);
}

TEST_F(SecurityTest, APasswordInApiBaseIsSentAsBasicAuthAndShownNowhere) {
    FakeReply fail;
    fail.status = 500;
    fail.body = R"({"error":{"message":"upstream broke","type":"server_error"}})";
    m_upstream.set_default_reply(fail);
    std::string base = "http://alice:hunter2-pass@127.0.0.1:" + std::to_string(m_upstream.port());
    start(
        "model_list:\n"
        "  - model_name: gpt-o\n"
        "    litellm_params: {model: openai/up, api_base: '" +
        base +
        "/v1'}\n"
        "router_settings:\n  num_retries: 0\n");
    auto r = post(R"({"model":"gpt-o","messages":[{"role":"user","content":"hi"}]})",
                  "/v1/chat/completions");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body.find("hunter2"), std::string::npos) << r->body;
    ASSERT_EQ(m_upstream.request_count(), 1u);
    EXPECT_EQ(m_upstream.last_request().header("Authorization"), "Basic YWxpY2U6aHVudGVyMi1wYXNz");
    for (const auto& args :
         std::vector<std::vector<std::string>>{{"status"}, {"status", "--json"}, {"cooldowns"}}) {
        RunResult out = run_ctl(m_home, args);
        EXPECT_EQ(out.out.find("hunter2"), std::string::npos) << args[0] << ": " << out.out;
    }
    EXPECT_EQ(log_text().find("hunter2"), std::string::npos);
}

TEST_F(SecurityTest, AKeyDeletedFromDotenvIsGoneAfterReloadAndRestart) {
    m_upstream.set_default_reply(anthropic_fake::text("ok"));
    m_home.write(
        ".env",
        "LITELLM_SECURITY_TEST_R=reload-key-123\nLITELLM_SECURITY_TEST_S=restart-key-456\n");
    std::string base = m_upstream.base_url();
    start(
        "model_list:\n"
        "  - model_name: by-reload\n"
        "    litellm_params: {model: anthropic/up, api_base: " +
        base +
        ", api_key: os.environ/LITELLM_SECURITY_TEST_R}\n"
        "  - model_name: by-restart\n"
        "    litellm_params: {model: anthropic/up, api_base: " +
        base +
        ", api_key: os.environ/LITELLM_SECURITY_TEST_S}\n"
        "router_settings:\n  num_retries: 0\n");
    auto ask = [&](const std::string& model) {
        auto r = post(R"({"model":")" + model +
                      R"(","max_tokens":8,"messages":[{"role":"user","content":"hi"}]})");
        return r ? r->status : 0;
    };
    ASSERT_EQ(ask("by-reload"), 200);
    ASSERT_EQ(ask("by-restart"), 200);
    EXPECT_EQ(m_upstream.request_count(), 2u);

    // Deleted, then `reload`: the key stops working at once.
    m_home.write(".env", "LITELLM_SECURITY_TEST_S=restart-key-456\n");
    RunResult reload = run_ctl(m_home, {"reload"});
    EXPECT_EQ(reload.exit_code, 0) << reload.err;
    EXPECT_EQ(ask("by-reload"), 401);
    EXPECT_EQ(ask("by-restart"), 200);

    // Deleted, then `restart` with no reload in between: the new process must not inherit
    // what the old one took from .env.
    m_home.write(".env", "# both keys revoked\n");
    RunResult restart = run_ctl(m_home, {"restart"});
    EXPECT_EQ(restart.exit_code, 0) << restart.err;
    m_port = m_daemon.http_port();
    EXPECT_EQ(ask("by-restart"), 401);
    EXPECT_EQ(ask("by-reload"), 401);
    EXPECT_EQ(m_upstream.request_count(), 3u);
}

TEST_F(SecurityTest, APercentEncodedPasswordInApiBaseIsDecodedForBasicAuth) {
    m_upstream.set_default_reply(openai_fake::text("ok"));
    start(
        "model_list:\n"
        "  - model_name: gpt-o\n"
        "    litellm_params: {model: openai/up, api_base: 'http://bob:p%40ss@127.0.0.1:" +
        std::to_string(m_upstream.port()) + "/v1'}\n");
    auto r = post(R"({"model":"gpt-o","messages":[{"role":"user","content":"hi"}]})",
                  "/v1/chat/completions");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(m_upstream.last_request().header("Authorization"), "Basic Ym9iOnBAc3M=");  // bob:p@ss
}

}  // namespace
}  // namespace litellm::test

namespace litellm::test {
namespace {

// The suite-wide sweep (TempHome's destructor) must be able to fail: a key in a log, in a file
// others can read, or in litellmctl's output is each reported; a 0600 file may hold one.
TEST(SecretSweep, FindsSecretsInLogsInFilesOthersCanReadAndInOutput) {
    EXPECT_NONFATAL_FAILURE(
        {
            TempHome h;
            h.write(".env", "ANTHROPIC_API_KEY=sk-ant-sweep-test-1\n");
            std::filesystem::create_directories(h.file("logs"));
            std::ofstream(h.file("logs/litellmd.log")) << "sent sk-ant-sweep-test-1 upstream\n";
        },
        "appears in logs/litellmd.log");
    EXPECT_NONFATAL_FAILURE(
        {
            TempHome h;
            h.write("config.yaml", "general_settings:\n  master_key: sk-sweep-master-2\n");
            (void)write_file_atomic(h.file("shared.json"), "sk-sweep-master-2", 0644);
        },
        "a file others can read");
    EXPECT_NONFATAL_FAILURE(
        {
            TempHome h;
            h.write("config.yaml", "model_list:\n  - litellm_params: {api_key: sk-sweep-key-3}\n");
            h.expect_no_secret("key: sk-sweep-key-3", "the output of a command");
        },
        "appears in the output of a command");
    {
        // A token file the daemon wrote 0600 may hold its tokens; no failure.
        TempHome h;
        ASSERT_TRUE(write_file_atomic(h.file("auth.qwen_portal.json"),
                                      R"({"access_token":"qwen-at-sweep-4"})", 0600));
        EXPECT_EQ(h.secrets(), std::vector<std::string>{"qwen-at-sweep-4"});
    }
}

}  // namespace
}  // namespace litellm::test
