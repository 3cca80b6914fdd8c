// A LiteLLM user's config.yaml, as LiteLLM's documentation writes one, loaded by the real
// daemon and routed against fake upstreams: fallbacks under litellm_settings, a wildcard
// route, ollama/, groq/ (its base from GROQ_API_BASE, as LiteLLM reads it) and azure/
// deployments, LiteLLM's own litellm_params kept out of bodies, organization as a header, and
// a bedrock/ deployment that is skipped with the reason given instead of refusing the file.

#include <cstdlib>
#include <string>

#include <gtest/gtest.h>
#include <httplib.h>
#include <rapidjson/document.h>

#include "fakes/fake_upstream.hpp"
#include "functional/harness.hpp"

namespace litellm::test {
namespace {

rapidjson::Document parse_json(const std::string& text) {
    rapidjson::Document d;
    d.Parse(text.c_str(), text.size());
    return d;
}

class LitellmConfigTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ::setenv("GROQ_API_BASE", (m_openai.base_url() + "/groq/v1").c_str(), 1);
        ::setenv("GROQ_API_KEY", "key-groq", 1);
        std::string config =
            "model_list:\n"
            "  - model_name: claude-main\n"
            "    litellm_params:\n"
            "      model: anthropic/claude-up\n"
            "      api_base: " +
            m_anthropic.base_url() +
            "\n"
            "      api_key: key-anthropic\n"
            "      rpm: 100\n"  // LiteLLM's: never in the body
            "      drop_params: true\n"
            "  - model_name: \"anthropic/*\"\n"
            "    litellm_params:\n"
            "      model: \"anthropic/*\"\n"
            "      api_base: " +
            m_anthropic.base_url() +
            "\n"
            "      api_key: key-wild\n"
            "  - model_name: llama-local\n"
            "    litellm_params:\n"
            "      model: ollama/llama3.1\n"
            "      api_base: " +
            m_openai.base_url() +
            "\n"  // Ollama's root, no /v1
            "  - model_name: groq-llama\n"
            "    litellm_params:\n"
            "      model: groq/llama-3.3-70b\n"
            "      organization: org-42\n"
            "      top_k: 40\n"  // a provider parameter: sent
            "  - model_name: gpt-azure\n"
            "    litellm_params:\n"
            "      model: azure/my-gpt4o\n"
            "      api_base: " +
            m_openai.base_url() +
            "\n"
            "      api_key: key-azure\n"
            "      api_version: \"2024-06-01\"\n"
            "  - model_name: claude-bedrock\n"
            "    litellm_params:\n"
            "      model: bedrock/anthropic.claude-3\n"
            "litellm_settings:\n"
            "  drop_params: true\n"
            "  num_retries: 0\n"
            "  fallbacks:\n"
            "    - claude-main: [groq-llama]\n";
        m_home.write("config.yaml", config);
        std::string error;
        ASSERT_TRUE(m_daemon.start({}, &error)) << error;
        m_port = m_daemon.http_port();
    }

    void TearDown() override {
        ::unsetenv("GROQ_API_BASE");
        ::unsetenv("GROQ_API_KEY");
    }

    httplib::Result post(const std::string& model, const std::string& path = "/v1/messages") {
        httplib::Client c("127.0.0.1", m_port);
        c.set_read_timeout(20, 0);
        std::string body = R"({"model":")" + model +
                           R"(","max_tokens":16,"messages":[{"role":"user","content":"hi"}]})";
        return c.Post(path.c_str(), {{"anthropic-version", "2023-06-01"}}, body,
                      "application/json");
    }

    FakeUpstream m_anthropic;
    FakeUpstream m_openai;
    TempHome m_home;
    DaemonProcess m_daemon{m_home};
    int m_port = 0;
};

TEST_F(LitellmConfigTest, FallbacksFromLitellmSettingsReachAGroqDeployment) {
    m_anthropic.push_reply(anthropic_fake::rate_limited(30));
    m_openai.push_reply(openai_fake::text("from groq", {}));
    auto r = post("claude-main");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_NE(r->body.find("from groq"), std::string::npos) << r->body;
    // The primary's body had none of LiteLLM's own parameters.
    auto primary = parse_json(m_anthropic.last_request().body);
    EXPECT_FALSE(primary.HasMember("rpm"));
    EXPECT_FALSE(primary.HasMember("drop_params"));
    // groq/ went to GROQ_API_BASE with GROQ_API_KEY, the organization as OpenAI's header, and
    // a provider parameter in the body.
    RecordedRequest groq = m_openai.last_request();
    EXPECT_EQ(groq.path, "/groq/v1/chat/completions");
    EXPECT_EQ(groq.header("Authorization"), "Bearer key-groq");
    EXPECT_EQ(groq.header("OpenAI-Organization"), "org-42");
    auto body = parse_json(groq.body);
    EXPECT_STREQ(body["model"].GetString(), "llama-3.3-70b");
    EXPECT_FALSE(body.HasMember("organization"));
    EXPECT_EQ(body["top_k"].GetInt(), 40);
}

TEST_F(LitellmConfigTest, AWildcardRouteSendsTheConcreteModel) {
    m_anthropic.push_reply(anthropic_fake::text("wild", {}));
    auto r = post("anthropic/claude-sonnet-4-5");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    RecordedRequest got = m_anthropic.last_request();
    EXPECT_EQ(got.header("x-api-key"), "key-wild");
    EXPECT_STREQ(parse_json(got.body)["model"].GetString(), "claude-sonnet-4-5");
    // An exact name still wins over the pattern.
    m_anthropic.push_reply(anthropic_fake::text("exact", {}));
    r = post("claude-main");
    ASSERT_TRUE(r);
    EXPECT_EQ(m_anthropic.last_request().header("x-api-key"), "key-anthropic");
    // The pattern is a route, not a model to list.
    httplib::Client c("127.0.0.1", m_port);
    auto models = c.Get("/v1/models");
    ASSERT_TRUE(models);
    EXPECT_EQ(models->body.find("anthropic/*"), std::string::npos) << models->body;
    EXPECT_NE(models->body.find("gpt-azure"), std::string::npos) << models->body;
}

TEST_F(LitellmConfigTest, OllamaAndAzureGetTheirOwnUrlsAndHeaders) {
    m_openai.push_reply(openai_fake::text("from ollama", {}));
    auto r = post("llama-local");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(m_openai.last_request().path, "/v1/chat/completions");
    EXPECT_FALSE(m_openai.last_request().has_header("Authorization"));  // Ollama needs no key

    m_openai.push_reply(openai_fake::text("from azure", {}));
    r = post("gpt-azure", "/v1/chat/completions");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    RecordedRequest az = m_openai.last_request();
    EXPECT_EQ(az.path, "/openai/deployments/my-gpt4o/chat/completions");
    EXPECT_EQ(az.query, "api-version=2024-06-01");
    EXPECT_EQ(az.header("api-key"), "key-azure");
    EXPECT_FALSE(az.has_header("Authorization"));
    EXPECT_FALSE(parse_json(az.body).HasMember("api_version"));
}

TEST(LitellmRpm, ADeploymentAtItsRpmIsSkippedAndWithNoneLeftTheClientWaits) {
    FakeUpstream primary, backup;
    TempHome home;
    home.write("config.yaml",
               "model_list:\n"
               "  - model_name: limited\n"
               "    rpm: 2\n"  // at the entry's top level, as LiteLLM also reads it
               "    litellm_params: {model: anthropic/a, api_base: " +
                   primary.base_url() +
                   ", api_key: k}\n"
                   "  - model_name: spare\n"
                   "    litellm_params: {model: openai/b, api_base: " +
                   backup.base_url() +
                   "/v1, api_key: k, rpm: 1}\n"
                   "  - model_name: alone\n"
                   "    litellm_params: {model: anthropic/c, api_base: " +
                   primary.base_url() +
                   ", api_key: k, rpm: 1}\n"
                   "router_settings:\n  fallbacks:\n    - limited: [spare]\n");
    DaemonProcess daemon(home);
    std::string error;
    ASSERT_TRUE(daemon.start({}, &error)) << error;
    primary.set_default_reply(anthropic_fake::text("primary", {}));
    backup.set_default_reply(openai_fake::text("spare", {}));
    httplib::Client c("127.0.0.1", daemon.http_port());
    auto ask = [&](const std::string& model) {
        return c.Post("/v1/messages", {{"anthropic-version", "2023-06-01"}},
                      R"({"model":")" + model +
                          R"(","max_tokens":8,"messages":[{"role":"user","content":"hi"}]})",
                      "application/json");
    };
    // A minute boundary between the requests would reset the count: retry once if so.
    for (int round = 0; round < 2; ++round) {
        auto a = ask("limited"), b = ask("limited"), third = ask("limited");
        ASSERT_TRUE(a && b && third);
        if (third->body.find("spare") == std::string::npos && round == 0) continue;
        EXPECT_NE(a->body.find("primary"), std::string::npos) << a->body;
        EXPECT_NE(b->body.find("primary"), std::string::npos) << b->body;
        EXPECT_NE(third->body.find("spare"), std::string::npos) << third->body;  // primary at 2
        break;
    }
    auto first = ask("alone");
    ASSERT_TRUE(first);
    EXPECT_EQ(first->status, 200);
    auto over = ask("alone");
    ASSERT_TRUE(over);
    if (over->status != 200) {  // (unless the minute turned between the two)
        EXPECT_EQ(over->status, 429) << over->body;
        EXPECT_NE(over->body.find("rpm/tpm limit"), std::string::npos) << over->body;
        EXPECT_FALSE(over->get_header_value("retry-after").empty());
    }
}

TEST_F(LitellmConfigTest, DropParamsDropsWhatTheUpstreamCannotDoInsteadOfRefusing) {
    // claude-main has drop_params: an OpenAI client's n=2 and logprobs go, the turn is served.
    m_anthropic.push_reply(anthropic_fake::text("one choice", {}));
    httplib::Client c("127.0.0.1", m_port);
    auto r = c.Post("/v1/chat/completions",
                    R"({"model":"claude-main","n":2,"logprobs":true,)"
                    R"("messages":[{"role":"user","content":"hi"}]})",
                    "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_NE(r->body.find("one choice"), std::string::npos) << r->body;
    EXPECT_EQ(m_anthropic.request_count(), 1u);
}

TEST_F(LitellmConfigTest, ADeploymentOfAnUnservedProviderIsSkippedWithItsReason) {
    auto r = post("claude-bedrock");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404) << r->body;
    EXPECT_NE(r->body.find("left out when the config was loaded"), std::string::npos) << r->body;
    EXPECT_NE(r->body.find("bedrock"), std::string::npos) << r->body;
    EXPECT_NE(r->body.find("openai/<model>"), std::string::npos) << r->body;
}

}  // namespace
}  // namespace litellm::test
