#include "daemon/router/usage.hpp"

#include <gtest/gtest.h>

namespace litellm::router {
namespace {

using SysClock = std::chrono::system_clock;

TEST(UsageTable, ALimitHoldsForTheRestOfItsMinuteOnly) {
    // 10 s into a minute.
    SysClock::time_point now{std::chrono::minutes(29000000) + std::chrono::seconds(10)};
    UsageTable t([&] { return now; });
    UsageLimits rpm2{2, std::nullopt};
    EXPECT_FALSE(t.at_limit("d", rpm2));
    t.record_request("d");
    EXPECT_FALSE(t.at_limit("d", rpm2));
    t.record_request("d");
    EXPECT_TRUE(t.at_limit("d", rpm2));
    EXPECT_FALSE(t.at_limit("other", rpm2));       // per deployment
    EXPECT_FALSE(t.at_limit("d", UsageLimits{}));  // no limit, never at it
    EXPECT_DOUBLE_EQ(t.seconds_to_next_window(), 50.0);
    now += std::chrono::seconds(50);  // the next minute
    EXPECT_FALSE(t.at_limit("d", rpm2));
}

TEST(UsageTable, TokensCountTowardTpm) {
    SysClock::time_point now{std::chrono::minutes(29000000)};
    UsageTable t([&] { return now; });
    UsageLimits tpm{std::nullopt, 1000};
    t.record_tokens("d", 600);
    EXPECT_FALSE(t.at_limit("d", tpm));
    t.record_tokens("d", 400);
    EXPECT_TRUE(t.at_limit("d", tpm));
    t.record_tokens("d", -5);  // nonsense usage is ignored
    now += std::chrono::minutes(1);
    EXPECT_FALSE(t.at_limit("d", tpm));
}

}  // namespace
}  // namespace litellm::router
