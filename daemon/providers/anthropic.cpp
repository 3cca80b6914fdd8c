// Anthropic and Anthropic-compatible hosts (Z.AI's and DashScope's /anthropic endpoints):
// POST {base}/v1/messages with x-api-key and anthropic-version.

#include <algorithm>
#include <cctype>

#include "common/provider_status.hpp"
#include "daemon/http/message.hpp"
#include "daemon/providers/provider.hpp"

namespace litellm::providers {

namespace {

class Anthropic final : public Provider {
  public:
    WireFormat format() const override { return WireFormat::kAnthropicMessages; }

    std::string_view signature_family() const override { return "anthropic"; }

    bool accepts_signature(std::string_view family) const override { return family == "anthropic"; }

    std::string url(const UpstreamCall& call) const override {
        std::string url = call.base() + "/v1/messages";
        if (call.passthrough && call.client.has_param("beta")) {
            // Anthropic's only value is "true"; anything outside a plain word is not forwarded
            // (it would be pasted into the upstream request line).
            std::string beta = call.client.get_param_value("beta");
            bool plain = !beta.empty() && beta.size() <= 64 &&
                         std::all_of(beta.begin(), beta.end(), [](unsigned char c) {
                             return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == ',';
                         });
            if (plain) url += "?beta=" + beta;
        }
        return url;
    }

    std::string count_tokens_url(const UpstreamCall& call) const override {
        return call.base() + "/v1/messages/count_tokens";
    }

    wire::EncodeOptions encode_options(const UpstreamCall& call) const override {
        wire::EncodeOptions o;
        // Anthropic's own API has output_config.format; compatible hosts are not known to.
        o.native_structured_output = url_host(call.base()) == "api.anthropic.com";
        return o;
    }

    void headers(const UpstreamCall& call, Headers& out) const override {
        out.emplace_back("x-api-key", call.key());
        // Anthropic-compatible hosts (Z.AI, DashScope) document Bearer auth.
        if (url_host(call.base()) != "api.anthropic.com") {
            out.emplace_back("Authorization", "Bearer " + call.key());
        }
        std::string version = call.client_format == WireFormat::kAnthropicMessages
                                  ? call.client.get_header_value("anthropic-version")
                                  : std::string();
        out.emplace_back("anthropic-version", version.empty() ? "2023-06-01" : version);
        // Betas travel with the body fields they enable, so only a body that went through
        // untouched keeps them.
        if (call.passthrough && call.client.has_header("anthropic-beta")) {
            out.emplace_back("anthropic-beta", call.client.get_header_value("anthropic-beta"));
        }
    }
};

const Anthropic kAnthropic;
const ProviderRegistration kRow("anthropic", kAnthropic);

}  // namespace

}  // namespace litellm::providers
