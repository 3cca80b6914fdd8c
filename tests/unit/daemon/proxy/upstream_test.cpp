#include "daemon/proxy/upstream.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

namespace litellm::proxy {
namespace {

using namespace std::chrono_literals;

// A one-shot HTTP server on 127.0.0.1: answers its first connection with `head`, waits
// `pause`, then sends `body` and closes.
class SlowServer {
  public:
    SlowServer(std::string head, std::chrono::milliseconds pause, std::string body) {
        m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        ::listen(m_fd, 4);
        socklen_t len = sizeof addr;
        ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&addr), &len);
        m_port = ntohs(addr.sin_port);
        m_thread = std::thread([this, head = std::move(head), pause, body = std::move(body)] {
            int c = ::accept(m_fd, nullptr, nullptr);
            if (c < 0) return;
            char buf[4096];
            (void)!::recv(c, buf, sizeof buf, 0);
            if (!head.empty()) (void)!::send(c, head.data(), head.size(), MSG_NOSIGNAL);
            std::this_thread::sleep_for(pause);
            (void)!::send(c, body.data(), body.size(), MSG_NOSIGNAL);
            ::close(c);
        });
    }
    ~SlowServer() {
        ::shutdown(m_fd, SHUT_RDWR);
        m_thread.join();
        ::close(m_fd);
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port) + "/x"; }

  private:
    int m_fd = -1;
    int m_port = 0;
    std::thread m_thread;
};

// The stream hold is a deadline the reading thread keeps: it fires once, on that thread,
// while the upstream is silent after its head, and the body still arrives afterwards.
TEST(UpstreamPool, WakeRunsOnTheReadingThreadWhileTheUpstreamIsSilent) {
    SlowServer server("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", 300ms, "hello");
    UpstreamPool pool;
    UpstreamRequest req;
    req.url = server.url();
    req.read_timeout_s = 5;
    Wake wake;
    int fired = 0;
    std::thread::id fired_on;
    std::string body;
    bool body_before_wake = false;
    wake.fn = [&] {
        ++fired;
        fired_on = std::this_thread::get_id();
    };
    UpstreamResult r = pool.send(
        req,
        [&](const UpstreamResult&) {
            wake.at = std::chrono::steady_clock::now() + 50ms;
            return true;
        },
        [&](std::string_view bytes) {
            if (fired == 0) body_before_wake = true;
            body.append(bytes);
            return true;
        },
        &wake);
    EXPECT_EQ(r.transport, TransportStatus::kOk) << r.transport_error;
    EXPECT_EQ(body, "hello");
    EXPECT_EQ(fired, 1);
    EXPECT_EQ(fired_on, std::this_thread::get_id());
    EXPECT_FALSE(body_before_wake);
}

TEST(UpstreamPool, FirstByteDeadlineEndsAnUpstreamThatNeverAnswers) {
    SlowServer server("", 1500ms, "");
    UpstreamPool pool;
    UpstreamRequest req;
    req.url = server.url();
    req.read_timeout_s = 30;
    req.first_byte_timeout_s = 0.2;
    auto t0 = std::chrono::steady_clock::now();
    std::string body;
    UpstreamResult r = pool.send_collect(req, body);
    auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_EQ(r.transport, TransportStatus::kTimeout);
    EXPECT_NE(r.transport_error.find("first-byte"), std::string::npos) << r.transport_error;
    EXPECT_LT(took, 1400ms);
}

TEST(SplitUrl, UserinfoNeverReachesTheOrigin) {
    std::string origin, path, userinfo;
    ASSERT_TRUE(split_url("https://alice:pw@gw.corp/v1/chat?x=1", origin, path, &userinfo));
    EXPECT_EQ(origin, "https://gw.corp:443");
    EXPECT_EQ(path, "/v1/chat?x=1");
    EXPECT_EQ(userinfo, "alice:pw");
    userinfo.clear();
    ASSERT_TRUE(split_url("http://[::1]:8080", origin, path, &userinfo));
    EXPECT_EQ(origin, "http://[::1]:8080");
    EXPECT_EQ(path, "/");
    EXPECT_EQ(userinfo, "");
}

}  // namespace
}  // namespace litellm::proxy
