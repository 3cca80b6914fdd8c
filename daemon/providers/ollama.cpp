// Ollama, as LiteLLM's ollama/ and ollama_chat/ prefixes name it: litellmd talks to Ollama's
// OpenAI-compatible endpoint ({base}/v1/chat/completions), which serves both the same way.
// LiteLLM's api_base for Ollama is the server's root (http://localhost:11434); /v1 is added
// unless it is already there. Ollama needs no key; one set (OLLAMA_API_KEY, a proxy in front)
// goes as a Bearer token.

#include "daemon/providers/provider.hpp"

namespace litellm::providers {

namespace {

class Ollama final : public Provider {
  public:
    WireFormat format() const override { return WireFormat::kOpenAIChat; }

    std::string missing_credentials(const UpstreamCall&, const std::string&,
                                    const std::string&) const override {
        return {};
    }

    std::string url(const UpstreamCall& call) const override {
        std::string base = call.base();
        bool has_v1 = base.size() >= 3 && base.compare(base.size() - 3, 3, "/v1") == 0;
        return base + (has_v1 ? "" : "/v1") + "/chat/completions";
    }

    void headers(const UpstreamCall& call, Headers& out) const override {
        if (!call.key().empty()) out.emplace_back("Authorization", "Bearer " + call.key());
    }

    wire::EncodeOptions encode_options(const UpstreamCall&) const override {
        wire::EncodeOptions o;
        o.fold_system_messages = true;  // local chat templates take one system message, first
        return o;
    }
};

const Ollama kOllama;
const ProviderRegistration kOllamaRow("ollama", kOllama);
const ProviderRegistration kOllamaChatRow("ollama_chat", kOllama);

}  // namespace

}  // namespace litellm::providers
