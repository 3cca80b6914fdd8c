#pragma once
// Per-deployment request and token counts for LiteLLM's `rpm` / `tpm` limits, in minute
// windows as LiteLLM counts them: a deployment that used its limit this minute is skipped like
// a cooling one until the next minute starts. In process only (one daemon owns its limits).
//
// The clock is injected so tests can move time by hand.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace litellm::router {

/// A deployment's limits (litellm_params.rpm / tpm); unset means none.
struct UsageLimits {
    std::optional<std::int64_t> rpm;
    std::optional<std::int64_t> tpm;
};

class UsageTable {
  public:
    using Now = std::function<std::chrono::system_clock::time_point()>;
    explicit UsageTable(Now now = [] { return std::chrono::system_clock::now(); });

    /// True when `key` used up a limit of `limits` in the current minute.
    bool at_limit(const std::string& key, const UsageLimits& limits) const;
    /// Counts one request sent to `key` now.
    void record_request(const std::string& key);
    /// Counts `tokens` (input + output) answered by `key` now.
    void record_tokens(const std::string& key, std::int64_t tokens);
    /// Seconds until the current minute ends (when a limit frees up again).
    double seconds_to_next_window() const;

  private:
    struct Window {
        std::int64_t minute = -1;
        std::int64_t requests = 0;
        std::int64_t tokens = 0;
    };
    std::int64_t minute_now() const;
    Window& current(const std::string& key);

    Now m_now;
    mutable std::mutex m_mutex;
    std::map<std::string, Window> m_windows;
};

}  // namespace litellm::router
