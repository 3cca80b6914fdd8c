#include "daemon/proxy/quota_watcher.hpp"

#include <chrono>
#include <vector>

#include "common/http_fetch.hpp"
#include "common/log.hpp"
#include "common/providers.hpp"
#include "daemon/auth/token_store.hpp"
#include "daemon/http/message.hpp"
#include "daemon/providers/provider.hpp"

namespace litellm::proxy {

QuotaWatcher::QuotaWatcher(router::CooldownTable& cooldowns, auth::TokenStore* tokens,
                           const ConfigSource& configs, std::function<std::int64_t()> now)
    : m_cooldowns(cooldowns), m_tokens(tokens), m_configs(configs), m_now(std::move(now)) {
    if (!m_now) {
        m_now = [] {
            return static_cast<std::int64_t>(
                std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count());
        };
    }
}

QuotaWatcher::~QuotaWatcher() {
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_cv.notify_all();
    if (m_thread.joinable()) m_thread.join();
}

void QuotaWatcher::track(const std::string& account, const Deployment& d) {
    if (account.empty()) return;
    std::lock_guard lock(m_mutex);
    auto cfg = m_configs.config();
    int interval = cfg ? cfg->general.quota_check_interval_s : 300;
    auto [it, fresh] = m_targets.try_emplace(account);
    it->second.deployment = d;
    if (fresh) it->second.next_check_at = m_now() + interval;
    if (!m_thread.joinable() && !m_stop) m_thread = std::thread([this] { run(); });
}

int QuotaWatcher::check_due() {
    auto cfg = m_configs.config();
    if (!cfg) return 0;
    // Accounts with a cooling deployment, and the targets due among them.
    std::map<std::string, bool> cooling;
    for (const auto& [key, account] : m_cooldowns.quota_cooldowns())
        cooling[account] = true;
    std::vector<std::pair<std::string, Deployment>> due;
    {
        std::lock_guard lock(m_mutex);
        std::int64_t now = m_now();
        for (auto it = m_targets.begin(); it != m_targets.end();) {
            if (!cooling.count(it->first)) {
                it = m_targets.erase(it);  // healed or reset: nothing to watch
                continue;
            }
            if (it->second.next_check_at <= now) {
                due.emplace_back(it->first, it->second.deployment);
                it->second.next_check_at = now + cfg->general.quota_check_interval_s;
            }
            ++it;
        }
    }
    int read = 0;
    static const http::Request kNoClient;
    for (const auto& [account, d] : due) {
        const ProviderInfo* info = find_provider(d.provider);
        const providers::Provider* provider = providers::find(d.provider);
        if (!info || !provider) continue;
        auth::TokenSnapshot token =
            m_tokens ? m_tokens->snapshot(d.provider) : auth::TokenSnapshot{};
        providers::UpstreamCall call{d, *info, kNoClient, info->format, false, false};
        if (info->auth == AuthKind::kOAuth) call.token = &token;
        auto check = provider->quota_check(call);
        if (!check) continue;
        FetchRequest req;
        req.method = "GET";
        req.url = check->url;
        req.headers = check->headers;
        req.proxy = cfg->proxy.for_url(check->url);
        req.timeout_s = 20;
        FetchResult r = http_fetch(req);
        if (r.status != 200) {
            log_info("quota", "{}: quota check got {}; the cooldown stands", account,
                     r.status ? std::to_string(r.status) : r.error);
            continue;
        }
        auto reading = provider->parse_quota(r.body);
        if (!reading) continue;
        ++read;
        std::string note = reading->describe();
        if (reading->has_room()) {
            int n = m_cooldowns.reopen_quota(account, note);
            if (n > 0) {
                log_info("quota", "{}: room again ({}); {} deployment(s) half-open for one probe",
                         account, note, n);
            }
        } else {
            m_cooldowns.note_quota(account, note);
        }
    }
    return read;
}

void QuotaWatcher::run() {
    std::unique_lock lock(m_mutex);
    while (!m_stop) {
        m_cv.wait_for(lock, std::chrono::seconds(1));
        if (m_stop) break;
        lock.unlock();
        check_due();
        lock.lock();
    }
}

}  // namespace litellm::proxy
