// litellmd's upstream client over TLS: a local https upstream with a certificate made here,
// trusted through SSL_CERT_FILE (as a user behind a corporate CA would), refused when it is not
// trusted or does not name the host.

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>

#include "common/json.hpp"
#include "functional/harness.hpp"

namespace litellm::test {
namespace {

constexpr const char* kWholeAnswer =
    R"({"id":"msg_tls","type":"message","role":"assistant","model":"up-claude",)"
    R"("content":[{"type":"text","text":"hello over tls"}],"stop_reason":"end_turn",)"
    R"("stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":4}})";

constexpr const char* kStreamAnswer =
    "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_s\","
    "\"type\":\"message\",\"role\":\"assistant\",\"model\":\"up-claude\",\"content\":[],"
    "\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":3,"
    "\"output_tokens\":0}}}\n\n"
    "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
    "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
    "\"delta\":{\"type\":\"text_delta\",\"text\":\"streamed over tls\"}}\n\n"
    "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
    "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
    "\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":4}}\n\n"
    "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

class UpstreamTlsTest : public ::testing::Test {
  protected:
    void SetUp() override {
        m_cert = m_home.file("upstream-cert.pem");
        m_key = m_home.file("upstream-key.pem");
        ASSERT_TRUE(make_test_certificate(m_cert, m_key));
        m_server = std::make_unique<httplib::SSLServer>(m_cert.c_str(), m_key.c_str());
        ASSERT_TRUE(m_server->is_valid());
        m_server->Post("/v1/messages", [this](const httplib::Request& req, httplib::Response& res) {
            m_seen_key = req.get_header_value("x-api-key");
            m_seen_host = req.get_header_value("Host");
            if (req.body.find("\"stream\":true") != std::string::npos) {
                res.set_chunked_content_provider(
                    "text/event-stream", [](size_t, httplib::DataSink& sink) {
                        std::string all = kStreamAnswer;
                        // Several writes, so the client decodes chunks across TLS records.
                        for (size_t i = 0; i < all.size(); i += 97) {
                            sink.write(all.data() + i, std::min<size_t>(97, all.size() - i));
                        }
                        sink.done();
                        return true;
                    });
                return;
            }
            res.set_content(kWholeAnswer, "application/json");
        });
        m_port = m_server->bind_to_any_port("127.0.0.1");
        ASSERT_GT(m_port, 0);
        m_thread = std::thread([this] { m_server->listen_after_bind(); });
    }

    void TearDown() override {
        // The daemon first: its pooled connection would hold the server's worker until the
        // keep-alive timeout.
        m_daemon.signal_and_wait(SIGTERM);
        if (m_server) m_server->stop();
        if (m_thread.joinable()) m_thread.join();
        ::unsetenv("SSL_CERT_FILE");
    }

    // Starts litellmd with one deployment at `host` on the TLS upstream.
    void start_daemon(const std::string& host) {
        m_home.write("config.yaml",
                     "model_list:\n"
                     "  - model_name: claude-tls\n"
                     "    litellm_params:\n"
                     "      model: anthropic/up-claude\n"
                     "      api_base: https://" +
                         host + ":" + std::to_string(m_port) +
                         "\n"
                         "      api_key: key-over-tls\n"
                         "router_settings:\n"
                         "  num_retries: 0\n");
        std::string error;
        ASSERT_TRUE(m_daemon.start({}, &error)) << error;
        m_http_port = m_daemon.http_port();
    }

    httplib::Result post(bool stream) {
        httplib::Client c("127.0.0.1", m_http_port);
        c.set_read_timeout(20, 0);
        std::string body = std::string(R"({"model":"claude-tls","max_tokens":16,"stream":)") +
                           (stream ? "true" : "false") +
                           R"(,"messages":[{"role":"user","content":"hi"}]})";
        return c.Post("/v1/messages", {{"anthropic-version", "2023-06-01"}}, body,
                      "application/json");
    }

    TempHome m_home;
    DaemonProcess m_daemon{m_home};
    std::string m_cert, m_key;
    std::unique_ptr<httplib::SSLServer> m_server;
    std::thread m_thread;
    int m_port = 0;
    int m_http_port = 0;
    std::string m_seen_key, m_seen_host;
};

TEST_F(UpstreamTlsTest, TrustedCertificateServesWholeAndStreamedAnswers) {
    ::setenv("SSL_CERT_FILE", m_cert.c_str(), 1);
    start_daemon("127.0.0.1");
    auto whole = post(false);
    ASSERT_TRUE(whole);
    ASSERT_EQ(whole->status, 200) << whole->body;
    auto doc = parse_json(whole->body);
    EXPECT_STREQ(doc["content"][0]["text"].GetString(), "hello over tls");
    EXPECT_EQ(m_seen_key, "key-over-tls");
    EXPECT_EQ(m_seen_host, "127.0.0.1:" + std::to_string(m_port));

    auto streamed = post(true);
    ASSERT_TRUE(streamed);
    ASSERT_EQ(streamed->status, 200) << streamed->body;
    EXPECT_NE(streamed->body.find("streamed over tls"), std::string::npos) << streamed->body;
    EXPECT_NE(streamed->body.find("event: message_stop"), std::string::npos) << streamed->body;
}

TEST_F(UpstreamTlsTest, UntrustedCertificateIsRefusedWithAClearError) {
    start_daemon("127.0.0.1");  // SSL_CERT_FILE unset: only the system store is trusted
    auto r = post(false);
    ASSERT_TRUE(r);
    EXPECT_GE(r->status, 500);
    EXPECT_NE(r->body.find("not trusted"), std::string::npos) << r->body;
    EXPECT_TRUE(m_seen_key.empty()) << "the API key went to an untrusted server";
}

TEST_F(UpstreamTlsTest, CertificateForAnotherNameIsRefused) {
    ::setenv("SSL_CERT_FILE", m_cert.c_str(), 1);
    start_daemon("localhost");  // the certificate names 127.0.0.1 only
    auto r = post(false);
    ASSERT_TRUE(r);
    EXPECT_GE(r->status, 500);
    EXPECT_NE(r->body.find("not trusted"), std::string::npos) << r->body;
    EXPECT_TRUE(m_seen_key.empty()) << "the API key went to a server of another name";
}

}  // namespace
}  // namespace litellm::test
