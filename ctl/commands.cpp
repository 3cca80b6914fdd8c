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

#include "common/fs.hpp"
#include "common/json.hpp"
#include "common/log.hpp"
#include "common/paths.hpp"
#include "common/process.hpp"
#include "common/rpc_client.hpp"
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

int cmd_status(const Globals& g, bool json) {
    Connection c = connect_daemon(g, /*quiet_not_running=*/json);
    if (c.exit_code != 0) {
        if (json && c.exit_code == code(ExitCode::kNotRunning)) {
            rapidjson::Document d(rapidjson::kObjectType);
            auto& a = d.GetAllocator();
            d.AddMember("running", false, a);
            d.AddMember("home", json_str(absolute_path(g.home), a), a);
            d.AddMember("socket", json_str(g.socket_path(), a), a);
            std::printf("%s\n", json_pretty(d).c_str());
        }
        return c.exit_code;
    }
    int rc = 0;
    auto reply = call_or_report(c, g, "status", "", rc);
    if (!reply) return rc;
    const auto& s = reply->payload();
    if (json) {
        rapidjson::Document d;
        d.CopyFrom(s, d.GetAllocator());
        d.AddMember("running", true, d.GetAllocator());
        std::printf("%s\n", json_pretty(d).c_str());
        return 0;
    }
    const auto& listen = s["listen"];
    std::printf("litellmd %s: running (pid %lld, up %s)\n",
                std::string(json_get_string(s, "version")).c_str(), json_get_int(s, "pid"),
                duration_text(s["uptime_s"].GetDouble()).c_str());
    std::printf("  URL:     %s\n", std::string(json_get_string(listen, "url")).c_str());
    std::printf("  Config:  %s (%lld models)\n",
                std::string(json_get_string(s, "config_path")).c_str(),
                json_get_int(s, "model_count"));
    std::printf("  Home:    %s\n", std::string(json_get_string(s, "home")).c_str());
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
    LogRecord rec;
    std::string ts(json_get_string(r, "ts"));
    std::string level(json_get_string(r, "level"));
    static const char* kPadded[] = {"DEBUG", "INFO ", "WARN ", "ERROR"};
    int idx = static_cast<int>(parse_log_level(level).value_or(LogLevel::kInfo));
    return fmt::format("{} {} {}: {}", ts, kPadded[idx], json_get_string(r, "component"),
                       json_get_string(r, "msg"));
}

// Reads the log file directly when no daemon runs.
int logs_from_file(const Globals& g, bool follow, int n) {
    std::string path = home_paths(g.home).log_file;
    std::ifstream in(path);
    if (!in) {
        std::fprintf(stderr, "litellmctl: litellmd is not running and there is no log file at %s\n",
                     path.c_str());
        return code(ExitCode::kNotRunning);
    }
    std::fprintf(stderr, "litellmctl: litellmd is not running; showing %s\n", path.c_str());
    std::deque<std::string> last;
    std::string line;
    while (std::getline(in, line)) {
        last.push_back(line);
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
            std::printf("%s\n", line.c_str());
            std::fflush(stdout);
        } else {
            in.clear();
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
    }
    return 0;
}

int cmd_logs(const Globals& g, bool follow, int n, const std::string& level, bool json) {
    Connection c = connect_daemon(g, /*quiet_not_running=*/true);
    if (c.exit_code == code(ExitCode::kNotRunning)) return logs_from_file(g, follow, n);
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
    auto reply = call_or_report(c, g, "logs.follow",
                                fmt::format(R"({{"level":"{}","backlog":{}}})", level, n), rc);
    if (!reply) return rc;
    install_interrupt_handler();
    std::uint64_t last_seq = 0;
    while (!g_interrupted) {
        auto msg = c.client.read_message(500);
        if (!msg) {
            if (c.client.last_error() == rpc::TransportError::kTimeout) continue;
            if (g_interrupted) break;
            std::fprintf(stderr, "litellmctl: log stream ended: %s\n",
                         c.client.last_error_text().c_str());
            return code(ExitCode::kFailure);
        }
        if (!msg->is_notification) continue;
        const auto& p = msg->payload();
        if (msg->method == "log.dropped") {
            std::fprintf(stderr, "litellmctl: %lld log records dropped (reader too slow)\n",
                         json_get_int(p, "count"));
            continue;
        }
        if (msg->method != "log") continue;
        auto seq = static_cast<std::uint64_t>(json_get_int(p, "seq"));
        if (seq != 0 && seq <= last_seq) continue;  // backlog overlap
        last_seq = seq;
        std::printf("%s\n", record_line(p, json).c_str());
        std::fflush(stdout);
    }
    return 0;
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
    if (json) {
        std::printf("%s\n", json_pretty(reply->doc).c_str());
    } else if (reply->is_error) {
        std::fprintf(stderr, "litellmctl: reload refused: %s\n", reply->error_message.c_str());
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

int cmd_stop(const Globals& g) {
    Connection c = connect_daemon(g);
    if (c.exit_code != 0) return c.exit_code;
    int rc = 0;
    if (!call_or_report(c, g, "shutdown", "", rc)) return rc;
    // Wait for the daemon to close the socket: that is the end of its drain.
    std::string path = g.socket_path();
    for (int i = 0; i < 300; ++i) {
        if (!path_exists(path)) {
            std::printf("litellmd stopped\n");
            return 0;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::fprintf(stderr, "litellmctl: litellmd is still draining after 15 s\n");
    return code(ExitCode::kFailure);
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
        std::printf(
            "  %-48s %s  %s\n", std::string(json_get_string(c, "deployment")).c_str(),
            cooling
                ? fmt::format("cooling {:>5.0f}s", c["remaining_s"].GetDouble()).c_str()
                : fmt::format("{} failure(s) ", json_get_int(c, "consecutive_failures")).c_str(),
            std::string(json_get_string(c, "reason")).c_str());
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
    return 0;
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

// ---- not yet built --------------------------------------------------------------------------

struct Pending {
    const char* name;
    const char* summary;
    const char* arrives_with;
};

constexpr Pending kPending[] = {
    {"start", "Install and start litellmd as a service (systemd, launchd, or detached)",
     "the service-lifecycle release"},
    {"restart", "Restart litellmd in place without refusing connections",
     "the service-lifecycle release"},
    {"uninstall-service", "Remove the litellmd service", "the service-lifecycle release"},
    {"toggle-claude", "Switch Claude Code between the direct API and this proxy",
     "the service-lifecycle release"},
    {"setup-completions", "Install shell completions (bash, zsh, fish)",
     "the service-lifecycle release"},
    {"install", "Build and install both binaries", "the service-lifecycle release"},
    {"update", "Rebuild, reinstall and offer to restart", "the service-lifecycle release"},
    {"doctor", "Check config, credentials, socket, port and upstream reachability",
     "the service-lifecycle release"},
};

int not_yet(const Pending& p) {
    std::fprintf(stderr,
                 "litellmctl %s: not built yet; it arrives with %s. Until then: `litellmctl "
                 "proxy` runs the daemon in the foreground and `litellmctl status` shows it.\n",
                 p.name, p.arrives_with);
    return code(ExitCode::kNotImplemented);
}

}  // namespace

std::vector<std::string> command_paths() {
    std::vector<std::string> out = {"status",       "logs",         "reload",      "stop",
                                    "proxy",        "rpc",          "version",     "docs",
                                    "auth",         "auth chatgpt", "auth gemini", "auth qwen",
                                    "auth refresh", "auth status"};
    for (const auto& p : kPending)
        out.push_back(p.name);
    return out;
}

int run(int argc, char** argv) {
    CLI::App app{
        "litellmctl: control litellmd, the local LLM gateway.\n"
        "Talks to the daemon over its control socket (JSON-RPC 2.0; see "
        "docs/control-protocol.md)."};
    app.require_subcommand(0, 1);
    app.fallthrough();
    app.set_version_flag("--version", std::string("litellmctl ") + proto::kVersion);
    Globals g;
    app.add_option("--home", g.home, "LITELLM_HOME (config, .env, tokens, logs, socket)")
        ->capture_default_str();
    app.add_option("--socket", g.socket, "Control socket path (default: derived from --home)");
    app.add_option("--timeout", g.timeout_ms, "Milliseconds to wait for the daemon")
        ->capture_default_str()
        ->check(CLI::Range(100, 600000));
    app.footer(
        "Exit codes: 0 ok, 1 failure, 2 usage, 3 daemon not running, 4 incompatible, "
        "5 config invalid, 6 not built yet, 7 permission, 9 rpc error.");

    bool json = false;
    auto* status = app.add_subcommand("status",
                                      "Show the daemon, its config, providers and "
                                      "fallback chains at a glance");
    status->add_flag("--json", json, "Machine-readable output");

    bool follow = false;
    int lines = 50;
    std::string level = "info";
    auto* logs = app.add_subcommand("logs",
                                    "Show recent log lines; -f follows new ones "
                                    "(reads the log file when the daemon is down)");
    logs->add_flag("-f,--follow", follow, "Keep streaming new lines until Ctrl-C");
    logs->add_option("-n,--lines", lines, "How many recent lines")
        ->capture_default_str()
        ->check(CLI::Range(0, 100000));
    logs->add_option("--level", level, "Lowest level: debug, info, warn, error")
        ->capture_default_str()
        ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
    logs->add_flag("--json", json, "One JSON record per line");

    auto* reload = app.add_subcommand("reload",
                                      "Re-read .env and the config; the daemon keeps "
                                      "the old config when the new one has errors");
    reload->add_flag("--json", json, "Print the JSON-RPC reply");

    auto* stop = app.add_subcommand("stop", "Ask litellmd to drain and exit");

    int port = 4000;
    std::string config, host, daemon_level;
    auto* proxy = app.add_subcommand("proxy", "Run litellmd in the foreground (for debugging)");
    proxy->add_option("-p,--port", port, "HTTP port")->capture_default_str();
    proxy->add_option("-c,--config", config, "Config file (default: HOME/config.yaml)");
    proxy->add_option("--host", host, "Listen address (default 127.0.0.1)");
    proxy->add_option("--log-level", daemon_level, "debug, info, warn or error");

    std::string method, params;
    bool list = false;
    auto* rpc = app.add_subcommand("rpc",
                                   "Call a control method by name and print its JSON "
                                   "result");
    rpc->add_option("method", method, "Method name, e.g. status (see --list)");
    rpc->add_option("params", params, "Params as a JSON object, e.g. '{\"n\":10}'");
    rpc->add_flag("--list", list, "List the methods with their usage");

    std::string cd_action = "list", cd_name;
    auto* cooldowns = app.add_subcommand(
        "cooldowns",
        "List deployments cooling down after failures, or reset them (`cooldowns "
        "reset [NAME]`)");
    cooldowns->add_option("action", cd_action, "list (default) or reset")
        ->check(CLI::IsMember({"list", "reset"}));
    cooldowns->add_option("name", cd_name,
                          "With reset: a model name or <model_name>@<provider/model>; none = all");
    cooldowns->add_flag("--json", json, "Machine-readable output");

    auto* version = app.add_subcommand("version", "Show litellmctl and litellmd versions");
    version->add_flag("--json", json, "Machine-readable output");

    std::string doc_name;
    auto* docs = app.add_subcommand("docs", "Print generated documentation (protocol)");
    docs->add_option("name", doc_name, "Which document: protocol")->required();
    docs->group("");  // hidden: used by scripts/gen-rpc-docs

    auto* auth = app.add_subcommand("auth",
                                    "OAuth logins and token refresh (chatgpt, gemini, "
                                    "qwen, refresh, status)");
    std::vector<std::string> auth_args;
    auth->add_option("args", auth_args, "chatgpt | gemini | qwen | refresh <provider> | status");

    std::vector<std::pair<const Pending*, CLI::App*>> pending;
    std::vector<std::string> pending_args;
    for (const auto& p : kPending) {
        auto* sub = app.add_subcommand(p.name, p.summary);
        sub->allow_extras();
        pending.emplace_back(&p, sub);
    }

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);
        return rc == 0 ? 0 : code(ExitCode::kUsage);
    }

    if (*status) return cmd_status(g, json);
    if (*logs) return cmd_logs(g, follow, lines, level, json);
    if (*reload) return cmd_reload(g, json);
    if (*stop) return cmd_stop(g);
    if (*proxy) return cmd_proxy(g, port, config, host, daemon_level);
    if (*rpc) return cmd_rpc(g, method, params, list);
    if (*version) return cmd_version(g, json);
    if (*cooldowns) return cmd_cooldowns(g, cd_action, cd_name, json);
    if (*docs) {
        if (doc_name != "protocol") {
            std::fprintf(stderr, "litellmctl docs: unknown document '%s' (known: protocol)\n",
                         doc_name.c_str());
            return code(ExitCode::kUsage);
        }
        std::fputs(proto::render_protocol_markdown().c_str(), stdout);
        return 0;
    }
    if (*auth) {
        static constexpr Pending kAuth = {"auth", "", "the OAuth token-store release"};
        return not_yet(kAuth);
    }
    for (const auto& [p, sub] : pending) {
        if (*sub) return not_yet(*p);
    }
    std::printf("%s", app.help().c_str());
    return 0;
}

}  // namespace litellm::ctl
