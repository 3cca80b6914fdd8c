#pragma once
// The upstream providers litellmd knows, keyed by the prefix of `litellm_params.model`
// ("anthropic/claude-...", "openai/gpt-...", ...). One table so the config loader, `status`,
// `doctor` and the proxy agree on defaults, credentials and how to fix a missing one.

#include <string>
#include <string_view>
#include <vector>

namespace litellm {

/// Wire format spoken by an upstream.
enum class WireFormat {
    kAnthropicMessages,  ///< POST {base}/v1/messages
    kOpenAIChat,         ///< POST {base}/chat/completions
    kOpenAIResponses,    ///< POST {base}/responses (ChatGPT Codex backend)
    kGemini,  ///< POST {base}/models/{model}:generateContent (Code Assist: in an envelope)
};

/// How an upstream authenticates us.
enum class AuthKind {
    kApiKey,  ///< a key from the config / environment
    kOAuth,   ///< a token file in $LITELLM_HOME written by `litellmctl auth <login>`
};

/// Static facts about one provider prefix.
struct ProviderInfo {
    std::string_view prefix;        ///< "anthropic", "openai", "zai", ...
    std::string_view display_name;  ///< "Anthropic", "Z.AI (OpenAI-compatible)", ...
    WireFormat format;
    AuthKind auth;
    std::string_view default_api_base;  ///< empty when api_base is required
    std::string_view default_key_env;   ///< env var used when api_key is not set, or empty
    std::string_view token_file;        ///< OAuth token file name in $LITELLM_HOME, or empty
    std::string_view login_command;     ///< e.g. "litellmctl auth chatgpt", or empty
    /// env var naming the api_base when the config does not (LiteLLM's GROQ_API_BASE, ...)
    std::string_view base_env = {};
};

/// All known providers, in a stable order: the built-in ones, then any added by
/// add_provider_info.
const std::vector<ProviderInfo>& all_providers();

/// Adds a provider prefix the built-in table lacks (a provider linked into one binary only,
/// such as the tests' own). Static initialisation only: the table is read without a lock.
/// Returns false when the prefix is taken.
bool add_provider_info(const ProviderInfo& info);

/// The provider for a `litellm_params.model` prefix, or nullptr when unknown.
const ProviderInfo* find_provider(std::string_view prefix);

/// Comma-separated list of known prefixes, for error messages.
std::string known_provider_prefixes();

/// The prefix a config alias stands for ("codex" -> "chatgpt", "gemini-cli" -> "gemini_cli",
/// "qwen-portal" -> "qwen_portal"); any other prefix as it is.
std::string_view canonical_prefix(std::string_view prefix);

/// Short name of a wire format ("anthropic", "openai-chat", ...).
std::string_view wire_format_name(WireFormat format);

}  // namespace litellm
