#include "daemon/daemon.hpp"

#include <sys/stat.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <thread>

#include <fmt/format.h>

#include "common/dotenv.hpp"
#include "common/fs.hpp"
#include "common/home_init.hpp"
#include "common/provider_status.hpp"
#include "common/providers.hpp"
#include "common/sd_notify.hpp"
#include "daemon/auth/token_store.hpp"
#include "daemon/control/server.hpp"
#include "daemon/http/server.hpp"
#include "daemon/proxy/proxy.hpp"
#include "daemon/wire/json_util.hpp"
#include "daemon/wire/sse.hpp"
#include "proto/errors.hpp"
#include "proto/version.hpp"

namespace litellm {

namespace {

// Longest wait for in-flight requests at shutdown.
constexpr int kShutdownDrainSeconds = 15;

std::vector<std::string> diagnostics_text(const std::vector<Diagnostic>& diags) {
    std::vector<std::string> out;
    for (const auto& d : diags)
        out.push_back(d.to_string());
    return out;
}

// Sets config `environment_variables` that the environment does not already define.
void apply_config_environment(const Config& cfg) {
    for (const auto& [name, value] : cfg.environment_variables) {
        ::setenv(name.c_str(), value.c_str(), 0);
    }
}

// Each open connection costs a descriptor or two, and the usual soft limit (1024) is far below
// what a machine allows: raise it to the hard limit, as servers do.
void raise_open_file_limit() {
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
    if (lim.rlim_cur < lim.rlim_max) {
        rlim_t before = lim.rlim_cur;
        lim.rlim_cur = lim.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) return;
        log_debug("daemon", "open-file limit raised from {} to {}", static_cast<long long>(before),
                  static_cast<long long>(lim.rlim_cur));
    }
}

// Whether stderr is systemd's journal: JOURNAL_STREAM names its device and inode (read once,
// at start).
bool stderr_is_journal() {
    const char* js = std::getenv("JOURNAL_STREAM");
    unsigned long long dev = 0, ino = 0;
    if (!js || std::sscanf(js, "%llu:%llu", &dev, &ino) != 2) return false;
    struct stat st {};
    return ::fstat(2, &st) == 0 && static_cast<unsigned long long>(st.st_dev) == dev &&
           static_cast<unsigned long long>(st.st_ino) == ino;
}

// The log file settings of `cfg`: rotation by size, and no file beside the journal unless
// asked for (every line would be kept twice).
void apply_log_settings(const Config& cfg, const std::string& log_path) {
    static const bool journal = stderr_is_journal();  // the first load is at start
    LoggerOptions o = Logger::instance().options();
    const std::string& mode = cfg.general.log_file;
    std::string path = mode == "never" || (mode == "auto" && journal) ? "" : log_path;
    o.max_file_bytes = cfg.general.log_max_bytes;
    o.file_backups = cfg.general.log_backups;
    o.stderr_is_journal = journal && o.to_stderr;
    o.max_message_bytes = cfg.general.limits.max_log_line_bytes;  // configure() sets it too
    o.file_path = path;
    // Reopens the file too: a reload after logrotate's `mv` starts the new file.
    Logger::instance().configure(o);
}

// Limits that live outside the config snapshot's readers: the logger and the JSON parsers.
void install_limits(const Config& cfg) {
    Logger::instance().set_max_message_bytes(cfg.general.limits.max_log_line_bytes);
    wire::set_json_depth_limit(static_cast<std::size_t>(cfg.general.limits.max_json_depth));
    wire::set_sse_event_limit(cfg.general.limits.max_sse_line_bytes);
}

// The rule both start and every reload enforce: without a master key, only loopback.
bool keyless_bind_refused(const Config& cfg, const std::string& host) {
    return !cfg.general.master_key.present() && host != "127.0.0.1" && host != "localhost" &&
           host != "::1";
}

}  // namespace

Daemon::Daemon(DaemonOptions options)
    : m_options(std::move(options)), m_paths(home_paths(m_options.home)), m_signals(m_io) {
    if (m_options.config_path.empty()) m_options.config_path = m_paths.config;
    m_options.config_path = absolute_path(m_options.config_path);
}

Daemon::~Daemon() {
    if (m_lock_fd >= 0) ::close(m_lock_fd);
}

std::shared_ptr<const Config> Daemon::config() const {
    std::lock_guard lock(m_config_mutex);
    return m_config;
}

std::vector<std::string> Daemon::config_warnings() const {
    std::lock_guard lock(m_config_mutex);
    return m_config_warnings;
}

std::chrono::system_clock::time_point Daemon::config_loaded_at() const {
    std::lock_guard lock(m_config_mutex);
    return m_config_loaded_at;
}

std::string Daemon::config_path() const {
    return m_options.config_path;
}

double Daemon::uptime_seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - m_started_steady)
        .count();
}

int Daemon::http_port() const {
    return m_http ? m_http->port() : 0;
}

int Daemon::http_connections() const {
    return m_http ? m_http->connections() : 0;
}

int Daemon::http_streams() const {
    return m_proxy ? m_proxy->active_streams() : 0;
}

std::string Daemon::http_url() const {
    std::string host = m_options.host;
    if (host == "0.0.0.0" || host == "::") host = "127.0.0.1";
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    return fmt::format("http://{}:{}", host, http_port());
}

bool Daemon::acquire_home_lock() {
    // The lock closes the race two daemons starting at once would have on the socket file.
    m_lock_fd = ::open(m_paths.lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (m_lock_fd < 0) return true;  // read-only home: fall back to the socket check alone
    if (::flock(m_lock_fd, LOCK_EX | LOCK_NB) != 0) return false;
    std::string pid = std::to_string(getpid()) + "\n";
    if (::ftruncate(m_lock_fd, 0) == 0) (void)!::write(m_lock_fd, pid.data(), pid.size());
    return true;
}

bool Daemon::load_initial_config() {
    if (m_options.config_path == m_paths.config && !path_exists(m_paths.config)) {
        // First start in a new home: the defaults, as `litellmctl init` writes them. A config
        // named with --config is never invented.
        HomeInitResult init = init_home(m_paths, false);
        for (const auto& f : init.written)
            log_info("config", "created {} with the defaults; edit it, then `litellmctl reload`",
                     f);
        if (!init.ok) log_error("config", "cannot create the default config: {}", init.error);
    }
    load_dotenv_file(m_paths.dotenv, &m_dotenv_owned);
    ConfigLoadResult result = load_config_file(m_options.config_path);
    for (const auto& d : result.diagnostics) {
        if (d.severity == Diagnostic::Severity::kError)
            log_error("config", "{}", d.to_string());
        else
            log_warn("config", "{}", d.to_string());
    }
    if (!result.ok()) {
        log_error("config", "{} has errors; fix them (litellmd --check-config {}) and start again",
                  m_options.config_path, m_options.config_path);
        return false;
    }
    apply_config_environment(*result.config);
    install_limits(*result.config);
    apply_log_settings(*result.config, m_paths.log_file);
    std::lock_guard lock(m_config_mutex);
    m_config = std::make_shared<const Config>(std::move(*result.config));
    m_config_warnings = diagnostics_text(result.warnings());
    m_config_loaded_at = std::chrono::system_clock::now();
    return true;
}

ReloadResult Daemon::reload() {
    ReloadResult out;
    sd_notify_reloading();
    // A reload also starts a new log file (logrotate's postrotate may run `litellmctl reload`).
    Logger::instance().reopen();
    log_info("daemon", "reloading {}", m_options.config_path);
    load_dotenv_file(m_paths.dotenv, &m_dotenv_owned);
    ConfigLoadResult result = load_config_file(m_options.config_path);
    out.warnings = diagnostics_text(result.warnings());
    if (!result.ok()) {
        out.errors = diagnostics_text(result.errors());
        for (const auto& e : out.errors)
            log_error("config", "{}", e);
        log_error("daemon", "reload failed; still serving the previous config");
        sd_notify("READY=1\nSTATUS=reload failed; serving the previous config");
        return out;
    }
    if (keyless_bind_refused(*result.config, m_options.host)) {
        out.errors.push_back(fmt::format(
            "{}: general_settings.master_key is not set (or its variable is empty), but "
            "litellmd listens on {}: anyone on the network could use your credentials; "
            "set LITELLM_MASTER_KEY in {} or restart on 127.0.0.1",
            m_options.config_path, m_options.host, m_paths.dotenv));
        log_error("config", "{}", out.errors.back());
        log_error("daemon", "reload refused; still serving the previous config");
        sd_notify("READY=1\nSTATUS=reload refused; serving the previous config");
        return out;
    }
    apply_config_environment(*result.config);
    install_limits(*result.config);
    apply_log_settings(*result.config, m_paths.log_file);
    out.model_count = result.config->model_names().size();
    {
        std::lock_guard lock(m_config_mutex);
        m_config = std::make_shared<const Config>(std::move(*result.config));
        m_config_warnings = out.warnings;
        m_config_loaded_at = std::chrono::system_clock::now();
    }
    if (m_tokens) configure_tokens(*config());
    for (const auto& w : out.warnings)
        log_warn("config", "{}", w);
    log_info("daemon", "reloaded: {} models", out.model_count);
    log_credential_summary();
    sd_notify("READY=1\nSTATUS=serving");
    out.ok = true;
    return out;
}

void Daemon::configure_tokens(const Config& cfg) {
    std::vector<std::string> used;
    for (const Deployment& d : cfg.model_list) {
        const ProviderInfo* info = find_provider(d.provider);
        if (info && info->auth == AuthKind::kOAuth) used.push_back(d.provider);
    }
    // OAuth calls take the same proxy as upstreams (HTTPS_PROXY / NO_PROXY of this config).
    m_tokens->configure(std::move(used),
                        [proxy = cfg.proxy](const std::string& url) { return proxy.for_url(url); });
}

std::vector<ProviderStatus> Daemon::provider_status() const {
    auto cfg = config();
    if (!cfg) return {};
    auto rows = litellm::provider_status(*cfg, m_paths, m_options.config_path);
    if (!m_tokens) return rows;
    // OAuth rows as the store sees them (refresh refused, expired, corrupt), not just the file.
    for (ProviderStatus& p : rows) {
        if (p.auth != "oauth") continue;
        auth::TokenSnapshot t = m_tokens->snapshot(p.name);
        p.credential_ok = t.usable();
        p.source += std::string(" (") + auth::credential_state_name(t.state) + ")";
        p.hint = t.reason;
    }
    return rows;
}

void Daemon::log_credential_summary() {
    auto statuses = provider_status();
    std::size_t missing = 0;
    for (const auto& st : statuses) {
        if (st.credential_ok) continue;
        ++missing;
        log_warn("auth", "{} ({} models) has no credentials: {}", st.display_name, st.models.size(),
                 st.hint);
    }
    if (!statuses.empty() && missing == statuses.size()) {
        log_warn("auth",
                 "no provider has credentials yet; requests will fail until you add "
                 "one (see {}/.env.example)",
                 m_paths.home);
    }
}

void Daemon::install_signals() {
    m_signals.add(SIGTERM);
    m_signals.add(SIGINT);
    m_signals.add(SIGHUP);
    m_signals.add(SIGUSR1);
    wait_for_signal();
}

void Daemon::wait_for_signal() {
    // Handlers run on the event loop, never in signal context.
    m_signals.async_wait([this](const std::error_code& ec, int sig) {
        if (ec) return;
        if (sig == SIGHUP) {
            reload();
            wait_for_signal();
            return;
        }
        if (sig == SIGUSR1) {
            // logrotate's postrotate: the old file was moved; write a new one at the path.
            Logger::instance().reopen();
            log_info("daemon", "log file reopened (SIGUSR1)");
            wait_for_signal();
            return;
        }
        request_shutdown(sig == SIGTERM ? "SIGTERM" : "SIGINT");
    });
}

void Daemon::request_shutdown(const std::string& reason) {
    // Posted, so a `shutdown` call's reply is queued before the sessions are told to close.
    asio::post(m_io, [this, reason] {
        if (m_stopping) return;
        m_stopping = true;
        log_info("daemon", "stopping ({}): no new connections, draining in-flight requests",
                 reason);
        sd_notify("STOPPING=1");
        std::error_code ignored;
        m_signals.cancel(ignored);
        if (m_control) m_control->close();
        if (m_http) m_http->stop();
    });
}

void Daemon::request_restart(double drain_s) {
    asio::post(m_io, [this, drain_s] {
        if (m_stopping) return;
        m_stopping = true;
        log_info("daemon", "restarting in place: draining in-flight requests (up to {:g} s)",
                 drain_s);
        sd_notify_reloading();
        std::error_code ignored;
        m_signals.cancel(ignored);
        int listen_fd = m_http->begin_handover();
        if (m_control) m_control->close();
        // The wait runs off the event loop so sessions can still flush their replies.
        std::vector<std::string> args = m_options.argv;
        if (args.empty()) args.push_back(m_exe_path);
        std::string exe = m_exe_path;
        HttpServer* http = m_http.get();
        // The next process reads .env itself: what this one took from it must not come back
        // as if the user had exported it (a key deleted from .env would live on).
        for (const auto& name : m_dotenv_owned)
            ::unsetenv(name.c_str());
        // run() joins this thread once the event loop is idle; it never returns on success.
        auth::TokenStore* tokens = m_tokens.get();
        m_restart_thread = std::thread([http, listen_fd, drain_s, args, exe, tokens]() mutable {
            // Workers that accepted a connection just before the handover start reading it;
            // then keep-alive connections are told to end after their current request.
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            http->finish_handover();
            bool drained = http->wait_drained(
                std::chrono::milliseconds(static_cast<long long>(drain_s * 1000)));
            if (!drained) log_warn("daemon", "drain timed out; in-flight streams are cut");
            std::vector<char*> argv;
            for (auto& a : args)
                argv.push_back(a.data());
            argv.push_back(nullptr);
            // Only the listening socket may survive exec: any descriptor a library opened
            // without O_CLOEXEC would otherwise leak, and a leaked upstream connection would
            // stay open forever.
            std::error_code ec;
            for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
                int fd = std::atoi(entry.path().filename().c_str());
                if (fd > 2 && fd != listen_fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
            }
            ::fcntl(listen_fd, F_SETFD, 0);
            ::setenv("LITELLMD_LISTEN_FD", std::to_string(listen_fd).c_str(), 1);
            // No refresh may be cut by the exec (its file write is atomic anyway).
            if (tokens) tokens->stop();
            log_info("daemon", "exec {}", exe);
            Logger::instance().close();
            ::execv(exe.c_str(), argv.data());
            // Still here: exec failed. Exit non-zero so a service manager starts us again.
            std::fprintf(stderr, "litellmd: restart failed: cannot exec %s: %s\n", exe.c_str(),
                         std::strerror(errno));
            std::_Exit(static_cast<int>(proto::ExitCode::kFailure));
        });
    });
}

int Daemon::run() {
    using proto::ExitCode;
    m_started_steady = std::chrono::steady_clock::now();
    m_started_wall = std::chrono::system_clock::now();
    std::signal(SIGPIPE, SIG_IGN);

    {
        // A path, not /proc/self/exe's inode: after an update the new binary is exec'd.
        std::error_code ec;
        m_exe_path = std::filesystem::canonical("/proc/self/exe", ec).string();
        if (m_exe_path.size() > 10 &&
            m_exe_path.compare(m_exe_path.size() - 10, 10, " (deleted)") == 0) {
            m_exe_path.resize(m_exe_path.size() - 10);
        }
    }
    std::string error;
    if (!ensure_directory(m_paths.home, 0700, &error) ||
        !ensure_directory(m_paths.logs_dir, 0700, &error)) {
        std::fprintf(stderr, "litellmd: cannot create %s: %s\n", m_paths.home.c_str(),
                     error.c_str());
        return static_cast<int>(ExitCode::kFailure);
    }
    LoggerOptions log_options;
    log_options.file_path = m_paths.log_file;
    log_options.to_stderr = m_options.log_to_stderr;
    log_options.stderr_is_journal = log_options.to_stderr && stderr_is_journal();
    log_options.min_level = m_options.log_level;
    if (!Logger::instance().configure(log_options, &error)) {
        std::fprintf(stderr, "litellmd: cannot open the log file %s; logging to stderr only\n",
                     error.c_str());
    }
    if (!acquire_home_lock()) {
        log_error("daemon",
                  "litellmd is already running for {} (lock {} is held); use "
                  "`litellmctl status` or `litellmctl stop`",
                  m_paths.home, m_paths.lock_file);
        return static_cast<int>(ExitCode::kAlreadyRunning);
    }
    log_info("daemon", "litellmd {} starting (pid {}, home {})", proto::kVersion, getpid(),
             m_paths.home);
    raise_open_file_limit();
    if (!load_initial_config()) return static_cast<int>(ExitCode::kConfigInvalid);

    m_control = std::make_unique<ControlServer>(m_io, *this, m_paths.socket);
    switch (m_control->open(&error)) {
        case ControlServer::OpenResult::kOk:
            break;
        case ControlServer::OpenResult::kAlreadyRunning:
            log_error("daemon", "{}; use `litellmctl status` or `litellmctl stop`", error);
            m_control.reset();
            return static_cast<int>(ExitCode::kAlreadyRunning);
        case ControlServer::OpenResult::kError:
            log_error("daemon", "{}", error);
            m_control.reset();
            return static_cast<int>(ExitCode::kFailure);
    }

    auto cfg = config();
    if (keyless_bind_refused(*cfg, m_options.host)) {
        log_error("daemon",
                  // No "master_key:" before a word here: the log redacts what follows it.
                  "refusing to listen on {} without a general_settings.master_key, as "
                  "anyone on the network could use your credentials; set "
                  "LITELLM_MASTER_KEY in {} or listen on 127.0.0.1",
                  m_options.host, m_paths.dotenv);
        m_control->close();
        return static_cast<int>(ExitCode::kConfigInvalid);
    }
    auth::TokenStoreOptions token_options;
    token_options.home = m_paths.home;
    m_tokens = std::make_unique<auth::TokenStore>(std::move(token_options));
    configure_tokens(*cfg);
    m_tokens->start();
    m_proxy = std::make_unique<proxy::Proxy>(*this, m_cooldowns, m_tokens.get());
    m_http = std::make_unique<HttpServer>(*m_proxy);
    bool bound = m_options.inherited_listen_fd >= 0
                     ? m_http->adopt(m_options.inherited_listen_fd, &error)
                     : m_http->bind(m_options.host, m_options.port, &error);
    if (!bound) {
        log_error("daemon", "{}", error);
        m_control->close();
        return static_cast<int>(ExitCode::kFailure);
    }
    if (m_options.inherited_listen_fd >= 0) {
        log_info("daemon", "restarted in place: serving the inherited listening socket");
    }
    m_http->start();
    m_control->start();
    install_signals();

    log_info("daemon", "listening on {} ({} models, config {})", http_url(),
             cfg->model_names().size(), m_options.config_path);
    log_info("daemon", "control socket {}", m_paths.socket);
    log_credential_summary();
    sd_notify(fmt::format("READY=1\nSTATUS=serving on {}\nMAINPID={}", http_url(), getpid()));

    m_io.run();

    if (m_restart_thread.joinable()) m_restart_thread.join();  // exec: does not come back
    // Drain in-flight requests, bounded: a stuck client must not keep the daemon alive.
    if (!m_http->wait_drained(std::chrono::seconds(kShutdownDrainSeconds))) {
        log_warn("daemon", "in-flight requests still running after {} s; exiting anyway",
                 kShutdownDrainSeconds);
        m_control.reset();
        Logger::instance().close();
        std::_Exit(static_cast<int>(ExitCode::kOk));
    }
    m_http->join();
    m_control.reset();
    log_info("daemon", "stopped");
    Logger::instance().close();
    return static_cast<int>(ExitCode::kOk);
}

}  // namespace litellm
