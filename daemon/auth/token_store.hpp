#pragma once
// The OAuth token store: one credential per OAuth provider, loaded from its token file at start
// and whenever the file changes on disk (inotify on its directory), refreshed ahead of expiry by
// one timer thread, and handed to requests as snapshots.
//
// Concurrency: every field of a credential is guarded by the store's mutex, which is never held
// across I/O. A refresh holds the credential's refresh mutex (single flight: callers that
// arrive meanwhile wait and get its result) and the token file's lock while it re-reads and
// writes the file. The timer thread does the scheduled refreshes; a request refreshes only
// when its token is already expired (the timer could not), or after an upstream 401.

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/oauth.hpp"
#include "common/token_file.hpp"

namespace litellm::auth {

/// Where a credential stands.
enum class CredentialState {
    kMissing,      ///< no token file
    kValid,        ///< an access token that has not expired
    kExpired,      ///< expired, refresh not yet done (transient failures back off)
    kLoginNeeded,  ///< the refresh token was refused: `litellmctl auth <p>` is the way out
    kCorrupt,      ///< the file cannot be parsed; it is left as it is
};

/// "missing", "valid", "expired", "login_needed", "corrupt".
const char* credential_state_name(CredentialState state);

/// What a request authenticates with.
struct TokenSnapshot {
    CredentialState state = CredentialState::kMissing;
    std::string access_token;
    std::string resource_url;
    std::string account_id;
    std::string project_id;
    std::uint64_t generation = 0;  ///< changes with every new token
    std::string reason;            ///< why it is not usable, with the command that fixes it

    bool usable() const { return state == CredentialState::kValid && !access_token.empty(); }
};

/// One credential as `auth.status` shows it (no secrets).
struct CredentialStatus {
    std::string provider;
    std::string login;  ///< "litellmctl auth qwen"
    std::string file;
    CredentialState state = CredentialState::kMissing;
    std::string account;  ///< email or account id
    std::string plan;
    std::optional<std::int64_t> expires_at;
    std::optional<std::int64_t> last_refresh;
    std::optional<std::int64_t> next_refresh_at;
    std::string last_error;
    std::uint64_t refreshes = 0;  ///< refresh exchanges done by this process
    bool used = false;            ///< the config has a deployment on it
};

/// The outcome of an explicit refresh, import or logout.
struct StoreResult {
    bool ok = false;
    bool not_found = false;  ///< no such provider, or nothing to act on
    std::string message;
};

struct TokenStoreOptions {
    std::string home;
    std::int64_t lead_s = 300;          ///< refresh this long before expiry
    std::int64_t max_jitter_s = 30;     ///< up to this much earlier (at most lead/10)
    std::int64_t backoff_min_s = 5;     ///< after a transient failure, doubling ...
    std::int64_t backoff_max_s = 300;   ///< ... up to this
    std::function<std::int64_t()> now;  ///< Unix seconds; injected by tests
    EnvGetter env;                      ///< for token paths and OAuth endpoints
    bool watch_files = true;            ///< inotify; off in unit tests that poll
};

class TokenStore {
  public:
    explicit TokenStore(TokenStoreOptions options);
    ~TokenStore();
    TokenStore(const TokenStore&) = delete;
    TokenStore& operator=(const TokenStore&) = delete;

    /// Loads every token file and starts the timer thread.
    void start();
    /// Stops the timer thread (a refresh in flight finishes first).
    void stop();

    /// Sets what the config says: the providers in use, the proxy rule for OAuth calls, and
    /// re-resolves endpoints and client ids through the environment (called at each load).
    void configure(std::vector<std::string> used_providers,
                   std::function<std::string(const std::string&)> proxy_for);

    /// A token for a request: refreshes first (single flight) only when the current one is
    /// expired or about to be.
    TokenSnapshot token_for_request(std::string_view provider);
    /// The current snapshot, without any refresh.
    TokenSnapshot snapshot(std::string_view provider) const;

    /// After an upstream 401 on a token of `generation`: adopts a newer file (another program
    /// may have rotated it) or refreshes once. Returns the token to retry with, or nullopt.
    /// The upstream refused the account of token `generation` for good (`reason`, shown by
    /// auth.status): the credential is "login needed" until new tokens arrive.
    void refused(std::string_view provider, std::uint64_t generation, const std::string& reason);

    std::optional<TokenSnapshot> after_unauthorized(std::string_view provider,
                                                    std::uint64_t generation);

    /// Refreshes now (auth.refresh). Blocking; single flight with every other refresher.
    StoreResult refresh(std::string_view provider);
    /// Validates and writes `record` as the provider's tokens (auth.import, logins).
    StoreResult import(std::string_view provider, TokenRecord record);
    /// Removes the provider's token file (auth.logout).
    StoreResult logout(std::string_view provider);

    /// Every OAuth provider, in table order.
    std::vector<CredentialStatus> status() const;

    /// Runs `job` on the store's thread (auth.refresh answers from there); false when too
    /// many are queued (kMaxJobs) or the store is stopped.
    bool post(std::function<void()> job);
    static constexpr std::size_t kMaxJobs = 16;

    /// Runs the refreshes that are due (the timer thread's work; tests call it with a fake
    /// clock).
    void run_due_refreshes();

  private:
    struct Credential;
    /// Why a refresh is wanted.
    enum class Want {
        kIfDue,        ///< the timer, or a request holding an expired token
        kAfterReject,  ///< the upstream refused the token of `generation`
        kForce,        ///< auth.refresh
    };

    Credential* find(std::string_view provider) const;
    std::int64_t now() const;
    /// Re-reads c's file when it changed; the caller holds m_mutex.
    void load_locked(Credential& c);
    StoreResult refresh_once(Credential& c, std::uint64_t generation, Want want);
    std::optional<std::int64_t> due_at_locked(const Credential& c) const;
    TokenSnapshot snapshot_locked(const Credential& c) const;
    /// Sets the state and logs a change (the event `logs -f` shows); m_mutex held.
    void set_state_locked(Credential& c, CredentialState state, const std::string& message);
    void run();
    void wake();

    TokenStoreOptions m_options;
    mutable std::mutex m_mutex;  ///< every Credential field but refresh_mutex
    std::vector<std::unique_ptr<Credential>> m_creds;
    std::function<std::string(const std::string&)> m_proxy_for;
    std::thread m_thread;
    std::vector<std::function<void()>> m_jobs;  ///< guarded by m_mutex
    bool m_stop = false;
    int m_inotify = -1;
    int m_wake[2] = {-1, -1};
};

}  // namespace litellm::auth
