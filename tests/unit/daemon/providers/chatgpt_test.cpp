// The ChatGPT Codex provider's own rules: quota readings and the quota 429.

#include <ctime>
#include <string>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "common/json.hpp"
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

TEST(ChatGpt, QuotaFromTheStreamsRateLimitsEvent) {
    const Provider* p = find("chatgpt");
    auto q = p->quota_from_stream(
        R"({"type":"codex.rate_limits","rate_limits":{"primary":{"used_percent":100,"window_minutes":300,"reset_at":1900000000},"secondary":{"used_percent":20,"window_minutes":10080,"resets_at":1900500000}}})");
    ASSERT_TRUE(q);
    EXPECT_FALSE(q->has_room());
    EXPECT_EQ(q->primary_reset_at, 1900000000);
    EXPECT_EQ(q->secondary_reset_at, 1900500000);  // the older spelling too
    EXPECT_NE(q->describe().find("[stream]"), std::string::npos);
    EXPECT_FALSE(p->quota_from_stream(R"({"type":"codex.rate_limits","rate_limits":{}})"));
    EXPECT_FALSE(p->quota_from_stream("{"));
}

TEST(ChatGpt, APlanWithoutCodexAndAModelThePlanLacks) {
    const Provider* p = find("chatgpt");
    wire::Error none = p->classify(429, R"({"error":{"type":"usage_not_included"}})", {});
    EXPECT_EQ(none.kind, wire::ErrorKind::kRateLimit);
    EXPECT_TRUE(none.quota_exhausted);
    EXPECT_EQ(*none.retry_after_s, 6 * 3600);
    EXPECT_NE(none.message.find("litellmctl auth chatgpt"), std::string::npos);
    wire::Error model = p->classify(
        400,
        R"({"detail":"The 'gpt-6-astra' model is not supported when using Codex with a ChatGPT account."})",
        {});
    EXPECT_EQ(model.kind, wire::ErrorKind::kNotFound);  // next deployment, not the client's fault
    EXPECT_NE(model.message.find("gpt-6-astra"), std::string::npos);
    wire::Error plain = p->classify(400, R"({"detail":"Unsupported parameter: foo"})", {});
    EXPECT_EQ(plain.kind, wire::ErrorKind::kInvalidRequest);
}

TEST(ChatGpt, TakesAStreamingClientsBytesButNotAStoredConversation) {
    const Provider* p = find("chatgpt");
    EXPECT_TRUE(p->takes_client_bytes(R"({"model":"m","stream":true,"input":"hi"})", true));
    EXPECT_FALSE(p->takes_client_bytes(R"({"model":"m","input":"hi"})", false));  // gathered
    EXPECT_FALSE(p->takes_client_bytes(R"({"model":"m","previous_response_id":"resp_1"})", true));
    EXPECT_TRUE(p->takes_client_bytes(R"({"model":"m","previous_response_id":null})", true));
}

TEST(ChatGpt, APassthroughBodyIsFittedToTheBackendsRules) {
    const Provider* p = find("chatgpt");
    const ProviderInfo* info = find_provider("chatgpt");
    Deployment d;
    d.provider = "chatgpt";
    http::Request client;
    client.headers.emplace_back("session-id", "thread-9");
    UpstreamCall call{d, *info, client, WireFormat::kOpenAIResponses, true, true};
    std::string fitted =
        p->wrap(R"({"model":"gpt-5.5","stream":true,"store":true,"temperature":1,"top_p":0.5,)"
                R"("max_output_tokens":9,"service_tier":"flex","parallel_tool_calls":false,)"
                R"("include":["message.output_text.logprobs"],"instructions":null,"metadata":{},)"
                R"("input":[{"role":"system","content":"sys"},{"type":"reasoning","id":"rs_9",)"
                R"("summary":[],"encrypted_content":"e"},{"role":"user","content":"hi"}]})",
                call);
    rapidjson::Document b;
    ASSERT_TRUE(json_parse(fitted, b)) << fitted;
    EXPECT_FALSE(b["store"].GetBool());
    EXPECT_TRUE(b["stream"].GetBool());
    for (const char* gone : {"temperature", "top_p", "max_output_tokens", "service_tier",
                             "parallel_tool_calls", "metadata"}) {
        EXPECT_FALSE(b.HasMember(gone)) << gone << " in " << fitted;
    }
    EXPECT_STREQ(b["instructions"].GetString(), "");
    EXPECT_STREQ(b["prompt_cache_key"].GetString(), "thread-9");
    ASSERT_EQ(b["include"].Size(), 2u);
    EXPECT_STREQ(b["include"][1].GetString(), "reasoning.encrypted_content");
    EXPECT_STREQ(b["input"][0]["role"].GetString(), "developer");
    EXPECT_FALSE(b["input"][1].HasMember("id"));
    EXPECT_STREQ(b["input"][1]["encrypted_content"].GetString(), "e");
    EXPECT_STREQ(b["input"][2]["content"].GetString(), "hi");

    // Priority processing is the client's to ask for; an encoded body is left alone.
    std::string priority =
        p->wrap(R"({"model":"m","stream":true,"service_tier":"priority","input":[]})", call);
    EXPECT_NE(priority.find(R"("service_tier":"priority")"), std::string::npos) << priority;
    UpstreamCall encoded{d, *info, client, WireFormat::kAnthropicMessages, false, true};
    EXPECT_EQ(p->wrap(R"({"temperature":1})", encoded), R"({"temperature":1})");
}

}  // namespace
}  // namespace litellm::providers
