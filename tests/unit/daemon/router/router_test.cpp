#include "daemon/router/router.hpp"

#include <gtest/gtest.h>

namespace litellm::router {
namespace {

Config load(const char* yaml) {
    auto r = load_config_text(yaml, "test.yaml");
    EXPECT_TRUE(r.ok()) << (r.errors().empty() ? "" : r.errors()[0].to_string());
    return r.config.value_or(Config{});
}

const char* kYaml = R"(model_list:
  - model_name: big
    litellm_params: {model: anthropic/a1, api_key: k}
  - model_name: big
    litellm_params: {model: anthropic/a2, api_key: k}
  - model_name: fb1
    litellm_params: {model: openai/o1, api_base: "http://h/v1", api_key: k}
  - model_name: fb2
    litellm_params: {model: openai/o2, api_base: "http://h/v1", api_key: k}
  - model_name: huge
    litellm_params: {model: anthropic/h1, api_key: k}
router_settings:
  fallbacks:
    - big: [fb1, fb2, big]
  context_window_fallbacks:
    - big: [huge]
)";

std::vector<std::string> models(const std::vector<const Deployment*>& chain) {
    std::vector<std::string> out;
    for (const auto* d : chain)
        out.push_back(d->model);
    return out;
}

TEST(Router, ChainIsGroupThenFallbacksWithoutDuplicates) {
    Config cfg = load(kYaml);
    EXPECT_EQ(models(resolve_chain(cfg, "big")),
              (std::vector<std::string>{"anthropic/a1", "anthropic/a2", "openai/o1", "openai/o2"}));
    EXPECT_EQ(models(resolve_chain(cfg, "fb1")), (std::vector<std::string>{"openai/o1"}));
    EXPECT_TRUE(resolve_chain(cfg, "unknown").empty());
    EXPECT_EQ(models(resolve_context_fallbacks(cfg, "big")),
              (std::vector<std::string>{"anthropic/h1"}));
    EXPECT_TRUE(resolve_context_fallbacks(cfg, "fb1").empty());
}

TEST(Router, RoundRobinRotatesInsideAGroup) {
    std::string yaml = std::string(kYaml) + "  routing_strategy: round-robin\n";
    Config cfg = load(yaml.c_str());
    EXPECT_EQ(models(resolve_chain(cfg, "big", 0))[0], "anthropic/a1");
    EXPECT_EQ(models(resolve_chain(cfg, "big", 1))[0], "anthropic/a2");
    EXPECT_EQ(models(resolve_chain(cfg, "big", 1))[1], "anthropic/a1");
    EXPECT_EQ(models(resolve_chain(cfg, "big", 1))[2], "openai/o1");
}

TEST(Router, DeploymentKeysNameModelProviderAndBase) {
    Config cfg = load(kYaml);
    EXPECT_EQ(deployment_key(*cfg.deployments_for("big")[0]), "big@anthropic/a1");
    EXPECT_EQ(deployment_key(*cfg.deployments_for("fb1")[0]), "fb1@openai/o1@http://h/v1");
}

TEST(Router, FailureClasses) {
    auto err = [](wire::ErrorKind k) {
        wire::Error e;
        e.kind = k;
        return e;
    };
    EXPECT_EQ(classify_failure(err(wire::ErrorKind::kApi), true), FailureClass::kTransient);
    EXPECT_EQ(classify_failure(err(wire::ErrorKind::kRateLimit), false), FailureClass::kRateLimit);
    EXPECT_EQ(classify_failure(err(wire::ErrorKind::kOverloaded), false), FailureClass::kTransient);
    EXPECT_EQ(classify_failure(err(wire::ErrorKind::kContextLength), false),
              FailureClass::kContextLength);
    EXPECT_EQ(classify_failure(err(wire::ErrorKind::kInvalidRequest), false),
              FailureClass::kClientError);
    EXPECT_EQ(classify_failure(err(wire::ErrorKind::kAuthentication), false),
              FailureClass::kCredentials);
    EXPECT_EQ(classify_failure(err(wire::ErrorKind::kTimeout), false), FailureClass::kTransient);
}

TEST(Router, PolicyComesFromRouterSettings) {
    RouterSettings s;
    s.allowed_fails = 3;
    s.cooldown_time_s = 12;
    s.max_cooldown_time_s = 99;
    auto p = cooldown_policy(s);
    EXPECT_EQ(p.allowed_fails, 3);
    EXPECT_EQ(p.cooldown_time_s, 12);
    EXPECT_EQ(p.max_cooldown_time_s, 99);
}

}  // namespace
}  // namespace litellm::router
