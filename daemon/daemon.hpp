#pragma once
// The daemon: owns the event loop (control socket, signals, timers), the HTTP listener and the
// current config. Handlers and the HTTP side read the config through a shared_ptr snapshot, so
// a reload swaps it without stopping anything in flight.

#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <asio.hpp>

#include "common/config.hpp"
#include "common/log.hpp"
#include "common/paths.hpp"
#include "common/provider_status.hpp"
#include "daemon/config_source.hpp"
#include "daemon/router/cooldown.hpp"

namespace litellm {

class ControlServer;
class HttpServer;
namespace auth {
class TokenStore;
}
namespace proxy {
class Proxy;
}

/// Command-line choices for one daemon run.
struct DaemonOptions {
    std::string home;         ///< LITELLM_HOME (absolute)
    std::string config_path;  ///< empty = home/config.yaml
    std::string host = "127.0.0.1";
    int port = 4000;  ///< 0 = any free port (tests)
    LogLevel log_level = LogLevel::kInfo;
    bool log_to_stderr = true;
    std::vector<std::string> argv;  ///< the command line, for re-exec on restart
    int inherited_listen_fd = -1;   ///< HTTP socket handed over by the previous process
};

/// Outcome of a reload.
struct ReloadResult {
    bool ok = false;
    std::vector<std::string> errors;
    std::vector<std::string> warnings;
    std::size_t model_count = 0;
};

/// The composition root: builds the control server, the proxy and the HTTP listener and
/// hands each the narrow interface it needs (ConfigSource, the cooldown table, an
/// http::Handler). Nothing below includes this header.
class Daemon final : public ConfigSource {
  public:
    explicit Daemon(DaemonOptions options);
    ~Daemon();

    /// Runs until shutdown; returns the process exit code (proto::ExitCode values).
    int run();

    /// The config in effect (never null after start).
    std::shared_ptr<const Config> config() const override;
    /// Warnings of the config in effect.
    std::vector<std::string> config_warnings() const;

    /// Re-reads .env and the config; swaps only when valid. Safe from the event loop.
    ReloadResult reload();

    /// Starts an orderly shutdown from the event loop (signals, the `shutdown` method).
    void request_shutdown(const std::string& reason);

    /// Starts an in-place restart: stop accepting (the listening socket stays open, so no
    /// connection is refused), drain in-flight requests for up to `drain_s`, then exec the
    /// binary at its path again with the same pid and arguments.
    void request_restart(double drain_s);

    /// Credential state per provider used by the config.
    std::vector<ProviderStatus> provider_status() const;

    /// The OAuth token store (null before start).
    auth::TokenStore* tokens() { return m_tokens.get(); }

    /// Deployment cooldowns, shared by the proxy and the control methods.
    router::CooldownTable& cooldowns() { return m_cooldowns; }

    const DaemonOptions& options() const { return m_options; }
    const HomePaths& paths() const { return m_paths; }
    std::string config_path() const override;
    std::string dotenv_path() const override { return m_paths.dotenv; }
    std::chrono::system_clock::time_point started_at() const { return m_started_wall; }
    std::chrono::system_clock::time_point config_loaded_at() const;
    double uptime_seconds() const;
    int http_port() const;
    /// Client connections open now (0 before the listener starts).
    int http_connections() const;
    /// Responses being streamed now.
    int http_streams() const;
    std::string http_url() const;

  private:
    bool acquire_home_lock();
    bool load_initial_config();
    /// Tells the token store what the config in effect uses.
    void configure_tokens(const Config& cfg);
    void log_credential_summary();
    void install_signals();
    void wait_for_signal();

    DaemonOptions m_options;
    HomePaths m_paths;
    asio::io_context m_io;
    asio::signal_set m_signals;
    /// OAuth tokens; before the proxy and the control server, which use it.
    std::unique_ptr<auth::TokenStore> m_tokens;
    std::unique_ptr<ControlServer> m_control;
    std::unique_ptr<proxy::Proxy> m_proxy;  ///< before m_http: the listener serves through it
    std::unique_ptr<HttpServer> m_http;
    int m_lock_fd = -1;
    bool m_stopping = false;
    std::string m_exe_path;  ///< resolved at start: a replaced binary is picked up on restart
    std::thread m_restart_thread;

    mutable std::mutex m_config_mutex;
    std::shared_ptr<const Config> m_config;
    std::vector<std::string> m_config_warnings;
    std::chrono::system_clock::time_point m_config_loaded_at;
    std::set<std::string> m_dotenv_owned;
    router::CooldownTable m_cooldowns;

    std::chrono::steady_clock::time_point m_started_steady;
    std::chrono::system_clock::time_point m_started_wall;
};

}  // namespace litellm
