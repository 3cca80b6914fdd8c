#include "daemon/router/cooldown.hpp"

#include <algorithm>

namespace litellm::router {

CooldownTable::CooldownTable(std::function<TimePoint()> now) : m_now(std::move(now)) {}

bool CooldownTable::cooling(const std::string& key) const {
    std::lock_guard lock(m_mutex);
    auto it = m_states.find(key);
    if (it == m_states.end()) return false;
    const State& s = it->second;
    TimePoint now = m_now();
    // A half-open deployment counts as cooling while its one probe is in flight.
    if (s.half_open && s.probing_until && *s.probing_until > now) return true;
    return s.until && *s.until > now;
}

bool CooldownTable::claim_attempt(const std::string& key) {
    std::lock_guard lock(m_mutex);
    auto it = m_states.find(key);
    if (it == m_states.end() || !it->second.half_open) return true;
    TimePoint now = m_now();
    if (it->second.probing_until && *it->second.probing_until > now) return false;
    it->second.probing_until = now + std::chrono::minutes(10);
    return true;
}

void CooldownTable::remember_locked(const std::string& account, const std::string& note,
                                    bool room) {
    if (!m_readings.count(account) && m_readings.size() >= kMaxQuotaAccounts) {
        auto oldest = std::min_element(
            m_readings.begin(), m_readings.end(),
            [](const auto& a, const auto& b) { return a.second.at < b.second.at; });
        m_readings.erase(oldest);
    }
    m_readings[account] = Reading{note, m_now(), room};
}

std::vector<QuotaSeen> CooldownTable::quotas() const {
    std::lock_guard lock(m_mutex);
    std::vector<QuotaSeen> out;
    TimePoint now = m_now();
    for (const auto& [account, r] : m_readings) {
        out.push_back({account, r.note, std::chrono::duration<double>(now - r.at).count(), r.room});
    }
    std::sort(out.begin(), out.end(),
              [](const QuotaSeen& a, const QuotaSeen& b) { return a.age_s < b.age_s; });
    return out;
}

int CooldownTable::reopen_quota(const std::string& account, const std::string& note) {
    std::lock_guard lock(m_mutex);
    remember_locked(account, note, true);
    int n = 0;
    TimePoint now = m_now();
    for (auto& [key, s] : m_states) {
        if (s.quota_account != account || !s.until || *s.until <= now) continue;
        s.until.reset();
        s.half_open = true;
        s.probing_until.reset();
        s.quota_note = note;
        s.reason += "; reopened: " + note;
        ++n;
    }
    return n;
}

void CooldownTable::note_quota(const std::string& account, const std::string& note) {
    std::lock_guard lock(m_mutex);
    remember_locked(account, note, false);
    for (auto& [key, s] : m_states) {
        if (s.quota_account == account) s.quota_note = note;
    }
}

std::vector<std::pair<std::string, std::string>> CooldownTable::quota_cooldowns() const {
    std::lock_guard lock(m_mutex);
    std::vector<std::pair<std::string, std::string>> out;
    TimePoint now = m_now();
    for (const auto& [key, s] : m_states) {
        if (!s.quota_account.empty() && s.until && *s.until > now) {
            out.emplace_back(key, s.quota_account);
        }
    }
    return out;
}

std::optional<TimePoint> CooldownTable::until(const std::string& key) const {
    std::lock_guard lock(m_mutex);
    auto it = m_states.find(key);
    if (it == m_states.end() || !it->second.until) return std::nullopt;
    if (*it->second.until <= m_now()) return std::nullopt;  // ended by itself
    return it->second.until;
}

void CooldownTable::record_success(const std::string& key) {
    std::lock_guard lock(m_mutex);
    m_states.erase(key);
}

void CooldownTable::cool_locked(State& s, const std::string& reason,
                                std::optional<double> retry_after_s, const CooldownPolicy& policy) {
    double seconds = retry_after_s && *retry_after_s > 0
                         ? std::min(*retry_after_s, policy.max_cooldown_time_s)
                         : policy.cooldown_time_s;
    s.until = m_now() + std::chrono::duration_cast<Clock::duration>(Duration(seconds));
    s.reason = reason;
    s.failures = 0;
    s.half_open = false;  // a failed probe cools it again
    s.probing_until.reset();
}

bool CooldownTable::record_failure(const std::string& key, const std::string& reason,
                                   std::optional<double> retry_after_s,
                                   const CooldownPolicy& policy) {
    std::lock_guard lock(m_mutex);
    State& s = m_states[key];
    if (s.until && *s.until <= m_now()) s.until.reset();
    if (s.half_open) {
        // The probe failed: cool again at once.
        cool_locked(s, reason, retry_after_s, policy);
        return true;
    }
    ++s.failures;
    s.reason = reason;
    if (s.failures >= std::max(1, policy.allowed_fails)) {
        cool_locked(s, reason, retry_after_s, policy);
        return true;
    }
    return s.until.has_value();
}

void CooldownTable::cool_now(const std::string& key, const std::string& reason,
                             std::optional<double> retry_after_s, const CooldownPolicy& policy,
                             const std::string& quota_account) {
    std::lock_guard lock(m_mutex);
    State& s = m_states[key];
    cool_locked(s, reason, retry_after_s, policy);
    s.quota_account = quota_account;
}

int CooldownTable::reset(const std::string& key_or_model) {
    std::lock_guard lock(m_mutex);
    int count = 0;
    TimePoint now = m_now();
    for (auto it = m_states.begin(); it != m_states.end();) {
        const std::string& key = it->first;
        bool match =
            key_or_model.empty() || key == key_or_model || key.rfind(key_or_model + "@", 0) == 0;
        if (!match) {
            ++it;
            continue;
        }
        if (it->second.until && *it->second.until > now) ++count;
        it = m_states.erase(it);
    }
    return count;
}

std::vector<CooldownEntry> CooldownTable::list() const {
    std::lock_guard lock(m_mutex);
    std::vector<CooldownEntry> out;
    TimePoint now = m_now();
    for (const auto& [key, s] : m_states) {
        CooldownEntry e;
        e.key = key;
        e.reason = s.reason;
        e.consecutive_failures = s.failures;
        if (s.until && *s.until > now) {
            e.cooling = true;
            e.remaining_s = Duration(*s.until - now).count();
        }
        e.half_open = s.half_open;
        e.quota_account = s.quota_account;
        e.quota_note = s.quota_note;
        if (!e.cooling && !e.half_open && e.consecutive_failures == 0) continue;
        out.push_back(std::move(e));
    }
    std::sort(out.begin(), out.end(), [](const CooldownEntry& a, const CooldownEntry& b) {
        if (a.cooling != b.cooling) return a.cooling;
        return a.remaining_s < b.remaining_s;
    });
    return out;
}

}  // namespace litellm::router
