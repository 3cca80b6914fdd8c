#include "daemon/proxy/upstream.hpp"

#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

namespace litellm::proxy {
namespace {

using namespace std::chrono_literals;

// The timer thread once waited on a reference into the node cancel() erases: a cancelled
// far deadline followed by any new one read freed memory. A release build reads it silently;
// this test fails in the ASan build (scripts/test --sanitize, run by CI).
TEST(Watchdog, CancellingTheTaskItWaitsOnIsSafe) {
    Watchdog dog;
    std::atomic<bool> far_ran{false}, near_ran{false};
    auto far = dog.schedule(30, [&] { far_ran = true; });
    std::this_thread::sleep_for(20ms);  // the thread now waits for `far`'s deadline
    EXPECT_TRUE(dog.cancel(far));
    dog.schedule(0.01, [&] { near_ran = true; });  // wakes it
    for (int i = 0; i < 200 && !near_ran; ++i)
        std::this_thread::sleep_for(5ms);
    EXPECT_TRUE(near_ran.load());
    EXPECT_FALSE(far_ran.load());
    EXPECT_FALSE(dog.cancel(far));
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
