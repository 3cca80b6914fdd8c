#include "common/config.hpp"
#include "common/providers.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <set>
#include <string>

namespace litellm {
namespace {

const std::string kSourceDir = LITELLM_SOURCE_DIR;
const std::string kDataDir = LITELLM_TEST_DATA_DIR;

ConfigLoadResult load(const std::string& text) {
    return load_config_text(text, "test.yaml");
}

// The diagnostic whose message contains `needle`; fails the test when there is none.
Diagnostic find_diag(const ConfigLoadResult& result, const std::string& needle) {
    for (const Diagnostic& d : result.diagnostics) {
        if (d.message.find(needle) != std::string::npos) return d;
    }
    std::string all;
    for (const Diagnostic& d : result.diagnostics)
        all += "\n  " + d.to_string();
    ADD_FAILURE() << "no diagnostic contains '" << needle << "'; got:" << all;
    return {};
}

void expect_at(const Diagnostic& d, Diagnostic::Severity severity, int line, int column) {
    EXPECT_EQ(d.severity, severity) << d.to_string();
    EXPECT_EQ(d.line, line) << d.to_string();
    EXPECT_EQ(d.column, column) << d.to_string();
    EXPECT_EQ(d.file, "test.yaml");
}

// Expects exactly one error, at line:column, containing `needle`.
void expect_single_error(const std::string& text, const std::string& needle, int line, int column) {
    ConfigLoadResult result = load(text);
    EXPECT_FALSE(result.ok());
    ASSERT_EQ(result.errors().size(), 1u) << text;
    expect_at(find_diag(result, needle), Diagnostic::Severity::kError, line, column);
}

// Sets or unsets an environment variable for one test and restores it afterwards.
class ScopedEnv {
  public:
    ScopedEnv(const char* name, const char* value) : m_name(name) {
        if (const char* old = std::getenv(name)) m_old = old;
        if (value) {
            ::setenv(name, value, 1);
        } else {
            ::unsetenv(name);
        }
    }
    ~ScopedEnv() {
        if (m_old) {
            ::setenv(m_name.c_str(), m_old->c_str(), 1);
        } else {
            ::unsetenv(m_name.c_str());
        }
    }

  private:
    std::string m_name;
    std::optional<std::string> m_old;
};

// ---- the shipped config ------------------------------------------------------------------------

TEST(ShippedConfig, LoadsWithoutErrors) {
    ConfigLoadResult result = load_config_file(kSourceDir + "/etc/config.yaml");
    for (const Diagnostic& d : result.errors())
        ADD_FAILURE() << d.to_string();
    ASSERT_TRUE(result.ok());
    // Warnings may only be about credentials that are not set in the test environment.
    for (const Diagnostic& d : result.warnings()) {
        EXPECT_NE(d.message.find("which is"), std::string::npos) << d.to_string();
    }
    const Config& config = *result.config;
    EXPECT_TRUE(std::filesystem::path(config.path).is_absolute());
    EXPECT_EQ(config.path,
              (std::filesystem::path(kSourceDir) / "etc/config.yaml").lexically_normal().string());
}

TEST(ShippedConfig, ConsumerModelsHaveFiveExistingFallbacks) {
    ConfigLoadResult result = load_config_file(kSourceDir + "/etc/config.yaml");
    ASSERT_TRUE(result.ok());
    const Config& config = *result.config;
    for (const char* name : {"claude-opus-4-6", "claude-sonnet-4-5", "claude-haiku-4-5",
                             "claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001"}) {
        SCOPED_TRACE(name);
        ASSERT_EQ(config.deployments_for(name).size(), 1u);
        EXPECT_EQ(config.deployments_for(name)[0]->provider, "anthropic");
        EXPECT_EQ(config.deployments_for(name)[0]->api_key.env_name, "ANTHROPIC_API_KEY");
        const FallbackChain* chain = config.fallbacks_for(name);
        ASSERT_NE(chain, nullptr);
        ASSERT_EQ(chain->fallbacks.size(), 5u);
        for (const std::string& target : chain->fallbacks) {
            EXPECT_FALSE(config.deployments_for(target).empty()) << target;
        }
    }
}

// The original's tiers, with its Codex models (retired in June 2026) replaced by current ones.
TEST(ShippedConfig, FallbackTableMatchesTheOriginal) {
    ConfigLoadResult result = load_config_file(kSourceDir + "/etc/config.yaml");
    ASSERT_TRUE(result.ok());
    const Config& config = *result.config;
    using Chain = std::vector<std::string>;
    EXPECT_EQ(config.fallbacks_for("claude-opus-4-6")->fallbacks,
              (Chain{"qwen/qwen3.5-plus", "dashscope/qwen3.5-plus", "codex/gpt-5.5",
                     "gemini-cli/gemini-3-pro-preview", "zai/glm-5"}));
    EXPECT_EQ(config.fallbacks_for("claude-sonnet-4-5")->fallbacks,
              (Chain{"qwen/qwen3-coder-plus", "dashscope/qwen3-coder-plus", "codex/gpt-5.4",
                     "gemini-cli/gemini-3-flash-preview", "zai/glm-4.5-air"}));
    EXPECT_EQ(config.fallbacks_for("claude-haiku-4-5")->fallbacks,
              (Chain{"qwen/qwen3-vl-plus", "dashscope/qwen3-max", "codex/gpt-5.4-mini",
                     "gemini-cli/gemini-2.5-flash-lite", "zai/glm-4.5-flash"}));
    EXPECT_EQ(config.fallbacks_for("claude-sonnet-4-5-20250929")->fallbacks,
              config.fallbacks_for("claude-sonnet-4-5")->fallbacks);
    EXPECT_EQ(config.fallbacks_for("claude-haiku-4-5-20251001")->fallbacks,
              config.fallbacks_for("claude-haiku-4-5")->fallbacks);
}

TEST(ShippedConfig, EveryReadmeModelIsAddressable) {
    ConfigLoadResult result = load_config_file(kSourceDir + "/etc/config.yaml");
    ASSERT_TRUE(result.ok());
    const Config& config = *result.config;
    struct Expected {
        const char* name;
        const char* model;
    };
    const Expected expected[] = {
        {"qwen/qwen3.5-plus", "qwen_portal/coder-model"},
        {"qwen/qwen3-coder-plus", "qwen_portal/qwen3-coder-plus"},
        {"qwen/qwen3-vl-plus", "qwen_portal/vision-model"},
        {"dashscope/qwen3.5-plus", "anthropic/qwen3.5-plus"},
        {"dashscope/qwen3-max", "anthropic/qwen3-max-2026-01-23"},
        {"dashscope/qwen3-coder-plus", "anthropic/qwen3-coder-plus"},
        {"codex/gpt-5.5", "chatgpt/gpt-5.5"},
        {"codex/gpt-5.4", "chatgpt/gpt-5.4"},
        {"codex/gpt-5.4-mini", "chatgpt/gpt-5.4-mini"},
        {"codex/gpt-5.3-codex-spark", "chatgpt/gpt-5.3-codex-spark"},
        {"gemini-cli/gemini-3-pro-preview", "gemini_cli/gemini-3-pro-preview"},
        {"gemini-cli/gemini-3-flash-preview", "gemini_cli/gemini-3-flash-preview"},
        {"gemini-cli/gemini-2.5-pro", "gemini_cli/gemini-2.5-pro"},
        {"gemini-cli/gemini-2.5-flash", "gemini_cli/gemini-2.5-flash"},
        {"gemini-cli/gemini-2.5-flash-lite", "gemini_cli/gemini-2.5-flash-lite"},
        {"zai/glm-5", "anthropic/glm-5"},
        {"zai/glm-5v", "anthropic/glm-5v"},
        {"zai/glm-4.7", "anthropic/glm-4.7"},
        {"zai/glm-4.6", "anthropic/glm-4.6"},
        {"zai/glm-4.5", "anthropic/glm-4.5"},
        {"zai/glm-4.5-air", "anthropic/glm-4.5-air"},
        {"zai/glm-4.5-flash", "anthropic/glm-4.5-flash"},
        {"claude-opus-4-6", "anthropic/claude-opus-4-6"},
        {"claude-sonnet-4-5", "anthropic/claude-sonnet-4-5-20250929"},
        {"claude-haiku-4-5", "anthropic/claude-haiku-4-5-20251001"},
    };
    for (const Expected& e : expected) {
        auto deployments = config.deployments_for(e.name);
        ASSERT_EQ(deployments.size(), 1u) << e.name;
        EXPECT_EQ(deployments[0]->model, e.model) << e.name;
    }

    const Deployment* qwen_max = config.deployments_for("dashscope/qwen3-max")[0];
    EXPECT_EQ(qwen_max->api_base, "https://coding-intl.dashscope.aliyuncs.com/apps/anthropic");
    EXPECT_EQ(qwen_max->api_key.env_name, "DASHSCOPE_API_KEY");
    EXPECT_EQ(qwen_max->extra_params.at("thinking"), R"({"type":"enabled","budget_tokens":16000})");
    EXPECT_EQ(config.deployments_for("dashscope/qwen3.5-plus")[0]->extra_params.count("thinking"),
              1u);
    EXPECT_EQ(
        config.deployments_for("dashscope/qwen3-coder-plus")[0]->extra_params.count("thinking"),
        0u);

    const Deployment* glm = config.deployments_for("zai/glm-5")[0];
    EXPECT_EQ(glm->api_base, "https://api.z.ai/api/anthropic");
    EXPECT_EQ(glm->api_key.env_name, "ZAI_API_KEY");
    EXPECT_TRUE(glm->extra_params.empty());

    for (const Deployment& d : config.model_list) {
        if (d.provider == "chatgpt") {
            EXPECT_EQ(d.model_info.at("mode"), "\"responses\"") << d.model_name;
        }
    }
}

TEST(ShippedConfig, Settings) {
    ConfigLoadResult result = load_config_file(kSourceDir + "/etc/config.yaml");
    ASSERT_TRUE(result.ok());
    const Config& config = *result.config;
    EXPECT_EQ(config.router.num_retries, 2);
    EXPECT_EQ(config.router.timeout_s, 600.0);
    EXPECT_EQ(config.router.retry_after_s, 5.0);
    EXPECT_EQ(config.router.allowed_fails, 1);
    EXPECT_EQ(config.router.cooldown_time_s, 60.0);
    EXPECT_TRUE(config.litellm.drop_params);
    EXPECT_FALSE(config.litellm.set_verbose);
    EXPECT_EQ(config.litellm.request_timeout_s, 600.0);
    EXPECT_EQ(config.general.master_key.env_name, "LITELLM_MASTER_KEY");
    EXPECT_TRUE(config.environment_variables.empty());
}

TEST(ShippedConfig, CredentialWarningsAreOnePerVariable) {
    ScopedEnv zai("ZAI_API_KEY", nullptr);
    ScopedEnv master("LITELLM_MASTER_KEY", "sk-test");
    ConfigLoadResult result = load_config_file(kSourceDir + "/etc/config.yaml");
    ASSERT_TRUE(result.ok());
    int zai_warnings = 0;
    for (const Diagnostic& d : result.warnings()) {
        if (d.message.find("ZAI_API_KEY") != std::string::npos) ++zai_warnings;
        EXPECT_EQ(d.message.find("LITELLM_MASTER_KEY"), std::string::npos);
    }
    EXPECT_EQ(zai_warnings, 1);
    Diagnostic d = find_diag(result, "ZAI_API_KEY");
    EXPECT_EQ(d.message,
              "api_key of 'zai/glm-5' (and 11 other settings) refers to ZAI_API_KEY, which is not "
              "set; add it to $LITELLM_HOME/.env");
    EXPECT_EQ(result.config->general.master_key.value, "sk-test");
}

// ---- loading from files ------------------------------------------------------------------------

TEST(ConfigFile, LoadsDataFileAndRecordsAbsolutePath) {
    ConfigLoadResult result = load_config_file(kDataDir + "/config/minimal.yaml");
    ASSERT_TRUE(result.ok()) << (result.diagnostics.empty() ? ""
                                                            : result.diagnostics[0].to_string());
    EXPECT_TRUE(result.diagnostics.empty());
    const Config& config = *result.config;
    EXPECT_TRUE(std::filesystem::path(config.path).is_absolute());
    EXPECT_EQ(config.model_names(), (std::vector<std::string>{"fast", "backup"}));
    auto fast = config.deployments_for("fast");
    ASSERT_EQ(fast.size(), 2u);
    EXPECT_EQ(fast[0]->model, "openai/gpt-4o-mini");
    EXPECT_EQ(fast[0]->api_key.value, "sk-literal");
    EXPECT_EQ(fast[0]->api_key.env_name, "");
    EXPECT_EQ(fast[0]->timeout_s, 30.0);
    EXPECT_EQ(fast[0]->line, 3);
    EXPECT_EQ(fast[1]->model, "anthropic/claude-haiku-4-5");
    EXPECT_FALSE(fast[1]->api_key.present());
    EXPECT_EQ(fast[1]->line, 8);
}

TEST(ConfigFile, RelativePathBecomesAbsolute) {
    std::filesystem::path old = std::filesystem::current_path();
    std::filesystem::current_path(kDataDir);
    ConfigLoadResult result = load_config_file("config/minimal.yaml");
    std::filesystem::current_path(old);
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(
        result.config->path,
        (std::filesystem::path(kDataDir) / "config/minimal.yaml").lexically_normal().string());
}

TEST(ConfigFile, MissingFileSaysHowToCreateIt) {
    ConfigLoadResult result = load_config_file("/nonexistent/dir/config.yaml");
    EXPECT_FALSE(result.ok());
    ASSERT_EQ(result.diagnostics.size(), 1u);
    const Diagnostic& d = result.diagnostics[0];
    EXPECT_EQ(d.severity, Diagnostic::Severity::kError);
    EXPECT_EQ(d.file, "/nonexistent/dir/config.yaml");
    EXPECT_EQ(d.line, 0);
    EXPECT_NE(d.message.find("/nonexistent/dir/config.yaml"), std::string::npos);
    EXPECT_NE(d.message.find("`litellmctl init` creates the default one"), std::string::npos);
    EXPECT_EQ(d.to_string().rfind("/nonexistent/dir/config.yaml: error: ", 0), 0u) << d.to_string();
}

TEST(ConfigFile, DirectoryIsAnError) {
    ConfigLoadResult result = load_config_file(kDataDir);
    EXPECT_FALSE(result.ok());
    ASSERT_EQ(result.errors().size(), 1u);
    EXPECT_NE(result.errors()[0].message.find("is a directory"), std::string::npos);
}

TEST(ConfigFile, CollectsAllErrorsInFileOrder) {
    ConfigLoadResult result = load_config_file(kDataDir + "/config/errors.yaml");
    EXPECT_FALSE(result.ok());
    std::vector<Diagnostic> errors = result.errors();
    ASSERT_EQ(errors.size(), 3u);
    EXPECT_EQ(errors[0].line, 5);
    EXPECT_EQ(errors[0].column, 14);
    EXPECT_NE(errors[0].message.find("needs a provider prefix"), std::string::npos);
    EXPECT_EQ(errors[1].line, 6);
    EXPECT_EQ(errors[1].column, 5);
    EXPECT_NE(errors[1].message.find("has no model_name"), std::string::npos);
    EXPECT_EQ(errors[2].line, 9);
    EXPECT_EQ(errors[2].column, 16);
    EXPECT_NE(errors[2].message.find("num_retries"), std::string::npos);
    std::string file = (std::filesystem::path(kDataDir) / "config/errors.yaml").string();
    EXPECT_EQ(
        errors[2].to_string(),
        file + ":9:16: error: router_settings.num_retries must be a whole number, got 'lots'");
}

// ---- Diagnostic::to_string ---------------------------------------------------------------------

TEST(Diagnostic, ToStringOmitsUnknownPositions) {
    Diagnostic d{Diagnostic::Severity::kError, "c.yaml", 3, 7, "boom"};
    EXPECT_EQ(d.to_string(), "c.yaml:3:7: error: boom");
    d.column = 0;
    EXPECT_EQ(d.to_string(), "c.yaml:3: error: boom");
    d.line = 0;
    EXPECT_EQ(d.to_string(), "c.yaml: error: boom");
    d.severity = Diagnostic::Severity::kWarning;
    EXPECT_EQ(d.to_string(), "c.yaml: warning: boom");
}

// ---- structural errors ---------------------------------------------------------------------

TEST(ConfigErrors, YamlSyntaxErrorHasPosition) {
    ConfigLoadResult result = load("model_list:\n  - model_name: a\n    litellm_params: [x\n");
    EXPECT_FALSE(result.ok());
    ASSERT_EQ(result.diagnostics.size(), 1u);
    const Diagnostic& d = result.diagnostics[0];
    EXPECT_EQ(d.severity, Diagnostic::Severity::kError);
    EXPECT_EQ(d.line, 4);
    EXPECT_EQ(d.column, 1);
    EXPECT_EQ(d.message, "YAML syntax error: end of sequence flow not found");
}

TEST(ConfigErrors, YamlSyntaxErrorMidLine) {
    ConfigLoadResult result = load("router_settings:\n  a: b: c\n");
    ASSERT_EQ(result.diagnostics.size(), 1u);
    EXPECT_EQ(result.diagnostics[0].line, 2);
    EXPECT_EQ(result.diagnostics[0].column, 7);
    EXPECT_NE(result.diagnostics[0].message.find("YAML syntax error"), std::string::npos);
}

TEST(ConfigErrors, TopLevelNotAMapping) {
    expect_single_error("- a\n- b\n", "top level of the config must be a mapping", 1, 1);
}

TEST(ConfigErrors, ModelListNotASequence) {
    expect_single_error("model_list:\n  foo: bar\n", "model_list must be a list", 2, 3);
}

TEST(ConfigErrors, EntryNotAMapping) {
    expect_single_error("model_list:\n  - just-a-string\n", "model_list entry 1 must be a mapping",
                        2, 5);
}

TEST(ConfigErrors, MissingModelName) {
    expect_single_error("model_list:\n  - litellm_params:\n      model: openai/gpt-4o\n",
                        "model_list entry 1 has no model_name", 2, 5);
}

TEST(ConfigErrors, EmptyModelName) {
    expect_single_error(
        "model_list:\n  - model_name: ''\n    litellm_params:\n      model: openai/gpt-4o\n",
        "model_list entry 1 has an empty model_name", 2, 17);
}

TEST(ConfigErrors, NullModelNamePointsAtTheKey) {
    expect_single_error(
        "model_list:\n  - model_name:\n    litellm_params:\n      model: openai/gpt-4o\n",
        "model_name must be a string, got nothing", 2, 5);
}

TEST(ConfigErrors, MissingLitellmParams) {
    expect_single_error("model_list:\n  - model_name: a\n", "'a' has no litellm_params", 2, 5);
}

TEST(ConfigErrors, LitellmParamsNotAMapping) {
    expect_single_error("model_list:\n  - model_name: a\n    litellm_params: openai/x\n",
                        "litellm_params of 'a' must be a mapping", 3, 21);
}

TEST(ConfigErrors, MissingModel) {
    expect_single_error("model_list:\n  - model_name: a\n    litellm_params:\n      api_key: k\n",
                        "litellm_params of 'a' has no model", 3, 5);
}

TEST(ConfigErrors, ModelWithoutProviderPrefix) {
    ConfigLoadResult result =
        load("model_list:\n  - model_name: a\n    litellm_params:\n      model: gpt-4\n");
    ASSERT_EQ(result.errors().size(), 1u);
    Diagnostic d = result.errors()[0];
    expect_at(d, Diagnostic::Severity::kError, 4, 14);
    EXPECT_EQ(d.message,
              "litellm_params.model 'gpt-4' of 'a' needs a provider prefix such as openai/gpt-4; "
              "known prefixes: " +
                  known_provider_prefixes());
}

TEST(ConfigWarnings, AProviderLitellmdDoesNotServeSkipsOnlyItsDeployment) {
    ConfigLoadResult result = load(
        "model_list:\n  - model_name: a\n    litellm_params:\n      model: bedrock/claude\n"
        "  - model_name: b\n    litellm_params:\n      model: openai/gpt-x\n"
        "  - model_name: c\n    litellm_params:\n      model: vertex_ai/gemini-2.5-pro\n"
        "  - model_name: d\n    litellm_params:\n      model: codex/gpt-5.5\n");
    ASSERT_TRUE(result.ok());  // the rest of the file still loads
    ASSERT_EQ(result.config->model_names(), (std::vector<std::string>{"b", "d"}));
    // The original's alias names the provider's prefix.
    EXPECT_EQ(result.config->deployments_for("d")[0]->model, "chatgpt/gpt-5.5");
    EXPECT_EQ(result.config->deployments_for("d")[0]->provider, "chatgpt");
    Diagnostic d = find_diag(result, "uses provider 'bedrock'");
    expect_at(d, Diagnostic::Severity::kWarning, 4, 14);
    EXPECT_NE(d.message.find("openai/<model> with that gateway's api_base"), std::string::npos);
    EXPECT_NE(d.message.find("'a' is skipped"), std::string::npos);
    ASSERT_EQ(result.config->skipped_models.count("a"), 1u);
    EXPECT_NE(result.config->skipped_models.at("c").find("OpenAI-compatible gateway"),
              std::string::npos);
}

TEST(ConfigErrors, EmptyUpstreamModel) {
    expect_single_error(
        "model_list:\n  - model_name: a\n    litellm_params:\n      model: openai/\n",
        "has no model name after 'openai/'", 4, 14);
}

TEST(ConfigErrors, ModelIsAList) {
    expect_single_error(
        "model_list:\n  - model_name: a\n    litellm_params:\n      model: [openai/x]\n",
        "litellm_params.model of 'a' must be a string, got a list", 4, 14);
}

// ---- wrong types and ranges -----------------------------------------------------------------

TEST(ConfigErrors, NumRetriesNotANumber) {
    expect_single_error("router_settings:\n  num_retries: \"abc\"\n",
                        "router_settings.num_retries must be a whole number, got 'abc'", 2, 16);
}

TEST(ConfigErrors, NumRetriesFraction) {
    expect_single_error("router_settings:\n  num_retries: 1.5\n",
                        "must be a whole number, got '1.5'", 2, 16);
}

TEST(ConfigErrors, NegativeCounts) {
    expect_single_error("router_settings:\n  allowed_fails: -1\n",
                        "router_settings.allowed_fails must be zero or more, got -1", 2, 18);
}

TEST(ConfigErrors, NegativeDurations) {
    expect_single_error("router_settings:\n  cooldown_time: -5\n",
                        "router_settings.cooldown_time must be zero or more, got -5", 2, 18);
    expect_single_error("router_settings:\n  retry_after: -0.5\n",
                        "router_settings.retry_after must be zero or more", 2, 16);
    expect_single_error("litellm_settings:\n  request_timeout: -1\n",
                        "litellm_settings.request_timeout must be greater than zero", 2, 20);
}

TEST(ConfigErrors, ZeroTimeoutIsRefused) {
    expect_single_error("router_settings:\n  timeout: 0\n",
                        "router_settings.timeout must be greater than zero, got 0", 2, 12);
}

TEST(ConfigErrors, DeploymentTimeoutIsAList) {
    expect_single_error(
        "model_list:\n  - model_name: a\n    litellm_params:\n      model: openai/x\n"
        "      timeout: [1]\n",
        "litellm_params.timeout of 'a' must be a number of seconds, got a list", 5, 16);
}

TEST(ConfigErrors, StreamTimeoutNotANumber) {
    expect_single_error(
        "model_list:\n  - model_name: a\n    litellm_params:\n      model: openai/x\n"
        "      stream_timeout: soon\n",
        "litellm_params.stream_timeout of 'a' must be a number of seconds, got 'soon'", 5, 23);
}

TEST(ConfigErrors, DropParamsNotABool) {
    expect_single_error("litellm_settings:\n  drop_params: maybe\n",
                        "litellm_settings.drop_params must be true or false, got 'maybe'", 2, 16);
}

TEST(ConfigErrors, ExtraHeadersNotAMap) {
    expect_single_error(
        "model_list:\n  - model_name: a\n    litellm_params:\n      model: openai/x\n"
        "      extra_headers: [X-A]\n",
        "extra_headers of 'a' must be a mapping of header name to value, got a list", 5, 22);
}

TEST(ConfigErrors, ExtraHeaderValueNotAString) {
    expect_single_error(
        "model_list:\n  - model_name: a\n    litellm_params:\n      model: openai/x\n"
        "      extra_headers:\n        X-A: {b: c}\n",
        "extra_headers.X-A of 'a' must be a string, got a mapping", 6, 14);
}

TEST(ConfigErrors, ModelInfoNotAMap) {
    expect_single_error(
        "model_list:\n  - model_name: a\n    model_info: responses\n    litellm_params:\n"
        "      model: openai/x\n",
        "model_info of 'a' must be a mapping, got 'responses'", 3, 17);
}

TEST(ConfigErrors, SectionNotAMapping) {
    expect_single_error("router_settings: [1]\n", "router_settings must be a mapping, got a list",
                        1, 18);
    expect_single_error("general_settings: x\n", "general_settings must be a mapping", 1, 19);
}

TEST(ConfigErrors, EnvironmentVariableNotAScalar) {
    expect_single_error("environment_variables:\n  A: [1]\n",
                        "environment_variables.A must be a plain value, got a list", 2, 6);
}

TEST(ConfigErrors, EnvReferenceWithoutName) {
    expect_single_error(
        "model_list:\n  - model_name: a\n    litellm_params:\n      model: openai/x\n"
        "      api_key: os.environ/\n",
        "api_key of 'a' says 'os.environ/' without a variable name", 5, 16);
}

// ---- fallbacks ------------------------------------------------------------------------------

const char* const kTwoModels =
    "model_list:\n"
    "  - model_name: a\n"
    "    litellm_params: {model: openai/a}\n"
    "  - model_name: b\n"
    "    litellm_params: {model: openai/b}\n";

TEST(ConfigFallbacks, NotAList) {
    expect_single_error(std::string(kTwoModels) + "router_settings:\n  fallbacks: a\n",
                        "router_settings.fallbacks must be a list of single-key mappings", 7, 14);
}

TEST(ConfigFallbacks, ItemWithTwoKeys) {
    expect_single_error(std::string(kTwoModels) +
                            "router_settings:\n  fallbacks:\n"
                            "    - {a: [b], b: [a]}\n",
                        "got a mapping with 2 keys", 8, 7);
}

TEST(ConfigFallbacks, ItemIsAString) {
    expect_single_error(std::string(kTwoModels) + "router_settings:\n  fallbacks:\n    - a\n",
                        "each item of router_settings.fallbacks must be a list", 8, 7);
}

TEST(ConfigFallbacks, ValueNotAList) {
    expect_single_error(std::string(kTwoModels) + "router_settings:\n  fallbacks:\n    - a: b\n",
                        "router_settings.fallbacks for 'a' must be a list of model names, got 'b'",
                        8, 10);
}

TEST(ConfigFallbacks, TargetNotAString) {
    expect_single_error(
        std::string(kTwoModels) + "router_settings:\n  fallbacks:\n    - a: [b, {c: d}]\n",
        "router_settings.fallbacks for 'a' must list model names, got a mapping", 8, 14);
}

TEST(ConfigFallbacks, ContextWindowFallbacksUseTheSameShape) {
    ConfigLoadResult result = load(std::string(kTwoModels) +
                                   "router_settings:\n  context_window_fallbacks:\n    - a: [b]\n"
                                   "  fallbacks:\n    - b: [a]\n");
    ASSERT_TRUE(result.ok());
    EXPECT_TRUE(result.diagnostics.empty());
    const Config& config = *result.config;
    ASSERT_EQ(config.router.context_window_fallbacks.size(), 1u);
    EXPECT_EQ(config.router.context_window_fallbacks[0].model_name, "a");
    EXPECT_EQ(config.router.context_window_fallbacks[0].fallbacks, std::vector<std::string>{"b"});
    // fallbacks_for only consults the ordinary chains.
    EXPECT_EQ(config.fallbacks_for("a"), nullptr);
    ASSERT_NE(config.fallbacks_for("b"), nullptr);
    EXPECT_EQ(config.fallbacks_for("b")->fallbacks, std::vector<std::string>{"a"});
}

TEST(ConfigFallbacks, UnknownNamesAreWarnings) {
    ConfigLoadResult result = load(std::string(kTwoModels) +
                                   "router_settings:\n"
                                   "  fallbacks:\n"
                                   "    - a: [b, nope]\n"
                                   "    - ghost: [a]\n");
    ASSERT_TRUE(result.ok());
    ASSERT_EQ(result.warnings().size(), 2u);
    expect_at(find_diag(result, "fallback 'nope' of 'a'"), Diagnostic::Severity::kWarning, 8, 14);
    expect_at(find_diag(result, "chain for 'ghost', which is not a model_name"),
              Diagnostic::Severity::kWarning, 9, 7);
    // The chain is kept as written; the router skips the missing name.
    EXPECT_EQ(result.config->fallbacks_for("a")->fallbacks,
              (std::vector<std::string>{"b", "nope"}));
}

TEST(ConfigFallbacks, FallbacksMayPrecedeModelList) {
    ConfigLoadResult result =
        load("router_settings:\n  fallbacks:\n    - a: [b]\n" + std::string(kTwoModels));
    ASSERT_TRUE(result.ok());
    EXPECT_TRUE(result.diagnostics.empty());
}

TEST(ConfigFallbacks, DuplicatePrimaryWarns) {
    ConfigLoadResult result = load(std::string(kTwoModels) +
                                   "router_settings:\n  fallbacks:\n    - a: [b]\n    - a: []\n");
    ASSERT_TRUE(result.ok());
    expect_at(find_diag(result, "lists 'a' twice"), Diagnostic::Severity::kWarning, 9, 7);
    EXPECT_EQ(result.config->fallbacks_for("a")->fallbacks, std::vector<std::string>{"b"});
}

// ---- warnings -------------------------------------------------------------------------------

TEST(ConfigWarnings, UnknownKeysEverywhere) {
    ConfigLoadResult result = load(
        "model_list:\n"                            // 1
        "  - model_name: a\n"                      // 2
        "    rpm: 5\n"                             // 3
        "    litellm_params: {model: openai/x}\n"  // 4
        "router_settings:\n"                       // 5
        "  enable_pre_call_checks: true\n"         // 6
        "litellm_settings:\n"                      // 7
        "  num_retries: 3\n"                       // 8
        "general_settings:\n"                      // 9
        "  database_url: x\n"                      // 10
        "include: other.yaml\n");                  // 11
    ASSERT_TRUE(result.ok());
    ASSERT_EQ(result.warnings().size(), 3u);
    // rpm at the entry's level is LiteLLM's too (copied into litellm_params).
    EXPECT_EQ(result.config->model_list[0].rpm, 5);
    expect_at(
        find_diag(result, "unknown key 'enable_pre_call_checks' in router_settings (ignored)"),
        Diagnostic::Severity::kWarning, 6, 3);
    // litellm_settings.num_retries is LiteLLM's, read like router_settings' (which wins).
    EXPECT_EQ(result.config->router.num_retries, 3);
    expect_at(find_diag(result, "unknown key 'database_url' in general_settings (ignored)"),
              Diagnostic::Severity::kWarning, 10, 3);
    expect_at(find_diag(result, "unknown key 'include' in the top level (ignored)"),
              Diagnostic::Severity::kWarning, 11, 1);
    // Diagnostics come in file order.
    for (size_t i = 1; i < result.diagnostics.size(); ++i) {
        EXPECT_LT(result.diagnostics[i - 1].line, result.diagnostics[i].line);
    }
}

TEST(ConfigWarnings, DuplicateKeyLastWins) {
    ConfigLoadResult result = load("router_settings:\n  num_retries: 1\n  num_retries: 4\n");
    ASSERT_TRUE(result.ok());
    expect_at(find_diag(result, "duplicate key 'num_retries' in router_settings"),
              Diagnostic::Severity::kWarning, 3, 3);
    EXPECT_EQ(result.config->router.num_retries, 4);
}

TEST(ConfigWarnings, EmptyConfigLoadsWithAWarning) {
    ConfigLoadResult result = load("# nothing here\n");
    ASSERT_TRUE(result.ok());
    EXPECT_TRUE(result.config->model_list.empty());
    ASSERT_EQ(result.warnings().size(), 1u);
    EXPECT_NE(result.warnings()[0].message.find("no models will be served"), std::string::npos);
}

TEST(ConfigWarnings, EmptyModelListWarns) {
    ConfigLoadResult result = load("model_list: []\n");
    ASSERT_TRUE(result.ok());
    expect_at(find_diag(result, "model_list is empty"), Diagnostic::Severity::kWarning, 1, 1);
}

TEST(ConfigLimits, DefaultsAndOverrides) {
    ConfigLoadResult d = load("model_list: []\n");
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d.config->general.limits.max_request_bytes, 32u << 20);
    EXPECT_EQ(d.config->general.limits.max_log_line_bytes, 8u << 10);
    ConfigLoadResult r = load(
        "model_list: []\ngeneral_settings:\n  max_request_size_mb: 4\n"
        "  max_buffered_requests_mb: 8\n  max_response_size_mb: 2\n  max_inflate_ratio: 50\n"
        "  max_sse_line_kb: 64\n  max_json_depth: 32\n  max_log_line_kb: 2\n"
        "  max_connections: 100\n  client_head_timeout_s: 5\n  client_request_timeout_s: 60\n");
    ASSERT_TRUE(r.ok());
    const Limits& l = r.config->general.limits;
    EXPECT_EQ(l.max_request_bytes, 4u << 20);
    EXPECT_EQ(l.max_buffered_request_bytes, 8u << 20);
    EXPECT_EQ(l.max_response_bytes, 2u << 20);
    EXPECT_EQ(l.max_inflate_ratio, 50);
    EXPECT_EQ(l.max_sse_line_bytes, 64u << 10);
    EXPECT_EQ(l.max_json_depth, 32);
    EXPECT_EQ(l.max_log_line_bytes, 2u << 10);
    EXPECT_EQ(l.max_connections, 100);
    EXPECT_EQ(l.client_head_timeout_s, 5);
    EXPECT_EQ(l.client_request_timeout_s, 60);
}

TEST(ConfigAllowedHosts, NamesAreReadLowerCasedAndPortsAreErrors) {
    ConfigLoadResult r = load("general_settings:\n  allowed_hosts: [Litellm.Internal, devbox.]\n");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.config->general.allowed_hosts,
              (std::vector<std::string>{"litellm.internal", "devbox"}));
    // A port would never match a Host's name: said, not ignored.
    expect_single_error("general_settings:\n  allowed_hosts: [devbox:4000]\n",
                        "must list host names without a port", 2, 19);
    expect_single_error("general_settings:\n  allowed_hosts: devbox\n",
                        "must be a list of host names", 2, 18);
    EXPECT_FALSE(load("general_settings:\n  allowed_hosts: [\"http://devbox\"]\n").ok());
}

TEST(ConfigLimits, UnsafeValuesAreErrors) {
    // Deeper than 512 would let recursive walks outgrow a worker's stack.
    expect_single_error("general_settings:\n  max_json_depth: 100000\n", "must be at most 512", 2,
                        19);
    // A budget smaller than one body would answer "busy, retry" forever.
    ConfigLoadResult small =
        load("general_settings:\n  max_request_size_mb: 64\n  max_buffered_requests_mb: 16\n");
    EXPECT_FALSE(small.ok());
    find_diag(small, "must be at least max_request_size_mb");
    EXPECT_FALSE(load("general_settings:\n  max_response_size_mb: 0\n").ok());
    EXPECT_FALSE(load("general_settings:\n  max_connections: two\n").ok());
    EXPECT_FALSE(load("general_settings:\n  client_head_timeout_s: 0\n").ok());
}

TEST(ConfigWarnings, MissingApiKeyIsNotWarnedAtLoad) {
    ConfigLoadResult result = load(
        "model_list:\n  - model_name: a\n"
        "    litellm_params: {model: anthropic/claude}\n");
    ASSERT_TRUE(result.ok());
    EXPECT_TRUE(result.diagnostics.empty());
    EXPECT_FALSE(result.config->model_list[0].api_key.present());
    // The provider's own variable is named (and read) at load, not on request threads.
    EXPECT_EQ(result.config->model_list[0].api_key.env_name, "ANTHROPIC_API_KEY");
}

// ---- os.environ/ ----------------------------------------------------------------------------

TEST(ConfigEnv, ResolvesSetVariables) {
    ScopedEnv key("LITELLM_TEST_CFG_KEY", "sk-from-env");
    ScopedEnv base("LITELLM_TEST_CFG_BASE", "http://127.0.0.1:9999/v1");
    ScopedEnv header("LITELLM_TEST_CFG_HDR", "hv");
    ScopedEnv master("LITELLM_TEST_CFG_MASTER", "sk-master");
    ConfigLoadResult result = load(
        "model_list:\n"
        "  - model_name: a\n"
        "    litellm_params:\n"
        "      model: openai/x\n"
        "      api_key: os.environ/LITELLM_TEST_CFG_KEY\n"
        "      api_base: os.environ/LITELLM_TEST_CFG_BASE\n"
        "      extra_headers:\n"
        "        X-Literal: plain\n"
        "        X-Env: os.environ/LITELLM_TEST_CFG_HDR\n"
        "general_settings:\n"
        "  master_key: os.environ/LITELLM_TEST_CFG_MASTER\n");
    ASSERT_TRUE(result.ok());
    EXPECT_TRUE(result.diagnostics.empty());
    const Deployment& d = result.config->model_list[0];
    EXPECT_EQ(d.api_key.value, "sk-from-env");
    EXPECT_EQ(d.api_key.env_name, "LITELLM_TEST_CFG_KEY");
    EXPECT_TRUE(d.api_key.present());
    EXPECT_EQ(d.api_base, "http://127.0.0.1:9999/v1");
    EXPECT_EQ(d.extra_headers.at("X-Literal"), "plain");
    EXPECT_EQ(d.extra_headers.at("X-Env"), "hv");
    EXPECT_EQ(result.config->general.master_key.value, "sk-master");
    EXPECT_EQ(result.config->general.master_key.env_name, "LITELLM_TEST_CFG_MASTER");
}

TEST(ConfigEnv, UnsetVariableIsAWarning) {
    ScopedEnv key("LITELLM_TEST_CFG_UNSET", nullptr);
    ConfigLoadResult result = load(
        "model_list:\n"
        "  - model_name: zai/glm-5\n"
        "    litellm_params:\n"
        "      model: anthropic/glm-5\n"
        "      api_key: os.environ/LITELLM_TEST_CFG_UNSET\n");
    ASSERT_TRUE(result.ok());
    ASSERT_EQ(result.diagnostics.size(), 1u);
    const Diagnostic& d = result.diagnostics[0];
    expect_at(d, Diagnostic::Severity::kWarning, 5, 16);
    EXPECT_EQ(d.message,
              "api_key of 'zai/glm-5' refers to LITELLM_TEST_CFG_UNSET, which is not set; add it "
              "to $LITELLM_HOME/.env");
    EXPECT_EQ(result.config->model_list[0].api_key.env_name, "LITELLM_TEST_CFG_UNSET");
    EXPECT_FALSE(result.config->model_list[0].api_key.present());
}

TEST(ConfigEnv, UnsetApiBaseIsAnError) {
    // Falling back to the provider default would send the key to another host.
    ScopedEnv base("LITELLM_TEST_CFG_NOBASE", nullptr);
    expect_single_error(
        "model_list:\n"
        "  - model_name: a\n"
        "    litellm_params:\n"
        "      model: anthropic/glm-5\n"
        "      api_base: os.environ/LITELLM_TEST_CFG_NOBASE\n",
        "api_base of 'a' refers to LITELLM_TEST_CFG_NOBASE, which is not set", 5, 17);
}

TEST(ConfigEnv, EmptyVariableIsAWarning) {
    ScopedEnv key("LITELLM_TEST_CFG_EMPTY", "");
    ConfigLoadResult result = load(
        "general_settings:\n"
        "  master_key: os.environ/LITELLM_TEST_CFG_EMPTY\n");
    ASSERT_TRUE(result.ok());
    expect_at(find_diag(result,
                        "general_settings.master_key refers to LITELLM_TEST_CFG_EMPTY, "
                        "which is empty"),
              Diagnostic::Severity::kWarning, 2, 15);
    EXPECT_FALSE(result.config->general.master_key.present());
}

TEST(ConfigEnv, RepeatedVariableWarnsOnceAtFirstUse) {
    ScopedEnv key("LITELLM_TEST_CFG_REPEAT", nullptr);
    ConfigLoadResult result = load(
        "model_list:\n"
        "  - model_name: a\n"
        "    litellm_params: {model: openai/a, api_key: os.environ/LITELLM_TEST_CFG_REPEAT}\n"
        "  - model_name: b\n"
        "    litellm_params: {model: openai/b, api_key: os.environ/LITELLM_TEST_CFG_REPEAT}\n");
    ASSERT_TRUE(result.ok());
    ASSERT_EQ(result.warnings().size(), 1u);
    expect_at(result.warnings()[0], Diagnostic::Severity::kWarning, 3, 48);
    EXPECT_EQ(result.warnings()[0].message,
              "api_key of 'a' (and 1 other setting) refers to LITELLM_TEST_CFG_REPEAT, which is "
              "not set; add it to $LITELLM_HOME/.env");
}

TEST(ConfigEnv, QuotedReferenceAlsoResolves) {
    ScopedEnv key("LITELLM_TEST_CFG_Q", "v");
    ConfigLoadResult result = load(
        "general_settings:\n"
        "  master_key: \"os.environ/LITELLM_TEST_CFG_Q\"\n");
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result.config->general.master_key.value, "v");
}

TEST(ConfigEnv, EnvironmentVariablesAreStoredNotExported) {
    ScopedEnv probe("LITELLM_TEST_CFG_EXPORT", nullptr);
    ConfigLoadResult result = load(
        "environment_variables:\n"
        "  LITELLM_TEST_CFG_EXPORT: hello\n"
        "  NUM: 5\n"
        "  EMPTY:\n");
    ASSERT_TRUE(result.ok());
    const auto& vars = result.config->environment_variables;
    ASSERT_EQ(vars.size(), 3u);
    EXPECT_EQ(vars.at("LITELLM_TEST_CFG_EXPORT"), "hello");
    EXPECT_EQ(vars.at("NUM"), "5");
    EXPECT_EQ(vars.at("EMPTY"), "");
    EXPECT_EQ(std::getenv("LITELLM_TEST_CFG_EXPORT"), nullptr);
}

// ---- pass-through params ----------------------------------------------------------------------

TEST(ConfigExtraParams, YamlScalarsBecomeJsonTypes) {
    ConfigLoadResult result = load(
        "model_list:\n"
        "  - model_name: a\n"
        "    litellm_params:\n"
        "      model: openai/x\n"
        "      max_tokens: 1024\n"
        "      neg: -3\n"
        "      plus: +7\n"
        "      hex: 0x1F\n"
        "      temperature: 0.25\n"
        "      half: .5\n"
        "      big: 1e3\n"
        "      lead: 007\n"
        "      dot: +2.\n"
        "      huge: 123456789012345678901234567890\n"
        "      on_flag: true\n"
        "      off_flag: False\n"
        "      yes_flag: yes\n"
        "      nothing: null\n"
        "      tilde: ~\n"
        "      quoted_bool: \"true\"\n"
        "      quoted_num: '5'\n"
        "      tagged: !!str 42\n"
        "      text: hello world\n"
        "      escaped: \"a \\\"q\\\" \\\\ b\\nc\"\n"
        "      inf: .inf\n"
        "      input: [\"text\", image]\n"
        "      thinking: {type: enabled, budget_tokens: 16000}\n"
        "      nested:\n"
        "        list: [1, [2, {k: v}]]\n"
        "        empty_map: {}\n"
        "        empty_list: []\n"
        "      block: |\n"
        "        line1\n"
        "        line2\n");
    ASSERT_TRUE(result.ok());
    const auto& p = result.config->model_list[0].extra_params;
    EXPECT_EQ(p.at("max_tokens"), "1024");
    EXPECT_EQ(p.at("neg"), "-3");
    EXPECT_EQ(p.at("plus"), "7");
    EXPECT_EQ(p.at("hex"), "31");
    EXPECT_EQ(p.at("temperature"), "0.25");
    EXPECT_EQ(p.at("half"), "0.5");
    EXPECT_EQ(p.at("big"), "1e3");  // already valid JSON, copied verbatim
    EXPECT_EQ(p.at("lead"), "7");
    EXPECT_EQ(p.at("dot"), "2");
    EXPECT_EQ(p.at("huge"), "123456789012345678901234567890");
    EXPECT_EQ(p.at("on_flag"), "true");
    EXPECT_EQ(p.at("off_flag"), "false");
    EXPECT_EQ(p.at("yes_flag"), "true");
    EXPECT_EQ(p.at("nothing"), "null");
    EXPECT_EQ(p.at("tilde"), "null");
    EXPECT_EQ(p.at("quoted_bool"), "\"true\"");
    EXPECT_EQ(p.at("quoted_num"), "\"5\"");
    EXPECT_EQ(p.at("tagged"), "\"42\"");
    EXPECT_EQ(p.at("text"), "\"hello world\"");
    EXPECT_EQ(p.at("escaped"), R"("a \"q\" \\ b\nc")");
    EXPECT_EQ(p.at("inf"), "\".inf\"");
    EXPECT_EQ(p.at("input"), R"(["text","image"])");
    EXPECT_EQ(p.at("thinking"), R"({"type":"enabled","budget_tokens":16000})");
    EXPECT_EQ(p.at("nested"), R"({"list":[1,[2,{"k":"v"}]],"empty_map":{},"empty_list":[]})");
    EXPECT_EQ(p.at("block"), R"("line1\nline2\n")");
    // Modelled keys never leak into extra_params.
    EXPECT_EQ(p.count("model"), 0u);
}

TEST(ConfigExtraParams, EnvReferencesInPassThroughStrings) {
    ScopedEnv v("LITELLM_TEST_CFG_ORG", "org-123");
    ConfigLoadResult result = load(
        "model_list:\n"
        "  - model_name: a\n"
        "    litellm_params:\n"
        "      model: openai/x\n"
        "      organization: os.environ/LITELLM_TEST_CFG_ORG\n");
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result.config->model_list[0].extra_params.at("organization"), "\"org-123\"");
}

TEST(ConfigExtraParams, ModelInfoIsJson) {
    ConfigLoadResult result = load(
        "model_list:\n"
        "  - model_name: codex/x\n"
        "    model_info:\n"
        "      mode: responses\n"
        "      max_input_tokens: 272000\n"
        "      supports_vision: true\n"
        "    litellm_params: {model: chatgpt/x}\n");
    ASSERT_TRUE(result.ok());
    const auto& info = result.config->model_list[0].model_info;
    ASSERT_EQ(info.size(), 3u);
    EXPECT_EQ(info.at("mode"), "\"responses\"");
    EXPECT_EQ(info.at("max_input_tokens"), "272000");
    EXPECT_EQ(info.at("supports_vision"), "true");
}

// ---- parsed values ----------------------------------------------------------------------------

TEST(ConfigValues, DefaultsWhenSectionsAreAbsent) {
    ConfigLoadResult result = load(kTwoModels);
    ASSERT_TRUE(result.ok());
    const Config& c = *result.config;
    EXPECT_EQ(c.router.num_retries, 0);
    EXPECT_FALSE(c.router.timeout_s.has_value());
    EXPECT_EQ(c.router.retry_after_s, 0.0);
    EXPECT_EQ(c.router.allowed_fails, 1);
    EXPECT_EQ(c.router.cooldown_time_s, 60.0);
    EXPECT_EQ(c.router.routing_strategy, "");
    EXPECT_FALSE(c.litellm.drop_params);
    EXPECT_FALSE(c.litellm.request_timeout_s.has_value());
    EXPECT_FALSE(c.general.master_key.present());
    EXPECT_EQ(c.path, "test.yaml");
    const Deployment& a = c.model_list[0];
    EXPECT_EQ(a.api_base, "");
    EXPECT_FALSE(a.timeout_s.has_value());
    EXPECT_FALSE(a.stream_timeout_s.has_value());
    EXPECT_TRUE(a.extra_headers.empty());
    EXPECT_TRUE(a.extra_params.empty());
    EXPECT_TRUE(a.model_info.empty());
}

TEST(ConfigValues, EmptySectionsAreAllowed) {
    ConfigLoadResult result = load(std::string(kTwoModels) +
                                   "router_settings:\nlitellm_settings:\ngeneral_settings:\n"
                                   "environment_variables:\n");
    ASSERT_TRUE(result.ok());
    EXPECT_TRUE(result.diagnostics.empty());
}

TEST(ConfigValues, NumbersAcceptIntsAndFloats) {
    ConfigLoadResult result = load(
        "model_list:\n"
        "  - model_name: a\n"
        "    litellm_params:\n"
        "      model: anthropic/glm-5\n"
        "      api_base: https://api.z.ai/api/anthropic\n"
        "      timeout: 12.5\n"
        "      stream_timeout: 30\n"
        "router_settings:\n"
        "  num_retries: 3\n"
        "  timeout: 90\n"
        "  retry_after: 0.5\n"
        "  allowed_fails: 0\n"
        "  cooldown_time: 0\n"
        "  routing_strategy: simple-shuffle\n"
        "litellm_settings:\n"
        "  drop_params: yes\n"
        "  set_verbose: true\n"
        "  request_timeout: 45.25\n");
    ASSERT_TRUE(result.ok());
    const Config& c = *result.config;
    const Deployment& d = c.model_list[0];
    EXPECT_EQ(d.model_name, "a");
    EXPECT_EQ(d.provider, "anthropic");
    EXPECT_EQ(d.upstream_model, "glm-5");
    EXPECT_EQ(d.api_base, "https://api.z.ai/api/anthropic");
    EXPECT_EQ(d.timeout_s, 12.5);
    EXPECT_EQ(d.stream_timeout_s, 30.0);
    EXPECT_EQ(d.line, 2);
    EXPECT_EQ(c.router.num_retries, 3);
    EXPECT_EQ(c.router.timeout_s, 90.0);
    EXPECT_EQ(c.router.retry_after_s, 0.5);
    EXPECT_EQ(c.router.allowed_fails, 0);
    EXPECT_EQ(c.router.cooldown_time_s, 0.0);
    EXPECT_EQ(c.router.routing_strategy, "simple-shuffle");
    EXPECT_TRUE(c.litellm.drop_params);
    EXPECT_TRUE(c.litellm.set_verbose);
    EXPECT_EQ(c.litellm.request_timeout_s, 45.25);
}

TEST(ConfigValues, ModelKeepsEverythingAfterTheFirstSlash) {
    ConfigLoadResult result = load(
        "model_list:\n  - model_name: m\n"
        "    litellm_params: {model: openai/org/model-v1}\n");
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result.config->model_list[0].provider, "openai");
    EXPECT_EQ(result.config->model_list[0].upstream_model, "org/model-v1");
    EXPECT_EQ(result.config->model_list[0].model, "openai/org/model-v1");
}

TEST(ConfigLookups, ModelNamesDeploymentsAndFallbacks) {
    ConfigLoadResult result = load(
        "model_list:\n"
        "  - model_name: big\n"
        "    litellm_params: {model: anthropic/one}\n"
        "  - model_name: small\n"
        "    litellm_params: {model: openai/two}\n"
        "  - model_name: big\n"
        "    litellm_params: {model: zai/three}\n"
        "router_settings:\n"
        "  fallbacks:\n"
        "    - big: [small]\n"
        "    - small: []\n");
    ASSERT_TRUE(result.ok());
    const Config& c = *result.config;
    EXPECT_EQ(c.model_names(), (std::vector<std::string>{"big", "small"}));
    auto big = c.deployments_for("big");
    ASSERT_EQ(big.size(), 2u);
    EXPECT_EQ(big[0]->model, "anthropic/one");
    EXPECT_EQ(big[1]->model, "zai/three");
    EXPECT_EQ(big[1], &c.model_list[2]);
    EXPECT_TRUE(c.deployments_for("missing").empty());
    ASSERT_NE(c.fallbacks_for("big"), nullptr);
    EXPECT_EQ(c.fallbacks_for("big")->fallbacks, std::vector<std::string>{"small"});
    ASSERT_NE(c.fallbacks_for("small"), nullptr);
    EXPECT_TRUE(c.fallbacks_for("small")->fallbacks.empty());
    EXPECT_EQ(c.fallbacks_for("missing"), nullptr);
}

}  // namespace
}  // namespace litellm

namespace litellm {
namespace {

TEST(ConfigWarnings, RoutingStrategiesLitellmdLacksAreNamedNotSilentlyIgnored) {
    for (const char* strategy : {"least-busy", "latency-based-routing", "usage-based-routing",
                                 "usage-based-routing-v2", "cost-based-routing"}) {
        ConfigLoadResult result = load_config_text(
            std::string("router_settings:\n  routing_strategy: ") + strategy + "\n", "c.yaml");
        ASSERT_TRUE(result.ok()) << strategy;
        std::size_t about_it = 0;
        for (const Diagnostic& d : result.warnings()) {
            if (d.message.find("routing_strategy") == std::string::npos) continue;
            ++about_it;
            EXPECT_NE(d.message.find("is not implemented in litellmd"), std::string::npos);
            EXPECT_NE(d.message.find("simple-shuffle"), std::string::npos);
        }
        EXPECT_EQ(about_it, 1u) << strategy;
    }
    for (const char* fine : {"simple-shuffle", "round-robin"}) {
        ConfigLoadResult result = load_config_text(
            std::string("router_settings:\n  routing_strategy: ") + fine + "\n", "c.yaml");
        for (const Diagnostic& d : result.warnings())
            EXPECT_EQ(d.message.find("routing_strategy"), std::string::npos) << fine;
    }
}

}  // namespace
}  // namespace litellm
