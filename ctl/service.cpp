#include "ctl/service.hpp"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <thread>

#include <fmt/format.h>

#include "common/config.hpp"
#include "common/fs.hpp"
#include "common/home_init.hpp"
#include "common/json.hpp"
#include "common/net.hpp"
#include "common/paths.hpp"
#include "common/process.hpp"
#include "common/rpc_client.hpp"
#include "ctl/templates.hpp"
#include "proto/errors.hpp"
#include "proto/version.hpp"

namespace litellm::ctl {

namespace {

using proto::ExitCode;
constexpr const char* kUnitName = "litellmd.service";
constexpr const char* kLaunchdLabel = "com.litellm.litellmd";
// The original tool's unit and agent: a user migrating may still have them.
constexpr const char* kOldUnitName = "litellm-proxy.service";

int code(ExitCode c) {
    return static_cast<int>(c);
}

std::string env_or(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::string(v) : fallback;
}

std::string user_home() {
    return env_or("HOME", "/root");
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
    size_t pos = 0;
    while ((pos = s.find(from, pos)) != std::string::npos) {
        s.replace(pos, from.size(), to);
        pos += to.size();
    }
    return s;
}

// One argument as systemd's ExecStart= wants it: quoted (with escapes) when needed.
std::string systemd_quote(const std::string& arg) {
    if (!arg.empty() && arg.find_first_of(" \t\"'\\;$%") == std::string::npos) return arg;
    std::string out = "\"";
    for (char c : arg) {
        if (c == '"' || c == '\\') out += '\\';
        if (c == '%') out += '%';  // systemd specifier escape
        if (c == '$') out += '$';  // variable expansion escape
        out += c;
    }
    return out + "\"";
}

std::string xml_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::vector<std::string> daemon_args(const ServiceSpec& spec) {
    std::vector<std::string> args = {spec.litellmd, "--home", spec.home, "--port",
                                     std::to_string(spec.port)};
    if (!spec.config_path.empty()) {
        args.push_back("--config");
        args.push_back(spec.config_path);
    }
    return args;
}

RunResult run_tool(const std::vector<std::string>& argv, int timeout_ms = 15000) {
    SpawnOptions o;
    std::string path = argv.empty() ? std::string() : find_program(argv[0]);
    if (path.empty()) {
        RunResult r;
        r.err = argv.empty() ? "no command" : argv[0] + ": not found on PATH";
        return r;
    }
    o.argv = argv;
    o.argv[0] = path;
    return run_capture(o, timeout_ms);
}

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r'))
        s.pop_back();
    return s;
}

bool pid_alive(int pid) {
    return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM);
}

int read_pid_file(const std::string& path) {
    auto text = read_file(path);
    return text ? std::atoi(text->c_str()) : 0;
}

// "--port N" from an installed unit or plist, to keep the port across start/restart.
std::optional<int> port_in_text(const std::string& text) {
    std::smatch m;
    static const std::regex unit_re(R"(--port\s+(\d+))");
    static const std::regex plist_re(R"(<string>--port</string>\s*<string>(\d+)</string>)");
    if (std::regex_search(text, m, unit_re) || std::regex_search(text, m, plist_re)) {
        return std::atoi(m[1].str().c_str());
    }
    return std::nullopt;
}

/// A daemon answering rpc.hello on the socket: its status, else nullopt.
std::optional<rapidjson::Document> daemon_status(const std::string& socket_path) {
    rpc::Client c;
    if (!c.connect(socket_path, 500)) return std::nullopt;
    auto hello = c.call("rpc.hello", "", 2000);
    if (!hello || hello->is_error) return std::nullopt;
    auto st = c.call("status", "", 3000);
    if (!st || st->is_error) return std::nullopt;
    rapidjson::Document d;
    d.CopyFrom(st->payload(), d.GetAllocator());
    return d;
}

// The last `n` lines of a file, for "it failed to start; here is why".
std::string tail_lines(const std::string& path, size_t n) {
    std::ifstream in(path);
    std::deque<std::string> last;
    std::string line;
    while (std::getline(in, line)) {
        last.push_back(line);
        if (last.size() > n) last.pop_front();
    }
    std::string out;
    for (const auto& l : last)
        out += "    " + l + "\n";
    return out;
}

/// Waits for the daemon to answer (with a spinner on a terminal); `newer_than` skips an old
/// process that is still answering (restart). Returns its status, or nullopt on timeout or
/// when `alive` says it died.
std::optional<rapidjson::Document> wait_for_daemon(const std::string& socket_path, int timeout_ms,
                                                   const std::string& newer_than,
                                                   const std::function<bool()>& alive) {
    static const char* kFrames[] = {"|", "/", "-", "\\"};
    bool tty = ::isatty(STDERR_FILENO);
    auto start = std::chrono::steady_clock::now();
    int frame = 0;
    while (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(timeout_ms)) {
        if (auto st = daemon_status(socket_path)) {
            std::string started = std::string(json_get_string(*st, "started_at"));
            if (newer_than.empty() || started != newer_than) {
                if (tty) std::fprintf(stderr, "\r\033[K");
                return st;
            }
        }
        if (alive && !alive()) break;
        if (tty) {
            double s =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            std::fprintf(stderr, "\r%s waiting for litellmd to answer (%.1f s)",
                         kFrames[frame++ % 4], s);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (tty) std::fprintf(stderr, "\r\033[K");
    return std::nullopt;
}

std::string uid_domain() {
    return "gui/" + std::to_string(::getuid());
}

std::string pid_file(const std::string& home) {
    return home_paths(home).pid_file;
}

}  // namespace

const char* service_manager_name(ServiceManager m) {
    switch (m) {
        case ServiceManager::kSystemd:
            return "systemd";
        case ServiceManager::kLaunchd:
            return "launchd";
        case ServiceManager::kDetached:
            return "detached";
    }
    return "detached";
}

ServiceManager detect_service_manager() {
    std::string forced = env_or("LITELLM_SERVICE_MANAGER", "");
    if (forced == "systemd") return ServiceManager::kSystemd;
    if (forced == "launchd") return ServiceManager::kLaunchd;
    if (forced == "detached") return ServiceManager::kDetached;
#ifdef __APPLE__
    return ServiceManager::kLaunchd;
#else
    // A running user manager has its private socket in $XDG_RUNTIME_DIR; checking the file is
    // instant, where asking `systemctl --user` would cost a process per `status`.
    std::string runtime = env_or("XDG_RUNTIME_DIR", "/run/user/" + std::to_string(::getuid()));
    if (path_exists(runtime + "/systemd/private")) return ServiceManager::kSystemd;
    return ServiceManager::kDetached;
#endif
}

std::string render_systemd_unit(const ServiceSpec& spec) {
    std::string exec_start, exec_reload;
    for (const auto& a : daemon_args(spec)) {
        exec_start += (exec_start.empty() ? "" : " ") + systemd_quote(a);
    }
    for (const auto& a : std::vector<std::string>{spec.litellmctl, "--home", spec.home, "reload"}) {
        exec_reload += (exec_reload.empty() ? "" : " ") + systemd_quote(a);
    }
    std::string unit = templates::kSystemdUnit;
    unit = replace_all(unit, "@EXEC_START@", exec_start);
    unit = replace_all(unit, "@EXEC_RELOAD@", exec_reload);
    unit = replace_all(unit, "@HOME@", spec.home);
    return unit;
}

std::string render_launchd_plist(const ServiceSpec& spec) {
    std::string args;
    for (const auto& a : daemon_args(spec)) {
        args += "    <string>" + xml_escape(a) + "</string>\n";
    }
    if (!args.empty()) args.pop_back();
    std::string plist = templates::kLaunchdPlist;
    plist = replace_all(plist, "@PROGRAM_ARGUMENTS@", args);
    plist = replace_all(plist, "@HOME@", xml_escape(spec.home));
    plist = replace_all(plist, "@LOG_DIR@", xml_escape(home_paths(spec.home).logs_dir));
    return plist;
}

std::string systemd_unit_path() {
    return env_or("XDG_CONFIG_HOME", user_home() + "/.config") + "/systemd/user/" + kUnitName;
}

std::string launchd_plist_path() {
    return user_home() + "/Library/LaunchAgents/" + std::string(kLaunchdLabel) + ".plist";
}

ServiceState service_state(ServiceManager manager, const std::string& home) {
    ServiceState s;
    s.manager = manager;
    switch (manager) {
        case ServiceManager::kSystemd: {
            s.path = systemd_unit_path();
            s.installed = path_exists(s.path);
            if (s.installed) {
                if (auto text = read_file(s.path)) s.port = port_in_text(*text);
            } else {
                s.detail = "not installed";
                break;  // nothing to ask systemctl about
            }
            RunResult r = run_tool({"systemctl", "--user", "is-active", kUnitName}, 5000);
            s.active = r.exit_code == 0;
            s.detail =
                trim(r.out).empty() ? (s.installed ? "unknown" : "not installed") : trim(r.out);
            RunResult pid = run_tool(
                {"systemctl", "--user", "show", "--property=MainPID", "--value", kUnitName}, 5000);
            if (pid.exit_code == 0) s.pid = std::atoi(trim(pid.out).c_str());
            break;
        }
        case ServiceManager::kLaunchd: {
            s.path = launchd_plist_path();
            s.installed = path_exists(s.path);
            if (s.installed) {
                if (auto text = read_file(s.path)) s.port = port_in_text(*text);
            }
            RunResult r = run_tool(
                {"launchctl", "print", uid_domain() + "/" + std::string(kLaunchdLabel)}, 5000);
            s.active = r.exit_code == 0;
            s.detail = s.active ? "loaded" : (s.installed ? "not loaded" : "not installed");
            break;
        }
        case ServiceManager::kDetached: {
            s.path = pid_file(home);
            s.installed = path_exists(s.path);
            s.pid = read_pid_file(s.path);
            s.active = pid_alive(s.pid);
            s.detail = s.active ? fmt::format("running, pid {}", s.pid)
                                : (s.installed ? "not running (stale pid file)" : "not running");
            break;
        }
    }
    return s;
}

namespace {

/// What start_service did: the daemon's status when it answers.
struct Started {
    int rc = 0;
    std::optional<rapidjson::Document> status;
    ServiceManager manager = ServiceManager::kDetached;
    std::string how;
};

// Installs and starts the service (no check for a running daemon); prints only failures.
Started start_service(const ServiceOptions& o) {
    Started out;
    ServiceManager manager = o.manager.value_or(detect_service_manager());
    out.manager = manager;
    auto fail = [&out](ExitCode c) {
        out.rc = code(c);
        return std::move(out);
    };
    ServiceState before = service_state(manager, o.home);
    ServiceSpec spec;
    spec.home = o.home;
    spec.config_path = o.config_path;
    spec.port = o.port.value_or(before.port.value_or(4000));
    spec.litellmd = find_program("litellmd");
    spec.litellmctl = self_exe_path();
    if (spec.litellmd.empty()) {
        std::fprintf(stderr,
                     "litellmctl start: cannot find litellmd next to litellmctl or on PATH; "
                     "install both with scripts/install\n");
        return fail(ExitCode::kFailure);
    }
    spec.litellmd = absolute_path(spec.litellmd);
    std::string config = spec.config_path.empty() ? home_paths(o.home).config : spec.config_path;
    if (!path_exists(config)) {
        if (!spec.config_path.empty()) {
            std::fprintf(stderr,
                         "litellmctl start: no config at %s (given with --config); leave "
                         "--config out to use %s, or create it with `litellmctl init --config "
                         "%s`\n",
                         config.c_str(), home_paths(o.home).config.c_str(), config.c_str());
            return fail(ExitCode::kConfigInvalid);
        }
        // First start: the home gets the default config, as `litellmctl init` writes it.
        HomeInitResult init = init_home(home_paths(o.home), false);
        if (!init.ok) {
            std::fprintf(stderr, "litellmctl start: %s\n", init.error.c_str());
            return fail(ExitCode::kFailure);
        }
        for (const auto& f : init.written)
            std::fprintf(stderr, "created %s (the defaults; edit it and `litellmctl reload`)\n",
                         f.c_str());
    }
    if (local_port_in_use(spec.port)) {
        std::string holder = port_holder(spec.port);
        std::fprintf(stderr,
                     "litellmctl start: port %d is already in use%s; stop that process or pick "
                     "another port with --port N (nothing was killed)\n",
                     spec.port, holder.empty() ? "" : (" by " + holder).c_str());
        return fail(ExitCode::kFailure);
    }
    HomePaths paths = home_paths(o.home);
    std::string error;
    ensure_directory(paths.logs_dir, 0700, &error);

    std::function<bool()> alive;
    std::string how;
    if (manager == ServiceManager::kSystemd) {
        if (path_exists(env_or("XDG_CONFIG_HOME", user_home() + "/.config") + "/systemd/user/" +
                        kOldUnitName)) {
            std::fprintf(stderr,
                         "note: the old Python proxy's unit %s is installed; if it is running on "
                         "the same port, stop it: systemctl --user disable --now %s\n",
                         kOldUnitName, kOldUnitName);
        }
        std::string unit = render_systemd_unit(spec);
        std::string path = systemd_unit_path();
        bool changed = read_file(path).value_or("") != unit;
        if (changed) {
            ensure_directory(std::filesystem::path(path).parent_path().string(), 0755, &error);
            if (!write_file_atomic(path, unit, 0644, &error)) {
                std::fprintf(stderr, "litellmctl start: cannot write %s: %s\n", path.c_str(),
                             error.c_str());
                return fail(ExitCode::kFailure);
            }
        }
        for (const auto& argv : std::vector<std::vector<std::string>>{
                 {"systemctl", "--user", "daemon-reload"},
                 {"systemctl", "--user", "enable", kUnitName},
                 {"systemctl", "--user", changed ? "restart" : "start", kUnitName}}) {
            RunResult r = run_tool(argv);
            if (r.exit_code != 0) {
                std::fprintf(stderr, "litellmctl start: `%s` failed: %s\n",
                             fmt::format("{}", fmt::join(argv, " ")).c_str(),
                             trim(r.err + r.out).c_str());
                return fail(ExitCode::kFailure);
            }
        }
        how = fmt::format("systemd user service {} ({})", kUnitName, path);
        alive = [] {
            RunResult r = run_tool({"systemctl", "--user", "is-failed", kUnitName}, 3000);
            return r.exit_code != 0;  // is-failed exits 0 when the unit failed
        };
    } else if (manager == ServiceManager::kLaunchd) {
        std::string plist = render_launchd_plist(spec);
        std::string path = launchd_plist_path();
        ensure_directory(std::filesystem::path(path).parent_path().string(), 0755, &error);
        if (!write_file_atomic(path, plist, 0644, &error)) {
            std::fprintf(stderr, "litellmctl start: cannot write %s: %s\n", path.c_str(),
                         error.c_str());
            return fail(ExitCode::kFailure);
        }
        run_tool({"launchctl", "bootout", uid_domain() + "/" + std::string(kLaunchdLabel)});
        RunResult r = run_tool({"launchctl", "bootstrap", uid_domain(), path});
        if (r.exit_code != 0) {
            std::fprintf(stderr, "litellmctl start: launchctl bootstrap failed: %s\n",
                         trim(r.err + r.out).c_str());
            return fail(ExitCode::kFailure);
        }
        how = fmt::format("launchd agent {} ({})", kLaunchdLabel, path);
    } else {
        SpawnOptions spawn;
        spawn.argv = daemon_args(spec);
        spawn.argv.push_back("--quiet");  // the log file has every line
        spawn.stdout_path = paths.logs_dir + "/litellmd.out";
        spawn.stderr_path = paths.logs_dir + "/litellmd.out";
        spawn.new_session = true;
        spawn.env_unset = {"NOTIFY_SOCKET", "LITELLMD_LISTEN_FD"};
        // Shared with the liveness check below; going out of scope neither kills nor waits
        // for the child (the daemon outlives us).
        auto proc = std::make_shared<Subprocess>();
        if (!proc->spawn(spawn, &error)) {
            std::fprintf(stderr, "litellmctl start: cannot start %s: %s\n", spec.litellmd.c_str(),
                         error.c_str());
            return fail(ExitCode::kFailure);
        }
        int pid = proc->pid();
        write_file_atomic(paths.pid_file, std::to_string(pid) + "\n", 0600, &error);
        how = fmt::format(
            "detached daemon, pid {} (pid file {}); no service manager here, so "
            "add `litellmctl start` to your login scripts to start it at login",
            pid, paths.pid_file);
        alive = [proc] { return !proc->wait(0).has_value(); };
    }

    auto st = wait_for_daemon(o.socket_path, o.timeout_ms, "", alive);
    if (!st) {
        std::fprintf(stderr,
                     "litellmctl start: litellmd did not answer within %d s. Last log lines "
                     "(%s):\n%s",
                     o.timeout_ms / 1000, paths.log_file.c_str(),
                     tail_lines(paths.log_file, 10).c_str());
        if (manager == ServiceManager::kSystemd) {
            std::fprintf(stderr, "  more: journalctl --user -u %s\n", kUnitName);
        }
        return fail(ExitCode::kFailure);
    }
    out.status = std::move(st);
    out.how = how;
    return out;
}

// The one --json shape of start and restart.
void print_running_json(const rapidjson::Value& status, const char* action,
                        std::optional<ServiceManager> manager) {
    rapidjson::Document d(rapidjson::kObjectType);
    auto& a = d.GetAllocator();
    d.AddMember("running", true, a);
    d.AddMember("action", rapidjson::StringRef(action), a);
    d.AddMember("url", json_str(json_get_string(status["listen"], "url"), a), a);
    d.AddMember("port", static_cast<int64_t>(json_get_int(status["listen"], "port")), a);
    d.AddMember("pid", static_cast<int64_t>(json_get_int(status, "pid")), a);
    d.AddMember("version", json_str(json_get_string(status, "version"), a), a);
    d.AddMember("config_path", json_str(json_get_string(status, "config_path"), a), a);
    d.AddMember("manager",
                manager ? rapidjson::Value(rapidjson::StringRef(service_manager_name(*manager)))
                        : rapidjson::Value(),
                a);
    std::printf("%s\n", json_pretty(d).c_str());
}

int running_port(const rapidjson::Value& status) {
    return static_cast<int>(json_get_int(status["listen"], "port"));
}

/// Which manager runs the daemon whose status this is, if any (else it was started by hand).
std::optional<ServiceManager> managing(const ServiceOptions& o, const rapidjson::Value& status) {
    ServiceManager manager = o.manager.value_or(detect_service_manager());
    ServiceState s = service_state(manager, o.home);
    if (!s.installed || !s.active) return std::nullopt;
    long long pid = json_get_int(status, "pid");
    // The unit's MainPID, or the pid file: the running daemon must be that one.
    if ((manager == ServiceManager::kDetached || s.pid > 0) && s.pid != pid) return std::nullopt;
    return manager;
}

// Why `start` leaves a running daemon alone although --port/--config ask for another.
std::string start_mismatch(const ServiceOptions& o, const rapidjson::Value& status) {
    if (o.port && *o.port != running_port(status)) {
        return fmt::format("it listens on port {}, not {}", running_port(status), *o.port);
    }
    std::string running_config(json_get_string(status, "config_path"));
    if (!o.config_path.empty() && o.config_path != running_config) {
        return fmt::format("it uses {}, not {}", running_config, o.config_path);
    }
    return {};
}

}  // namespace

int service_start(const ServiceOptions& o) {
    if (auto st = daemon_status(o.socket_path)) {
        std::string url(json_get_string((*st)["listen"], "url"));
        std::string mismatch = start_mismatch(o, *st);
        if (!mismatch.empty()) {
            std::fprintf(stderr,
                         "litellmctl start: litellmd is already running at %s (pid %lld), and %s; "
                         "`litellmctl restart%s%s` moves it (nothing was changed)\n",
                         url.c_str(), json_get_int(*st, "pid"), mismatch.c_str(),
                         o.port ? fmt::format(" --port {}", *o.port).c_str() : "",
                         o.config_path.empty() ? "" : (" --config " + o.config_path).c_str());
            return code(ExitCode::kAlreadyRunning);
        }
        if (o.json) {
            print_running_json(*st, "already_running", managing(o, *st));
        } else {
            std::printf(
                "litellmd is already running at %s (pid %lld); `litellmctl restart` restarts "
                "it\n",
                url.c_str(), json_get_int(*st, "pid"));
        }
        return 0;
    }
    Started started = start_service(o);
    if (started.rc != 0) return started.rc;
    if (o.json) {
        print_running_json(*started.status, "started", started.manager);
    } else {
        std::printf("litellmd is running at %s\n  via %s\n",
                    std::string(json_get_string((*started.status)["listen"], "url")).c_str(),
                    started.how.c_str());
    }
    return 0;
}

namespace {

// Stops the daemon; prints only failures. `how` says through what, for the success line.
int stop_service(const ServiceOptions& o, std::string& how) {
    ServiceManager manager = o.manager.value_or(detect_service_manager());
    ServiceState s = service_state(manager, o.home);
    if (manager == ServiceManager::kSystemd && s.installed && s.active) {
        RunResult r = run_tool({"systemctl", "--user", "stop", kUnitName}, 60000);
        if (r.exit_code != 0) {
            std::fprintf(stderr, "litellmctl stop: systemctl stop failed: %s\n",
                         trim(r.err + r.out).c_str());
            return code(ExitCode::kFailure);
        }
        how = "systemd";
        return 0;
    }
    if (manager == ServiceManager::kLaunchd && s.installed && s.active) {
        // With KeepAlive, launchd would start a killed agent again: unload it instead.
        run_tool({"launchctl", "bootout", uid_domain() + "/" + std::string(kLaunchdLabel)});
        how = "launchd agent unloaded; `litellmctl start` loads it";
        return 0;
    }
    // A daemon run by hand or detached: ask it over the socket, then wait for its exit.
    rpc::Client c;
    if (!c.connect(o.socket_path, 1000)) {
        if (manager == ServiceManager::kDetached && s.active) {
            ::kill(s.pid, SIGTERM);
        } else {
            std::fprintf(stderr,
                         "litellmctl stop: litellmd is not running (nothing answers on %s); "
                         "`litellmctl status` shows what is installed\n",
                         o.socket_path.c_str());
            return code(ExitCode::kNotRunning);
        }
    } else {
        auto r = c.call("shutdown", "", 5000);
        if (!r || r->is_error) {
            std::fprintf(stderr, "litellmctl stop: shutdown failed: %s\n",
                         r ? r->error_message.c_str() : c.last_error_text().c_str());
            return code(ExitCode::kFailure);
        }
    }
    for (int i = 0; i < 400; ++i) {
        bool socket_gone = !path_exists(o.socket_path);
        bool pid_gone = manager != ServiceManager::kDetached || !pid_alive(s.pid);
        if (socket_gone && pid_gone) {
            if (manager == ServiceManager::kDetached) ::unlink(pid_file(o.home).c_str());
            how = manager == ServiceManager::kDetached && s.active ? "detached" : "";
            return 0;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::fprintf(stderr, "litellmctl stop: litellmd is still draining after 20 s\n");
    return code(ExitCode::kFailure);
}

// `restart --port N` / `--config F` for a daemon on another port or config: an exec keeps the
// listening socket, so this is a stop and a start through the service manager, which then
// keeps the new values in its unit, plist or command line.
int restart_moved(const ServiceOptions& o, const rapidjson::Value& st) {
    std::optional<ServiceManager> manager = managing(o, st);
    long long pid = json_get_int(st, "pid");
    std::string what = o.port && *o.port != running_port(st)
                           ? fmt::format("--port {}", *o.port)
                           : fmt::format("--config {}", o.config_path);
    if (!manager) {
        std::fprintf(stderr,
                     "litellmctl restart: litellmd (pid %lld) was not started by `litellmctl "
                     "start`, so it cannot be started again with %s; stop it and run it with "
                     "%s (nothing was changed)\n",
                     pid, what.c_str(), what.c_str());
        return code(ExitCode::kFailure);
    }
    if (o.port && *o.port != running_port(st) && local_port_in_use(*o.port)) {
        std::string holder = port_holder(*o.port);
        std::fprintf(stderr,
                     "litellmctl restart: port %d is already in use%s; litellmd stays on port "
                     "%d (nothing was changed)\n",
                     *o.port, holder.empty() ? "" : (" by " + holder).c_str(), running_port(st));
        return code(ExitCode::kFailure);
    }
    if (!o.config_path.empty()) {
        // Checked before the stop: a move to a config that cannot load would leave nothing
        // running.
        ConfigLoadResult cfg = load_config_file(o.config_path);
        if (!cfg.ok()) {
            std::fprintf(stderr,
                         "litellmctl restart: %s cannot be loaded; litellmd keeps "
                         "running as it is (nothing was changed):\n",
                         o.config_path.c_str());
            for (const auto& e : cfg.errors())
                std::fprintf(stderr, "  %s\n", e.to_string().c_str());
            return code(ExitCode::kConfigInvalid);
        }
    }
    std::fprintf(stderr,
                 "litellmctl restart: %s is not an in-place restart: litellmd stops (its "
                 "in-flight requests finish) and starts again\n",
                 what.c_str());
    ServiceOptions start = o;
    start.manager = manager;
    // Keep what the move does not change.
    if (!start.port) start.port = running_port(st);
    if (start.config_path.empty()) {
        std::string running_config(json_get_string(st, "config_path"));
        if (running_config != home_paths(o.home).config) start.config_path = running_config;
    }
    std::string how;
    if (int rc = stop_service(start, how); rc != 0) return rc;
    Started started = start_service(start);
    if (started.rc != 0) return started.rc;
    if (o.json) {
        print_running_json(*started.status, "moved", started.manager);
    } else {
        std::printf("litellmd moved to %s\n  via %s\n",
                    std::string(json_get_string((*started.status)["listen"], "url")).c_str(),
                    started.how.c_str());
    }
    return 0;
}

}  // namespace

int service_stop(const ServiceOptions& o) {
    std::string how;
    int rc = stop_service(o, how);
    if (rc != 0) return rc;
    if (o.json) {
        std::printf("{\"running\": false, \"action\": \"stopped\"}\n");
    } else {
        std::printf("litellmd stopped%s\n", how.empty() ? "" : (" (" + how + ")").c_str());
    }
    return 0;
}

int service_restart(const ServiceOptions& o) {
    auto st = daemon_status(o.socket_path);
    if (!st) {
        std::fprintf(stderr, "litellmd is not running; starting it\n");
        return service_start(o);
    }
    if (!start_mismatch(o, *st).empty()) return restart_moved(o, *st);
    std::string started(json_get_string(*st, "started_at"));
    long long pid = json_get_int(*st, "pid");
    rpc::Client c;
    if (!c.connect(o.socket_path, 1000)) return code(ExitCode::kNotRunning);
    auto r = c.call("restart", fmt::format(R"({{"drain_s":{}}})", o.drain_s), 5000);
    if (!r || r->is_error) {
        std::fprintf(stderr, "litellmctl restart: %s\n",
                     r ? r->error_message.c_str() : c.last_error_text().c_str());
        return code(ExitCode::kFailure);
    }
    auto after = wait_for_daemon(o.socket_path, o.timeout_ms + o.drain_s * 1000, started,
                                 [pid] { return pid_alive(static_cast<int>(pid)); });
    if (!after) {
        std::fprintf(stderr, "litellmctl restart: litellmd did not come back; see %s\n",
                     home_paths(o.home).log_file.c_str());
        return code(ExitCode::kFailure);
    }
    if (o.json) {
        print_running_json(*after, "restarted_in_place", managing(o, *after));
        return 0;
    }
    std::string url(json_get_string((*after)["listen"], "url"));
    std::printf("litellmd %s restarted in place at %s (pid %lld kept)\n",
                std::string(json_get_string(*after, "version")).c_str(), url.c_str(),
                json_get_int(*after, "pid"));
    return 0;
}

int service_uninstall(const ServiceOptions& o) {
    ServiceManager manager = o.manager.value_or(detect_service_manager());
    ServiceState s = service_state(manager, o.home);
    auto report = [&](bool removed) {
        if (o.json) {
            std::printf("{\"removed\": %s, \"manager\": \"%s\", \"path\": %s}\n",
                        removed ? "true" : "false", service_manager_name(manager),
                        json_quote(s.path).c_str());
        } else if (removed) {
            std::printf("removed the %s service (%s)\n", service_manager_name(manager),
                        s.path.c_str());
        } else {
            std::printf("no %s service is installed (%s)\n", service_manager_name(manager),
                        s.path.c_str());
        }
        return 0;
    };
    if (!s.installed) {
        return report(false);
    }
    if (manager == ServiceManager::kSystemd) {
        run_tool({"systemctl", "--user", "disable", "--now", kUnitName}, 60000);
        ::unlink(s.path.c_str());
        run_tool({"systemctl", "--user", "daemon-reload"});
    } else if (manager == ServiceManager::kLaunchd) {
        run_tool({"launchctl", "bootout", uid_domain() + "/" + std::string(kLaunchdLabel)});
        ::unlink(s.path.c_str());
    } else {
        std::string how;
        if (s.active) stop_service(o, how);
        ::unlink(s.path.c_str());
    }
    return report(true);
}

}  // namespace litellm::ctl
