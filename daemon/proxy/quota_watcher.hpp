#pragma once
// Re-checks a spent plan quota while its deployments cool: every quota_check_interval_s the
// provider's quota source (Codex: GET .../backend-api/wham/usage) is asked, and when it says
// there is room again the account's deployments become half-open (one probe request) instead
// of waiting out a reset time that may be days ahead or already past.
//
// One thread, started with the first quota cooldown; it sleeps on a condition variable and
// does one blocking HTTP request per due account.

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "common/config.hpp"
#include "daemon/config_source.hpp"
#include "daemon/router/cooldown.hpp"

namespace litellm::auth {
class TokenStore;
}

namespace litellm::proxy {

class QuotaWatcher {
  public:
    /// `now` gives Unix seconds (injected by tests).
    QuotaWatcher(router::CooldownTable& cooldowns, auth::TokenStore* tokens,
                 const ConfigSource& configs, std::function<std::int64_t()> now = {});
    ~QuotaWatcher();
    QuotaWatcher(const QuotaWatcher&) = delete;
    QuotaWatcher& operator=(const QuotaWatcher&) = delete;

    /// Remembers how to read `account`'s quota (through deployment `d`), and starts the thread.
    void track(const std::string& account, const Deployment& d);

    /// One pass: reads the quota of every account whose check is due. Returns how many were
    /// read.
    int check_due();

  private:
    struct Target {
        Deployment deployment;
        std::int64_t next_check_at = 0;
    };
    void run();

    router::CooldownTable& m_cooldowns;
    auth::TokenStore* m_tokens;
    const ConfigSource& m_configs;
    std::function<std::int64_t()> m_now;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::map<std::string, Target> m_targets;  ///< by account
    std::thread m_thread;
    bool m_stop = false;
};

}  // namespace litellm::proxy
