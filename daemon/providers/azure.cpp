// Azure OpenAI, as LiteLLM's azure/<deployment> names it: POST
// {api_base}/openai/deployments/<deployment>/chat/completions?api-version=<v> with the key in
// an `api-key` header. An api_base that already names the deployment path is used as it is.
// api_version comes from litellm_params.api_version, else AZURE_API_VERSION at load, else a
// pinned GA version (LiteLLM's own default moves between its releases).

#include "daemon/providers/provider.hpp"

namespace litellm::providers {

namespace {

constexpr std::string_view kDefaultApiVersion = "2024-10-21";

class Azure final : public Provider {
  public:
    WireFormat format() const override { return WireFormat::kOpenAIChat; }

    std::string url(const UpstreamCall& call) const override {
        std::string base = call.base();
        std::string version = string_param(call.deployment, "api_version");
        if (version.empty()) version = std::string(kDefaultApiVersion);
        std::string path = base.find("/openai/deployments") != std::string::npos
                               ? base
                               : base + "/openai/deployments/" + call.deployment.upstream_model;
        return path + "/chat/completions?api-version=" + version;
    }

    void headers(const UpstreamCall& call, Headers& out) const override {
        if (!call.key().empty()) out.emplace_back("api-key", call.key());
    }

    wire::EncodeOptions encode_options(const UpstreamCall&) const override {
        wire::EncodeOptions o;
        o.send_reasoning_effort = true;  // OpenAI's models behind Azure's endpoint
        return o;
    }
};

const Azure kAzure;
const ProviderRegistration kAzureRow("azure", kAzure);

}  // namespace

}  // namespace litellm::providers
