#pragma once
// The outbound seam: everything one upstream family does differently (URL, headers, auth,
// encode options, which thinking signatures it takes, how its errors read) lives behind
// `Provider`, in the family's own file. The proxy asks; it never sniffs hosts or prefixes.
//
// A provider joins the daemon with one row: `ProviderRegistration` in its own file, linked
// into the binary (see daemon/providers/registry.cpp for the lookup).

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/config.hpp"
#include "common/providers.hpp"
#include "daemon/wire/codec.hpp"

namespace litellm::http {
struct Request;
}

namespace litellm::auth {
struct TokenSnapshot;
}

namespace litellm::providers {

using Headers = std::vector<std::pair<std::string, std::string>>;

/// One attempt on one deployment, as a provider sees it.
struct UpstreamCall {
    const Deployment& deployment;
    const ProviderInfo& info;     ///< the static facts of the deployment's prefix
    const http::Request& client;  ///< the client's request (headers, query)
    WireFormat client_format;     ///< the API the client speaks
    bool passthrough = false;     ///< the client's bytes go upstream (same format)
    bool stream = false;
    /// OAuth providers: the store's token for this attempt (nullptr for API-key providers).
    const auth::TokenSnapshot* token = nullptr;

    /// api_base, or the provider's default, without a trailing slash.
    std::string base() const;
    /// True when the deployment sets its own api_base.
    bool custom_base() const { return !deployment.api_base.empty(); }
    /// The key resolved at config load (never read from the environment here).
    const std::string& key() const { return deployment.api_key.value; }
};

/// A string litellm_params entry of `d` (kept as JSON text in extra_params), decoded; empty
/// when absent or not a string.
std::string string_param(const Deployment& d, std::string_view name);

/// A reading of a plan's usage quota (Codex's x-codex-* headers, its usage endpoint).
struct QuotaReading {
    double primary_used_percent = -1;   ///< -1 = not reported
    std::int64_t primary_reset_at = 0;  ///< Unix seconds, 0 = unknown
    double secondary_used_percent = -1;
    std::int64_t secondary_reset_at = 0;
    bool limit_reached = false;  ///< the source says so outright
    std::string source;          ///< "headers", "usage endpoint"

    /// True when a request would not be refused for the quota.
    bool has_room() const {
        return !limit_reached && primary_used_percent < 100 && secondary_used_percent < 100;
    }
    /// "primary 42% (resets 2026-12-01T20:00:00Z), weekly 10% [usage endpoint]".
    std::string describe() const;
};

/// A request that reads a quota now.
struct QuotaCheck {
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
};

class Provider {
  public:
    virtual ~Provider() = default;

    /// The wire format this provider's upstream speaks.
    virtual WireFormat format() const = 0;
    /// The family whose thinking signatures this upstream mints ("anthropic"); empty when
    /// it mints none.
    virtual std::string_view signature_family() const { return {}; }
    /// True when thinking blocks whose signature `family` minted may be sent to it.
    virtual bool accepts_signature(std::string_view family) const { return false; }
    /// Empty when `call` can go out; else a client-facing reason (a missing key, naming
    /// where to put it).
    virtual std::string missing_credentials(const UpstreamCall& call,
                                            const std::string& config_path,
                                            const std::string& dotenv_path) const;
    /// The absolute URL of the chat endpoint.
    virtual std::string url(const UpstreamCall& call) const = 0;
    /// The count-tokens URL, or empty when the upstream cannot count.
    virtual std::string count_tokens_url(const UpstreamCall& call) const { return {}; }
    /// Appends auth and protocol headers (not Accept, not the deployment's extra_headers).
    virtual void headers(const UpstreamCall& call, Headers& out) const = 0;
    /// How a canonical request is encoded for this upstream (model and stream set by the
    /// caller).
    virtual wire::EncodeOptions encode_options(const UpstreamCall& call) const { return {}; }
    /// True when the upstream answers only as a stream (Codex): a whole answer for the
    /// client is gathered from the stream's events.
    virtual bool always_streams() const { return false; }
    /// True when a client of this upstream's own format may have its bytes sent on with only
    /// the model and auth changed (and wrap's edits); `stream` is the client's flag. An
    /// upstream that only streams takes them only from a streaming client.
    virtual bool takes_client_bytes(std::string_view body, bool stream) const {
        return !always_streams() || stream;
    }
    /// The request body as the upstream takes it (an envelope, as Code Assist wants; a
    /// passthrough body fitted to the upstream's rules).
    virtual std::string wrap(std::string body, const UpstreamCall& call) const { return body; }
    /// A whole answer's body as the format's codec reads it (Code Assist's `{response: ...}`
    /// envelope taken off); the body itself unless the provider wraps its answers.
    virtual std::string_view unwrap(std::string_view body) const { return body; }
    /// The decoder for this upstream's streams: the format's own, unless the provider
    /// unwraps an envelope around each event.
    virtual std::unique_ptr<wire::StreamDecoder> stream_decoder(const wire::Codec& codec) const {
        return codec.stream_decoder();
    }
    /// Whose quota a deployment draws on ("chatgpt:<account>"), or empty when the provider
    /// reports none. Deployments of one account share it.
    virtual std::string quota_account(const UpstreamCall& call) const { return {}; }
    /// The quota reading in an upstream answer's headers (any status), if it carries one.
    virtual std::optional<QuotaReading> quota_from_headers(const Headers& headers) const {
        return std::nullopt;
    }
    /// The reading in an in-stream quota report (StreamDecoder::take_quota_report).
    virtual std::optional<QuotaReading> quota_from_stream(std::string_view report) const {
        return std::nullopt;
    }
    /// The request that reads the quota now (while a deployment cools for it), if any.
    virtual std::optional<QuotaCheck> quota_check(const UpstreamCall& call) const {
        return std::nullopt;
    }
    /// The reading in the answer to quota_check.
    virtual std::optional<QuotaReading> parse_quota(std::string_view body) const {
        return std::nullopt;
    }
    /// An upstream failure in canonical form, with the retry hint it carries.
    virtual wire::Error classify(int status, std::string_view body, const Headers& headers) const;
};

/// A retry delay an error body states in words or fields ("Please try again in 20s",
/// "try again in 350ms", "retry after 30 seconds", "retry_after": 12, "resets_in_seconds": 9),
/// in seconds; nullopt when it states none.
std::optional<double> retry_hint_in_body(std::string_view body);

/// Registers `impl` for `prefix` (static initialisation of the provider's file). `info` adds
/// the prefix to the provider table when the built-in table lacks it.
class ProviderRegistration {
  public:
    ProviderRegistration(std::string_view prefix, const Provider& impl,
                         const ProviderInfo* info = nullptr);
};

/// The provider registered for `prefix`, or nullptr (unknown, or not reachable by this
/// daemon yet).
const Provider* find(std::string_view prefix);

/// Prefixes with a registered provider, in registration order.
std::vector<std::string_view> registered_prefixes();

}  // namespace litellm::providers
