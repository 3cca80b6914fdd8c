// The router under faults: real litellmd, fake upstreams that rate-limit, fail, hang up and
// recover; fallbacks, retries, cooldowns and what the client sees.

#include <chrono>
#include <future>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>

#include "common/json.hpp"
#include "fakes/fake_upstream.hpp"
#include "functional/harness.hpp"

namespace litellm::test {
namespace {

using namespace std::chrono_literals;

class RouterTest : public ::testing::Test {
  protected:
    void start(const std::string& router_settings) {
        std::string config =
            "model_list:\n"
            "  - model_name: primary\n"
            "    litellm_params: {model: anthropic/up-primary, api_key: kp, api_base: \"" +
            m_primary.base_url() +
            "\"}\n"
            "  - model_name: backup\n"
            "    litellm_params: {model: openai/up-backup, api_key: kb, api_base: \"" +
            m_backup.base_url() +
            "/v1\"}\n"
            "  - model_name: third\n"
            "    litellm_params: {model: anthropic/up-third, api_key: kt, api_base: \"" +
            m_third.base_url() +
            "\"}\n"
            "  - model_name: dead\n"
            "    litellm_params: {model: openai/none, api_key: k, api_base: "
            "\"http://127.0.0.1:1/v1\"}\n"
            "router_settings:\n" +
            router_settings +
            "  fallbacks:\n"
            "    - primary: [backup]\n"
            "    - dead: [backup]\n"
            "  context_window_fallbacks:\n"
            "    - primary: [third]\n";
        m_home.write("config.yaml", config);
        std::string error;
        ASSERT_TRUE(m_daemon.start({}, &error)) << error;
        m_port = m_daemon.http_port();
    }

    httplib::Result post(const std::string& path, const std::string& body) {
        httplib::Client c("127.0.0.1", m_port);
        c.set_read_timeout(30, 0);
        return c.Post(path.c_str(), body, "application/json");
    }

    static std::string anthropic_body(const std::string& model, bool stream) {
        return R"({"model":")" + model + R"(","max_tokens":64,"stream":)" +
               (stream ? "true" : "false") + R"(,"messages":[{"role":"user","content":"hi"}]})";
    }
    static std::string openai_body(const std::string& model, bool stream) {
        return R"({"model":")" + model + R"(","stream":)" + (stream ? "true" : "false") +
               R"(,"messages":[{"role":"user","content":"hi"}]})";
    }

    rapidjson::Document cooldowns() {
        auto reply = m_daemon.call("cooldowns.list");
        rapidjson::Document d;
        if (reply && !reply->is_error) d.CopyFrom(reply->payload(), d.GetAllocator());
        return d;
    }

    FakeUpstream m_primary;
    FakeUpstream m_backup;
    FakeUpstream m_third;
    TempHome m_home;
    DaemonProcess m_daemon{m_home};
    int m_port = 0;
};

std::string text_of_anthropic(const std::string& body) {
    auto d = parse_json(body);
    return d["content"][0]["text"].GetString();
}

TEST_F(RouterTest, RateLimitFallsBackAtOnceAndThePrimaryRestsDuringItsCooldown) {
    start("  num_retries: 2\n  cooldown_time: 60\n");
    m_primary.push_reply(anthropic_fake::rate_limited(60));
    m_backup.set_default_reply(openai_fake::text("from backup"));
    auto res = post("/v1/messages", anthropic_body("primary", false));
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    EXPECT_EQ(text_of_anthropic(res->body), "from backup");
    EXPECT_EQ(res->get_header_value("x-litellm-attempts"), "2");
    EXPECT_EQ(res->get_header_value("x-litellm-model"), "openai/up-backup");
    EXPECT_EQ(m_primary.request_count(), 1u);  // a 429 is not retried

    for (int i = 0; i < 3; ++i) {
        auto again = post("/v1/messages", anthropic_body("primary", false));
        ASSERT_TRUE(again);
        EXPECT_EQ(again->status, 200);
        EXPECT_EQ(again->get_header_value("x-litellm-attempts"), "1");
    }
    EXPECT_EQ(m_primary.request_count(), 1u);  // skipped while cooling
    auto list = cooldowns();
    ASSERT_EQ(list["cooldowns"].Size(), 1u);
    EXPECT_EQ(std::string(list["cooldowns"][0]["deployment"].GetString()),
              "primary@anthropic/up-primary@" + m_primary.base_url());
    EXPECT_TRUE(list["cooldowns"][0]["cooling"].GetBool());
}

TEST_F(RouterTest, RetryAfterIsHonouredAndTheCooldownHealsByItself) {
    start("  cooldown_time: 600\n");
    m_primary.push_reply(anthropic_fake::rate_limited(1));
    m_primary.set_default_reply(anthropic_fake::text("primary again"));
    m_backup.set_default_reply(openai_fake::text("from backup"));
    auto first = post("/v1/messages", anthropic_body("primary", false));
    ASSERT_TRUE(first);
    EXPECT_EQ(text_of_anthropic(first->body), "from backup");
    auto list = cooldowns();
    ASSERT_EQ(list["cooldowns"].Size(), 1u);
    EXPECT_LE(list["cooldowns"][0]["remaining_s"].GetDouble(), 1.0);  // not the 600 s default
    std::this_thread::sleep_for(1200ms);
    auto healed = post("/v1/messages", anthropic_body("primary", false));
    ASSERT_TRUE(healed);
    EXPECT_EQ(text_of_anthropic(healed->body), "primary again");
    EXPECT_EQ(cooldowns()["cooldowns"].Size(), 0u);  // the success cleared its record
}

TEST_F(RouterTest, ServerErrorsAreRetriedNumRetriesTimesThenFallBack) {
    start("  num_retries: 2\n  retry_after: 0\n");
    m_primary.set_default_reply(anthropic_fake::error(500, "api_error", "boom"));
    m_backup.set_default_reply(openai_fake::text("from backup"));
    auto res = post("/v1/messages", anthropic_body("primary", false));
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    EXPECT_EQ(m_primary.request_count(), 3u);  // 1 + num_retries
    EXPECT_EQ(res->get_header_value("x-litellm-attempts"), "4");
}

TEST_F(RouterTest, ClientErrorsAreNotFallenBackFrom) {
    start("");
    m_primary.push_reply(anthropic_fake::error(400, "invalid_request_error", "bad tool schema"));
    auto res = post("/v1/messages", anthropic_body("primary", false));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400);
    EXPECT_NE(res->body.find("bad tool schema"), std::string::npos);
    EXPECT_EQ(m_backup.request_count(), 0u);
}

TEST_F(RouterTest, ContextLengthGoesOnlyToTheLargerContextFallback) {
    start("");
    m_primary.push_reply(anthropic_fake::context_length_error());
    m_backup.set_default_reply(openai_fake::text("wrong: same-size fallback"));
    m_third.set_default_reply(anthropic_fake::text("from the big-context model"));
    auto res = post("/v1/messages", anthropic_body("primary", false));
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    EXPECT_EQ(text_of_anthropic(res->body), "from the big-context model");
    EXPECT_EQ(m_backup.request_count(), 0u);
    // Without a larger-context fallback, the client gets the error (Claude Code compacts).
    m_third.push_reply(anthropic_fake::context_length_error());
    m_primary.push_reply(anthropic_fake::context_length_error());
    auto both = post("/v1/messages", anthropic_body("primary", false));
    ASSERT_TRUE(both);
    EXPECT_EQ(both->status, 400);
    EXPECT_NE(both->body.find("prompt is too long"), std::string::npos) << both->body;
}

TEST_F(RouterTest, ConnectionRefusedFallsBack) {
    start("");
    m_backup.set_default_reply(openai_fake::stream_text({"ok ", "now"}));
    auto res = post("/v1/chat/completions", openai_body("dead", true));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200) << res->body;
    EXPECT_NE(res->body.find("now"), std::string::npos);
    EXPECT_EQ(res->get_header_value("x-litellm-model"), "openai/up-backup");
}

TEST_F(RouterTest, CutBeforeTheFirstContentFallsBack) {
    start("");
    FakeReply cut = anthropic_fake::stream_text({"never", "seen"});
    cut.cut_after_chunks = 0;  // 200 and headers, then the connection drops
    m_primary.push_reply(cut);
    m_backup.set_default_reply(openai_fake::stream_text({"rescued"}));
    auto res = post("/v1/messages", anthropic_body("primary", true));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    EXPECT_NE(res->body.find("rescued"), std::string::npos) << res->body;
    EXPECT_EQ(res->body.find("never"), std::string::npos);
}

TEST_F(RouterTest, CutAfterContentEndsTheStreamWithAnErrorAndDoesNotRestart) {
    start("");
    FakeReply cut = anthropic_fake::stream_text({"partial ", "answer", "lost"});
    cut.cut_after_chunks = 5;  // message_start, ping, block start, two deltas
    m_primary.push_reply(cut);
    m_backup.set_default_reply(openai_fake::stream_text({"must not appear"}));
    auto res = post("/v1/messages", anthropic_body("primary", true));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    EXPECT_NE(res->body.find("partial "), std::string::npos);
    EXPECT_NE(res->body.find("event: error"), std::string::npos) << res->body;
    EXPECT_EQ(res->body.find("must not appear"), std::string::npos);
    EXPECT_EQ(m_backup.request_count(), 0u);
}

TEST_F(RouterTest, WholeChainFailingGivesOneErrorNamingWhatWasTried) {
    start("  num_retries: 0\n");
    m_primary.set_default_reply(anthropic_fake::overloaded());
    m_backup.set_default_reply(openai_fake::rate_limited(5));
    auto res = post("/v1/messages", anthropic_body("primary", false));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 429) << res->body;
    auto d = parse_json(res->body);
    std::string msg = d["error"]["message"].GetString();
    EXPECT_NE(msg.find("all deployments for 'primary' failed"), std::string::npos) << msg;
    EXPECT_NE(msg.find("anthropic/up-primary"), std::string::npos) << msg;
    EXPECT_NE(msg.find("openai/up-backup"), std::string::npos) << msg;
    EXPECT_FALSE(res->get_header_value("retry-after").empty());
    EXPECT_EQ(res->get_header_value("x-litellm-attempts"), "2");
}

TEST_F(RouterTest, WhenEverythingIsCoolingTheSoonestHealingIsTried) {
    start("  num_retries: 0\n");
    m_primary.push_reply(anthropic_fake::rate_limited(30));
    m_backup.push_reply(openai_fake::rate_limited(10));
    auto first = post("/v1/messages", anthropic_body("primary", false));
    ASSERT_TRUE(first);
    EXPECT_EQ(first->status, 429);
    m_backup.set_default_reply(openai_fake::text("backup healed early"));
    auto second = post("/v1/messages", anthropic_body("primary", false));
    ASSERT_TRUE(second);
    EXPECT_EQ(second->status, 200) << second->body;
    EXPECT_EQ(text_of_anthropic(second->body), "backup healed early");
    EXPECT_EQ(m_primary.request_count(), 1u);
}

TEST_F(RouterTest, CrossFormatChainStreamsToBothKindsOfClient) {
    start("");
    m_primary.set_default_reply(anthropic_fake::rate_limited(60));
    m_backup.set_default_reply(openai_fake::stream_tool_calls(
        {{"call_1", "get_weather", {"{\"city\":", "\"Paris\"}"}}}, {}, {"Let me check"}));
    auto anth = post("/v1/messages", anthropic_body("primary", true));
    ASSERT_TRUE(anth);
    EXPECT_EQ(anth->status, 200);
    EXPECT_NE(anth->body.find("event: message_stop"), std::string::npos) << anth->body;
    EXPECT_NE(anth->body.find("\"type\":\"tool_use\""), std::string::npos);
    EXPECT_NE(anth->body.find("Let me check"), std::string::npos);
    auto oai = post("/v1/chat/completions", openai_body("primary", true));
    ASSERT_TRUE(oai);
    EXPECT_EQ(oai->status, 200);
    EXPECT_NE(oai->body.find("data: [DONE]"), std::string::npos) << oai->body;
    EXPECT_NE(oai->body.find("get_weather"), std::string::npos);
}

TEST_F(RouterTest, ConcurrentRequestsDuringACooldownAllGoToTheFallback) {
    start("");
    m_primary.push_reply(anthropic_fake::rate_limited(60));
    m_backup.set_default_reply(openai_fake::text("backup"));
    auto first = post("/v1/messages", anthropic_body("primary", false));
    ASSERT_TRUE(first);
    ASSERT_EQ(first->status, 200);
    std::vector<std::future<int>> futures;
    for (int i = 0; i < 16; ++i) {
        futures.push_back(std::async(std::launch::async, [this, i] {
            auto r = post(
                i % 2 ? "/v1/messages" : "/v1/chat/completions",
                i % 2 ? anthropic_body("primary", i % 4 == 1) : openai_body("primary", i % 4 == 0));
            return r ? r->status : -1;
        }));
    }
    for (auto& f : futures)
        EXPECT_EQ(f.get(), 200);
    EXPECT_EQ(m_primary.request_count(), 1u);
    EXPECT_EQ(m_backup.request_count(), 17u);
}

TEST_F(RouterTest, CooldownsCanBeListedAndResetFromTheCli) {
    start("");
    m_primary.push_reply(anthropic_fake::rate_limited(300));
    m_primary.set_default_reply(anthropic_fake::text("primary back"));
    m_backup.set_default_reply(openai_fake::text("backup"));
    ASSERT_TRUE(post("/v1/messages", anthropic_body("primary", false)));
    auto list = run_ctl(m_home, {"cooldowns"});
    EXPECT_EQ(list.exit_code, 0) << list.err;
    EXPECT_NE(list.out.find("primary@anthropic/up-primary"), std::string::npos) << list.out;
    EXPECT_NE(list.out.find("cooling"), std::string::npos);
    auto status = run_ctl(m_home, {"status", "--json"});
    EXPECT_EQ(parse_json(status.out)["cooldowns"].Size(), 1u);
    auto reset = run_ctl(m_home, {"cooldowns", "reset", "primary"});
    EXPECT_EQ(reset.exit_code, 0) << reset.err;
    EXPECT_NE(reset.out.find("reset 1"), std::string::npos) << reset.out;
    auto res = post("/v1/messages", anthropic_body("primary", false));
    ASSERT_TRUE(res);
    EXPECT_EQ(text_of_anthropic(res->body), "primary back");
}

TEST_F(RouterTest, ResettingTheCooldownOfAnUnknownNameIsNotFoundWithASuggestion) {
    start("");
    auto typo = run_ctl(m_home, {"cooldowns", "reset", "primery"});
    EXPECT_NE(typo.exit_code, 0) << typo.out;
    EXPECT_NE(typo.err.find("no model or deployment named 'primery'"), std::string::npos)
        << typo.err;
    EXPECT_NE(typo.err.find("did you mean 'primary'"), std::string::npos) << typo.err;
    // Over the socket it is the table's not_found error.
    auto reply = m_daemon.call("cooldowns.reset", R"({"name":"primery"})");
    ASSERT_TRUE(reply);
    ASSERT_TRUE(reply->is_error);
    EXPECT_EQ(reply->error_code, static_cast<int>(proto::ErrorCode::kNotFound));
    // A real name with nothing cooling is still fine.
    auto ok = run_ctl(m_home, {"cooldowns", "reset", "primary"});
    EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

TEST_F(RouterTest, FirstByteTimeoutFallsBackFromASilentUpstream) {
    start("  first_byte_timeout: 0.3\n  num_retries: 0\n");
    FakeReply slow = anthropic_fake::text("too late");
    slow.delay_before_ms = 3000;
    m_primary.push_reply(slow);
    m_backup.set_default_reply(openai_fake::text("fast backup"));
    auto res = post("/v1/messages", anthropic_body("primary", false));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200) << res->body;
    EXPECT_EQ(text_of_anthropic(res->body), "fast backup");
}

}  // namespace
}  // namespace litellm::test
