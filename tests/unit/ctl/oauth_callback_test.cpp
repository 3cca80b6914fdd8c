#include "ctl/oauth_callback.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <httplib.h>

#include "fakes/fake_upstream.hpp"

namespace litellm::ctl {
namespace {

using test::free_port;

TEST(Redirect, ParsesUrlsPathsAndBareQueries) {
    auto a = parse_redirect("http://localhost:1455/auth/callback?code=ab%2Fc&state=s1\n");
    EXPECT_EQ(a.code, "ab/c");
    EXPECT_EQ(a.state, "s1");
    auto b = parse_redirect("/oauth2callback?state=x&code=y#frag");
    EXPECT_EQ(b.code, "y");
    EXPECT_EQ(b.state, "x");
    auto c = parse_redirect("error=access_denied&error_description=no+thanks&state=s");
    EXPECT_EQ(c.error, "access_denied");
    EXPECT_EQ(c.error_description, "no thanks");
}

class Callback : public ::testing::Test {
  protected:
    CallbackOptions options(int paste_fd = -1) {
        CallbackOptions o;
        o.ports = {free_port()};
        o.state = "state-123";
        o.timeout_s = 10;
        o.paste_fd = paste_fd;
        return o;
    }
    /// Sends this login's redirect and expects the page and the code.
    static void expect_the_redirect_completes(httplib::Client& client,
                                              std::future<CallbackResult>& result) {
        auto page = client.Get("/auth/callback?code=the-code&state=state-123");
        ASSERT_TRUE(page);
        EXPECT_EQ(page->status, 200);
        EXPECT_NE(page->body.find("Authentication successful"), std::string::npos);
        CallbackResult r = result.get();
        EXPECT_TRUE(r.ok) << r.error;
        EXPECT_EQ(r.code, "the-code");
        EXPECT_FALSE(r.pasted);
    }
};

TEST_F(Callback, TheBrowsersRedirectEndsTheWaitAndGetsAPage) {
    LoopbackCallback cb;
    std::string error;
    ASSERT_TRUE(cb.listen(options(), &error)) << error;
    EXPECT_EQ(cb.redirect_uri(),
              "http://localhost:" + std::to_string(cb.port()) + "/auth/callback");
    auto result = std::async(std::launch::async, [&] { return cb.wait(); });
    httplib::Client client("127.0.0.1", cb.port());
    auto favicon = client.Get("/favicon.ico");  // browsers ask; the wait goes on
    ASSERT_TRUE(favicon);
    EXPECT_EQ(favicon->status, 404);
    expect_the_redirect_completes(client, result);
}

TEST_F(Callback, ARefusalFailsTheLogin) {
    LoopbackCallback cb;
    ASSERT_TRUE(cb.listen(options(), nullptr));
    auto result = std::async(std::launch::async, [&] { return cb.wait(); });
    httplib::Client client("127.0.0.1", cb.port());
    auto page = client.Get("/auth/callback?error=access_denied&state=state-123");
    ASSERT_TRUE(page);
    EXPECT_EQ(page->status, 400);
    CallbackResult r = result.get();
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.error.find("access_denied"), std::string::npos) << r.error;
}

TEST_F(Callback, AForeignStateIsRefusedAndTheWaitGoesOn) {
    // Anyone on the machine can reach the port: a redirect of theirs (or of an old tab) must
    // neither complete nor cancel the login.
    int pipefd[2];
    ASSERT_EQ(::pipe(pipefd), 0);
    CallbackOptions o = options(pipefd[0]);
    std::vector<std::string> notices;
    std::mutex mu;
    o.on_ignored = [&](const std::string& why) {
        std::lock_guard lock(mu);
        notices.push_back(why);
    };
    LoopbackCallback cb;
    ASSERT_TRUE(cb.listen(o, nullptr));
    auto result = std::async(std::launch::async, [&] { return cb.wait(); });
    httplib::Client client("127.0.0.1", cb.port());
    for (const std::string query :
         {"code=attacker&state=other", "error=access_denied", "error=access_denied&state=x"}) {
        auto page = client.Get("/auth/callback?" + query);
        ASSERT_TRUE(page);
        EXPECT_EQ(page->status, 400) << query;
        EXPECT_EQ(page->body.find("successful"), std::string::npos);
    }
    std::string pasted = "code=old&state=an-older-login\n";
    ASSERT_EQ(::write(pipefd[1], pasted.data(), pasted.size()),
              static_cast<ssize_t>(pasted.size()));
    // The pasted line is read by the waiting thread; wait for its notice before the real one.
    for (int i = 0; i < 200; ++i) {
        {
            std::lock_guard lock(mu);
            if (notices.size() == 4) break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_EQ(result.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
    expect_the_redirect_completes(client, result);
    std::lock_guard lock(mu);
    ASSERT_EQ(notices.size(), 4u);
    EXPECT_NE(notices[0].find("does not match this login"), std::string::npos) << notices[0];
    EXPECT_NE(notices[3].find("pasted"), std::string::npos) << notices[3];
    for (const auto& n : notices)
        EXPECT_EQ(n.find("attacker"), std::string::npos) << n;
    ::close(pipefd[0]);
    ::close(pipefd[1]);
}

TEST_F(Callback, IdleConnectionsDoNotHoldUpTheBrowsersRedirect) {
    // Another local user may open the port and send nothing. Read one at a time with a 5 s
    // deadline each, twenty of them would outlast this 10 s login; read side by side (and the
    // oldest dropped past the limit) they do not delay the browser at all.
    LoopbackCallback cb;
    ASSERT_TRUE(cb.listen(options(), nullptr));
    auto result = std::async(std::launch::async, [&] { return cb.wait(); });
    std::vector<int> idle;
    for (int i = 0; i < 20; ++i) {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        ASSERT_GE(fd, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<uint16_t>(cb.port()));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        idle.push_back(fd);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let them be accepted
    httplib::Client client("127.0.0.1", cb.port());
    client.set_read_timeout(std::chrono::seconds(8));  // fail, not hang, if they hold it up
    expect_the_redirect_completes(client, result);
    for (int fd : idle)
        ::close(fd);
}

TEST_F(Callback, APastedRedirectRacesTheBrowser) {
    int pipefd[2];
    ASSERT_EQ(::pipe(pipefd), 0);
    LoopbackCallback cb;
    ASSERT_TRUE(cb.listen(options(pipefd[0]), nullptr));
    auto result = std::async(std::launch::async, [&] { return cb.wait(); });
    std::string line = "http://localhost:" + std::to_string(cb.port()) +
                       "/auth/callback?code=pasted&state=state-123\n";
    ASSERT_EQ(::write(pipefd[1], line.data(), line.size()), static_cast<ssize_t>(line.size()));
    CallbackResult r = result.get();
    EXPECT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.code, "pasted");
    EXPECT_TRUE(r.pasted);
    ::close(pipefd[0]);
    ::close(pipefd[1]);
}

TEST_F(Callback, TheFallbackPortIsUsedWhenTheFixedOneIsTaken) {
    LoopbackCallback first;
    CallbackOptions o = options();
    ASSERT_TRUE(first.listen(o, nullptr));
    int fallback = free_port();
    o.ports = {first.port(), fallback};
    LoopbackCallback second;
    std::string error;
    ASSERT_TRUE(second.listen(o, &error)) << error;
    EXPECT_EQ(second.port(), fallback);
    o.ports = {first.port()};
    LoopbackCallback third;
    EXPECT_FALSE(third.listen(o, &error));
    EXPECT_NE(error.find(std::to_string(first.port())), std::string::npos) << error;
    EXPECT_NE(ssh_tunnel_hint(1455).find("ssh -L 1455:localhost:1455"), std::string::npos);
}

TEST_F(Callback, NoRedirectTimesOut) {
    LoopbackCallback cb;
    CallbackOptions o = options();
    o.timeout_s = 1;
    ASSERT_TRUE(cb.listen(o, nullptr));
    CallbackResult r = cb.wait();
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.error.find("within 1 s"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace litellm::ctl
