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
        {"gemini", "Google Gemini API", WireFormat::kGemini, AuthKind::kApiKey,
         "https://generativelanguage.googleapis.com/v1beta", "GEMINI_API_KEY", "", "",
         "GEMINI_API_BASE"},
        {"chatgpt", "ChatGPT / Codex (OAuth)", WireFormat::kOpenAIResponses, AuthKind::kOAuth,
         "https://chatgpt.com/backend-api/codex", "", "auth.chatgpt.json",
         "litellmctl auth chatgpt"},
        {"gemini_cli", "Gemini CLI (Google OAuth)", WireFormat::kGemini, AuthKind::kOAuth,
         "https://cloudcode-pa.googleapis.com/v1internal", "", "auth.gemini_cli.json",
         "litellmctl auth gemini"},
        {"qwen_portal", "Qwen Portal (Qwen OAuth)", WireFormat::kOpenAIChat, AuthKind::kOAuth,
         "https://portal.qwen.ai/v1", "", "auth.qwen_portal.json", "litellmctl auth qwen",
         "QWEN_PORTAL_API_BASE"},
        // LiteLLM's prefixes for OpenAI-compatible chat servers, with LiteLLM's default bases
        // and key variables (checked against LiteLLM's sources; see docs/CONFIG.md).
        {"groq", "Groq", WireFormat::kOpenAIChat, AuthKind::kApiKey,
         "https://api.groq.com/openai/v1", "GROQ_API_KEY", "", "", "GROQ_API_BASE"},
        {"ollama", "Ollama (its OpenAI-compatible /v1)", WireFormat::kOpenAIChat, AuthKind::kApiKey,
         "http://localhost:11434", "OLLAMA_API_KEY", "", "", "OLLAMA_API_BASE"},
        {"ollama_chat", "Ollama (its OpenAI-compatible /v1)", WireFormat::kOpenAIChat,
         AuthKind::kApiKey, "http://localhost:11434", "OLLAMA_API_KEY", "", "", "OLLAMA_API_BASE"},
        {"openrouter", "OpenRouter", WireFormat::kOpenAIChat, AuthKind::kApiKey,
         "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY", "", "", "OPENROUTER_API_BASE"},
        {"deepseek", "DeepSeek", WireFormat::kOpenAIChat, AuthKind::kApiKey,
         "https://api.deepseek.com/beta", "DEEPSEEK_API_KEY", "", "", "DEEPSEEK_API_BASE"},
        {"mistral", "Mistral", WireFormat::kOpenAIChat, AuthKind::kApiKey,
         "https://api.mistral.ai/v1", "MISTRAL_API_KEY", "", "", "MISTRAL_API_BASE"},
        {"together_ai", "Together AI", WireFormat::kOpenAIChat, AuthKind::kApiKey,
         "https://api.together.xyz/v1", "TOGETHER_API_KEY", "", "", "TOGETHER_AI_API_BASE"},
        {"fireworks_ai", "Fireworks AI", WireFormat::kOpenAIChat, AuthKind::kApiKey,
         "https://api.fireworks.ai/inference/v1", "FIREWORKS_API_KEY", "", "",
         "FIREWORKS_API_BASE"},
        {"xai", "xAI", WireFormat::kOpenAIChat, AuthKind::kApiKey, "https://api.x.ai/v1",
         "XAI_API_KEY", "", "", "XAI_API_BASE"},
        {"cerebras", "Cerebras", WireFormat::kOpenAIChat, AuthKind::kApiKey,
         "https://api.cerebras.ai/v1", "CEREBRAS_API_KEY", "", "", "CEREBRAS_API_BASE"},
        {"perplexity", "Perplexity", WireFormat::kOpenAIChat, AuthKind::kApiKey,
         "https://api.perplexity.ai", "PERPLEXITYAI_API_KEY", "", "", "PERPLEXITY_API_BASE"},
        {"hosted_vllm", "vLLM (self-hosted)", WireFormat::kOpenAIChat, AuthKind::kApiKey, "",
         "HOSTED_VLLM_API_KEY", "", "", "HOSTED_VLLM_API_BASE"},
        {"lm_studio", "LM Studio", WireFormat::kOpenAIChat, AuthKind::kApiKey, "",
         "LM_STUDIO_API_KEY", "", "", "LM_STUDIO_API_BASE"},
        {"nvidia_nim", "NVIDIA NIM", WireFormat::kOpenAIChat, AuthKind::kApiKey,
         "https://integrate.api.nvidia.com/v1", "NVIDIA_NIM_API_KEY", "", "",
         "NVIDIA_NIM_API_BASE"},
        {"moonshot", "Moonshot AI", WireFormat::kOpenAIChat, AuthKind::kApiKey,
         "https://api.moonshot.ai/v1", "MOONSHOT_API_KEY", "", "", "MOONSHOT_API_BASE"},
        {"azure", "Azure OpenAI", WireFormat::kOpenAIChat, AuthKind::kApiKey, "", "AZURE_API_KEY",
         "", "", "AZURE_API_BASE"},
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

std::string_view canonical_prefix(std::string_view prefix) {
    if (prefix == "codex") return "chatgpt";
    if (prefix == "gemini-cli") return "gemini_cli";
    if (prefix == "qwen-portal") return "qwen_portal";
    return prefix;
}

std::string_view wire_format_name(WireFormat format) {
    switch (format) {
        case WireFormat::kAnthropicMessages:
            return "anthropic";
        case WireFormat::kOpenAIChat:
            return "openai-chat";
        case WireFormat::kOpenAIResponses:
            return "openai-responses";
        case WireFormat::kGemini:
            return "gemini";
    }
    return "unknown";
}

}  // namespace litellm
