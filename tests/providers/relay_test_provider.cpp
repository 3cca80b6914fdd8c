// A provider that exists only in the tests, added the way a real one is: this one file and
// its one ProviderRegistration row, linked into a test build of litellmd
// (litellmd_test_provider). It proves the seam: the proxy serves a provider it has never
// heard of, with that provider's own path, auth header and encode options.
//
// "relay_test/<model>": OpenAI chat at {api_base}/relay/v2/generate, the key in
// x-relay-token, thinking signatures of family "relay" accepted.

#include "common/providers.hpp"
#include "daemon/providers/provider.hpp"

namespace litellm::providers {

namespace {

class RelayTest final : public Provider {
  public:
    WireFormat format() const override { return WireFormat::kOpenAIChat; }
    std::string url(const UpstreamCall& call) const override {
        return call.base() + "/relay/v2/generate";
    }
    void headers(const UpstreamCall& call, Headers& out) const override {
        out.emplace_back("x-relay-token", call.key());
    }
    wire::EncodeOptions encode_options(const UpstreamCall&) const override {
        wire::EncodeOptions o;
        o.max_tokens_field = "max_completion_tokens";
        o.fold_system_messages = true;
        return o;
    }
};

const ProviderInfo kInfo{"relay_test",
                         "Relay (test-only provider)",
                         WireFormat::kOpenAIChat,
                         AuthKind::kApiKey,
                         "",
                         "RELAY_TEST_KEY",
                         "",
                         ""};
const RelayTest kRelayTest;
const ProviderRegistration kRow("relay_test", kRelayTest, &kInfo);

}  // namespace

}  // namespace litellm::providers
