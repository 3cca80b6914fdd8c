#include "common/oauth.hpp"

#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "fakes/fake_qwen.hpp"

namespace litellm {
namespace {

TEST(Pkce, ChallengeIsUnpaddedBase64urlOfSha256) {
    // Computed independently: base64.urlsafe_b64encode(hashlib.sha256(v).digest()).rstrip("=")
    EXPECT_EQ(pkce_challenge("dBjftJeZ4CVP-mJ92K27uhbUJU1p1r_wW1gFWFOEjXk"),
              "ngF5GsXcbwljx6u133FFr3Xht9xooA_DuaX_3QwODtc");
    Pkce p = make_pkce();
    EXPECT_EQ(p.verifier.size(), 43u);
    EXPECT_EQ(p.verifier.find_first_not_of(
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              std::string::npos);
    EXPECT_EQ(p.challenge, pkce_challenge(p.verifier));
    EXPECT_NE(make_pkce().verifier, p.verifier);
}

TEST(OAuthSpecs, AliasesAndEnvironmentOverrides) {
    EXPECT_EQ(find_oauth_spec("qwen")->provider, "qwen_portal");
    EXPECT_EQ(find_oauth_spec("qwen-portal")->provider, "qwen_portal");
    EXPECT_EQ(find_oauth_spec("codex")->provider, "chatgpt");
    EXPECT_EQ(find_oauth_spec("gemini")->provider, "gemini_cli");
    EXPECT_EQ(find_oauth_spec("bedrock"), nullptr);
    std::map<std::string, std::string> env = {
        {"QWEN_PORTAL_OAUTH_TOKEN_URL", "http://127.0.0.1:1/token"},
        {"GEMINI_CLI_OAUTH_CLIENT_ID", "my-id"}};
    auto get = [&](const char* n) -> const char* {
        auto it = env.find(n);
        return it == env.end() ? nullptr : it->second.c_str();
    };
    OAuthClient q = make_oauth_client(*find_oauth_spec("qwen"), get);
    EXPECT_EQ(q.token_url, "http://127.0.0.1:1/token");
    EXPECT_EQ(q.device_code_url, "https://chat.qwen.ai/api/v1/oauth2/device/code");
    EXPECT_EQ(q.client_id, "f0304373b74a44d2b584a3fb70ca9e56");
    EXPECT_EQ(make_oauth_client(*find_oauth_spec("gemini"), get).client_id, "my-id");
    // Every endpoint of the table has a variable.
    for (const OAuthSpec& s : oauth_specs()) {
        for (const OAuthEndpoint* e :
             {&s.device_code, &s.token, &s.authorize, &s.userinfo, &s.api}) {
            if (!e->default_url.empty()) {
                EXPECT_FALSE(e->env.empty()) << s.provider;
            }
        }
    }
}

TEST(RefreshFailure, PermanentOrTransient) {
    EXPECT_EQ(classify_refresh_failure(400, R"({"error":"invalid_grant"})"),
              RefreshStatus::kPermanent);
    EXPECT_EQ(classify_refresh_failure(401, R"({"error":{"code":"refresh_token_reused"}})"),
              RefreshStatus::kPermanent);
    EXPECT_EQ(classify_refresh_failure(403, ""), RefreshStatus::kPermanent);
    EXPECT_EQ(classify_refresh_failure(429, ""), RefreshStatus::kTransient);
    EXPECT_EQ(classify_refresh_failure(503, "invalid_grant"), RefreshStatus::kTransient);
    EXPECT_EQ(classify_refresh_failure(0, ""), RefreshStatus::kTransient);
}

TEST(QwenBase, FromResourceUrl) {
    EXPECT_EQ(qwen_base_from_resource_url("portal.qwen.ai"), "https://portal.qwen.ai/v1");
    EXPECT_EQ(qwen_base_from_resource_url("https://portal.qwen.ai/v1/"),
              "https://portal.qwen.ai/v1");
    EXPECT_EQ(qwen_base_from_resource_url("http://127.0.0.1:9"), "http://127.0.0.1:9/v1");
    EXPECT_EQ(qwen_base_from_resource_url(""), "");
}

class QwenExchange : public ::testing::Test {
  protected:
    OAuthClient client() {
        m_env = {{"QWEN_PORTAL_OAUTH_DEVICE_CODE_URL", m_fake.device_code_url()},
                 {"QWEN_PORTAL_OAUTH_TOKEN_URL", m_fake.token_url()}};
        return make_oauth_client(*find_oauth_spec("qwen"), [this](const char* n) -> const char* {
            auto it = m_env.find(n);
            return it == m_env.end() ? nullptr : it->second.c_str();
        });
    }
    test::FakeQwen m_fake;
    std::map<std::string, std::string> m_env;
};

TEST_F(QwenExchange, DeviceFlowPendingSlowDownDone) {
    m_fake.set_login_script(1, 1);
    OAuthClient c = client();
    DeviceStart start = start_device_flow(c);
    ASSERT_TRUE(start.ok) << start.error;
    EXPECT_EQ(start.code.user_code, "ABCD-1234");
    EXPECT_EQ(start.code.interval_s, 1);
    EXPECT_EQ(m_fake.last_challenge(), start.code.pkce.challenge);
    EXPECT_EQ(poll_device_token(c, start.code, 1000).state, DevicePoll::State::kPending);
    EXPECT_EQ(poll_device_token(c, start.code, 1000).state, DevicePoll::State::kSlowDown);
    DevicePoll done = poll_device_token(c, start.code, 1000);
    ASSERT_EQ(done.state, DevicePoll::State::kDone) << done.error;
    EXPECT_EQ(done.record.access_token, "qwen-at-1");
    EXPECT_EQ(*done.record.expires_at, 1000 + 3600);
    EXPECT_EQ(done.record.resource_url, m_fake.base_url());
    EXPECT_EQ(m_fake.last_verifier(), start.code.pkce.verifier);
}

TEST_F(QwenExchange, RefreshRotatesAndKeepsWhatTheAnswerOmits) {
    m_fake.set_current(1);
    TokenRecord r;
    r.access_token = "qwen-at-1";
    r.refresh_token = "qwen-rt-1";
    r.resource_url = "kept.example";
    RefreshOutcome out = refresh_tokens(client(), r, 5000);
    ASSERT_EQ(out.status, RefreshStatus::kOk) << out.message;
    EXPECT_EQ(out.record.access_token, "qwen-at-2");
    EXPECT_EQ(out.record.refresh_token, "qwen-rt-2");
    EXPECT_EQ(out.record.resource_url, "kept.example");
    EXPECT_EQ(*out.record.last_refresh, 5000);
    // The old refresh token again: refused for good.
    RefreshOutcome reused = refresh_tokens(client(), r, 5000);
    EXPECT_EQ(reused.status, RefreshStatus::kPermanent);
    EXPECT_NE(reused.message.find("invalid_grant"), std::string::npos) << reused.message;
    EXPECT_EQ(reused.message.find("qwen-rt-1"), std::string::npos);  // no secret in messages
    m_fake.fail_refreshes(500);
    EXPECT_EQ(refresh_tokens(client(), out.record, 5000).status, RefreshStatus::kTransient);
}

TEST_F(QwenExchange, ARefusedDeviceRequestIsReportedAsRefused) {
    m_fake.refuse_logins(true);
    DeviceStart start = start_device_flow(client());
    EXPECT_FALSE(start.ok);
    EXPECT_TRUE(start.refused);
    EXPECT_NE(start.error.find("HTTP 403: access_denied"), std::string::npos) << start.error;
}

}  // namespace
}  // namespace litellm

namespace litellm {
namespace {

// docs/OAUTH.md's table is the users' list of overrides: it must name every endpoint.
TEST(OAuthDocs, TheTableListsEveryEndpointVariable) {
    std::ifstream in(std::string(LITELLM_SOURCE_DIR) + "/docs/OAUTH.md");
    std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_FALSE(doc.empty());
    for (const OAuthSpec& s : oauth_specs()) {
        for (const OAuthEndpoint* e :
             {&s.device_code, &s.token, &s.authorize, &s.userinfo, &s.api}) {
            if (e->env.empty()) continue;
            std::string row = "| " + std::string(s.provider) + " | " + std::string(e->purpose) +
                              " | `" + std::string(e->env) + "` | `" + std::string(e->default_url) +
                              "` |";
            EXPECT_NE(doc.find(row), std::string::npos) << row;
        }
    }
}

}  // namespace
}  // namespace litellm
