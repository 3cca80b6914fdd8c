// A second provider only the tests have, for the two provider traits the OAuth upstreams bring:
// it answers only as a stream (as ChatGPT Codex does) and takes its body in an envelope (as
// Code Assist does). One file, one registration row, like every provider.
//
// "envelope_test/<model>": OpenAI chat at {api_base}/v1/stream-only, the body wrapped as
// {"request": <body>}, always streamed.

#include "common/providers.hpp"
#include "daemon/providers/provider.hpp"

namespace litellm::providers {

namespace {

class EnvelopeTest final : public Provider {
  public:
    WireFormat format() const override { return WireFormat::kOpenAIChat; }
    bool always_streams() const override { return true; }
    std::string url(const UpstreamCall& call) const override {
        return call.base() + "/v1/stream-only";
    }
    void headers(const UpstreamCall& call, Headers& out) const override {
        out.emplace_back("Authorization", "Bearer " + call.key());
    }
    std::string wrap(std::string body, const UpstreamCall&) const override {
        return "{\"request\":" + body + "}";
    }
};

const ProviderInfo kInfo{"envelope_test",
                         "Envelope (test-only provider)",
                         WireFormat::kOpenAIChat,
                         AuthKind::kApiKey,
                         "",
                         "ENVELOPE_TEST_KEY",
                         "",
                         ""};
const EnvelopeTest kEnvelopeTest;
const ProviderRegistration kRow("envelope_test", kEnvelopeTest, &kInfo);

}  // namespace

}  // namespace litellm::providers
