// Qwen Portal: Qwen Code's OAuth tier. OpenAI-compatible chat at the host the token names
// (`resource_url`, e.g. portal.qwen.ai -> https://portal.qwen.ai/v1), with the headers Qwen Code
// sends. The token comes from the store (daemon/auth); a missing or dead one is a clear skip.

#include <sys/utsname.h>

#include "common/oauth.hpp"
#include "daemon/auth/token_store.hpp"
#include "daemon/providers/provider.hpp"

namespace litellm::providers {

namespace {

// What Qwen Code calls itself; the portal serves its own client.
std::string qwen_user_agent() {
    static const std::string ua = [] {
        utsname u{};
        std::string os = "linux", arch = "x64";
        if (::uname(&u) == 0) {
            std::string sys = u.sysname, machine = u.machine;
            os = sys == "Darwin" ? "darwin" : "linux";
            arch = machine == "aarch64" || machine == "arm64" ? "arm64" : "x64";
        }
        return "QwenCode/0.0.14 (" + os + "; " + arch + ")";
    }();
    return ua;
}

class QwenPortal final : public Provider {
  public:
    WireFormat format() const override { return WireFormat::kOpenAIChat; }

    std::string missing_credentials(const UpstreamCall& call, const std::string&,
                                    const std::string&) const override {
        if (!call.token) return "the Qwen Portal token store is not running";
        if (!call.token->usable()) return "Qwen Portal: " + call.token->reason;
        return {};
    }

    std::string url(const UpstreamCall& call) const override {
        // api_base (or QWEN_PORTAL_API_BASE, applied at load) wins; else the token's host.
        std::string base = call.base();
        if (!call.custom_base() && call.token) {
            std::string from_token = qwen_base_from_resource_url(call.token->resource_url);
            if (!from_token.empty()) base = from_token;
        }
        return base + "/chat/completions";
    }

    void headers(const UpstreamCall& call, Headers& out) const override {
        if (call.token) out.emplace_back("Authorization", "Bearer " + call.token->access_token);
        out.emplace_back("User-Agent", qwen_user_agent());
        out.emplace_back("X-DashScope-UserAgent", qwen_user_agent());
        out.emplace_back("X-DashScope-CacheControl", "enable");
        out.emplace_back("X-DashScope-AuthType", "qwen-oauth");
    }

    wire::EncodeOptions encode_options(const UpstreamCall&) const override {
        wire::EncodeOptions o;
        o.keep_cache_control = true;  // the portal caches like DashScope
        o.fold_system_messages = true;
        return o;
    }

    wire::Error classify(int status, std::string_view body, const Headers& headers) const override {
        wire::Error e = Provider::classify(status, body, headers);
        if (status == 401 || status == 403) {
            const OAuthSpec* spec = find_oauth_spec("qwen_portal");
            if (spec) e.message += " (if this persists: " + retired_tier_hint(*spec) + ")";
        }
        return e;
    }
};

const QwenPortal kQwenPortal;
const ProviderRegistration kRow("qwen_portal", kQwenPortal);

}  // namespace

}  // namespace litellm::providers
