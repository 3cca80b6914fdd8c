#pragma once
// Per-deployment cooldowns. A deployment that failed `allowed_fails` times in a row, or was
// rate limited once, is skipped until its cooldown ends. A cooldown always ends by itself:
// exactly when the provider said (Retry-After / reset time, capped), else after cooldown_time.
// A success ends it early; so does `litellmctl cooldowns reset`. Nothing needs a restart.
//
// A quota cooldown (a plan's usage limit) also ends early when the quota source says there is
// room again (reopen): the deployment is then half-open, and exactly one request probes it; its
// success closes the cooldown, its failure cools it again.
//
// The clock is injected so tests can move time by hand.

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace litellm::router {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = std::chrono::duration<double>;

/// Policy knobs from router_settings.
struct CooldownPolicy {
    int allowed_fails = 1;              ///< consecutive failures before a cooldown
    double cooldown_time_s = 60;        ///< cooldown when the upstream gave no hint
    double max_cooldown_time_s = 3600;  ///< cap on upstream hints (a bad hint must not stick)
};

/// One deployment's state, for listing.
struct CooldownEntry {
    std::string key;
    std::string reason;
    double remaining_s = 0;  ///< 0 when not cooling
    int consecutive_failures = 0;
    bool cooling = false;
    bool half_open = false;     ///< reopened early: one probe request may try it
    std::string quota_account;  ///< a quota cooldown: whose quota ("chatgpt:<account>")
    std::string quota_note;     ///< the last reading of that quota, for people
};

/// The latest reading of one account's quota (whether or not anything cools for it).
struct QuotaSeen {
    std::string account;  ///< "chatgpt:<account>"
    std::string reading;  ///< QuotaReading::describe()
    double age_s = 0;     ///< how long ago it was read
    bool room = true;     ///< a request would not be refused for the quota
};

class CooldownTable {
  public:
    /// Readings kept for at most this many accounts (the oldest goes first).
    static constexpr std::size_t kMaxQuotaAccounts = 64;

    explicit CooldownTable(std::function<TimePoint()> now = [] { return Clock::now(); });

    /// True while `key` is cooling down.
    bool cooling(const std::string& key) const;

    /// When `key`'s cooldown ends; nullopt when it is not cooling.
    std::optional<TimePoint> until(const std::string& key) const;

    /// A success: clears failures and ends any cooldown (a successful probe heals).
    void record_success(const std::string& key);

    /// A failure that counts toward `allowed_fails`; cools the deployment when reached.
    /// `retry_after_s` (from the upstream) sets the length when present. Returns true when
    /// the deployment is cooling afterwards.
    bool record_failure(const std::string& key, const std::string& reason,
                        std::optional<double> retry_after_s, const CooldownPolicy& policy);

    /// Cools `key` at once (rate limit / quota): the hint when given, else cooldown_time.
    /// `quota_account` marks a quota cooldown that a later reading may end early.
    void cool_now(const std::string& key, const std::string& reason,
                  std::optional<double> retry_after_s, const CooldownPolicy& policy,
                  const std::string& quota_account = {});

    /// Before an attempt on `key`: false while another request probes a half-open deployment
    /// (skip it then); true otherwise, and the caller is the probe when it was half-open.
    bool claim_attempt(const std::string& key);

    /// The quota of `account` has room again: its cooling deployments become half-open.
    /// Returns how many. `note` describes the reading.
    int reopen_quota(const std::string& account, const std::string& note);

    /// Records the latest reading of `account`'s quota (no room) on its quota cooldowns and
    /// in the account's reading (for listing).
    void note_quota(const std::string& account, const std::string& note);

    /// The latest reading of every account's quota, most recent first.
    std::vector<QuotaSeen> quotas() const;

    /// The keys cooling for a quota, with their account.
    std::vector<std::pair<std::string, std::string>> quota_cooldowns() const;

    /// Ends cooldowns: of `key`, or of every key that starts with `prefix` + '@' (a model
    /// name), or all when both are empty. Returns how many were cooling.
    int reset(const std::string& key_or_model);

    /// Every deployment with a cooldown or failures, soonest-ending first.
    std::vector<CooldownEntry> list() const;

  private:
    struct State {
        int failures = 0;
        std::optional<TimePoint> until;
        std::string reason;
        std::string quota_account;
        std::string quota_note;
        bool half_open = false;
        /// The half-open probe is in flight until then (bounded, so a probe whose client left
        /// without an outcome does not hold the deployment forever).
        std::optional<TimePoint> probing_until;
    };
    void cool_locked(State& s, const std::string& reason, std::optional<double> retry_after_s,
                     const CooldownPolicy& policy);

    struct Reading {
        std::string note;
        TimePoint at;
        bool room = true;
    };
    void remember_locked(const std::string& account, const std::string& note, bool room);

    std::function<TimePoint()> m_now;
    mutable std::mutex m_mutex;
    std::map<std::string, State> m_states;
    std::map<std::string, Reading> m_readings;  ///< by quota account
};

}  // namespace litellm::router
