#include "daemon/router/cooldown.hpp"

#include <gtest/gtest.h>

namespace litellm::router {
namespace {

using namespace std::chrono_literals;

// A clock the test moves by hand.
class ManualClock {
  public:
    TimePoint now() const { return m_now; }
    void advance(Duration d) { m_now += std::chrono::duration_cast<Clock::duration>(d); }

  private:
    TimePoint m_now{};
};

class CooldownTest : public ::testing::Test {
  protected:
    ManualClock m_clock;
    CooldownTable m_table{[this] { return m_clock.now(); }};
    CooldownPolicy m_policy;  // allowed_fails 1, cooldown 60 s, cap 3600 s
};

TEST_F(CooldownTest, OneFailureCoolsWithTheDefaultPolicyAndHealsByItself) {
    EXPECT_FALSE(m_table.cooling("a"));
    EXPECT_TRUE(m_table.record_failure("a", "500", std::nullopt, m_policy));
    EXPECT_TRUE(m_table.cooling("a"));
    m_clock.advance(59s);
    EXPECT_TRUE(m_table.cooling("a"));
    m_clock.advance(2s);
    EXPECT_FALSE(m_table.cooling("a"));  // nobody had to reset it
}

TEST_F(CooldownTest, AllowedFailsCountsConsecutiveFailures) {
    m_policy.allowed_fails = 3;
    EXPECT_FALSE(m_table.record_failure("a", "x", std::nullopt, m_policy));
    EXPECT_FALSE(m_table.record_failure("a", "x", std::nullopt, m_policy));
    m_table.record_success("a");  // a success breaks the run
    EXPECT_FALSE(m_table.record_failure("a", "x", std::nullopt, m_policy));
    EXPECT_FALSE(m_table.record_failure("a", "x", std::nullopt, m_policy));
    EXPECT_TRUE(m_table.record_failure("a", "x", std::nullopt, m_policy));
}

TEST_F(CooldownTest, RetryAfterSetsTheLengthAndIsCapped) {
    m_table.cool_now("a", "429", 2.0, m_policy);
    m_clock.advance(1900ms);
    EXPECT_TRUE(m_table.cooling("a"));
    m_clock.advance(200ms);
    EXPECT_FALSE(m_table.cooling("a"));

    m_policy.max_cooldown_time_s = 100;
    m_table.cool_now("b", "quota", 7 * 24 * 3600.0, m_policy);  // a week: capped
    m_clock.advance(101s);
    EXPECT_FALSE(m_table.cooling("b"));
}

TEST_F(CooldownTest, SuccessEndsACooldownEarly) {
    m_table.cool_now("a", "429", std::nullopt, m_policy);
    ASSERT_TRUE(m_table.cooling("a"));
    m_table.record_success("a");
    EXPECT_FALSE(m_table.cooling("a"));
    EXPECT_TRUE(m_table.list().empty());
}

TEST_F(CooldownTest, ResetByKeyByModelOrAll) {
    m_table.cool_now("m1@anthropic/x", "r", std::nullopt, m_policy);
    m_table.cool_now("m1@openai/y", "r", std::nullopt, m_policy);
    m_table.cool_now("m2@openai/z", "r", std::nullopt, m_policy);
    m_table.cool_now("m10@openai/z", "r", std::nullopt, m_policy);
    EXPECT_EQ(m_table.reset("m1@openai/y"), 1);
    EXPECT_EQ(m_table.reset("m1"), 1);  // model name: its deployments only, not m10's
    EXPECT_TRUE(m_table.cooling("m10@openai/z"));
    EXPECT_EQ(m_table.reset(""), 2);
    EXPECT_TRUE(m_table.list().empty());
}

TEST_F(CooldownTest, ListShowsCoolingFirstSoonestFirstWithReasons) {
    m_policy.allowed_fails = 2;
    m_table.record_failure("flaky", "500", std::nullopt, m_policy);  // 1 of 2: not cooling
    m_table.cool_now("late", "429 late", 50.0, m_policy);
    m_table.cool_now("soon", "429 soon", 5.0, m_policy);
    auto list = m_table.list();
    ASSERT_EQ(list.size(), 3u);
    EXPECT_EQ(list[0].key, "soon");
    EXPECT_NEAR(list[0].remaining_s, 5.0, 0.01);
    EXPECT_EQ(list[0].reason, "429 soon");
    EXPECT_EQ(list[1].key, "late");
    EXPECT_EQ(list[2].key, "flaky");
    EXPECT_FALSE(list[2].cooling);
    EXPECT_EQ(list[2].consecutive_failures, 1);
    m_clock.advance(6s);
    EXPECT_EQ(m_table.list()[0].key, "late");  // the healed one is not cooling any more
}

TEST_F(CooldownTest, AQuotaWithRoomAgainReopensForExactlyOneProbe) {
    m_table.cool_now("m@chatgpt/a", "usage_limit_reached", 3000, m_policy, "chatgpt:acct");
    m_table.cool_now("n@chatgpt/b", "usage_limit_reached", 3000, m_policy, "chatgpt:acct");
    m_table.cool_now("o@chatgpt/c", "usage_limit_reached", 3000, m_policy, "chatgpt:other");
    m_table.cool_now("p@openai/x", "429", 30, m_policy);  // not a quota: never reopened
    EXPECT_EQ(m_table.quota_cooldowns().size(), 3u);
    m_table.note_quota("chatgpt:acct", "primary 100%");
    for (const auto& e : m_table.list()) {
        EXPECT_EQ(e.quota_note, e.quota_account == "chatgpt:acct" ? "primary 100%" : "") << e.key;
    }
    EXPECT_EQ(m_table.reopen_quota("chatgpt:acct", "primary 3% [usage endpoint]"), 2);
    EXPECT_FALSE(m_table.cooling("m@chatgpt/a"));
    EXPECT_TRUE(m_table.cooling("o@chatgpt/c"));
    EXPECT_TRUE(m_table.cooling("p@openai/x"));
    // Half-open: the first request probes, a second one meanwhile skips it.
    EXPECT_TRUE(m_table.claim_attempt("m@chatgpt/a"));
    EXPECT_TRUE(m_table.cooling("m@chatgpt/a"));
    EXPECT_FALSE(m_table.claim_attempt("m@chatgpt/a"));
    EXPECT_TRUE(m_table.claim_attempt("p@openai/x"));  // not half-open: no gate
    // The probe succeeds: closed.
    m_table.record_success("m@chatgpt/a");
    EXPECT_TRUE(m_table.claim_attempt("m@chatgpt/a"));
    EXPECT_FALSE(m_table.cooling("m@chatgpt/a"));
    // The other probe fails: cooling again at once, and no longer half-open.
    EXPECT_TRUE(m_table.claim_attempt("n@chatgpt/b"));
    EXPECT_TRUE(m_table.record_failure("n@chatgpt/b", "usage_limit_reached", 600, m_policy));
    EXPECT_TRUE(m_table.cooling("n@chatgpt/b"));
    for (const auto& e : m_table.list()) {
        if (e.key == "n@chatgpt/b") {
            EXPECT_FALSE(e.half_open);
        }
    }
}

TEST_F(CooldownTest, AProbeWithoutAnOutcomeDoesNotHoldTheDeploymentForever) {
    m_table.cool_now("m@chatgpt/a", "usage_limit_reached", 3000, m_policy, "chatgpt:acct");
    m_table.reopen_quota("chatgpt:acct", "room");
    EXPECT_TRUE(m_table.claim_attempt("m@chatgpt/a"));  // its client leaves: no outcome
    EXPECT_FALSE(m_table.claim_attempt("m@chatgpt/a"));
    m_clock.advance(11min);
    EXPECT_FALSE(m_table.cooling("m@chatgpt/a"));
    EXPECT_TRUE(m_table.claim_attempt("m@chatgpt/a"));
}

TEST_F(CooldownTest, EachAccountsLatestQuotaReadingIsKeptAndBounded) {
    EXPECT_TRUE(m_table.quotas().empty());
    m_table.note_quota("chatgpt:a", "primary 100% [headers]");  // nothing cools: still kept
    m_clock.advance(5s);
    m_table.reopen_quota("chatgpt:b", "primary 3% [stream]");
    auto q = m_table.quotas();
    ASSERT_EQ(q.size(), 2u);
    EXPECT_EQ(q[0].account, "chatgpt:b");  // most recent first
    EXPECT_TRUE(q[0].room);
    EXPECT_EQ(q[1].account, "chatgpt:a");
    EXPECT_FALSE(q[1].room);
    EXPECT_NEAR(q[1].age_s, 5, 0.01);
    m_table.reopen_quota("chatgpt:a", "primary 0% [usage endpoint]");
    EXPECT_EQ(m_table.quotas()[0].reading, "primary 0% [usage endpoint]");
    EXPECT_EQ(m_table.quotas().size(), 2u);
    for (std::size_t i = 0; i < CooldownTable::kMaxQuotaAccounts + 10; ++i) {
        m_clock.advance(1s);
        m_table.note_quota("acct-" + std::to_string(i), "x");
    }
    q = m_table.quotas();
    EXPECT_EQ(q.size(), CooldownTable::kMaxQuotaAccounts);
    EXPECT_EQ(q.back().account, "acct-10");  // the oldest went first
}

}  // namespace
}  // namespace litellm::router
