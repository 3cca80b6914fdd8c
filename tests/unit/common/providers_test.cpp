#include "common/providers.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace litellm {
namespace {

TEST(Providers, TableHasTheKnownPrefixesInOrder) {
    std::vector<std::string> prefixes;
    for (const ProviderInfo& p : all_providers())
        prefixes.emplace_back(p.prefix);
    EXPECT_EQ(
        prefixes,
        (std::vector<std::string>{
            "anthropic",  "openai",      "zai",         "dashscope",    "gemini",      "chatgpt",
            "gemini_cli", "qwen_portal", "groq",        "ollama",       "ollama_chat", "openrouter",
            "deepseek",   "mistral",     "together_ai", "fireworks_ai", "xai",         "cerebras",
            "perplexity", "hosted_vllm", "lm_studio",   "nvidia_nim",   "moonshot",    "azure"}));
    EXPECT_EQ(known_provider_prefixes().substr(0, 42),
              "anthropic, openai, zai, dashscope, gemini,");
}

TEST(Providers, ApiKeyProviders) {
    struct Expected {
        const char* prefix;
        WireFormat format;
        const char* base;
        const char* key_env;
    };
    const Expected expected[] = {
        {"anthropic", WireFormat::kAnthropicMessages, "https://api.anthropic.com",
         "ANTHROPIC_API_KEY"},
        {"openai", WireFormat::kOpenAIChat, "https://api.openai.com/v1", "OPENAI_API_KEY"},
        {"zai", WireFormat::kOpenAIChat, "https://api.z.ai/api/paas/v4", "ZAI_API_KEY"},
        {"dashscope", WireFormat::kOpenAIChat,
         "https://dashscope-intl.aliyuncs.com/compatible-mode/v1", "DASHSCOPE_API_KEY"},
    };
    for (const Expected& e : expected) {
        SCOPED_TRACE(e.prefix);
        const ProviderInfo* p = find_provider(e.prefix);
        ASSERT_NE(p, nullptr);
        EXPECT_EQ(p->prefix, e.prefix);
        EXPECT_EQ(p->format, e.format);
        EXPECT_EQ(p->auth, AuthKind::kApiKey);
        EXPECT_EQ(p->default_api_base, e.base);
        EXPECT_EQ(p->default_key_env, e.key_env);
        EXPECT_TRUE(p->token_file.empty());
        EXPECT_TRUE(p->login_command.empty());
        EXPECT_FALSE(p->display_name.empty());
    }
}

TEST(Providers, OAuthProviders) {
    struct Expected {
        const char* prefix;
        WireFormat format;
        const char* base;
        const char* token_file;
        const char* login;
    };
    const Expected expected[] = {
        {"chatgpt", WireFormat::kOpenAIResponses, "https://chatgpt.com/backend-api/codex",
         "auth.chatgpt.json", "litellmctl auth chatgpt"},
        {"gemini_cli", WireFormat::kGemini, "https://cloudcode-pa.googleapis.com/v1internal",
         "auth.gemini_cli.json", "litellmctl auth gemini"},
        {"qwen_portal", WireFormat::kOpenAIChat, "https://portal.qwen.ai/v1",
         "auth.qwen_portal.json", "litellmctl auth qwen"},
    };
    for (const Expected& e : expected) {
        SCOPED_TRACE(e.prefix);
        const ProviderInfo* p = find_provider(e.prefix);
        ASSERT_NE(p, nullptr);
        EXPECT_EQ(p->format, e.format);
        EXPECT_EQ(p->auth, AuthKind::kOAuth);
        EXPECT_EQ(p->default_api_base, e.base);
        EXPECT_TRUE(p->default_key_env.empty());
        EXPECT_EQ(p->token_file, e.token_file);
        EXPECT_EQ(p->login_command, e.login);
    }
}

TEST(Providers, UnknownPrefixes) {
    EXPECT_EQ(find_provider(""), nullptr);
    EXPECT_EQ(find_provider("vertex"), nullptr);
    EXPECT_EQ(find_provider("Anthropic"), nullptr);   // prefixes are case-sensitive, like LiteLLM
    EXPECT_EQ(find_provider("gemini-cli"), nullptr);  // public names use '-', prefixes '_'
}

TEST(Providers, FindReturnsTheTableEntry) {
    const ProviderInfo* p = find_provider("zai");
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p, &all_providers()[2]);
}

TEST(Providers, WireFormatNames) {
    EXPECT_EQ(wire_format_name(WireFormat::kAnthropicMessages), "anthropic");
    EXPECT_EQ(wire_format_name(WireFormat::kOpenAIChat), "openai-chat");
    EXPECT_EQ(wire_format_name(WireFormat::kOpenAIResponses), "openai-responses");
    EXPECT_EQ(wire_format_name(WireFormat::kGemini), "gemini");
    EXPECT_EQ(canonical_prefix("codex"), "chatgpt");
    EXPECT_EQ(canonical_prefix("gemini-cli"), "gemini_cli");
    EXPECT_EQ(canonical_prefix("qwen-portal"), "qwen_portal");
    EXPECT_EQ(canonical_prefix("openai"), "openai");
}

}  // namespace
}  // namespace litellm
