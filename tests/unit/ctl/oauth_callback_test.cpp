#include "ctl/oauth_callback.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <string>
#include <thread>

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
    auto page = client.Get("/auth/callback?code=the-code&state=state-123");
    ASSERT_TRUE(page);
    EXPECT_EQ(page->status, 200);
    EXPECT_NE(page->body.find("Authentication successful"), std::string::npos);
    CallbackResult r = result.get();
    EXPECT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.code, "the-code");
    EXPECT_FALSE(r.pasted);
}

TEST_F(Callback, AForeignStateOrARefusalFailsTheLogin) {
    for (const std::string query : {"code=c&state=other", "error=access_denied&state=state-123"}) {
        LoopbackCallback cb;
        ASSERT_TRUE(cb.listen(options(), nullptr));
        auto result = std::async(std::launch::async, [&] { return cb.wait(); });
        httplib::Client client("127.0.0.1", cb.port());
        auto page = client.Get("/auth/callback?" + query);
        ASSERT_TRUE(page);
        EXPECT_EQ(page->status, 400);
        CallbackResult r = result.get();
        EXPECT_FALSE(r.ok);
        EXPECT_FALSE(r.error.empty());
    }
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
