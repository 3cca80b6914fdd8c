// Behind a company proxy: litellmd reaches its upstreams through a real HTTP proxy (Debian's
// tinyproxy, started here on a free port), configured the way users configure every other
// tool (HTTPS_PROXY, HTTP_PROXY, NO_PROXY): a plain-http upstream by absolute-form requests,
// an https one through a CONNECT tunnel with the certificate still checked, proxy credentials
// from the URL, and a clear error when the proxy wants credentials it was not given.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>

#include "common/process.hpp"
#include "fakes/fake_upstream.hpp"
#include "functional/harness.hpp"

namespace litellm::test {
namespace {

constexpr const char* kAnswer =
    R"({"id":"msg_px","type":"message","role":"assistant","model":"up-claude",)"
    R"("content":[{"type":"text","text":"hello through the proxy"}],"stop_reason":"end_turn",)"
    R"("stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":4}})";

bool port_open(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

std::string read_all(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

const char* tinyproxy_binary() {
    for (const char* p : {"/usr/bin/tinyproxy", "/usr/sbin/tinyproxy"}) {
        if (::access(p, X_OK) == 0) return p;
    }
    return nullptr;
}

class OutboundProxyTest : public ::testing::Test {
  protected:
    void SetUp() override {
        if (!tinyproxy_binary())
            GTEST_SKIP() << "tinyproxy is not installed (scripts/install-deps)";
        for (const char* v : {"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY",
                              "all_proxy", "NO_PROXY", "no_proxy"}) {
            ::unsetenv(v);
        }
    }

    void TearDown() override {
        m_daemon.signal_and_wait(SIGTERM);
        if (m_plain) m_plain->stop();
        if (m_tls) m_tls->stop();
        for (auto* t : {&m_plain_thread, &m_tls_thread})
            if (t->joinable()) t->join();
        if (m_proxy.pid() > 0) {
            m_proxy.kill(SIGTERM);
            m_proxy.wait(5000);
        }
        for (const char* v : {"HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "SSL_CERT_FILE"})
            ::unsetenv(v);
    }

    // Starts tinyproxy on a free port, with Basic credentials when `user` is given.
    void start_proxy(const std::string& user = "", const std::string& password = "") {
        m_proxy_port = free_port();
        m_proxy_log = m_home.file("tinyproxy.log");
        std::string conf = "Port " + std::to_string(m_proxy_port) +
                           "\nListen 127.0.0.1\nTimeout 30\nMaxClients 20\nAllow 127.0.0.1\n"
                           "LogLevel Info\nLogFile \"" +
                           m_proxy_log + "\"\nDisableViaHeader Yes\n";
        if (!user.empty()) conf += "BasicAuth " + user + " " + password + "\n";
        m_home.write("tinyproxy.conf", conf);
        SpawnOptions opts;
        opts.argv = {tinyproxy_binary(), "-d", "-c", m_home.file("tinyproxy.conf")};
        opts.stdout_path = m_home.file("tinyproxy.out");
        opts.stderr_path = m_home.file("tinyproxy.out");
        opts.die_with_parent = true;
        std::string error;
        ASSERT_TRUE(m_proxy.spawn(opts, &error)) << error;
        for (int i = 0; i < 200 && !port_open(m_proxy_port); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        ASSERT_TRUE(port_open(m_proxy_port)) << read_all(m_home.file("tinyproxy.out"));
    }

    std::string proxy_url(const std::string& userinfo = "") const {
        return "http://" + (userinfo.empty() ? "" : userinfo + "@") +
               "127.0.0.1:" + std::to_string(m_proxy_port);
    }

    void serve(httplib::Server& server) {
        server.Post("/v1/messages", [this](const httplib::Request& req, httplib::Response& res) {
            ++m_requests;
            m_seen_key = req.get_header_value("x-api-key");
            m_seen_proxy_auth = req.get_header_value("Proxy-Authorization");
            res.set_content(kAnswer, "application/json");
        });
    }

    void start_plain_upstream() {
        m_plain = std::make_unique<httplib::Server>();
        serve(*m_plain);
        m_upstream_port = m_plain->bind_to_any_port("127.0.0.1");
        m_plain_thread = std::thread([this] { m_plain->listen_after_bind(); });
        m_upstream_base = "http://127.0.0.1:" + std::to_string(m_upstream_port);
    }

    void start_tls_upstream() {
        std::string cert = m_home.file("up-cert.pem"), key = m_home.file("up-key.pem");
        ASSERT_TRUE(make_test_certificate(cert, key));
        ::setenv("SSL_CERT_FILE", cert.c_str(), 1);
        m_tls = std::make_unique<httplib::SSLServer>(cert.c_str(), key.c_str());
        serve(*m_tls);
        m_upstream_port = m_tls->bind_to_any_port("127.0.0.1");
        m_tls_thread = std::thread([this] { m_tls->listen_after_bind(); });
        m_upstream_base = "https://127.0.0.1:" + std::to_string(m_upstream_port);
    }

    void start_daemon() {
        m_home.write("config.yaml",
                     "model_list:\n"
                     "  - model_name: claude-px\n"
                     "    litellm_params:\n"
                     "      model: anthropic/up-claude\n"
                     "      api_base: " +
                         m_upstream_base +
                         "\n"
                         "      api_key: key-through-proxy\n"
                         "router_settings:\n"
                         "  num_retries: 0\n");
        std::string error;
        ASSERT_TRUE(m_daemon.start({}, &error)) << error;
    }

    httplib::Result post() {
        httplib::Client c("127.0.0.1", m_daemon.http_port());
        c.set_read_timeout(20, 0);
        return c.Post("/v1/messages", {{"anthropic-version", "2023-06-01"}},
                      R"({"model":"claude-px","max_tokens":16,"messages":[{"role":"user",)"
                      R"("content":"hi"}]})",
                      "application/json");
    }

    TempHome m_home;
    DaemonProcess m_daemon{m_home};
    Subprocess m_proxy;
    int m_proxy_port = 0;
    std::string m_proxy_log;
    std::unique_ptr<httplib::Server> m_plain;
    std::unique_ptr<httplib::SSLServer> m_tls;
    std::thread m_plain_thread, m_tls_thread;
    int m_upstream_port = 0;
    std::string m_upstream_base;
    std::atomic<int> m_requests{0};
    std::string m_seen_key, m_seen_proxy_auth;
};

TEST_F(OutboundProxyTest, APlainHttpUpstreamIsReachedThroughTheProxy) {
    start_proxy();
    start_plain_upstream();
    ::setenv("HTTP_PROXY", proxy_url().c_str(), 1);
    start_daemon();
    auto r = post();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_NE(r->body.find("hello through the proxy"), std::string::npos) << r->body;
    EXPECT_EQ(m_seen_key, "key-through-proxy");
    // tinyproxy logged the request in the absolute form litellmd sent it in.
    std::string log = read_all(m_proxy_log);
    EXPECT_NE(log.find("POST " + m_upstream_base + "/v1/messages"), std::string::npos) << log;
}

TEST_F(OutboundProxyTest, AnHttpsUpstreamIsReachedThroughATunnelWithItsCertificateChecked) {
    start_proxy();
    start_tls_upstream();
    ::setenv("HTTPS_PROXY", proxy_url().c_str(), 1);
    start_daemon();
    auto r = post();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(m_seen_key, "key-through-proxy");
    std::string log = read_all(m_proxy_log);
    EXPECT_NE(log.find("CONNECT 127.0.0.1:" + std::to_string(m_upstream_port)), std::string::npos)
        << log;
    // Two more requests reuse the tunnel (pooled apart from direct connections).
    ASSERT_TRUE(post());
    ASSERT_TRUE(post());
    EXPECT_EQ(m_requests.load(), 3);
}

TEST_F(OutboundProxyTest, NoProxyExemptsAnUpstream) {
    start_proxy();
    start_plain_upstream();
    ::setenv("HTTP_PROXY", proxy_url().c_str(), 1);
    ::setenv("NO_PROXY", "example.internal,127.0.0.0/8", 1);
    start_daemon();
    auto r = post();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(read_all(m_proxy_log).find("/v1/messages"), std::string::npos);
}

TEST_F(OutboundProxyTest, ProxyCredentialsComeFromTheUrlAndTheirAbsenceIsExplained) {
    start_proxy("alice", "s3cret");
    start_tls_upstream();
    ::setenv("HTTPS_PROXY", proxy_url().c_str(), 1);
    start_daemon();
    auto r = post();
    ASSERT_TRUE(r);
    EXPECT_GE(r->status, 500) << r->body;
    EXPECT_NE(r->body.find("wants credentials"), std::string::npos) << r->body;
    EXPECT_NE(r->body.find("user:password@ before the host"), std::string::npos) << r->body;
    EXPECT_EQ(m_requests.load(), 0);
    m_daemon.signal_and_wait(SIGTERM);

    ::setenv("HTTPS_PROXY", proxy_url("alice:s3cret").c_str(), 1);
    start_daemon();
    r = post();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(m_requests.load(), 1);
    EXPECT_TRUE(m_seen_proxy_auth.empty());  // the tunnel's credentials stop at the proxy
    // The password is in no output: not the daemon's log.
    EXPECT_EQ(m_daemon.stderr_text().find("s3cret"), std::string::npos);
}

TEST_F(OutboundProxyTest, APlainUpstreamBehindAnAuthenticatingProxy) {
    start_proxy("bob", "pw2");
    start_plain_upstream();
    ::setenv("HTTP_PROXY", proxy_url().c_str(), 1);
    start_daemon();
    auto r = post();
    ASSERT_TRUE(r);
    EXPECT_NE(r->body.find("wants credentials"), std::string::npos) << r->body;
    m_daemon.signal_and_wait(SIGTERM);
    ::setenv("HTTP_PROXY", proxy_url("bob:pw2").c_str(), 1);
    start_daemon();
    r = post();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_TRUE(m_seen_proxy_auth.empty());  // tinyproxy takes it off before the upstream
}

}  // namespace
}  // namespace litellm::test
