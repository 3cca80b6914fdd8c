// The OpenAI-compatible chat family: OpenAI itself, Z.AI and DashScope's compatible modes, and
// any OpenAI-speaking server behind an api_base (vLLM, llama.cpp, company gateways):
// POST {base}/chat/completions with a Bearer key.

#include "daemon/http/message.hpp"
#include "daemon/providers/provider.hpp"

namespace litellm::providers {

namespace {

class OpenAICompat final : public Provider {
  public:
    WireFormat format() const override { return WireFormat::kOpenAIChat; }

    std::string missing_credentials(const UpstreamCall& call, const std::string& config_path,
                                    const std::string& dotenv_path) const override {
        // A self-hosted server behind its own api_base often needs no key at all.
        if (call.custom_base()) return {};
        return Provider::missing_credentials(call, config_path, dotenv_path);
    }

    std::string url(const UpstreamCall& call) const override {
        return call.base() + "/chat/completions";
    }

    void headers(const UpstreamCall& call, Headers& out) const override {
        if (!call.key().empty()) out.emplace_back("Authorization", "Bearer " + call.key());
        // LiteLLM's litellm_params.organization: OpenAI's header, never a body field.
        if (auto org = string_param(call.deployment, "organization"); !org.empty()) {
            out.emplace_back("OpenAI-Organization", org);
        }
    }

    wire::EncodeOptions encode_options(const UpstreamCall& call) const override {
        wire::EncodeOptions o;
        // DashScope's compatible mode caches on cache_control in text parts (also when
        // reached as openai/ with a DashScope api_base, as LiteLLM users configure it).
        o.keep_cache_control = call.deployment.provider == "dashscope" ||
                               call.base().find("dashscope") != std::string::npos;
        // Real OpenAI takes reasoning_effort, and its reasoning models refuse max_tokens.
        bool real_openai = call.deployment.provider == "openai" && !call.custom_base();
        o.send_reasoning_effort = real_openai;
        if (real_openai) o.max_tokens_field = "max_completion_tokens";
        // Strict chat templates (Qwen on vLLM or llama.cpp, GLM) refuse a system message
        // after the first; OpenAI takes them in place.
        o.fold_system_messages = !real_openai;
        return o;
    }
};

const OpenAICompat kOpenAICompat;
const ProviderRegistration kOpenAI("openai", kOpenAICompat);
const ProviderRegistration kZai("zai", kOpenAICompat);
const ProviderRegistration kDashScope("dashscope", kOpenAICompat);
// LiteLLM's prefixes for OpenAI-compatible services: the same client, their own default base
// and key variable (common/providers.cpp).
const ProviderRegistration kGroq("groq", kOpenAICompat);
const ProviderRegistration kOpenRouter("openrouter", kOpenAICompat);
const ProviderRegistration kDeepSeek("deepseek", kOpenAICompat);
const ProviderRegistration kMistral("mistral", kOpenAICompat);
const ProviderRegistration kTogether("together_ai", kOpenAICompat);
const ProviderRegistration kFireworks("fireworks_ai", kOpenAICompat);
const ProviderRegistration kXai("xai", kOpenAICompat);
const ProviderRegistration kCerebras("cerebras", kOpenAICompat);
const ProviderRegistration kPerplexity("perplexity", kOpenAICompat);
const ProviderRegistration kVllm("hosted_vllm", kOpenAICompat);
const ProviderRegistration kLmStudio("lm_studio", kOpenAICompat);
const ProviderRegistration kNvidia("nvidia_nim", kOpenAICompat);
const ProviderRegistration kMoonshot("moonshot", kOpenAICompat);

}  // namespace

}  // namespace litellm::providers
