#include "daemon/router/usage.hpp"

namespace litellm::router {

UsageTable::UsageTable(Now now) : m_now(std::move(now)) {}

std::int64_t UsageTable::minute_now() const {
    using namespace std::chrono;
    return duration_cast<minutes>(m_now().time_since_epoch()).count();
}

UsageTable::Window& UsageTable::current(const std::string& key) {
    Window& w = m_windows[key];
    std::int64_t minute = minute_now();
    if (w.minute != minute) w = Window{minute, 0, 0};
    return w;
}

bool UsageTable::at_limit(const std::string& key, const UsageLimits& limits) const {
    if (!limits.rpm && !limits.tpm) return false;
    std::lock_guard lock(m_mutex);
    auto it = m_windows.find(key);
    if (it == m_windows.end() || it->second.minute != minute_now()) return false;
    const Window& w = it->second;
    return (limits.rpm && w.requests >= *limits.rpm) || (limits.tpm && w.tokens >= *limits.tpm);
}

void UsageTable::record_request(const std::string& key) {
    std::lock_guard lock(m_mutex);
    ++current(key).requests;
}

void UsageTable::record_tokens(const std::string& key, std::int64_t tokens) {
    if (tokens <= 0) return;
    std::lock_guard lock(m_mutex);
    current(key).tokens += tokens;
}

double UsageTable::seconds_to_next_window() const {
    using namespace std::chrono;
    auto now = m_now().time_since_epoch();
    auto into = now - duration_cast<minutes>(now);
    return 60.0 - duration<double>(into).count();
}

}  // namespace litellm::router
