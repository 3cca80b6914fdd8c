#include "common/providers.hpp"

namespace litellm {

namespace {

std::vector<ProviderInfo>& provider_table() {
    // Order matters only for display (`status`, error messages): API-key providers first, then
    // the OAuth ones in the order the original README lists its logins.
    static std::vector<ProviderInfo> providers = {
        {"anthropic", "Anthropic", WireFormat::kAnthropicMessages, AuthKind::kApiKey,
         "https://api.anthropic.com", "ANTHROPIC_API_KEY", "", ""},
        {"openai", "OpenAI", WireFormat::kOpenAIChat, AuthKind::kApiKey,
         "https://api.openai.com/v1", "OPENAI_API_KEY", "", ""},
        {"zai", "Z.AI (OpenAI-compatible)", WireFormat::kOpenAIChat, AuthKind::kApiKey,
         "https://api.z.ai/api/paas/v4", "ZAI_API_KEY", "", ""},
        {"dashscope", "Alibaba DashScope (OpenAI-compatible)", WireFormat::kOpenAIChat,
         AuthKind::kApiKey, "https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
         "DASHSCOPE_API_KEY", "", ""},
        {"chatgpt", "ChatGPT / Codex (OAuth)", WireFormat::kOpenAIResponses, AuthKind::kOAuth,
         "https://chatgpt.com/backend-api/codex", "", "auth.chatgpt.json",
         "litellmctl auth chatgpt"},
        {"gemini_cli", "Gemini CLI (Google OAuth)", WireFormat::kGeminiCodeAssist, AuthKind::kOAuth,
         "https://cloudcode-pa.googleapis.com", "", "auth.gemini_cli.json",
         "litellmctl auth gemini"},
        {"qwen_portal", "Qwen Portal (Qwen OAuth)", WireFormat::kOpenAIChat, AuthKind::kOAuth,
         "https://portal.qwen.ai/v1", "", "auth.qwen_portal.json", "litellmctl auth qwen"},
    };
    return providers;
}

}  // namespace

const std::vector<ProviderInfo>& all_providers() {
    return provider_table();
}

bool add_provider_info(const ProviderInfo& info) {
    if (find_provider(info.prefix)) return false;
    provider_table().push_back(info);
    return true;
}

const ProviderInfo* find_provider(std::string_view prefix) {
    for (const ProviderInfo& provider : all_providers()) {
        if (provider.prefix == prefix) return &provider;
    }
    return nullptr;
}

std::string known_provider_prefixes() {
    std::string out;
    for (const ProviderInfo& provider : all_providers()) {
        if (!out.empty()) out += ", ";
        out += provider.prefix;
    }
    return out;
}

std::string_view wire_format_name(WireFormat format) {
    switch (format) {
        case WireFormat::kAnthropicMessages:
            return "anthropic";
        case WireFormat::kOpenAIChat:
            return "openai-chat";
        case WireFormat::kOpenAIResponses:
            return "openai-responses";
        case WireFormat::kGeminiCodeAssist:
            return "gemini-code-assist";
    }
    return "unknown";
}

}  // namespace litellm
