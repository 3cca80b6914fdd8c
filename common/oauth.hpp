#pragma once
// The OAuth side of the three subscription providers, shared by litellmd (refresh timers) and
// litellmctl (logins, and refreshes while no daemon runs): one table of endpoints and client
// ids, each endpoint overridable by an environment variable (also read from .env), PKCE, the
// device-code flow and the refresh exchange with its error classification.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/token_file.hpp"

namespace litellm {

/// How a provider's token endpoint wants a refresh.
enum class RefreshEncoding { kForm, kJson };

/// One overridable OAuth endpoint.
struct OAuthEndpoint {
    std::string_view purpose;      ///< "device code", "token", "authorize", "userinfo"
    std::string_view env;          ///< e.g. QWEN_PORTAL_OAUTH_TOKEN_URL
    std::string_view default_url;  ///< empty when the provider has no such endpoint
};

/// The static OAuth facts of one provider.
struct OAuthSpec {
    std::string_view provider = {};  ///< provider prefix: "qwen_portal", "chatgpt", "gemini_cli"
    std::string_view login = {};     ///< the `litellmctl auth` word: "qwen", "chatgpt", "gemini"
    std::string_view client_id = {};
    std::string_view client_id_env = {};      ///< variable that overrides the client id, or empty
    std::string_view client_secret_env = {};  ///< variable holding the client secret, or empty
    std::string_view scope = {};
    RefreshEncoding refresh_encoding = {};
    std::string_view user_agent = {};
    OAuthEndpoint device_code = {};
    OAuthEndpoint token = {};
    OAuthEndpoint authorize = {};
    OAuthEndpoint userinfo = {};
    /// The provider's own API a login sets up with (Gemini: Code Assist's project discovery).
    OAuthEndpoint api = {};
    /// The loopback redirect of a browser login: fixed port, documented fallback, path.
    int callback_port = 0;
    int callback_fallback_port = 0;
    std::string_view callback_path = {};
    /// Refresh also when the last refresh is older than this (0 = only by expiry); Codex
    /// refresh tokens age out unless used.
    std::int64_t max_refresh_age_s = 0;
};

/// Every OAuth provider, in a stable order.
const std::vector<OAuthSpec>& oauth_specs();
/// The spec for a provider prefix, a login word ("qwen") or an alias ("qwen-portal"), or
/// nullptr.
const OAuthSpec* find_oauth_spec(std::string_view name);

/// Reads a variable: std::getenv in the binaries, a map in tests.
using EnvGetter = std::function<const char*(const char*)>;

/// An endpoint's URL: its variable when set, else the default.
std::string endpoint_url(const OAuthEndpoint& endpoint, const EnvGetter& env);

/// The endpoints, client id and secret of one provider, resolved once (at start, at reload).
struct OAuthClient {
    const OAuthSpec* spec = nullptr;
    std::string client_id;
    std::string client_secret;
    std::string device_code_url;
    std::string token_url;
    std::string authorize_url;
    /// The proxy for a URL (the config's HTTPS_PROXY / NO_PROXY rules), "" = direct.
    std::function<std::string(const std::string&)> proxy_for;
    double timeout_s = 30;
};

/// Resolves `spec` through `env`.
OAuthClient make_oauth_client(const OAuthSpec& spec, const EnvGetter& env);

/// `n` random bytes as unpadded base64url (OpenSSL's RAND_bytes).
std::string random_urlsafe(std::size_t n);

/// A PKCE pair: a 43-character verifier and its S256 challenge.
struct Pkce {
    std::string verifier;
    std::string challenge;
};
Pkce make_pkce();
/// The S256 challenge of `verifier`.
std::string pkce_challenge(const std::string& verifier);

/// How a refresh ended.
enum class RefreshStatus {
    kOk,
    kPermanent,  ///< the refresh token is dead: a new login is needed
    kTransient,  ///< try again later (network, 5xx, 429)
};

/// The result of one refresh exchange.
struct RefreshOutcome {
    RefreshStatus status = RefreshStatus::kTransient;
    TokenRecord record;   ///< the new record (old fields kept) when kOk
    std::string message;  ///< why not, for status and logs (no secrets)
    int http_status = 0;
};

/// Exchanges `current.refresh_token` for new tokens; `now_s` stamps expires_at/last_refresh.
/// Tokens imported from an official CLI (imported_from) whose refresh is refused for good are
/// first looked for in that file: the CLI may have rotated the shared refresh token.
RefreshOutcome refresh_tokens(const OAuthClient& client, const TokenRecord& current,
                              std::int64_t now_s);

/// Classifies a token endpoint's refusal: OAuth `invalid_grant`, the Codex
/// `refresh_token_expired|reused|invalidated` codes and any 400/401 are permanent; 429, 5xx and
/// transport failures are transient.
RefreshStatus classify_refresh_failure(int http_status, std::string_view body);

/// A device authorization in progress.
struct DeviceCode {
    std::string device_code;
    std::string user_code;
    std::string verification_uri;
    std::string verification_uri_complete;
    std::int64_t expires_in_s = 600;
    double interval_s = 2;
    Pkce pkce;
};

/// Starting a device flow: the code, or why not (`refused` when the server said no).
struct DeviceStart {
    bool ok = false;
    bool refused = false;
    DeviceCode code;
    std::string error;
};
DeviceStart start_device_flow(const OAuthClient& client);

/// One poll of the token endpoint.
struct DevicePoll {
    enum class State { kPending, kSlowDown, kDone, kFailed } state = State::kFailed;
    TokenRecord record;  ///< when kDone
    std::string error;   ///< when kFailed
};
DevicePoll poll_device_token(const OAuthClient& client, const DeviceCode& code, std::int64_t now_s);

/// The claims (payload) of a JWT, decoded without verifying it (the token endpoint's answer is
/// trusted as far as TLS goes); nullopt when `jwt` is not three base64url segments of JSON.
std::optional<std::string> jwt_claims_json(std::string_view jwt);

/// Fills what a ChatGPT token pair says about itself: expires_at from the access token's `exp`,
/// account_id, plan and email from the id token (`https://api.openai.com/auth` claims).
void fill_chatgpt_claims(TokenRecord& record);

/// The authorization-code grant: the browser's `code` for tokens (ChatGPT, Gemini).
struct CodeExchange {
    bool ok = false;
    TokenRecord record;
    std::string error;
};
CodeExchange exchange_code(const OAuthClient& client, const std::string& code,
                           const std::string& verifier, const std::string& redirect_uri,
                           std::int64_t now_s);

/// The authorize URL of an authorization-code login with PKCE, parameters in the order the
/// provider's own CLI sends them.
std::string authorize_url(const OAuthClient& client, const std::string& redirect_uri,
                          const Pkce& pkce, const std::string& state);

/// The OpenAI-compatible base URL a Qwen token's resource_url names ("portal.qwen.ai" ->
/// "https://portal.qwen.ai/v1"), or "" when it names none.
std::string qwen_base_from_resource_url(std::string_view resource_url);

/// The message for a provider that refuses logins and tokens of a retired free tier.
std::string retired_tier_hint(const OAuthSpec& spec);

}  // namespace litellm
