#include "ctl/commands.hpp"

#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <functional>
#include <thread>

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <CLI/CLI.hpp>

#include "common/config.hpp"
#include "common/dotenv.hpp"
#include "common/fs.hpp"
#include "common/home_init.hpp"
#include "common/json.hpp"
#include "common/log.hpp"
#include "common/paths.hpp"
#include "common/process.hpp"
#include "common/provider_status.hpp"
#include "common/rpc_client.hpp"
#include "common/text.hpp"
#include "ctl/auth.hpp"
#include "ctl/completions.hpp"
#include "ctl/doctor.hpp"
#include "ctl/service.hpp"
#include "ctl/toggle_claude.hpp"
#include "proto/build_info.hpp"
#include "proto/commit.hpp"
#include "proto/errors.hpp"
#include "proto/methods.hpp"
#include "proto/version.hpp"

namespace litellm::ctl {

namespace {

using proto::ExitCode;

int code(ExitCode c) {
    return static_cast<int>(c);
}

/// Options every subcommand shares.
struct Globals {
    std::string home = default_home();
    std::string socket;  ///< empty = derived from home
    int timeout_ms = 10000;

    std::string socket_path() const {
        return socket.empty() ? control_socket_path(absolute_path(home)) : socket;
    }
};

/// A connected, greeted client, or the exit code and message for why not.
struct Connection {
    rpc::Client client;
    int exit_code = 0;
    std::string daemon_version;
};

void print_not_running(const Globals& g) {
    std::fprintf(stderr,
                 "litellmctl: litellmd is not running (nothing answers on %s).\n"
                 "  Start it in the foreground with `litellmctl proxy`, or as a service with "
                 "`litellmctl start`.\n",
                 g.socket_path().c_str());
}

// Connects and performs rpc.hello; prints the reason and returns a non-zero exit code on failure.
Connection connect_daemon(const Globals& g, bool quiet_not_running = false) {
    Connection c;
    std::string path = g.socket_path();
    if (!c.client.connect(path, g.timeout_ms)) {
        switch (c.client.last_error()) {
            case rpc::TransportError::kNotRunning:
                if (!quiet_not_running) print_not_running(g);
                c.exit_code = code(ExitCode::kNotRunning);
                break;
            case rpc::TransportError::kPermission:
                std::fprintf(stderr,
                             "litellmctl: permission denied on %s: the daemon belongs to another "
                             "user; run litellmctl as that user.\n",
                             path.c_str());
                c.exit_code = code(ExitCode::kPermission);
                break;
            default:
                std::fprintf(stderr, "litellmctl: cannot connect to %s: %s\n", path.c_str(),
                             c.client.last_error_text().c_str());
                c.exit_code = code(ExitCode::kFailure);
        }
        return c;
    }
    std::string params = fmt::format(R"({{"client":"litellmctl/{}","protocol":{}}})",
                                     proto::kVersion, proto::kProtocolVersion);
    auto reply = c.client.call("rpc.hello", params, g.timeout_ms);
    if (!reply) {
        std::fprintf(stderr, "litellmctl: litellmd on %s did not answer: %s\n", path.c_str(),
                     c.client.last_error_text().c_str());
        c.exit_code =
            code(c.client.last_error() == rpc::TransportError::kClosed ? ExitCode::kNotRunning
                                                                       : ExitCode::kFailure);
        return c;
    }
    if (reply->is_error) {
        std::fprintf(stderr, "litellmctl: %s\n", reply->error_message.c_str());
        c.exit_code = code(proto::exit_code_for(static_cast<proto::ErrorCode>(reply->error_code)));
        return c;
    }
    const auto& r = reply->payload();
    c.daemon_version = std::string(json_get_string(r, "daemon_version"));
    long long daemon_protocol = json_get_int(r, "protocol", 0);
    if (daemon_protocol < proto::kMinCompatProtocol) {
        std::fprintf(stderr,
                     "litellmctl: litellmd %s speaks protocol %lld, older than this litellmctl "
                     "supports (%d); restart the daemon with the new binary (`litellmctl "
                     "restart`).\n",
                     c.daemon_version.c_str(), daemon_protocol, proto::kMinCompatProtocol);
        c.exit_code = code(ExitCode::kIncompatible);
    } else if (daemon_protocol > proto::kProtocolVersion) {
        std::fprintf(stderr,
                     "litellmctl: note: litellmd %s is newer (protocol %lld > %d); some fields "
                     "may not be shown.\n",
                     c.daemon_version.c_str(), daemon_protocol, proto::kProtocolVersion);
    }
    return c;
}

// Calls `method`, printing a daemon error; returns the reply or nullopt with `exit_code` set.
std::optional<rpc::Message> call_or_report(Connection& c, const Globals& g, const std::string& m,
                                           const std::string& params, int& exit_code) {
    auto reply = c.client.call(m, params, g.timeout_ms);
    if (!reply) {
        std::fprintf(stderr, "litellmctl: %s failed: %s\n", m.c_str(),
                     c.client.last_error_text().c_str());
        exit_code = code(ExitCode::kFailure);
        return std::nullopt;
    }
    if (reply->is_error) {
        std::fprintf(stderr, "litellmctl: %s: %s\n", m.c_str(), reply->error_message.c_str());
        exit_code = code(proto::exit_code_for(static_cast<proto::ErrorCode>(reply->error_code)));
        return std::nullopt;
    }
    exit_code = 0;
    return reply;
}

std::string duration_text(double seconds) {
    long s = static_cast<long>(seconds);
    if (s < 60) return fmt::format("{}s", s);
    if (s < 3600) return fmt::format("{}m {}s", s / 60, s % 60);
    if (s < 86400) return fmt::format("{}h {}m", s / 3600, (s % 3600) / 60);
    return fmt::format("{}d {}h", s / 86400, (s % 86400) / 3600);
}

void print_cooldowns(const rapidjson::Value& list);

// ---- status ---------------------------------------------------------------------------------

void add_service_json(rapidjson::Document& d, const ServiceState& svc) {
    auto& a = d.GetAllocator();
    rapidjson::Value v(rapidjson::kObjectType);
    v.AddMember("manager", rapidjson::StringRef(service_manager_name(svc.manager)), a);
    v.AddMember("installed", svc.installed, a);
    v.AddMember("active", svc.active, a);
    v.AddMember("path", json_str(svc.path, a), a);
    v.AddMember("detail", json_str(svc.detail, a), a);
    d.AddMember("service", v, a);
}

std::string service_line(const ServiceState& svc) {
    if (!svc.installed && svc.manager != ServiceManager::kDetached) {
        return fmt::format("{} available, not installed (`litellmctl start` installs it)",
                           service_manager_name(svc.manager));
    }
    return fmt::format("{}: {} ({})", service_manager_name(svc.manager), svc.detail, svc.path);
}

// `status` with no daemon: what can be seen from the files.
int cmd_status_offline(const Globals& g, bool json, const ServiceState& svc) {
    HomePaths paths = home_paths(absolute_path(g.home));
    load_dotenv_file(paths.dotenv);
    ConfigLoadResult cfg = load_config_file(paths.config);
    std::vector<ProviderStatus> providers;
    if (cfg.ok()) providers = provider_status(*cfg.config, paths, paths.config);
    if (json) {
        rapidjson::Document d(rapidjson::kObjectType);
        auto& a = d.GetAllocator();
        d.AddMember("running", false, a);
        d.AddMember("home", json_str(paths.home, a), a);
        d.AddMember("socket", json_str(g.socket_path(), a), a);
        d.AddMember("config_path", json_str(paths.config, a), a);
        d.AddMember("config_ok", cfg.ok(), a);
        rapidjson::Value errors(rapidjson::kArrayType);
        for (const auto& e : cfg.errors())
            errors.PushBack(json_str(e.to_string(), a), a);
        d.AddMember("config_errors", errors, a);
        d.AddMember("model_count",
                    static_cast<uint64_t>(cfg.ok() ? cfg.config->model_names().size() : 0), a);
        rapidjson::Value list(rapidjson::kArrayType);
        for (const auto& p : providers) {
            rapidjson::Value v(rapidjson::kObjectType);
            v.AddMember("name", json_str(p.name, a), a);
            v.AddMember("credential", rapidjson::StringRef(p.credential_ok ? "ok" : "missing"), a);
            v.AddMember("source", json_str(p.source, a), a);
            v.AddMember("hint", json_str(p.hint, a), a);
            list.PushBack(v, a);
        }
        d.AddMember("providers", list, a);
        add_service_json(d, svc);
        std::printf("%s\n", json_pretty(d).c_str());
        return code(ExitCode::kNotRunning);
    }
    std::printf("litellmd: not running (nothing answers on %s)\n", g.socket_path().c_str());
    std::printf("  Service: %s\n", service_line(svc).c_str());
    std::printf("  Config:  %s (%s)\n", paths.config.c_str(),
                cfg.ok() ? fmt::format("{} models", cfg.config->model_names().size()).c_str()
                         : fmt::format("{} errors", cfg.errors().size()).c_str());
    for (const auto& e : cfg.errors())
        std::printf("    %s\n", e.to_string().c_str());
    if (!providers.empty()) std::printf("\nProviders:\n");
    for (const auto& p : providers) {
        std::printf("  %-12s %-40s %-8s %s\n", p.name.c_str(), p.display_name.c_str(),
                    p.credential_ok ? "ok" : "MISSING", p.source.c_str());
        if (!p.credential_ok) std::printf("      -> %s\n", p.hint.c_str());
    }
    std::printf(
        "\nStart it with `litellmctl start` (service) or `litellmctl proxy` "
        "(foreground).\n");
    return code(ExitCode::kNotRunning);
}

int cmd_status(const Globals& g, bool json) {
    ServiceState svc = service_state(detect_service_manager(), absolute_path(g.home));
    Connection c = connect_daemon(g, /*quiet_not_running=*/true);
    if (c.exit_code == code(ExitCode::kNotRunning)) return cmd_status_offline(g, json, svc);
    if (c.exit_code != 0) return c.exit_code;
    int rc = 0;
    auto reply = call_or_report(c, g, "status", "", rc);
    if (!reply) return rc;
    const auto& s = reply->payload();
    if (json) {
        rapidjson::Document d;
        d.CopyFrom(s, d.GetAllocator());
        d.AddMember("running", true, d.GetAllocator());
        add_service_json(d, svc);
        std::printf("%s\n", json_pretty(d).c_str());
        return 0;
    }
    const auto& listen = s["listen"];
    std::printf("litellmd %s: running (pid %lld, up %s)\n",
                std::string(json_get_string(s, "version")).c_str(), json_get_int(s, "pid"),
                duration_text(s["uptime_s"].GetDouble()).c_str());
    std::printf("  URL:     %s (%lld connections open, %lld streaming)\n",
                std::string(json_get_string(listen, "url")).c_str(),
                json_get_int(listen, "connections"), json_get_int(listen, "streams"));
    std::printf("  Config:  %s (%lld models)\n",
                std::string(json_get_string(s, "config_path")).c_str(),
                json_get_int(s, "model_count"));
    std::printf("  Home:    %s\n", std::string(json_get_string(s, "home")).c_str());
    std::printf("  Service: %s\n", svc.active || svc.installed
                                       ? service_line(svc).c_str()
                                       : "none (running in the foreground or by hand)");
    std::printf("  Socket:  %s\n", std::string(json_get_string(s, "socket")).c_str());
    std::printf("  Log:     %s\n", std::string(json_get_string(s, "log_file")).c_str());
    std::printf("  Clients: %s\n", s["master_key_set"].GetBool()
                                       ? "must send the master key (Bearer or x-api-key)"
                                       : "no master key set: loopback only");
    std::printf("\nProviders:\n");
    for (const auto& p : s["providers"].GetArray()) {
        bool ok = json_get_string(p, "credential") == "ok";
        std::printf("  %-12s %-34s %3u models  %-8s %s\n",
                    std::string(json_get_string(p, "name")).c_str(),
                    std::string(json_get_string(p, "display_name")).c_str(), p["models"].Size(),
                    ok ? "ok" : "MISSING", std::string(json_get_string(p, "source")).c_str());
        if (!ok) std::printf("      -> %s\n", std::string(json_get_string(p, "hint")).c_str());
    }
    std::printf("\nFallback chains:\n");
    int chains = 0;
    for (const auto& m : s["models"].GetArray()) {
        if (m["fallbacks"].Empty()) continue;
        ++chains;
        std::string list;
        for (const auto& f : m["fallbacks"].GetArray()) {
            if (!list.empty()) list += " -> ";
            list += f.GetString();
        }
        std::printf("  %s -> %s\n", std::string(json_get_string(m, "name")).c_str(), list.c_str());
    }
    if (chains == 0) std::printf("  (none configured)\n");
    if (s.HasMember("cooldowns")) {
        std::printf("\nCooldowns:\n");
        print_cooldowns(s["cooldowns"]);
    }
    if (s.HasMember("recent_errors") && !s["recent_errors"].Empty()) {
        std::printf("\nRecent warnings and errors (litellmctl logs --level warn shows more):\n");
        for (const auto& r : s["recent_errors"].GetArray()) {
            std::printf("  %s %-5s %s: %s\n", std::string(json_get_string(r, "ts")).c_str(),
                        std::string(json_get_string(r, "level")).c_str(),
                        std::string(json_get_string(r, "component")).c_str(),
                        std::string(json_get_string(r, "msg")).c_str());
        }
    }
    auto warnings = s["warnings"].GetArray();
    if (!warnings.Empty()) {
        std::printf("\nConfig warnings (%u):\n", warnings.Size());
        for (const auto& w : warnings)
            std::printf("  %s\n", w.GetString());
    }
    return 0;
}

// ---- logs -----------------------------------------------------------------------------------

volatile std::sig_atomic_t g_interrupted = 0;

void on_interrupt(int) {
    g_interrupted = 1;
}

void install_interrupt_handler() {
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: poll() returns EINTR so loops notice Ctrl-C
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

std::string record_line(const rapidjson::Value& r, bool json) {
    if (json) return json_stringify(r);
    std::string ts(json_get_string(r, "ts"));
    std::string level(json_get_string(r, "level"));
    static const char* kPadded[] = {"DEBUG", "INFO ", "WARN ", "ERROR"};
    int idx = static_cast<int>(parse_log_level(level).value_or(LogLevel::kInfo));
    return fmt::format("{} {} {}: {}", ts, kPadded[idx], json_get_string(r, "component"),
                       json_get_string(r, "msg"));
}

/// One line of the log file as `logs` prints it, or nullopt when below `min`. A line that is
/// not a record (a crash message) counts as info, so it is not hidden by default.
std::optional<std::string> file_line(const std::string& line, std::uint64_t number, LogLevel min,
                                     bool json) {
    auto parsed = parse_log_line(line);
    LogLevel level = parsed ? parsed->level : LogLevel::kInfo;
    if (level < min) return std::nullopt;
    if (!json) return line;
    // The same keys as a logs.tail record; `seq` is the line's number in the file.
    rapidjson::Document d(rapidjson::kObjectType);
    auto& a = d.GetAllocator();
    d.AddMember("seq", static_cast<uint64_t>(number), a);
    d.AddMember("ts", parsed ? json_str(parsed->ts, a) : rapidjson::Value(), a);
    d.AddMember("level", json_str(log_level_name(level), a), a);
    d.AddMember("component", json_str(parsed ? parsed->component : std::string(), a), a);
    d.AddMember("msg", json_str(parsed ? parsed->message : line, a), a);
    return json_stringify(d);
}

/// The identity of a file, to notice a rotation (rename + new file) like `tail -F`.
std::pair<dev_t, ino_t> file_identity(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return {0, 0};
    return {st.st_dev, st.st_ino};
}

// Reads the log file directly when no daemon runs, with the same filters and --json.
int logs_from_file(const Globals& g, bool follow, int n, LogLevel min, bool json) {
    std::string path = home_paths(absolute_path(g.home)).log_file;
    std::ifstream in(path);
    if (!in) {
        std::fprintf(stderr, "litellmctl: litellmd is not running and there is no log file at %s\n",
                     path.c_str());
        return code(ExitCode::kNotRunning);
    }
    std::fprintf(stderr, "litellmctl: litellmd is not running; showing %s\n", path.c_str());
    auto identity = file_identity(path);
    std::deque<std::string> last;
    std::string line;
    std::uint64_t number = 0;
    while (std::getline(in, line)) {
        auto shown = file_line(line, ++number, min, json);
        if (!shown) continue;
        last.push_back(std::move(*shown));
        if (static_cast<int>(last.size()) > n) last.pop_front();
    }
    for (const auto& l : last)
        std::printf("%s\n", l.c_str());
    std::fflush(stdout);
    if (!follow) return 0;
    install_interrupt_handler();
    in.clear();
    while (!g_interrupted) {
        if (std::getline(in, line)) {
            if (in.eof()) {
                // A line still being written: wait for the rest of it.
                in.clear();
                in.seekg(-static_cast<std::streamoff>(line.size()), std::ios::cur);
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
                continue;
            }
            if (auto shown = file_line(line, ++number, min, json)) {
                std::printf("%s\n", shown->c_str());
                std::fflush(stdout);
            }
            continue;
        }
        in.clear();
        auto now = file_identity(path);
        if (now != identity && now.second != 0) {
            // Rotated: what is left of the old file was read; go on with the new one.
            in.close();
            in.open(path);
            identity = now;
            number = 0;
            continue;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return 0;
}

/// A record stream from the daemon; reconnects when the daemon goes away (an in-place restart,
/// a stop and start), like `tail -F`. Records already shown are not shown again.
class LogFollower {
  public:
    LogFollower(const Globals& g, int backlog, std::string level, bool json)
        : m_g(g), m_backlog(backlog), m_level(std::move(level)), m_json(json) {}

    /// Streams until Ctrl-C; returns the exit code.
    int run(Connection first) {
        install_interrupt_handler();
        Connection c = std::move(first);
        int rc = subscribe(c);
        if (rc != 0) return rc;
        while (!g_interrupted) {
            auto msg = c.client.read_message(500);
            if (!msg) {
                if (c.client.last_error() == rpc::TransportError::kTimeout) continue;
                if (g_interrupted) break;
                std::fprintf(stderr,
                             "litellmctl: litellmd went away (%s); waiting for it to come back "
                             "(Ctrl-C stops)\n",
                             c.client.last_error_text().c_str());
                if (!reconnect(c)) break;
                continue;
            }
            if (msg->is_notification) show(*msg);
        }
        return 0;
    }

  private:
    int subscribe(Connection& c) {
        int rc = 0;
        auto reply =
            call_or_report(c, m_g, "logs.follow",
                           fmt::format(R"({{"level":"{}","backlog":{}}})", m_level, m_backlog), rc);
        return reply ? 0 : rc;
    }

    bool reconnect(Connection& c) {
        while (!g_interrupted) {
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            Connection next = connect_daemon(m_g, /*quiet_not_running=*/true);
            if (next.exit_code == code(ExitCode::kNotRunning)) continue;
            if (next.exit_code != 0) return false;
            if (subscribe(next) != 0) continue;
            std::fprintf(stderr, "litellmctl: following litellmd %s again\n",
                         next.daemon_version.c_str());
            c = std::move(next);
            return true;
        }
        return false;
    }

    void show(const rpc::Message& msg) {
        const auto& p = msg.payload();
        if (msg.method == "log.dropped") {
            std::fprintf(stderr, "litellmctl: %lld log records dropped (reader too slow)\n",
                         json_get_int(p, "count"));
            return;
        }
        if (msg.method != "log") return;
        // Seen already: the backlog of a reconnect overlaps what was shown. A restarted daemon
        // numbers its records afresh, so a record is new when it is later, or as late and
        // numbered after the last one shown.
        auto seq = static_cast<std::uint64_t>(json_get_int(p, "seq"));
        std::string ts(json_get_string(p, "ts"));
        bool fresh = ts > m_last_ts || (ts == m_last_ts && seq > m_last_seq);
        if (!fresh) return;
        m_last_ts = ts;
        m_last_seq = seq;
        std::printf("%s\n", record_line(p, m_json).c_str());
        std::fflush(stdout);
    }

    const Globals& m_g;
    int m_backlog;
    std::string m_level;
    bool m_json;
    std::string m_last_ts;
    std::uint64_t m_last_seq = 0;
};

int cmd_logs(const Globals& g, bool follow, int n, const std::string& level, bool json) {
    LogLevel min = parse_log_level(level).value_or(LogLevel::kInfo);
    Connection c = connect_daemon(g, /*quiet_not_running=*/true);
    if (c.exit_code == code(ExitCode::kNotRunning)) {
        return logs_from_file(g, follow, n, min, json);
    }
    if (c.exit_code != 0) return c.exit_code;
    int rc = 0;
    if (!follow) {
        auto reply = call_or_report(c, g, "logs.tail",
                                    fmt::format(R"({{"n":{},"level":"{}"}})", n, level), rc);
        if (!reply) return rc;
        for (const auto& r : reply->payload()["records"].GetArray()) {
            std::printf("%s\n", record_line(r, json).c_str());
        }
        return 0;
    }
    LogFollower follower(g, n, level, json);
    return follower.run(std::move(c));
}

// ---- reload / stop / version / rpc ----------------------------------------------------------

int cmd_reload(const Globals& g, bool json) {
    Connection c = connect_daemon(g);
    if (c.exit_code != 0) return c.exit_code;
    auto reply = c.client.call("reload", "", g.timeout_ms);
    if (!reply) {
        std::fprintf(stderr, "litellmctl: reload failed: %s\n", c.client.last_error_text().c_str());
        return code(ExitCode::kFailure);
    }
    if (reply->is_error) {
        // One shape for every --json command: the result on stdout, or nothing and the reason
        // on stderr with an exit code that says what kind.
        std::fprintf(stderr, "litellmctl: reload refused: %s\n", reply->error_message.c_str());
    } else if (json) {
        std::printf("%s\n", json_pretty(reply->payload()).c_str());
    } else {
        const auto& r = reply->payload();
        std::printf("reloaded %s: %lld models\n",
                    std::string(json_get_string(r, "config_path")).c_str(),
                    json_get_int(r, "model_count"));
        for (const auto& w : r["warnings"].GetArray())
            std::printf("  warning: %s\n", w.GetString());
    }
    if (reply->is_error) {
        return code(proto::exit_code_for(static_cast<proto::ErrorCode>(reply->error_code)));
    }
    return 0;
}

int cmd_version(const Globals& g, bool json) {
    Connection c = connect_daemon(g, /*quiet_not_running=*/true);
    std::string daemon = c.exit_code == 0 ? c.daemon_version : std::string();
    if (json) {
        std::printf(R"({"litellmctl":"%s","protocol":%d,"min_protocol":%d,"litellmd":%s})"
                    "\n",
                    proto::kVersion, proto::kProtocolVersion, proto::kMinCompatProtocol,
                    daemon.empty() ? "null" : ("\"" + daemon + "\"").c_str());
        return 0;
    }
    std::printf("litellmctl %s (control protocol %d, oldest compatible %d)\n", proto::kVersion,
                proto::kProtocolVersion, proto::kMinCompatProtocol);
    if (!daemon.empty())
        std::printf("litellmd %s (running)\n", daemon.c_str());
    else
        std::printf("litellmd: not running\n");
    return 0;
}

int cmd_rpc(const Globals& g, const std::string& method, const std::string& params, bool list) {
    if (list) {
        for (const auto& spec : proto::method_table()) {
            std::printf("%-14s %s\n    usage: %s\n", std::string(spec.name).c_str(),
                        std::string(spec.summary).c_str(), proto::usage(spec).c_str());
        }
        return 0;
    }
    if (method.empty()) {
        std::fprintf(stderr, "litellmctl rpc: name a METHOD (see `litellmctl rpc --list`)\n");
        return code(ExitCode::kUsage);
    }
    if (!params.empty()) {
        rapidjson::Document d;
        std::string err;
        if (!json_parse(params, d, &err) || !d.IsObject()) {
            std::fprintf(stderr, "litellmctl rpc: params must be a JSON object (%s)\n",
                         err.empty() ? "not an object" : err.c_str());
            return code(ExitCode::kUsage);
        }
    }
    Connection c = connect_daemon(g);
    if (c.exit_code != 0) return c.exit_code;
    auto reply = c.client.call(method, params, g.timeout_ms);
    if (!reply) {
        std::fprintf(stderr, "litellmctl: %s\n", c.client.last_error_text().c_str());
        return code(ExitCode::kFailure);
    }
    if (reply->is_error) {
        std::fprintf(
            stderr, "litellmctl: error %d (%s): %s\n", reply->error_code,
            std::string(proto::error_code_name(static_cast<proto::ErrorCode>(reply->error_code)))
                .c_str(),
            reply->error_message.c_str());
        if (!reply->error_data().IsNull()) {
            std::fprintf(stderr, "%s\n", json_pretty(reply->error_data()).c_str());
        }
        return code(ExitCode::kRpcError);
    }
    std::printf("%s\n", json_pretty(reply->payload()).c_str());
    std::fflush(stdout);
    const proto::MethodSpec* spec = proto::find_method(method);
    if (spec && spec->streaming()) {
        install_interrupt_handler();
        while (!g_interrupted) {
            auto line = c.client.read_line(500);
            if (!line) {
                if (c.client.last_error() == rpc::TransportError::kTimeout) continue;
                break;
            }
            std::printf("%s\n", line->c_str());
            std::fflush(stdout);
        }
    }
    return 0;
}

// ---- cooldowns ------------------------------------------------------------------------------

void print_cooldowns(const rapidjson::Value& list) {
    if (list.Empty()) {
        std::printf("  (none: every deployment is available)\n");
        return;
    }
    for (const auto& c : list.GetArray()) {
        bool cooling = c["cooling"].GetBool();
        bool half_open =
            c.HasMember("half_open") && c["half_open"].IsBool() && c["half_open"].GetBool();
        std::string state =
            half_open ? std::string("half-open: the next request probes it")
            : cooling ? fmt::format("cooling {:>5.0f}s", c["remaining_s"].GetDouble())
                      : fmt::format("{} failure(s) ", json_get_int(c, "consecutive_failures"));
        std::printf("  %-48s %s  %s\n", std::string(json_get_string(c, "deployment")).c_str(),
                    state.c_str(), std::string(json_get_string(c, "reason")).c_str());
        std::string quota(json_get_string(c, "quota"));
        if (!quota.empty()) {
            std::printf("      quota of %s: %s\n",
                        std::string(json_get_string(c, "quota_account")).c_str(), quota.c_str());
        }
    }
}

int cmd_cooldowns(const Globals& g, const std::string& action, const std::string& name, bool json) {
    if (action != "list" && action != "reset") {
        std::fprintf(stderr, "litellmctl cooldowns: unknown action '%s' (list or reset)\n",
                     action.c_str());
        return code(ExitCode::kUsage);
    }
    Connection c = connect_daemon(g);
    if (c.exit_code != 0) return c.exit_code;
    int rc = 0;
    if (action == "reset") {
        rapidjson::Document p(rapidjson::kObjectType);
        p.AddMember("name", json_str(name, p.GetAllocator()), p.GetAllocator());
        auto reply = call_or_report(c, g, "cooldowns.reset", json_stringify(p), rc);
        if (!reply) return rc;
        if (json) {
            std::printf("%s\n", json_pretty(reply->payload()).c_str());
        } else {
            std::printf("reset %lld cooldown(s)%s\n", json_get_int(reply->payload(), "reset"),
                        name.empty() ? "" : (" for " + name).c_str());
        }
        return 0;
    }
    auto reply = call_or_report(c, g, "cooldowns.list", "", rc);
    if (!reply) return rc;
    if (json) {
        std::printf("%s\n", json_pretty(reply->payload()).c_str());
        return 0;
    }
    std::printf("Cooldowns:\n");
    print_cooldowns(reply->payload()["cooldowns"]);
    const rapidjson::Value& payload = reply->payload();
    if (payload.HasMember("quotas") && payload["quotas"].IsArray() && !payload["quotas"].Empty()) {
        std::printf("Plan quotas (latest reading):\n");
        for (const auto& q : payload["quotas"].GetArray()) {
            std::printf(
                "  %-32s %s, %s ago\n", std::string(json_get_string(q, "account")).c_str(),
                std::string(json_get_string(q, "reading")).c_str(),
                duration_text(q.HasMember("age_s") && q["age_s"].IsNumber() ? q["age_s"].GetDouble()
                                                                            : 0)
                    .c_str());
        }
    }
    return 0;
}

// ---- install / update -----------------------------------------------------------------------

/// What `install` and `update` were asked to do.
struct BuildOptions {
    std::string prefix;  ///< empty = ~/.local
    std::string source;  ///< --source; empty = $LITELLM_SOURCE_DIR, else the compiled-in tree
    bool yes = false;
    bool no_restart = false;
    bool dry_run = false;
};

// The source checkout to build: --source, $LITELLM_SOURCE_DIR, or the one this binary was built
// from; empty (with `tried` set) when none has scripts/install.
std::string source_dir(const BuildOptions& o, std::string& tried) {
    const char* env = std::getenv("LITELLM_SOURCE_DIR");
    tried = !o.source.empty() ? o.source : (env && *env) ? env : build::kSourceDir;
    std::string dir = absolute_path(tried);
    return path_exists(dir + "/scripts/install") ? dir : std::string();
}

std::string install_prefix(const BuildOptions& o) {
    if (!o.prefix.empty()) return absolute_path(o.prefix);
    const char* home = std::getenv("HOME");
    return std::string(home && *home ? home : "/root") + "/.local";
}

// Asks `question` on the terminal; `yes` answers it. Off a terminal without `yes` the answer is
// no, and `refused` says so (a script must opt in with --yes).
bool confirm(const char* command, const char* question, bool yes, bool default_yes, bool& refused) {
    refused = false;
    if (yes) return true;
    if (!::isatty(STDIN_FILENO)) {
        std::fprintf(stderr,
                     "litellmctl %s: not asking on a non-terminal; pass --yes to go ahead "
                     "(nothing was done)\n",
                     command);
        refused = true;
        return false;
    }
    std::printf("%s %s ", question, default_yes ? "[Y/n]" : "[y/N]");
    std::fflush(stdout);
    char answer[16] = {0};
    if (!std::fgets(answer, sizeof answer, stdin)) return false;
    if (answer[0] == '\n') return default_yes;
    return answer[0] == 'y' || answer[0] == 'Y';
}

int run_install_script(const std::string& src, const std::string& prefix) {
    SpawnOptions o;
    o.argv = {src + "/scripts/install", "--prefix", prefix};
    Subprocess p;
    std::string error;
    if (!p.spawn(o, &error)) {
        std::fprintf(stderr, "litellmctl: cannot run %s: %s\n", o.argv[0].c_str(), error.c_str());
        return code(ExitCode::kFailure);
    }
    int rc = p.wait(-1).value_or(1);
    if (rc != 0) {
        std::fprintf(stderr,
                     "litellmctl: %s failed (exit %d); the installed binaries are "
                     "unchanged\n",
                     o.argv[0].c_str(), rc);
        return code(ExitCode::kFailure);
    }
    return 0;
}

void print_build_plan(const std::string& src, const std::string& prefix, int first_step) {
    std::printf(
        "  %d. install the missing build packages (%s/scripts/install-deps: apt-get, "
        "which needs root; on macOS it only prints the brew command)\n",
        first_step, src.c_str());
    std::printf(
        "  %d. build litellmd and litellmctl (Release) in %s/build-release (a few "
        "minutes)\n",
        first_step + 1, src.c_str());
    std::printf(
        "  %d. copy both into %s/bin (a running litellmd keeps its binary until "
        "restarted)\n",
        first_step + 2, prefix.c_str());
}

int missing_source(const char* command, const std::string& tried) {
    std::fprintf(stderr,
                 "litellmctl %s: no source checkout at %s (it has no scripts/install); clone the "
                 "litellmd source and pass --source DIR, or set LITELLM_SOURCE_DIR\n",
                 command, tried.c_str());
    return code(ExitCode::kFailure);
}

int cmd_install(const BuildOptions& o) {
    std::string tried;
    std::string src = source_dir(o, tried);
    if (src.empty()) return missing_source("install", tried);
    std::string prefix = install_prefix(o);
    std::printf("litellmctl install will:\n");
    print_build_plan(src, prefix, 1);
    if (o.dry_run) return 0;
    bool refused = false;
    if (!confirm("install", "Go ahead?", o.yes, false, refused)) {
        if (!refused) std::printf("nothing was done\n");
        return refused ? code(ExitCode::kUsage) : 0;
    }
    return run_install_script(src, prefix);
}

int cmd_update(const Globals& g, const BuildOptions& o) {
    std::string tried;
    std::string src = source_dir(o, tried);
    if (src.empty()) return missing_source("update", tried);
    std::string prefix = install_prefix(o);
    bool git = path_exists(src + "/.git");
    Connection c = connect_daemon(g, /*quiet_not_running=*/true);
    bool running = c.exit_code == 0;
    std::printf("litellmctl update will:\n");
    int step = 1;
    if (git) {
        std::printf("  %d. git -C %s pull --ff-only (fetches the newest source)\n", step++,
                    src.c_str());
    } else {
        std::printf("  (%s is not a git checkout: it is rebuilt as it is)\n", src.c_str());
    }
    print_build_plan(src, prefix, step);
    step += 3;
    if (running) {
        std::printf("  %d. %s litellmd %s in place (same pid, no refused connection)\n", step,
                    o.no_restart ? "not restart"
                    : o.yes      ? "restart"
                                 : "offer to restart",
                    c.daemon_version.c_str());
    }
    if (o.dry_run) return 0;
    bool refused = false;
    if (!confirm("update", "Go ahead?", o.yes, false, refused)) {
        if (!refused) std::printf("nothing was done\n");
        return refused ? code(ExitCode::kUsage) : 0;
    }
    if (git) {
        std::printf("==> git pull --ff-only in %s\n", src.c_str());
        SpawnOptions pull;
        pull.argv = {find_program("git"), "-C", src, "pull", "--ff-only"};
        if (pull.argv[0].empty()) {
            std::fprintf(stderr, "litellmctl update: git is not installed; nothing was rebuilt\n");
            return code(ExitCode::kFailure);
        }
        Subprocess p;
        if (!p.spawn(pull) || p.wait(-1).value_or(1) != 0) {
            std::fprintf(stderr,
                         "litellmctl update: `git pull --ff-only` failed (offline, or local "
                         "changes?); nothing was rebuilt\n");
            return code(ExitCode::kFailure);
        }
    }
    int rc = run_install_script(src, prefix);
    if (rc != 0) return rc;
    if (!running) return 0;  // the next start uses the new binary
    bool restart = false;
    if (!o.no_restart) {
        bool ignored = false;
        restart = o.yes || (::isatty(STDIN_FILENO) &&
                            confirm("update", "Restart litellmd now to use the new binary?", false,
                                    true, ignored));
    }
    if (!restart) {
        std::printf("not restarted; `litellmctl restart` picks up the new binary later\n");
        return 0;
    }
    ServiceOptions so;
    so.home = absolute_path(g.home);
    so.socket_path = g.socket_path();
    return service_restart(so);
}

// ---- proxy ----------------------------------------------------------------------------------

int cmd_proxy(const Globals& g, int port, const std::string& config, const std::string& host,
              const std::string& level) {
    std::string daemon = find_program("litellmd");
    if (daemon.empty()) {
        std::fprintf(stderr,
                     "litellmctl: cannot find litellmd next to litellmctl or on PATH; build it "
                     "with scripts/run or install with scripts/install\n");
        return code(ExitCode::kFailure);
    }
    std::vector<std::string> args = {daemon, "--home", absolute_path(g.home), "--port",
                                     std::to_string(port)};
    if (!config.empty()) {
        args.push_back("--config");
        args.push_back(absolute_path(config));
    }
    if (!host.empty()) {
        args.push_back("--host");
        args.push_back(host);
    }
    if (!level.empty()) {
        args.push_back("--log-level");
        args.push_back(level);
    }
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(daemon.c_str(), argv.data());
    std::fprintf(stderr, "litellmctl: cannot run %s: %s\n", daemon.c_str(), std::strerror(errno));
    return code(ExitCode::kFailure);
}

}  // namespace

std::vector<std::string> command_paths() {
    return {"status",
            "logs",
            "reload",
            "start",
            "stop",
            "restart",
            "uninstall-service",
            "proxy",
            "rpc",
            "cooldowns",
            "cooldowns list",
            "cooldowns reset",
            "toggle-claude",
            "completions",
            "setup-completions",
            "doctor",
            "install",
            "update",
            "version",
            "init",
            "help",
            "docs",
            "auth",
            "auth chatgpt",
            "auth gemini",
            "auth qwen",
            "auth refresh",
            "auth status",
            "auth logout",
            "auth import"};
}

namespace {

/// Every value the command line can set, and the subcommands, so the parser and the
/// completion generator share one definition.
struct CliState {
    Globals g;
    bool json = false;
    bool print_bash_completions = false;
    bool print_zsh_completions = false;
    // logs
    bool follow = false;
    int lines = 50;
    std::string level = "info";
    // proxy / start
    int port = 4000;
    bool port_given = false;
    std::string config, host, daemon_level;
    std::string manager;
    int start_timeout_s = 20;
    int drain_s = 30;
    // rpc
    std::string method, params;
    bool list = false;
    // cooldowns
    std::string cd_action = "list", cd_name;
    // docs
    std::string doc_name;
    // auth
    std::string auth_action, auth_provider, auth_from;
    bool no_browser = false;
    // toggle-claude
    bool tc_proxy = false, tc_direct = false, tc_status = false;
    int tc_port = 0;
    std::string tc_settings;
    // completions / setup-completions
    std::string shell, rc_file;
    // doctor
    bool offline = false;
    // install / update
    std::string prefix, source;
    bool yes = false, no = false, dry_run = false;
    // init
    bool force = false;
    // help
    std::vector<std::string> help_words;

    CLI::App* status = nullptr;
    CLI::App* logs = nullptr;
    CLI::App* reload = nullptr;
    CLI::App* start = nullptr;
    CLI::App* stop = nullptr;
    CLI::App* restart = nullptr;
    CLI::App* uninstall = nullptr;
    CLI::App* proxy = nullptr;
    CLI::App* rpc = nullptr;
    CLI::App* cooldowns = nullptr;
    CLI::App* version = nullptr;
    CLI::App* docs = nullptr;
    CLI::App* auth = nullptr;
    CLI::App* toggle_claude = nullptr;
    CLI::App* completions = nullptr;
    CLI::App* setup_completions = nullptr;
    CLI::App* doctor = nullptr;
    CLI::App* install = nullptr;
    CLI::App* update = nullptr;
    CLI::App* init = nullptr;
    CLI::App* help = nullptr;
};

void define_cli(CLI::App& app, CliState& st) {
    app.require_subcommand(0, 1);
    app.fallthrough();
    app.set_version_flag("--version", std::string("litellmctl ") + proto::kVersion + " (commit " +
                                          build::kCommit + ")");
    app.add_option("--home", st.g.home, "LITELLM_HOME (config, .env, tokens, logs, socket)")
        ->capture_default_str();
    app.add_option("--socket", st.g.socket, "Control socket path (default: derived from --home)");
    app.add_option("--timeout", st.g.timeout_ms, "Milliseconds to wait for the daemon")
        ->capture_default_str()
        ->check(CLI::Range(100, 600000));
    app.add_flag("--completions", st.print_bash_completions, "Print the bash completion script");
    app.add_flag("--zsh-completions", st.print_zsh_completions, "Print the zsh completion script");
    app.footer(
        "Exit codes: 0 ok, 1 failure, 2 usage, 3 daemon not running, 4 incompatible, "
        "5 config invalid, 6 not built yet, 7 permission, 8 already running, 9 rpc error.");

    st.status = app.add_subcommand(
        "status", "Auth + proxy at a glance: service, URL, providers, chains, cooldowns");
    st.status->add_flag("--json", st.json, "Machine-readable output");

    st.logs = app.add_subcommand("logs",
                                 "Show recent log lines; -f follows new ones "
                                 "(reads the log file when the daemon is down)");
    st.logs->add_flag("-f,--follow", st.follow, "Keep streaming new lines until Ctrl-C");
    st.logs->add_option("-n,--lines", st.lines, "How many recent lines")
        ->capture_default_str()
        ->check(CLI::Range(0, 100000));
    st.logs->add_option("--level", st.level, "Lowest level: debug, info, warn, error")
        ->capture_default_str()
        ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
    st.logs->add_flag("--json", st.json,
                      "One JSON record per line: {seq, ts, level, component, msg}");

    st.reload = app.add_subcommand("reload",
                                   "Re-read .env and the config; the daemon keeps "
                                   "the old config when the new one has errors");
    st.reload->add_flag("--json", st.json, "Machine-readable output (the reload result)");

    auto add_service_options = [&](CLI::App* sub) {
        sub->add_option("-p,--port", st.port, "HTTP port (default 4000, or the installed one)")
            ->each([&st](const std::string&) { st.port_given = true; })
            ->check(CLI::Range(1, 65535));
        sub->add_option("-c,--config", st.config, "Config file (default: HOME/config.yaml)");
        sub->add_option("--manager", st.manager, "systemd, launchd or detached (default: detect)")
            ->check(CLI::IsMember({"systemd", "launchd", "detached"}));
        sub->add_option("--wait", st.start_timeout_s, "Seconds to wait for the daemon to answer")
            ->capture_default_str()
            ->check(CLI::Range(1, 600));
        sub->add_flag("--json", st.json, "Machine-readable output");
    };
    st.start = app.add_subcommand(
        "start", "Install litellmd as a service (systemd/launchd/detached) and start it");
    add_service_options(st.start);
    st.stop = app.add_subcommand("stop", "Stop litellmd (service manager or daemon)");
    st.stop->add_option("--manager", st.manager, "systemd, launchd or detached (default: detect)")
        ->check(CLI::IsMember({"systemd", "launchd", "detached"}));
    st.stop->add_flag("--json", st.json, "Machine-readable output");
    st.restart = app.add_subcommand(
        "restart",
        "Restart litellmd in place (same pid, no refused connection); picks up a new "
        "binary");
    add_service_options(st.restart);
    st.restart->add_option("--drain", st.drain_s, "Seconds to let in-flight requests finish")
        ->capture_default_str()
        ->check(CLI::Range(0, 3600));
    st.uninstall = app.add_subcommand("uninstall-service", "Stop and remove the litellmd service");
    st.uninstall
        ->add_option("--manager", st.manager, "systemd, launchd or detached (default: detect)")
        ->check(CLI::IsMember({"systemd", "launchd", "detached"}));
    st.uninstall->add_flag("--json", st.json, "Machine-readable output");

    st.proxy = app.add_subcommand("proxy", "Run litellmd in the foreground (for debugging)");
    st.proxy->add_option("-p,--port", st.port, "HTTP port")->capture_default_str();
    st.proxy->add_option("-c,--config", st.config, "Config file (default: HOME/config.yaml)");
    st.proxy->add_option("--host", st.host, "Listen address (default 127.0.0.1)");
    st.proxy->add_option("--log-level", st.daemon_level, "debug, info, warn or error")
        ->check(CLI::IsMember({"debug", "info", "warn", "error"}));

    st.rpc = app.add_subcommand("rpc", "Call a control method by name and print its JSON result");
    st.rpc->add_option("method", st.method, "Method name, e.g. status (see --list)");
    st.rpc->add_option("params", st.params, "Params as a JSON object, e.g. '{\"n\":10}'");
    st.rpc->add_flag("--list", st.list, "List the methods with their usage");

    st.cooldowns = app.add_subcommand(
        "cooldowns",
        "List deployments cooling down after failures, or reset them (`cooldowns reset [NAME]`)");
    st.cooldowns->add_option("action", st.cd_action, "list (default) or reset")
        ->check(CLI::IsMember({"list", "reset"}));
    st.cooldowns->add_option("name", st.cd_name,
                             "With reset: a model name or <model_name>@<provider/model>; "
                             "none = all");
    st.cooldowns->add_flag("--json", st.json, "Machine-readable output");

    st.toggle_claude = app.add_subcommand(
        "toggle-claude", "Switch Claude Code between the direct Anthropic API and this proxy");
    auto* to_proxy = st.toggle_claude->add_flag("--proxy", st.tc_proxy, "Point Claude Code here");
    auto* to_direct =
        st.toggle_claude->add_flag("--direct", st.tc_direct, "Restore the direct Anthropic API");
    auto* tc_status =
        st.toggle_claude->add_flag("--status", st.tc_status, "Only show the current mode");
    to_proxy->excludes(to_direct)->excludes(tc_status);
    to_direct->excludes(tc_status);
    st.toggle_claude->add_option("--port", st.tc_port, "Proxy port (default: the running one)")
        ->check(CLI::Range(1, 65535));
    st.toggle_claude->add_option("--settings", st.tc_settings,
                                 "Claude Code settings file (default ~/.claude/settings.json)");
    st.toggle_claude->add_flag("--json", st.json, "Machine-readable output");

    st.completions = app.add_subcommand("completions", "Print the completion script for a shell");
    st.completions->add_option("shell", st.shell, "bash, zsh or fish")
        ->required()
        ->check(CLI::IsMember({"bash", "zsh", "fish"}));
    st.setup_completions = app.add_subcommand(
        "setup-completions", "Add litellmctl completions to your shell's startup file (once)");
    st.setup_completions->add_option("--shell", st.shell, "bash, zsh or fish (default: $SHELL)")
        ->check(CLI::IsMember({"bash", "zsh", "fish"}));
    st.setup_completions->add_option("--rc", st.rc_file, "The startup file to edit");
    st.setup_completions->add_flag("--json", st.json, "Machine-readable output");

    st.doctor = app.add_subcommand(
        "doctor", "Check config, keys, token files, socket, port, service and upstream hosts");
    st.doctor->add_flag("--offline", st.offline, "Skip the DNS/TCP probes of upstream hosts");
    st.doctor->add_option("-p,--port", st.port, "The port the proxy should use")
        ->each([&st](const std::string&) { st.port_given = true; })
        ->check(CLI::Range(1, 65535));
    st.doctor->add_option("-c,--config", st.config, "Config file (default: HOME/config.yaml)");
    st.doctor->add_flag("--json", st.json, "Machine-readable output");

    auto add_build_options = [&](CLI::App* sub) {
        sub->add_option("--prefix", st.prefix, "Install into PREFIX/bin (default ~/.local)");
        sub->add_option("--source", st.source,
                        "The source checkout to build (default: $LITELLM_SOURCE_DIR, else the "
                        "one this binary was built from)");
        sub->add_flag("--dry-run", st.dry_run, "Only say what would be done");
    };
    st.install = app.add_subcommand(
        "install",
        "Build and install litellmd and litellmctl from the source (asks first; default into "
        "~/.local/bin)");
    add_build_options(st.install);
    st.install->add_flag("-y,--yes", st.yes, "Do not ask (needed when not on a terminal)");
    st.update = app.add_subcommand(
        "update",
        "Pull the source, rebuild, reinstall, and offer to restart the service (asks first)");
    add_build_options(st.update);
    st.update->add_flag("-y,--yes", st.yes,
                        "Do not ask: pull, build, install and restart (needed when not on a "
                        "terminal)");
    st.update->add_flag("--no-restart", st.no, "Do not restart a running litellmd");

    st.init = app.add_subcommand(
        "init",
        "Create the home with the default config.yaml and .env.example (keeps existing files)");
    st.init->add_flag("--force", st.force, "Replace existing config.yaml and .env.example");
    st.init->add_option("-c,--config", st.config,
                        "Write the config here (default HOME/config.yaml)");
    st.init->add_flag("--json", st.json, "Machine-readable output");

    st.help = app.add_subcommand("help", "Show help for litellmctl or one command: help [COMMAND]");
    st.help->add_option("command", st.help_words, "A command, e.g. logs");

    st.version = app.add_subcommand("version", "Show litellmctl and litellmd versions");
    st.version->add_flag("--json", st.json, "Machine-readable output");

    st.docs = app.add_subcommand("docs", "Print generated documentation (protocol)");
    st.docs->add_option("name", st.doc_name, "Which document: protocol")->required();
    st.docs->group("");  // hidden: used by scripts/gen-rpc-docs

    st.auth = app.add_subcommand("auth",
                                 "OAuth logins and their tokens: qwen, chatgpt, gemini, status, "
                                 "refresh, logout, import");
    st.auth->require_subcommand(1);
    const std::vector<std::string> providers = {"qwen",        "chatgpt",    "gemini",
                                                "qwen_portal", "codex",      "gemini_cli",
                                                "qwen-portal", "gemini-cli", "openai"};
    auto login = [&](const char* name, const char* what, const char* alias) {
        CLI::App* sub = st.auth->add_subcommand(name, what);
        if (alias) sub->alias(alias);
        sub->add_flag("--no-browser", st.no_browser, "Only print the page to open");
        sub->add_flag("--json", st.json, "Machine-readable output");
        sub->callback([&st, name] {
            st.auth_action = "login";
            st.auth_provider = name;
        });
    };
    login("qwen", "Log in to Qwen Portal (device code: open a page, approve a code)",
          "qwen-portal");
    login("chatgpt", "Log in to ChatGPT / Codex (browser, or paste the redirect)", "codex");
    st.auth->get_subcommand("chatgpt")->alias("openai");
    login("gemini", "Log in to Gemini CLI / Code Assist (browser)", nullptr);
    CLI::App* auth_status =
        st.auth->add_subcommand("status", "The stored logins: account, expiry, refreshes, state");
    auth_status->add_flag("--json", st.json, "Machine-readable output");
    auth_status->callback([&st] { st.auth_action = "status"; });
    auto with_provider = [&](const char* name, const char* what) {
        CLI::App* sub = st.auth->add_subcommand(name, what);
        sub->add_option("provider", st.auth_provider, "qwen, chatgpt or gemini")
            ->required()
            ->check(CLI::IsMember(providers));
        sub->add_flag("--json", st.json, "Machine-readable output");
        sub->callback([&st, name] { st.auth_action = name; });
        return sub;
    };
    with_provider("refresh", "Refresh a provider's access token now");
    with_provider("logout", "Remove a provider's token file");
    with_provider("import",
                  "Copy the tokens of the official CLI (~/.qwen/oauth_creds.json, "
                  "~/.codex/auth.json, ~/.gemini/oauth_creds.json)")
        ->add_option("--from", st.auth_from, "Read this file instead");
}

const char* kAppDescription =
    "litellmctl: control litellmd, the local LLM gateway.\n"
    "Talks to the daemon over its control socket (JSON-RPC 2.0; see "
    "docs/control-protocol.md).";

ServiceOptions service_options(const CliState& st) {
    ServiceOptions o;
    o.home = absolute_path(st.g.home);
    o.socket_path = st.g.socket_path();
    o.config_path = st.config.empty() ? std::string() : absolute_path(st.config);
    if (st.port_given) o.port = st.port;
    o.timeout_ms = st.start_timeout_s * 1000;
    o.drain_s = st.drain_s;
    o.json = st.json;
    if (st.manager == "systemd") o.manager = ServiceManager::kSystemd;
    if (st.manager == "launchd") o.manager = ServiceManager::kLaunchd;
    if (st.manager == "detached") o.manager = ServiceManager::kDetached;
    return o;
}

// Global options that take a value: the command word is the first argument after them.
bool global_option_takes_value(std::string_view arg) {
    return arg == "--home" || arg == "--socket" || arg == "--timeout";
}

/// The command word of `argv` (its index), or -1 when there is none.
int command_index(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        if (global_option_takes_value(a)) {
            ++i;
            continue;
        }
        if (a == "--") return i + 1 < argc ? i + 1 : -1;
        if (!a.empty() && a[0] == '-') continue;
        return i;
    }
    return -1;
}

std::vector<std::string> command_names(const CLI::App& app) {
    std::vector<std::string> names;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
        if (!sub->get_group().empty()) names.push_back(sub->get_name());  // hidden: not offered
    }
    return names;
}

const CLI::App* find_command(const CLI::App& app, const std::string& name) {
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
        if (sub->get_name() == name) return sub;
    }
    return nullptr;
}

int unknown_command(const CLI::App& app, const std::string& word) {
    std::string hint = closest_match(word, command_names(app));
    std::fprintf(stderr, "litellmctl: unknown command '%s'.%s\n", word.c_str(),
                 hint.empty() ? "" : (" Did you mean '" + hint + "'?").c_str());
    std::fprintf(stderr, "  `litellmctl help` lists the commands.\n");
    return code(ExitCode::kUsage);
}

// `litellmctl help [COMMAND]`: the same text as --help.
int cmd_help(const CLI::App& app, const std::vector<std::string>& words) {
    // The formatter, not App::help(): that one prints the selected subcommand's help, which
    // here is `help` itself.
    if (words.empty()) {
        std::fputs(app.get_formatter()
                       ->make_help(&app, app.get_name(), CLI::AppFormatMode::Normal)
                       .c_str(),
                   stdout);
        return 0;
    }
    const CLI::App* sub = find_command(app, words[0]);
    if (!sub) return unknown_command(app, words[0]);
    std::fputs(
        sub->get_formatter()
            ->make_help(sub, app.get_name() + " " + sub->get_name(), CLI::AppFormatMode::Normal)
            .c_str(),
        stdout);
    return 0;
}

// Options the parse did not expect, each with the nearest known option of its command.
void suggest_options(const CLI::App& app, int argc, char** argv) {
    int ci = command_index(argc, argv);
    const CLI::App* sub = ci > 0 ? find_command(app, argv[ci]) : nullptr;
    std::vector<std::string> known;
    for (const CLI::App* a : {&app, sub}) {
        if (!a) continue;
        for (const CLI::Option* o : a->get_options()) {
            for (const auto& n : o->get_lnames())
                known.push_back("--" + n);
        }
    }
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg.rfind("--", 0) != 0 || arg.size() == 2) continue;
        arg = arg.substr(0, arg.find('='));
        if (std::find(known.begin(), known.end(), arg) != known.end()) continue;
        std::string hint = closest_match(arg, known);
        if (!hint.empty()) {
            std::fprintf(stderr, "litellmctl: unknown option %s; did you mean %s?\n", arg.c_str(),
                         hint.c_str());
        }
    }
}

// `litellmctl init`: the default config and .env.example, never over existing files.
int cmd_init(const Globals& g, const std::string& config, bool force, bool json) {
    HomePaths paths = home_paths(absolute_path(g.home));
    std::string config_path = config.empty() ? paths.config : absolute_path(config);
    HomeInitResult r = init_home(paths, force, config_path);
    if (!r.ok) {
        std::fprintf(stderr, "litellmctl init: %s\n", r.error.c_str());
        return code(ExitCode::kFailure);
    }
    bool have_env = path_exists(paths.dotenv);
    if (json) {
        rapidjson::Document d(rapidjson::kObjectType);
        auto& a = d.GetAllocator();
        d.AddMember("home", json_str(paths.home, a), a);
        rapidjson::Value written(rapidjson::kArrayType), kept(rapidjson::kArrayType);
        for (const auto& f : r.written)
            written.PushBack(json_str(f, a), a);
        for (const auto& f : r.kept)
            kept.PushBack(json_str(f, a), a);
        d.AddMember("written", written, a);
        d.AddMember("kept", kept, a);
        d.AddMember("dotenv", json_str(paths.dotenv, a), a);
        d.AddMember("dotenv_exists", have_env, a);
        std::printf("%s\n", json_pretty(d).c_str());
        return 0;
    }
    for (const auto& f : r.written)
        std::printf("created %s\n", f.c_str());
    for (const auto& f : r.kept)
        std::printf("kept    %s (it exists; --force replaces it)\n", f.c_str());
    std::printf("\nNext:\n");
    if (!have_env) {
        std::printf("  cp %s %s && chmod 600 %s   # then fill in the keys you have\n",
                    paths.env_example.c_str(), paths.dotenv.c_str(), paths.dotenv.c_str());
    }
    std::printf("  litellmctl doctor    # checks config, keys and ports\n");
    std::printf("  litellmctl start     # runs litellmd as a service\n");
    return 0;
}

}  // namespace

const CLI::App& cli_definition() {
    static CliState state;
    static CLI::App app{kAppDescription, "litellmctl"};
    static bool defined = [] {
        define_cli(app, state);
        return true;
    }();
    (void)defined;
    return app;
}

int run(int argc, char** argv) {
    CLI::App app{kAppDescription, "litellmctl"};
    CliState st;
    define_cli(app, st);
    int ci = command_index(argc, argv);
    if (ci > 0 && !find_command(app, argv[ci])) return unknown_command(app, argv[ci]);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);
        if (dynamic_cast<const CLI::ExtrasError*>(&e)) suggest_options(app, argc, argv);
        return rc == 0 ? 0 : code(ExitCode::kUsage);
    }
    const Globals& g = st.g;
    if (st.print_bash_completions || st.print_zsh_completions) {
        std::fputs(
            completion_script(cli_definition(), st.print_bash_completions ? "bash" : "zsh").c_str(),
            stdout);
        return 0;
    }
    if (*st.status) return cmd_status(g, st.json);
    if (*st.logs) return cmd_logs(g, st.follow, st.lines, st.level, st.json);
    if (*st.reload) return cmd_reload(g, st.json);
    if (*st.start) return service_start(service_options(st));
    if (*st.stop) return service_stop(service_options(st));
    if (*st.restart) return service_restart(service_options(st));
    if (*st.uninstall) return service_uninstall(service_options(st));
    if (*st.proxy) return cmd_proxy(g, st.port, st.config, st.host, st.daemon_level);
    if (*st.rpc) return cmd_rpc(g, st.method, st.params, st.list);
    if (*st.version) return cmd_version(g, st.json);
    if (*st.cooldowns) return cmd_cooldowns(g, st.cd_action, st.cd_name, st.json);
    if (*st.toggle_claude) {
        ToggleClaudeOptions o;
        o.home = absolute_path(g.home);
        o.socket_path = g.socket_path();
        o.action = st.tc_proxy    ? ToggleClaudeOptions::Action::kProxy
                   : st.tc_direct ? ToggleClaudeOptions::Action::kDirect
                   : st.tc_status ? ToggleClaudeOptions::Action::kStatus
                                  : ToggleClaudeOptions::Action::kToggle;
        o.json = st.json;
        o.port = st.tc_port;
        o.settings_path = st.tc_settings;
        return toggle_claude(o);
    }
    if (*st.completions) {
        std::fputs(completion_script(cli_definition(), st.shell).c_str(), stdout);
        return 0;
    }
    if (*st.setup_completions) {
        SetupCompletionsOptions o;
        o.shell = st.shell;
        o.rc_file = st.rc_file;
        o.json = st.json;
        return setup_completions(o);
    }
    if (*st.doctor) {
        DoctorOptions o;
        o.home = absolute_path(g.home);
        o.config_path = st.config.empty() ? std::string() : absolute_path(st.config);
        o.socket_path = g.socket_path();
        o.port = st.port_given ? st.port : 4000;
        if (!st.port_given) {
            ServiceState s = service_state(detect_service_manager(), o.home);
            if (s.port) o.port = *s.port;
        }
        o.skip_network = st.offline;
        o.json = st.json;
        return doctor(o);
    }
    if (*st.install || *st.update) {
        BuildOptions o;
        o.prefix = st.prefix;
        o.source = st.source;
        o.yes = st.yes;
        o.no_restart = st.no;
        o.dry_run = st.dry_run;
        return *st.install ? cmd_install(o) : cmd_update(g, o);
    }
    if (*st.init) return cmd_init(g, st.config, st.force, st.json);
    if (*st.help) return cmd_help(app, st.help_words);
    if (*st.docs) {
        if (st.doc_name != "protocol") {
            std::fprintf(stderr, "litellmctl docs: unknown document '%s' (known: protocol)\n",
                         st.doc_name.c_str());
            return code(ExitCode::kUsage);
        }
        std::fputs(proto::render_protocol_markdown().c_str(), stdout);
        return 0;
    }
    if (*st.auth) {
        AuthOptions o;
        o.home = absolute_path(g.home);
        o.socket_path = g.socket_path();
        o.action = st.auth_action;
        o.provider = st.auth_provider;
        o.from = st.auth_from;
        o.json = st.json;
        o.no_browser = st.no_browser;
        o.timeout_ms = g.timeout_ms;
        return auth_command(o);
    }
    std::printf("%s", app.help().c_str());
    return 0;
}

}  // namespace litellm::ctl
