#include "daemon/auth/token_store.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <set>

#include <fmt/format.h>

#include "common/fs.hpp"
#include "common/log.hpp"
#include "common/providers.hpp"

namespace litellm::auth {

namespace {

// A token this close to its expiry is refreshed before a request uses it.
constexpr std::int64_t kRequestMarginS = 30;
// The timer thread re-reads the files at least this often (inotify makes it prompt).
constexpr int kPollMs = 2000;

}  // namespace

const char* credential_state_name(CredentialState state) {
    switch (state) {
        case CredentialState::kMissing:
            return "missing";
        case CredentialState::kValid:
            return "valid";
        case CredentialState::kExpired:
            return "expired";
        case CredentialState::kLoginNeeded:
            return "login_needed";
        case CredentialState::kCorrupt:
            return "corrupt";
    }
    return "missing";
}

struct TokenStore::Credential {
    const OAuthSpec* spec = nullptr;
    std::string provider;
    std::string login;  ///< "litellmctl auth qwen"
    std::string path;
    OAuthClient client;
    TokenRecord record;
    CredentialState state = CredentialState::kMissing;
    std::string last_error;
    std::string seen_text;  ///< the file as last read or written ("" = none)
    bool seen_missing = true;
    std::uint64_t generation = 0;
    std::int64_t jitter_s = 0;
    std::int64_t retry_at = 0;
    int failures = 0;
    std::uint64_t refreshes = 0;
    bool used = false;
    std::mutex refresh_mutex;  ///< held through one refresh: single flight
};

TokenStore::TokenStore(TokenStoreOptions options) : m_options(std::move(options)) {
    if (!m_options.now) {
        m_options.now = [] {
            return static_cast<std::int64_t>(
                std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count());
        };
    }
    if (!m_options.env) m_options.env = [](const char* n) { return std::getenv(n); };
    for (const OAuthSpec& spec : oauth_specs()) {
        const ProviderInfo* info = find_provider(spec.provider);
        if (!info) continue;
        auto c = std::make_unique<Credential>();
        c->spec = &spec;
        c->provider = std::string(spec.provider);
        c->login = "litellmctl auth " + std::string(spec.login);
        c->path = token_file_path(*info, m_options.home);
        c->client = make_oauth_client(spec, m_options.env);
        m_creds.push_back(std::move(c));
    }
}

TokenStore::~TokenStore() {
    stop();
}

std::int64_t TokenStore::now() const {
    return m_options.now();
}

TokenStore::Credential* TokenStore::find(std::string_view provider) const {
    const OAuthSpec* spec = find_oauth_spec(provider);
    for (const auto& c : m_creds) {
        if (spec ? c->spec == spec : c->provider == provider) return c.get();
    }
    return nullptr;
}

void TokenStore::set_state_locked(Credential& c, CredentialState state,
                                  const std::string& message) {
    if (c.state == state) return;
    c.state = state;
    std::string name = credential_state_name(state);
    switch (state) {
        case CredentialState::kValid:
            log_info("auth", "{}: token valid ({})", c.provider, expiry_text(c.record, now()));
            break;
        case CredentialState::kMissing:
            log_info("auth", "{}: no token file at {}; `{}` logs in", c.provider, c.path, c.login);
            break;
        default:
            log_warn("auth", "{}: {}: {}; `{}` logs in again", c.provider, name, message, c.login);
    }
}

void TokenStore::load_locked(Credential& c) {
    std::string error;
    auto text = read_file(c.path, &error);
    if (!text) {
        if (c.seen_missing && c.state == CredentialState::kMissing) return;
        c.seen_missing = true;
        c.seen_text.clear();
        c.record = TokenRecord{};
        ++c.generation;
        set_state_locked(c, CredentialState::kMissing, "");
        return;
    }
    if (!c.seen_missing && *text == c.seen_text) return;  // ours, or unchanged
    c.seen_missing = false;
    c.seen_text = *text;
    TokenParse parsed = parse_token_file(*text);
    if (!parsed.ok) {
        // Never "repaired": the file may be another program's half-written work, or the only
        // copy of a refresh token; it is reported and left alone.
        c.last_error = fmt::format("{} {}; it is left as it is", c.path, parsed.error);
        set_state_locked(c, CredentialState::kCorrupt, c.last_error);
        return;
    }
    bool new_tokens = parsed.record.access_token != c.record.access_token ||
                      parsed.record.refresh_token != c.record.refresh_token;
    bool was_dead = c.state == CredentialState::kLoginNeeded;
    c.record = std::move(parsed.record);
    if (new_tokens) {
        ++c.generation;
        c.failures = 0;
        c.retry_at = 0;
        c.last_error.clear();
        std::int64_t cap = std::min(m_options.max_jitter_s, m_options.lead_s / 10);
        static thread_local std::mt19937 rng{std::random_device{}()};
        c.jitter_s = cap > 0 ? std::uniform_int_distribution<std::int64_t>(0, cap)(rng) : 0;
    } else if (was_dead) {
        return;  // the same dead refresh token: still a login away
    }
    bool expired = c.record.expires_at && *c.record.expires_at <= now();
    if (c.record.access_token.empty()) expired = true;
    set_state_locked(c, expired ? CredentialState::kExpired : CredentialState::kValid, "");
}

std::optional<std::int64_t> TokenStore::due_at_locked(const Credential& c) const {
    if (!c.used || c.record.refresh_token.empty()) return std::nullopt;
    if (c.state != CredentialState::kValid && c.state != CredentialState::kExpired) {
        return std::nullopt;
    }
    if (c.failures > 0) return c.retry_at;
    std::optional<std::int64_t> due;
    if (c.record.expires_at) {
        // A token we refreshed that lives less than the lead (with its jitter) would be due
        // again the moment it arrived: a refresh loop against the provider. Such tokens are
        // refreshed at half their life instead (the soak found it with 310 s tokens). A
        // token of unknown age is refreshed by the lead alone.
        std::int64_t lead = m_options.lead_s + c.jitter_s;
        std::int64_t expires = *c.record.expires_at;
        if (c.record.last_refresh && *c.record.last_refresh > 0) {
            lead = std::min(lead, std::max<std::int64_t>(0, expires - *c.record.last_refresh) / 2);
        }
        due = expires - lead;
    }
    if (c.spec->max_refresh_age_s > 0) {
        std::int64_t by_age = c.record.last_refresh
                                  ? *c.record.last_refresh + c.spec->max_refresh_age_s
                                  : now();  // never refreshed by us: do it once
        due = due ? std::min(*due, by_age) : by_age;
    }
    if (c.state == CredentialState::kExpired) due = due ? std::min(*due, now()) : now();
    return due;
}

TokenSnapshot TokenStore::snapshot_locked(const Credential& c) const {
    TokenSnapshot s;
    s.state = c.state;
    s.access_token = c.record.access_token;
    s.resource_url = c.record.resource_url;
    s.account_id = c.record.account_id;
    s.project_id = c.record.project_id;
    s.generation = c.generation;
    if (s.state == CredentialState::kValid && c.record.expires_at &&
        *c.record.expires_at <= now()) {
        s.state = CredentialState::kExpired;  // the timer has not caught up
    }
    switch (s.state) {
        case CredentialState::kValid:
            break;
        case CredentialState::kMissing:
            s.reason = fmt::format("not logged in: no token file at {}; run `{}`", c.path, c.login);
            break;
        case CredentialState::kExpired:
            s.reason = fmt::format(
                "the access token in {} expired{}; run `{}` if it keeps "
                "failing",
                c.path,
                c.last_error.empty() ? " and has no refresh token"
                                     : " and the refresh failed (" + c.last_error + ")",
                c.login);
            if (c.record.refresh_token.empty() || c.last_error.empty()) {
                s.reason = fmt::format("the access token in {} expired{}; run `{}`", c.path,
                                       c.record.refresh_token.empty() ? " and there is no "
                                                                        "refresh token"
                                                                      : "",
                                       c.login);
            }
            break;
        case CredentialState::kLoginNeeded:
            s.reason = fmt::format("login needed ({}); run `{}`", c.last_error, c.login);
            break;
        case CredentialState::kCorrupt:
            s.reason = fmt::format("{}; run `{}` to log in again", c.last_error, c.login);
            break;
    }
    return s;
}

void TokenStore::start() {
    {
        std::lock_guard lock(m_mutex);
        for (auto& c : m_creds)
            load_locked(*c);
    }
    if (::pipe2(m_wake, O_CLOEXEC | O_NONBLOCK) != 0) m_wake[0] = m_wake[1] = -1;
    if (m_options.watch_files) {
        m_inotify = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        std::set<std::string> dirs;
        for (const auto& c : m_creds)
            dirs.insert(std::filesystem::path(c->path).parent_path().string());
        for (const auto& d : dirs) {
            if (m_inotify >= 0) {
                ::inotify_add_watch(m_inotify, d.c_str(),
                                    IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM);
            }
        }
    }
    m_stop = false;
    m_thread = std::thread([this] { run(); });
}

void TokenStore::stop() {
    {
        std::lock_guard lock(m_mutex);
        if (!m_thread.joinable()) return;
        m_stop = true;
    }
    wake();
    m_thread.join();
    for (int* fd : {&m_inotify, &m_wake[0], &m_wake[1]}) {
        if (*fd >= 0) ::close(*fd);
        *fd = -1;
    }
}

void TokenStore::wake() {
    if (m_wake[1] >= 0) (void)!::write(m_wake[1], "x", 1);
}

void TokenStore::configure(std::vector<std::string> used_providers,
                           std::function<std::string(const std::string&)> proxy_for) {
    std::lock_guard lock(m_mutex);
    m_proxy_for = std::move(proxy_for);
    for (auto& c : m_creds) {
        c->used = std::find(used_providers.begin(), used_providers.end(), c->provider) !=
                  used_providers.end();
        c->client = make_oauth_client(*c->spec, m_options.env);
        c->client.proxy_for = m_proxy_for;
    }
    wake();
}

TokenSnapshot TokenStore::snapshot(std::string_view provider) const {
    Credential* c = find(provider);
    if (!c)
        return TokenSnapshot{CredentialState::kMissing,
                             {},
                             {},
                             {},
                             {},
                             0,
                             fmt::format("'{}' has no OAuth login", provider)};
    std::lock_guard lock(m_mutex);
    return snapshot_locked(*c);
}

TokenSnapshot TokenStore::token_for_request(std::string_view provider) {
    Credential* c = find(provider);
    if (!c) return snapshot(provider);
    std::uint64_t generation = 0;
    {
        std::lock_guard lock(m_mutex);
        bool near = c->record.expires_at && *c->record.expires_at <= now() + kRequestMarginS;
        bool refreshable =
            !c->record.refresh_token.empty() &&
            (c->state == CredentialState::kValid || c->state == CredentialState::kExpired);
        if (!(near && refreshable)) return snapshot_locked(*c);
        generation = c->generation;
    }
    // The timer could not keep it fresh (asleep, offline): this request waits for the one
    // refresh every waiting request shares, instead of sending an expired token.
    refresh_once(*c, generation, Want::kIfDue);
    std::lock_guard lock(m_mutex);
    return snapshot_locked(*c);
}

std::optional<TokenSnapshot> TokenStore::after_unauthorized(std::string_view provider,
                                                            std::uint64_t generation) {
    Credential* c = find(provider);
    if (!c) return std::nullopt;
    refresh_once(*c, generation, Want::kAfterReject);
    std::lock_guard lock(m_mutex);
    TokenSnapshot s = snapshot_locked(*c);
    if (s.generation == generation || !s.usable()) return std::nullopt;
    return s;
}

void TokenStore::refused(std::string_view provider, std::uint64_t generation,
                         const std::string& reason) {
    Credential* c = find(provider);
    if (!c) return;
    std::lock_guard lock(m_mutex);
    if (c->generation != generation) return;  // newer tokens arrived meanwhile
    c->last_error = reason;
    set_state_locked(*c, CredentialState::kLoginNeeded, reason);
}

StoreResult TokenStore::refresh(std::string_view provider) {
    Credential* c = find(provider);
    if (!c) return {false, true, fmt::format("'{}' has no OAuth login", provider)};
    std::uint64_t generation;
    {
        std::lock_guard lock(m_mutex);
        load_locked(*c);
        if (c->state == CredentialState::kMissing) {
            return {false, true, fmt::format("not logged in (no {}); run `{}`", c->path, c->login)};
        }
        generation = c->generation;
    }
    return refresh_once(*c, generation, Want::kForce);
}

StoreResult TokenStore::refresh_once(Credential& c, std::uint64_t generation, Want want) {
    std::unique_lock single(c.refresh_mutex);
    OAuthClient client;
    TokenRecord record;
    {
        std::lock_guard lock(m_mutex);
        if (want != Want::kForce && c.generation != generation) {
            return {true, false, "refreshed meanwhile"};  // a waiter gets the shared result
        }
        client = c.client;
        client.proxy_for = m_proxy_for;
    }
    TokenFileLock file_lock(c.path);
    std::string error;
    if (!file_lock.acquire(5000, &error)) {
        // Another writer holds it (a stuck program): back off like any transient failure.
        std::lock_guard lock(m_mutex);
        c.last_error = error;
        ++c.failures;
        c.retry_at = now() + std::min(m_options.backoff_max_s,
                                      m_options.backoff_min_s << std::min(c.failures - 1, 6));
        return {false, false, error};
    }
    {
        // Under the file lock: another program (or litellmctl while we were down) may have
        // written new tokens, which beat a refresh with the old refresh token.
        std::lock_guard lock(m_mutex);
        std::uint64_t before = c.generation;
        load_locked(c);
        if (c.state == CredentialState::kMissing || c.state == CredentialState::kCorrupt) {
            return {false, c.state == CredentialState::kMissing, snapshot_locked(c).reason};
        }
        if (c.generation != before && want != Want::kForce) {
            log_info("auth", "{}: adopted new tokens written to {} by another program", c.provider,
                     c.path);
            return {true, false, "adopted the tokens on disk"};
        }
        if (want == Want::kIfDue) {
            auto due = due_at_locked(c);
            bool expired = c.record.expires_at && *c.record.expires_at <= now() + kRequestMarginS;
            if (!expired && (!due || *due > now())) return {true, false, "not due"};
        }
        if (c.state == CredentialState::kLoginNeeded && want != Want::kForce) {
            return {false, false, snapshot_locked(c).reason};
        }
        record = c.record;
    }
    std::int64_t started = now();
    RefreshOutcome outcome = refresh_tokens(client, record, started);
    std::lock_guard lock(m_mutex);
    if (outcome.status == RefreshStatus::kOk) {
        std::string text = serialize_token_file(outcome.record);
        std::string write_error;
        if (!write_file_atomic(c.path, text, 0600, &write_error)) {
            // The new tokens are kept in memory (the old refresh token may be spent already);
            // the next refresh writes again.
            log_error("auth", "{}: refreshed, but cannot write {}: {}", c.provider, c.path,
                      write_error);
        } else {
            c.seen_text = text;
            c.seen_missing = false;
        }
        c.record = std::move(outcome.record);
        c.record.original_json = text;
        ++c.generation;
        ++c.refreshes;
        c.failures = 0;
        c.retry_at = 0;
        c.last_error.clear();
        set_state_locked(c, CredentialState::kValid, "");
        log_info("auth", "{}: refreshed the access token ({})", c.provider,
                 expiry_text(c.record, now()));
        return {true, false, "refreshed: " + expiry_text(c.record, now())};
    }
    c.last_error = outcome.message;
    if (outcome.status == RefreshStatus::kPermanent) {
        std::string hint = retired_tier_hint(*c.spec);
        if (!hint.empty()) c.last_error += "; " + hint;
        set_state_locked(c, CredentialState::kLoginNeeded, c.last_error);
        return {false, false, snapshot_locked(c).reason};
    }
    ++c.failures;
    std::int64_t backoff = m_options.backoff_min_s;
    for (int i = 1; i < c.failures && backoff < m_options.backoff_max_s; ++i)
        backoff *= 2;
    c.retry_at = now() + std::min(backoff, m_options.backoff_max_s);
    log_warn("auth", "{}: refresh failed ({}); trying again in {} s", c.provider, c.last_error,
             c.retry_at - now());
    if (c.record.expires_at && *c.record.expires_at <= now()) {
        set_state_locked(c, CredentialState::kExpired, c.last_error);
    }
    return {false, false, c.last_error};
}

StoreResult TokenStore::import(std::string_view provider, TokenRecord record) {
    Credential* c = find(provider);
    if (!c) return {false, true, fmt::format("'{}' has no OAuth login", provider)};
    if (record.access_token.empty() && record.refresh_token.empty()) {
        return {false, false, "the tokens have no access_token or refresh_token"};
    }
    if (!record.last_refresh) record.last_refresh = now();
    if (record.token_type.empty()) record.token_type = "Bearer";
    std::unique_lock single(c->refresh_mutex);
    TokenFileLock file_lock(c->path);
    std::string error;
    if (!file_lock.acquire(5000, &error)) return {false, false, error};
    std::string text = serialize_token_file(record);
    std::string dir = std::filesystem::path(c->path).parent_path().string();
    if (!ensure_directory(dir, 0700, &error) || !write_file_atomic(c->path, text, 0600, &error)) {
        return {false, false, fmt::format("cannot write {}: {}", c->path, error)};
    }
    std::lock_guard lock(m_mutex);
    c->seen_text.clear();  // read back as any other change
    c->seen_missing = false;
    if (c->state == CredentialState::kLoginNeeded) c->state = CredentialState::kExpired;
    load_locked(*c);
    wake();
    log_info("auth", "{}: new tokens stored in {}", c->provider, c->path);
    return {true, false, fmt::format("stored in {} ({})", c->path, expiry_text(c->record, now()))};
}

StoreResult TokenStore::logout(std::string_view provider) {
    Credential* c = find(provider);
    if (!c) return {false, true, fmt::format("'{}' has no OAuth login", provider)};
    std::unique_lock single(c->refresh_mutex);
    TokenFileLock file_lock(c->path);
    std::string error;
    if (!file_lock.acquire(5000, &error)) return {false, false, error};
    if (!path_exists(c->path)) return {false, true, fmt::format("no token file at {}", c->path)};
    if (::unlink(c->path.c_str()) != 0) {
        return {false, false, fmt::format("cannot remove {}: {}", c->path, std::strerror(errno))};
    }
    std::lock_guard lock(m_mutex);
    load_locked(*c);
    return {true, false, fmt::format("removed {}", c->path)};
}

std::vector<CredentialStatus> TokenStore::status() const {
    std::vector<CredentialStatus> out;
    std::lock_guard lock(m_mutex);
    for (const auto& c : m_creds) {
        CredentialStatus s;
        s.provider = c->provider;
        s.login = c->login;
        s.file = c->path;
        s.state = snapshot_locked(*c).state;
        s.account = !c->record.email.empty() ? c->record.email : c->record.account_id;
        s.plan = c->record.plan;
        s.expires_at = c->record.expires_at;
        s.last_refresh = c->record.last_refresh;
        s.next_refresh_at = due_at_locked(*c);
        s.last_error = c->last_error;
        s.refreshes = c->refreshes;
        s.used = c->used;
        out.push_back(std::move(s));
    }
    return out;
}

bool TokenStore::post(std::function<void()> job) {
    {
        std::lock_guard lock(m_mutex);
        if (m_stop || !m_thread.joinable() || m_jobs.size() >= kMaxJobs) return false;
        m_jobs.push_back(std::move(job));
    }
    wake();
    return true;
}

void TokenStore::run_due_refreshes() {
    std::vector<std::pair<Credential*, std::uint64_t>> due;
    {
        std::lock_guard lock(m_mutex);
        for (auto& c : m_creds) {
            load_locked(*c);
            auto at = due_at_locked(*c);
            if (at && *at <= now()) due.emplace_back(c.get(), c->generation);
        }
    }
    for (auto& [c, generation] : due)
        refresh_once(*c, generation, Want::kIfDue);
}

void TokenStore::run() {
    while (true) {
        int timeout = kPollMs;
        {
            std::lock_guard lock(m_mutex);
            if (m_stop) return;
            for (auto& c : m_creds) {
                if (auto at = due_at_locked(*c)) {
                    std::int64_t ms = (*at - now()) * 1000;
                    timeout = static_cast<int>(std::clamp<std::int64_t>(ms, 0, timeout));
                }
            }
        }
        pollfd fds[2] = {{m_wake[0], POLLIN, 0}, {m_inotify, POLLIN, 0}};
        ::poll(fds, m_inotify >= 0 ? 2 : 1, timeout);
        char drain[4096];
        if (m_wake[0] >= 0) {
            while (::read(m_wake[0], drain, sizeof drain) > 0) {
            }
        }
        if (m_inotify >= 0) {
            while (::read(m_inotify, drain, sizeof drain) > 0) {
            }
        }
        std::vector<std::function<void()>> jobs;
        {
            std::lock_guard lock(m_mutex);
            if (m_stop) return;
            jobs.swap(m_jobs);
        }
        for (auto& job : jobs)
            job();
        run_due_refreshes();
    }
}

}  // namespace litellm::auth
