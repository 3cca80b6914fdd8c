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

namespace litellm::router {
namespace {

TEST(Wildcard, CapturesAreGreedyAndAnchored) {
    using V = std::vector<std::string>;
    EXPECT_EQ(match_wildcard("anthropic/*", "anthropic/claude-x"), V{"claude-x"});
    EXPECT_EQ(match_wildcard("*", "anything/at/all"), V{"anything/at/all"});
    EXPECT_EQ(match_wildcard("a*-v*", "a1-v2-v3"), (V{"1-v2", "3"}));
    EXPECT_EQ(match_wildcard("exact", "exact"), V{});
    EXPECT_FALSE(match_wildcard("anthropic/*", "openai/gpt"));
    EXPECT_FALSE(match_wildcard("claude-*-latest", "claude-opus"));
    EXPECT_EQ(match_wildcard("claude-*-latest", "claude-opus-latest"), V{"opus"});
}

TEST(Wildcard, TheMostSpecificPatternWinsAndExactNamesBeatPatterns) {
    Config cfg;
    auto add = [&](std::string name, std::string model) {
        Deployment d;
        d.model_name = std::move(name);
        d.model = model;
        d.provider = model.substr(0, model.find('/'));
        d.upstream_model = model.substr(model.find('/') + 1);
        cfg.model_list.push_back(d);
    };
    add("*", "openai/*");
    add("anthropic/*", "anthropic/*");
    add("anthropic/claude-3*", "anthropic/legacy-*");
    add("anthropic/claude-3-opus", "anthropic/pinned-opus");
    std::deque<Deployment> concrete;
    auto models = [&](const std::string& m) {
        std::vector<std::string> out;
        for (const Deployment* d : resolve_chain(cfg, m, 0, &concrete))
            out.push_back(d->model + " -> " + d->upstream_model);
        return out;
    };
    using V = std::vector<std::string>;
    EXPECT_EQ(models("anthropic/claude-sonnet"), V{"anthropic/claude-sonnet -> claude-sonnet"});
    EXPECT_EQ(models("anthropic/claude-3-haiku"), V{"anthropic/legacy--haiku -> legacy--haiku"});
    EXPECT_EQ(models("anthropic/claude-3-opus"), V{"anthropic/pinned-opus -> pinned-opus"});
    EXPECT_EQ(models("gpt-4o"), V{"openai/gpt-4o -> gpt-4o"});
    // Without a place for concrete deployments, patterns are not consulted.
    EXPECT_TRUE(resolve_chain(cfg, "gpt-4o").empty());
}

}  // namespace
}  // namespace litellm::router
