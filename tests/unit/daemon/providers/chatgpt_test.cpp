// The ChatGPT Codex provider's own rules: quota readings and the quota 429.

#include <ctime>
#include <string>

#include <gtest/gtest.h>

#include "daemon/auth/token_store.hpp"
#include "daemon/http/message.hpp"
#include "daemon/providers/provider.hpp"

namespace litellm::providers {
namespace {

TEST(ChatGpt, QuotaFromTheCodexHeaders) {
    const Provider* p = find("chatgpt");
    ASSERT_NE(p, nullptr);
    Headers h = {{"x-codex-primary-used-percent", "100.0"},
                 {"x-codex-primary-reset-at", "1900000000"},
                 {"x-codex-secondary-used-percent", "40"}};
    auto q = p->quota_from_headers(h);
    ASSERT_TRUE(q);
    EXPECT_FALSE(q->has_room());
    EXPECT_EQ(q->primary_reset_at, 1900000000);
    EXPECT_NE(q->describe().find("primary 100%"), std::string::npos) << q->describe();
    EXPECT_NE(q->describe().find("weekly 40%"), std::string::npos);
    EXPECT_FALSE(p->quota_from_headers({{"content-type", "text/event-stream"}}));
    EXPECT_TRUE(p->quota_from_headers({{"x-codex-primary-used-percent", "12.5"}})->has_room());
}

TEST(ChatGpt, QuotaFromTheUsageEndpoint) {
    const Provider* p = find("chatgpt");
    auto spent = p->parse_quota(
        R"({"plan_type":"plus","rate_limit":{"allowed":false,"limit_reached":true,"primary_window":{"used_percent":100,"reset_at":1900000000},"secondary_window":null}})");
    ASSERT_TRUE(spent);
    EXPECT_FALSE(spent->has_room());
    auto room = p->parse_quota(
        R"({"rate_limit":{"allowed":true,"limit_reached":false,"primary_window":{"used_percent":3}}})");
    ASSERT_TRUE(room);
    EXPECT_TRUE(room->has_room());
    EXPECT_TRUE(p->parse_quota(R"({"plan_type":"pro"})")->has_room());  // no limit reported
    EXPECT_FALSE(p->parse_quota("not json"));
}

TEST(ChatGpt, TheUsageLimitCoolsUntilItsResetCappedAndIsAQuota) {
    const Provider* p = find("chatgpt");
    long long soon = static_cast<long long>(std::time(nullptr)) + 1200;
    wire::Error e = p->classify(
        429, R"({"error":{"type":"usage_limit_reached","resets_at":)" + std::to_string(soon) + "}}",
        {});
    EXPECT_TRUE(e.quota_exhausted);
    ASSERT_TRUE(e.retry_after_s);
    EXPECT_NEAR(*e.retry_after_s, 1200, 5);
    wire::Error far = p->classify(
        429, R"({"error":{"type":"usage_limit_reached","resets_in_seconds":864000}})", {});
    EXPECT_EQ(*far.retry_after_s, 6 * 3600);  // re-checked rather than trusted for days
    wire::Error minute = p->classify(
        429, R"({"error":{"type":"rate_limit_exceeded","message":"try again in 20s"}})", {});
    EXPECT_FALSE(minute.quota_exhausted);
}

TEST(ChatGpt, HeadersAndTheUsageCheckCarryTheAccount) {
    const Provider* p = find("chatgpt");
    const ProviderInfo* info = find_provider("chatgpt");
    Deployment d;
    d.provider = "chatgpt";
    d.model = "chatgpt/gpt-5.5";
    d.upstream_model = "gpt-5.5";
    http::Request client;
    client.headers.emplace_back("x-claude-code-session-id", "sess-1");
    auth::TokenSnapshot token;
    token.state = auth::CredentialState::kValid;
    token.access_token = "at";
    token.account_id = "acct";
    UpstreamCall call{d, *info, client, WireFormat::kAnthropicMessages, false, true};
    call.token = &token;
    EXPECT_EQ(p->url(call), "https://chatgpt.com/backend-api/codex/responses");
    Headers h;
    p->headers(call, h);
    auto has = [&](const std::string& k, const std::string& v) {
        for (const auto& [hk, hv] : h)
            if (hk == k && hv == v) return true;
        return false;
    };
    EXPECT_TRUE(has("Authorization", "Bearer at"));
    EXPECT_TRUE(has("ChatGPT-Account-Id", "acct"));
    EXPECT_TRUE(has("originator", "codex_cli_rs"));
    EXPECT_TRUE(has("session-id", "sess-1"));
    EXPECT_EQ(p->encode_options(call).prompt_cache_key, "sess-1");
    EXPECT_EQ(p->quota_account(call), "chatgpt:acct");
    auto check = p->quota_check(call);
    ASSERT_TRUE(check);
    EXPECT_EQ(check->url, "https://chatgpt.com/backend-api/wham/usage");
    token.state = auth::CredentialState::kLoginNeeded;
    EXPECT_NE(p->missing_credentials(call, "", "").find("ChatGPT"), std::string::npos);
    EXPECT_FALSE(p->quota_check(call));
}

}  // namespace
}  // namespace litellm::providers
