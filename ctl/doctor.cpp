#include "ctl/doctor.hpp"

#include "common/outbound_proxy.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <rapidjson/document.h>

#include "common/config.hpp"
#include "common/dotenv.hpp"
#include "common/fs.hpp"
#include "common/json.hpp"
#include "common/net.hpp"
#include "common/paths.hpp"
#include "common/provider_status.hpp"
#include "common/providers.hpp"
#include "common/rpc_client.hpp"
#include "common/token_file.hpp"
#include "ctl/service.hpp"
#include "proto/errors.hpp"
#include "proto/version.hpp"

namespace litellm::ctl {

// Pure helpers, with external linkage so tests/unit/ctl/doctor_test.cpp can reach them (it
// declares them itself: doctor.hpp stays the command's interface only).
namespace doctor_detail {

enum class Status { kOk, kWarn, kFail };

/// One verdict: status, what was found, what to do.
struct Finding {
    Status status = Status::kOk;
    std::string detail;
    std::string fix;
};

/// Host and TCP port of a URL.
struct Endpoint {
    std::string host;
    int port = 0;
};

/// "http(s)://host[:port]/..." -> {host, port}; the scheme's port when none is given; nullopt
/// for an unknown scheme, an empty host or a bad port.
std::optional<Endpoint> url_endpoint(std::string_view url) {
    int port = 443;
    size_t sep = url.find("://");
    if (sep != std::string_view::npos) {
        std::string scheme(url.substr(0, sep));
        std::transform(scheme.begin(), scheme.end(), scheme.begin(), ::tolower);
        if (scheme == "http") {
            port = 80;
        } else if (scheme != "https") {
            return std::nullopt;
        }
        url.remove_prefix(sep + 3);
    }
    std::string_view authority = url.substr(0, url.find_first_of("/?#"));
    size_t at = authority.rfind('@');
    if (at != std::string_view::npos) authority.remove_prefix(at + 1);
    std::string_view host = authority;
    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        size_t close = authority.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        host = authority.substr(1, close - 1);
        std::string_view rest = authority.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') return std::nullopt;
            port_text = rest.substr(1);
        }
    } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        port_text = authority.substr(colon + 1);
    }
    if (host.empty()) return std::nullopt;
    if (!port_text.empty()) {
        if (port_text.size() > 5 ||
            port_text.find_first_not_of("0123456789") != std::string_view::npos) {
            return std::nullopt;
        }
        port = std::stoi(std::string(port_text));
        if (port < 1 || port > 65535) return std::nullopt;
    }
    return Endpoint{std::string(host), port};
}

/// "0644".
std::string mode_text(unsigned mode) {
    return fmt::format("{:04o}", mode & 07777);
}

/// "a, b, c and 4 more" (at most `max_shown` names).
std::string list_text(const std::vector<std::string>& items, size_t max_shown) {
    std::string out;
    size_t shown = std::min(items.size(), max_shown);
    // "a, b and c" reads better than "a, b and 1 more".
    if (items.size() == max_shown + 1) shown = items.size();
    for (size_t i = 0; i < shown; ++i) {
        if (i > 0) out += (i + 1 == shown && shown == items.size()) ? " and " : ", ";
        out += items[i];
    }
    if (shown < items.size()) out += fmt::format(" and {} more", items.size() - shown);
    return out;
}

/// "45s", "12m", "3h 5m", "2d 4h".
std::string age_text(double seconds) {
    long s = seconds < 0 ? 0 : static_cast<long>(seconds);
    if (s < 60) return fmt::format("{}s", s);
    if (s < 3600) return fmt::format("{}m", s / 60);
    if (s < 86400) return fmt::format("{}h {}m", s / 3600, (s % 3600) / 60);
    return fmt::format("{}d {}h", s / 86400, (s % 86400) / 3600);
}

/// Judges the text of an OAuth token file at time `now_s` (epoch seconds). `login` is the
/// command that writes a fresh one ("litellmctl auth chatgpt"), or empty for an unknown file.
Finding inspect_token(const std::string& text, double now_s, const std::string& login) {
    const std::string relogin = login.empty() ? "delete the file if nothing uses it"
                                              : "run `" + login + "` to log in again";
    // The daemon's own parser: what it makes of the file is what doctor reports.
    TokenParse parsed = parse_token_file(text);
    if (!parsed.ok) return {Status::kFail, parsed.error, relogin};
    const TokenRecord& r = parsed.record;
    bool refresh = !r.refresh_token.empty();
    if (!r.expires_at) {
        return {Status::kOk, refresh ? "has a refresh token" : "has an access token", ""};
    }
    double expires = static_cast<double>(*r.expires_at);
    if (expires > now_s) {
        return {Status::kOk, "access token valid for " + age_text(expires - now_s), ""};
    }
    std::string ago = "access token expired " + age_text(now_s - expires) + " ago";
    if (refresh) {
        return {
            Status::kWarn, ago + "; litellmd refreshes it (at start, or before the next request)",
            "nothing if the refresh works (`litellmctl auth status` shows it); if not, " + relogin};
    }
    return {Status::kWarn, ago + " and there is no refresh token", relogin};
}

}  // namespace doctor_detail

namespace {

using doctor_detail::Endpoint;
using doctor_detail::list_text;
using doctor_detail::mode_text;
using doctor_detail::Status;
using doctor_detail::url_endpoint;

// How long to wait for the daemon on its socket: a live daemon answers in milliseconds.
constexpr int kSocketTimeoutMs = 3000;
// Extra wait over the probe timeout for DNS, which probe_tcp cannot bound.
constexpr int kDnsGraceMs = 500;

/// One line of the report.
struct Row {
    std::string name;
    Status status;
    std::string detail;
    std::string fix;
};

/// Collects rows, prints them as they come (text) or all at the end (--json).
class Report {
  public:
    Report(bool json, const std::string& home, const std::string& config) : m_json(json) {
        if (!m_json)
            std::printf("litellmctl doctor: %s (config %s)\n\n", home.c_str(), config.c_str());
    }

    void add(std::string name, Status status, std::string detail, std::string fix = {}) {
        Row row{std::move(name), status, std::move(detail), std::move(fix)};
        if (!m_json) {
            static constexpr const char* kWords[] = {"ok", "warn", "FAIL"};
            std::printf("%-5s %-12s %s\n", kWords[static_cast<int>(row.status)], row.name.c_str(),
                        row.detail.c_str());
            if (!row.fix.empty() && row.status != Status::kOk) {
                std::printf("%19sfix: %s\n", "", row.fix.c_str());
            }
            std::fflush(stdout);
        }
        m_rows.push_back(std::move(row));
    }

    /// Prints the summary (or the JSON document); returns the exit code.
    int finish() const {
        int counts[3] = {0, 0, 0};
        for (const Row& r : m_rows)
            ++counts[static_cast<int>(r.status)];
        bool ok = counts[2] == 0;
        if (m_json) {
            static constexpr const char* kNames[] = {"ok", "warn", "fail"};
            rapidjson::Document d(rapidjson::kObjectType);
            auto& a = d.GetAllocator();
            d.AddMember("ok", ok, a);
            rapidjson::Value checks(rapidjson::kArrayType);
            for (const Row& r : m_rows) {
                rapidjson::Value c(rapidjson::kObjectType);
                c.AddMember("name", json_str(r.name, a), a);
                c.AddMember("status", rapidjson::StringRef(kNames[static_cast<int>(r.status)]), a);
                c.AddMember("detail", json_str(r.detail, a), a);
                c.AddMember("fix", json_str(r.fix, a), a);
                checks.PushBack(c, a);
            }
            d.AddMember("checks", checks, a);
            rapidjson::Value summary(rapidjson::kObjectType);
            summary.AddMember("ok", counts[0], a);
            summary.AddMember("warn", counts[1], a);
            summary.AddMember("fail", counts[2], a);
            d.AddMember("summary", summary, a);
            std::printf("%s\n", json_pretty(d).c_str());
        } else if (!ok) {
            std::printf(
                "\n%d ok, %d warn, %d FAIL: fix the FAIL lines, then run `litellmctl doctor` "
                "again.\n",
                counts[0], counts[1], counts[2]);
        } else if (counts[1] > 0) {
            std::printf(
                "\n%d ok, %d warn, no FAIL: litellmd can run; the warnings say what will "
                "not work.\n",
                counts[0], counts[1]);
        } else {
            std::printf("\nAll %d checks ok.\n", counts[0]);
        }
        return ok ? static_cast<int>(proto::ExitCode::kOk)
                  : static_cast<int>(proto::ExitCode::kFailure);
    }

  private:
    bool m_json;
    std::vector<Row> m_rows;
};

/// What the checks share.
struct Context {
    Context(const DoctorOptions& o, Report& r) : opt(o), report(r) {}

    const DoctorOptions& opt;
    Report& report;
    HomePaths paths;
    std::string config_path;
    std::string socket_path;
    ServiceManager manager = ServiceManager::kDetached;
    std::optional<Config> config;
    std::set<std::string> dotenv_keys;  ///< names the .env file defines
    std::vector<Row> dotenv_rows;       ///< .env findings, shown with the env check
    bool daemon_running = false;
    std::optional<int> daemon_port;
};

double now_epoch_s() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// "1 model", "3 models".
std::string count_text(size_t n, const char* noun) {
    return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s");
}

/// Who besides the owner has the `group_bit` / `other_bit` permission: "group", "others", both.
std::string who_else(unsigned mode, unsigned group_bit, unsigned other_bit) {
    if ((mode & group_bit) && (mode & other_bit)) return "group and others";
    return (mode & group_bit) ? "group" : "others";
}

// ---- 1. home and logs -------------------------------------------------------------------------

// Returns false when the home is unusable (the logs check is then pointless).
bool check_home(Context& c) {
    const std::string& home = c.paths.home;
    struct stat st {};
    if (::stat(home.c_str(), &st) != 0) {
        // Not a failure of its own: litellmd creates the home; the missing config fails below.
        c.report.add("home", Status::kWarn, home + " does not exist",
                     fmt::format("`scripts/run` creates it with the default config (or `mkdir -m "
                                 "700 {}`)",
                                 home));
        return false;
    }
    if (!S_ISDIR(st.st_mode)) {
        c.report.add("home", Status::kFail, home + " is not a directory",
                     "move it away, or point LITELLM_HOME / --home at a directory");
        return false;
    }
    unsigned mode = st.st_mode & 07777;
    if (::access(home.c_str(), R_OK | W_OK | X_OK) != 0) {
        c.report.add("home", Status::kFail,
                     fmt::format("{} is not writable by you (owner uid {}, mode {})", home,
                                 st.st_uid, mode_text(mode)),
                     "chown -R \"$(id -un)\" " + home + " && chmod 700 " + home);
        return false;
    }
    if (mode & 022) {
        // Whoever can write the home can swap config.yaml or .env and send the keys elsewhere.
        c.report.add("home", Status::kFail,
                     fmt::format("{} is writable by {} (mode {})", home, who_else(mode, 020, 002),
                                 mode_text(mode)),
                     "chmod 700 " + home);
        return true;
    }
    c.report.add("home", Status::kOk, fmt::format("{} (mode {})", home, mode_text(mode)));
    return true;
}

void check_logs(Context& c) {
    const std::string& dir = c.paths.logs_dir;
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) {
        c.report.add("logs", Status::kOk, dir + " does not exist yet; litellmd creates it");
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        c.report.add("logs", Status::kFail, dir + " is not a directory",
                     "move it away; litellmd creates the directory on start");
        return;
    }
    if (::access(dir.c_str(), W_OK | X_OK) != 0) {
        c.report.add("logs", Status::kFail, dir + " is not writable by you",
                     "chmod u+rwx " + dir + " (or chown it to yourself)");
        return;
    }
    const std::string& file = c.paths.log_file;
    if (path_exists(file) && ::access(file.c_str(), W_OK) != 0) {
        c.report.add("logs", Status::kFail, file + " is not writable by you",
                     "chmod u+w " + file + " (or remove it; litellmd creates a new one)");
        return;
    }
    c.report.add("logs", Status::kOk, dir + " is writable");
}

// ---- 2. config --------------------------------------------------------------------------------

// The variables a config names through os.environ/ in api_key and master_key, with their uses.
struct EnvRef {
    std::vector<std::string> models;  ///< public model names whose api_key names it
    bool master_key = false;
};

std::map<std::string, EnvRef> env_refs(const Config& cfg) {
    std::map<std::string, EnvRef> refs;
    for (const Deployment& d : cfg.model_list) {
        if (d.api_key.env_name.empty()) continue;
        auto& models = refs[d.api_key.env_name].models;
        if (std::find(models.begin(), models.end(), d.model_name) == models.end()) {
            models.push_back(d.model_name);
        }
    }
    if (!cfg.general.master_key.env_name.empty()) {
        refs[cfg.general.master_key.env_name].master_key = true;
    }
    return refs;
}

void check_config(Context& c) {
    const std::string& path = c.config_path;
    if (!path_exists(path)) {
        std::string fix =
            path == c.paths.config
                ? "`litellmctl init` writes the default config there (so does the first "
                  "`litellmctl start`)"
                : "check the --config path, or `litellmctl init --config " + path +
                      "` writes the default config there";
        c.report.add("config", Status::kFail, "no config file at " + path, fix);
        return;
    }
    ConfigLoadResult result = load_config_file(path);
    const std::string recheck = "`litellmd --check-config " + path + "` checks it again";
    for (const Diagnostic& d : result.errors()) {
        c.report.add("config", Status::kFail, d.to_string(), "edit that line; " + recheck);
    }
    if (!result.ok()) return;
    const Config& cfg = *result.config;
    c.report.add(
        "config", Status::kOk,
        fmt::format("{} loads: {}, {}, {}", path, count_text(cfg.model_names().size(), "model"),
                    count_text(cfg.model_list.size(), "deployment"),
                    count_text(cfg.router.fallbacks.size(), "fallback chain")));
    // Unset variables get their own `env` rows below, with the fix; listing them here too
    // would say everything twice.
    auto refs = env_refs(cfg);
    for (const Diagnostic& d : result.warnings()) {
        bool covered = std::any_of(refs.begin(), refs.end(), [&](const auto& r) {
            return d.message.find(" refers to " + r.first + ",") != std::string::npos;
        });
        if (covered) continue;
        c.report.add("config", Status::kWarn, d.to_string(),
                     "edit that line (litellmd runs with it as it is); " + recheck);
    }
    // The daemon applies these after its load; doing the same makes the credential check see
    // what the daemon sees.
    for (const auto& [name, value] : cfg.environment_variables) {
        ::setenv(name.c_str(), value.c_str(), 0);
    }
    c.config = std::move(result.config);
}

// ---- 3. env -----------------------------------------------------------------------------------

// Loads .env before the config so os.environ/ resolves as in the daemon. Its findings wait in
// `dotenv_rows` so the report keeps the order home, config, env.
void load_dotenv(Context& c) {
    auto add = [&](Status status, std::string detail, std::string fix = {}) {
        c.dotenv_rows.push_back({".env", status, std::move(detail), std::move(fix)});
    };
    const std::string& path = c.paths.dotenv;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        std::string fix = path_exists(c.paths.env_example)
                              ? fmt::format("cp {} {} && chmod 600 {}, then fill in your keys",
                                            c.paths.env_example, path, path)
                              : fmt::format("create {} with NAME=value lines (chmod 600)", path);
        add(Status::kWarn, "no " + path + "; keys come only from your shell", fix);
        return;
    }
    std::string error;
    std::optional<std::string> text = read_file(path, &error);
    if (!text) {
        add(Status::kFail, path + " cannot be read: " + error,
            "chmod 600 " + path + " (and make sure you own it)");
        return;
    }
    std::vector<int> bad_lines;
    for (const DotenvEntry& e : parse_dotenv(*text, &bad_lines))
        c.dotenv_keys.insert(e.key);
    load_dotenv_file(path);
    for (int line : bad_lines) {
        add(Status::kWarn, fmt::format("{}:{}: not NAME=value; ignored", path, line),
            "fix or delete that line");
    }
    unsigned mode = st.st_mode & 07777;
    if (mode & 077) {
        add(Status::kWarn,
            fmt::format("{} holds keys and is open to {} (mode {})", path, who_else(mode, 070, 007),
                        mode_text(mode)),
            "chmod 600 " + path);
        return;
    }
    add(Status::kOk, fmt::format("{}: {}, mode {}", path,
                                 count_text(c.dotenv_keys.size(), "variable"), mode_text(mode)));
}

void check_env(Context& c) {
    for (Row& row : c.dotenv_rows)
        c.report.add(row.name, row.status, std::move(row.detail), std::move(row.fix));
    if (!c.config) {
        c.report.add("env", Status::kWarn, "not checked: the config did not load",
                     "fix the config errors above");
        return;
    }
    auto refs = env_refs(*c.config);
    // A systemd/launchd service gets only what .env holds, not what this shell exports.
    bool service_env = c.manager != ServiceManager::kDetached;
    std::vector<std::string> set_names;
    bool problems = false;
    for (const auto& [name, ref] : refs) {
        const char* value = std::getenv(name.c_str());
        std::string uses = ref.master_key ? "general_settings.master_key" : "";
        if (!ref.models.empty()) {
            if (!uses.empty()) uses += "; ";
            uses += "api_key of " + list_text(ref.models, 3);
        }
        std::string add =
            fmt::format("add {}=<{}> to {}, then `litellmctl reload`", name,
                        ref.master_key ? "a long random string" : "key", c.paths.dotenv);
        if (!value || !*value) {
            problems = true;
            std::string state = value ? "is empty" : "is not set";
            if (ref.master_key) {
                // The same verdict as `status`: without the key litellmd still runs, but only
                // on loopback (it refuses any other address), and any local process may use it.
                c.report.add("env", Status::kWarn,
                             fmt::format("{} {} ({}): clients are not authenticated, so litellmd "
                                         "serves loopback only",
                                         name, state, uses),
                             add);
            } else {
                c.report.add("env", Status::kWarn, fmt::format("{} {} ({})", name, state, uses),
                             add);
            }
            continue;
        }
        set_names.push_back(name);
        if (service_env && !c.dotenv_keys.count(name) &&
            !c.config->environment_variables.count(name)) {
            problems = true;
            c.report.add("env", Status::kWarn,
                         fmt::format("{} comes from your shell, not {}; the {} service will not "
                                     "see it",
                                     name, c.paths.dotenv, service_manager_name(c.manager)),
                         add);
        }
    }
    const SecretValue& master = c.config->general.master_key;
    if (master.value == "sk-litellm-change-me") {
        problems = true;
        c.report.add(
            "env", Status::kWarn, "the master key is still the example value from .env.example",
            fmt::format("set {} to a random string (openssl rand -hex 24) in {}",
                        master.env_name.empty() ? "general_settings.master_key" : master.env_name,
                        master.env_name.empty() ? c.config_path : c.paths.dotenv));
    }
    if (refs.empty()) {
        c.report.add("env", Status::kOk, "the config names no environment variables");
    } else if (!problems) {
        c.report.add("env", Status::kOk, "set: " + list_text(set_names, 6));
    }
}

// ---- 4. credentials ---------------------------------------------------------------------------

void check_credentials(Context& c) {
    if (!c.config) {
        c.report.add("credentials", Status::kWarn, "not checked: the config did not load",
                     "fix the config errors above");
        return;
    }
    auto rows = provider_status(*c.config, c.paths, c.config_path);
    if (rows.empty()) {
        c.report.add("credentials", Status::kWarn, "the config uses no known provider",
                     "add model_list entries (see etc/config.yaml)");
    }
    for (const ProviderStatus& p : rows) {
        std::string models = count_text(p.models.size(), "model");
        if (p.credential_ok) {
            c.report.add("credentials", Status::kOk,
                         fmt::format("{}: {} ({}, {})", p.name, p.display_name, p.source, models));
        } else {
            // A warning, not a failure: the daemon runs and falls back past these models.
            c.report.add("credentials", Status::kWarn,
                         fmt::format("{}: no credential ({}); {} will not work", p.name, p.source,
                                     list_text(p.models, 3)),
                         p.hint);
        }
    }
}

// ---- 5. token files ---------------------------------------------------------------------------

void check_tokens(Context& c) {
    // Token files of the OAuth providers the config uses.
    std::set<std::string> used;
    if (c.config) {
        for (const Deployment& d : c.config->model_list) {
            const ProviderInfo* info = find_provider(d.provider);
            if (info && info->auth == AuthKind::kOAuth) used.insert(std::string(info->token_file));
        }
    }
    std::set<std::string> files;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(c.paths.home, ec)) {
        std::string name = entry.path().filename().string();
        if (name.size() > 10 && name.rfind("auth.", 0) == 0 &&
            name.compare(name.size() - 5, 5, ".json") == 0) {
            files.insert(name);
        }
    }
    if (files.empty()) {
        // A used but missing file is already a `credentials` warning.
        if (used.empty()) {
            c.report.add("token", Status::kOk,
                         "no auth.*.json files (the config uses no OAuth provider)");
        }
        return;
    }
    double now = now_epoch_s();
    for (const std::string& name : files) {
        std::string path = c.paths.home + "/" + name;
        std::string login;
        for (const ProviderInfo& p : all_providers()) {
            if (p.token_file == name) login = std::string(p.login_command);
        }
        std::string error;
        std::optional<std::string> text = read_file(path, &error);
        if (!text) {
            c.report.add("token", Status::kFail, name + " cannot be read: " + error,
                         "chmod 600 " + path + " (and make sure you own it)");
            continue;
        }
        doctor_detail::Finding f = doctor_detail::inspect_token(*text, now, login);
        std::string detail = name + " " + f.detail;
        if (c.config && !used.count(name)) detail += " (the config does not use it)";
        c.report.add("token", f.status, detail, f.fix);
        struct stat st {};
        if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077)) {
            unsigned mode = st.st_mode & 07777;
            c.report.add("token", Status::kWarn,
                         fmt::format("{} holds tokens and is open to {} (mode {})", name,
                                     who_else(mode, 070, 007), mode_text(mode)),
                         "chmod 600 " + path);
        }
    }
}

// ---- 6. control socket ------------------------------------------------------------------------

void check_socket(Context& c) {
    const std::string& path = c.socket_path;
    rpc::Client client;
    if (!client.connect(path, kSocketTimeoutMs)) {
        struct stat st {};
        bool exists = ::lstat(path.c_str(), &st) == 0;
        switch (client.last_error()) {
            case rpc::TransportError::kNotRunning:
                if (exists && !S_ISSOCK(st.st_mode)) {
                    c.report.add("socket", Status::kFail, path + " exists but is not a socket",
                                 "move it away; litellmd creates the socket on start");
                } else if (exists) {
                    c.report.add("socket", Status::kWarn,
                                 "stale socket " + path + ": nothing answers on it",
                                 "nothing to do: litellmd removes it when it starts (`litellmctl "
                                 "start`)");
                } else {
                    c.report.add("socket", Status::kWarn,
                                 "litellmd is not running (no " + path + ")",
                                 "start it with `litellmctl start`");
                }
                return;
            case rpc::TransportError::kPermission:
                c.report.add("socket", Status::kFail,
                             path + ": permission denied; the daemon belongs to another user",
                             "run litellmctl as that user, or stop that daemon");
                return;
            default:
                c.report.add("socket", Status::kFail,
                             "cannot connect to " + path + ": " + client.last_error_text(),
                             "check `litellmctl logs`; `litellmctl restart` starts it afresh");
                return;
        }
    }
    std::string params = fmt::format(R"({{"client":"litellmctl/{} doctor","protocol":{}}})",
                                     proto::kVersion, proto::kProtocolVersion);
    auto hello = client.call("rpc.hello", params, kSocketTimeoutMs);
    if (!hello) {
        c.report.add("socket", Status::kFail,
                     "litellmd on " + path + " does not answer: " + client.last_error_text(),
                     "check `litellmctl logs`; `litellmctl restart` starts it afresh");
        return;
    }
    if (hello->is_error) {
        c.report.add("socket", Status::kFail, "litellmd refused rpc.hello: " + hello->error_message,
                     "restart it with this version's binary: `litellmctl restart`");
        return;
    }
    c.daemon_running = true;
    const auto& h = hello->payload();
    c.report.add("socket", Status::kOk,
                 fmt::format("litellmd {} (pid {}) answers on {}",
                             json_get_string(h, "daemon_version"), json_get_int(h, "pid"), path));
    auto status = client.call("status", "", kSocketTimeoutMs);
    if (status && !status->is_error && status->payload().IsObject()) {
        const auto& s = status->payload();
        auto listen = s.FindMember("listen");
        if (listen != s.MemberEnd() && listen->value.IsObject()) {
            long long port = json_get_int(listen->value, "port", 0);
            if (port > 0) c.daemon_port = static_cast<int>(port);
        }
        std::string used(json_get_string(s, "config_path"));
        std::error_code ec;
        if (!used.empty() && used != c.config_path &&
            !std::filesystem::equivalent(used, c.config_path, ec)) {
            c.report.add(
                "config", Status::kWarn,
                "litellmd runs with " + used + ", not the " + c.config_path + " checked here",
                "run `litellmctl doctor --config " + used + "` to check that one");
        }
    }
    // The daemon knows more than the files: a refresh token the provider refused.
    auto auth = client.call("auth.status", "", kSocketTimeoutMs);
    if (auth && !auth->is_error && auth->payload().IsObject() &&
        auth->payload().HasMember("providers") && auth->payload()["providers"].IsArray()) {
        for (const auto& p : auth->payload()["providers"].GetArray()) {
            std::string state(json_get_string(p, "state"));
            std::string login(json_get_string(p, "login"));
            std::string provider(json_get_string(p, "provider"));
            std::string error(json_get_string(p, "last_error"));
            bool used = p.HasMember("used") && p["used"].IsBool() && p["used"].GetBool();
            if (state == "login_needed") {
                c.report.add("token", used ? Status::kFail : Status::kWarn,
                             fmt::format("{}: litellmd cannot refresh it ({})", provider, error),
                             "run `" + login + "`");
            } else if (state == "expired" && used && !error.empty()) {
                c.report.add("token", Status::kWarn,
                             fmt::format("{}: expired; litellmd keeps trying to refresh it ({})",
                                         provider, error),
                             "check the network or proxy; if it persists run `" + login + "`");
            }
        }
    }
}

// ---- 7. port ----------------------------------------------------------------------------------

void check_port(Context& c) {
    int port = c.opt.port;
    if (c.daemon_running) {
        if (!c.daemon_port) {
            c.report.add("port", Status::kWarn, "litellmd runs but did not report its port",
                         "see `litellmctl status`");
        } else if (*c.daemon_port == port) {
            c.report.add("port", Status::kOk, fmt::format("litellmd listens on port {}", port));
        } else {
            c.report.add("port", Status::kWarn,
                         fmt::format("litellmd listens on port {}, not {}", *c.daemon_port, port),
                         fmt::format("point clients at port {}, or restart it with --port {}",
                                     *c.daemon_port, port));
        }
        return;
    }
    if (local_port_in_use(port)) {
        std::string holder = port_holder(port);
        c.report.add("port", Status::kFail,
                     fmt::format("port {} is held by {}", port,
                                 holder.empty() ? "another program (not visible to you)" : holder),
                     "stop it, or give litellmd and its clients another port (`litellmctl start "
                     "--port N`)");
        return;
    }
    c.report.add("port", Status::kOk, fmt::format("port {} is free for litellmd", port));
}

// ---- 8. service -------------------------------------------------------------------------------

void check_service(Context& c) {
    std::string manager = service_manager_name(c.manager);
    ServiceState s;
    try {
        s = service_state(c.manager, c.paths.home);
    } catch (const std::exception& e) {
        c.report.add("service", Status::kWarn, manager + ": state unknown: " + e.what(),
                     "see `litellmctl status`");
        return;
    }
    std::string where = s.path.empty() ? "" : " (" + s.path + ")";
    bool detached = c.manager == ServiceManager::kDetached;
    if (s.installed && s.active) {
        c.report.add("service", Status::kOk,
                     manager + ": " + (s.detail.empty() ? "active" : s.detail) + where);
    } else if (s.installed) {
        // Installed but down matters only when nothing else runs the daemon.
        std::string state = s.detail.empty() ? "not active" : s.detail;
        c.report.add("service", c.daemon_running ? Status::kOk : Status::kWarn,
                     manager + ": installed, " + state + where +
                         (c.daemon_running ? "; litellmd runs outside it" : ""),
                     "`litellmctl start` starts it");
    } else if (c.daemon_running) {
        c.report.add("service", Status::kOk,
                     manager +
                         (detached ? ": not started by `litellmctl start`" : ": not installed") +
                         "; litellmd runs outside it");
    } else {
        c.report.add("service", Status::kWarn,
                     manager + (detached ? ": not started" : ": not installed"),
                     detached ? "`litellmctl start` starts litellmd in the background"
                              : "`litellmctl start` installs and starts it");
    }
}

// ---- 9. upstream hosts ------------------------------------------------------------------------

/// One distinct upstream endpoint and the models that use it.
struct Upstream {
    Endpoint endpoint;
    std::vector<std::string> models;
    std::string proxy;         ///< the proxy requests to it go through ("" = direct)
    std::string proxy_source;  ///< the variable that named it
};

std::vector<Upstream> upstreams(const Config& cfg) {
    std::vector<Upstream> out;
    for (const Deployment& d : cfg.model_list) {
        std::string base = d.api_base;
        if (base.empty()) {
            const ProviderInfo* info = find_provider(d.provider);
            if (info) base = std::string(info->default_api_base);
        }
        auto ep = url_endpoint(base);
        if (!ep) continue;
        auto it = std::find_if(out.begin(), out.end(), [&](const Upstream& u) {
            return u.endpoint.host == ep->host && u.endpoint.port == ep->port;
        });
        if (it == out.end()) {
            it = out.insert(
                out.end(),
                Upstream{*ep, {}, cfg.proxy.for_url(base), cfg.proxy.source_for_url(base)});
        }
        if (std::find(it->models.begin(), it->models.end(), d.model_name) == it->models.end()) {
            it->models.push_back(d.model_name);
        }
    }
    return out;
}

// Probes every endpoint at once. getaddrinfo has no timeout, so the wait is bounded here: a
// probe still running at the deadline is reported as such and its thread is left to finish
// alone (it only touches the shared state it co-owns).
std::vector<std::optional<ProbeResult>> probe_all(const std::vector<Upstream>& targets,
                                                  int timeout_ms) {
    struct Shared {
        std::mutex mutex;
        std::condition_variable done;
        std::vector<std::optional<ProbeResult>> results;
        size_t pending = 0;
    };
    auto shared = std::make_shared<Shared>();
    shared->results.resize(targets.size());
    shared->pending = targets.size();
    for (size_t i = 0; i < targets.size(); ++i) {
        // Through a proxy, the proxy is what this machine must reach.
        std::string host = targets[i].endpoint.host;
        int port = targets[i].endpoint.port;
        ProxyEndpoint via;
        if (!targets[i].proxy.empty() && parse_proxy_url(targets[i].proxy, via)) {
            host = via.host;
            port = via.port;
        }
        auto run = [shared, i, host, port, timeout_ms] {
            ProbeResult r = probe_tcp(host, port, timeout_ms);
            std::lock_guard lock(shared->mutex);
            shared->results[i] = std::move(r);
            --shared->pending;
            shared->done.notify_all();
        };
        try {
            std::thread(run).detach();
        } catch (const std::system_error&) {
            run();  // no thread to spare: probe inline
        }
    }
    std::unique_lock lock(shared->mutex);
    shared->done.wait_for(lock, std::chrono::milliseconds(timeout_ms + kDnsGraceMs),
                          [&] { return shared->pending == 0; });
    return shared->results;
}

void check_upstreams(Context& c) {
    if (c.opt.skip_network) {
        c.report.add("upstream", Status::kOk, "skipped (--offline)");
        return;
    }
    if (!c.config) {
        c.report.add("upstream", Status::kWarn, "not checked: the config did not load",
                     "fix the config errors above");
        return;
    }
    std::vector<Upstream> targets = upstreams(*c.config);
    if (targets.empty()) {
        c.report.add("upstream", Status::kOk, "the config names no upstream hosts");
        return;
    }
    auto results = probe_all(targets, c.opt.probe_timeout_ms);
    for (size_t i = 0; i < targets.size(); ++i) {
        const Upstream& u = targets[i];
        std::string where = u.endpoint.host.find(':') != std::string::npos
                                ? fmt::format("[{}]:{}", u.endpoint.host, u.endpoint.port)
                                : fmt::format("{}:{}", u.endpoint.host, u.endpoint.port);
        std::string models = list_text(u.models, 3);
        if (!u.proxy.empty()) {
            // As this shell's environment names it; a service's may differ.
            where +=
                fmt::format(" via the proxy {} ({})", redact_proxy_url(u.proxy), u.proxy_source);
        }
        const auto& r = results[i];
        if (r && r->connected) {
            c.report.add("upstream", Status::kOk,
                         fmt::format("{} {}reachable ({}); used by {}", where,
                                     u.proxy.empty() ? "" : "proxy ", r->detail, models));
            continue;
        }
        std::string why = !r ? fmt::format("DNS lookup did not finish within {} ms",
                                           c.opt.probe_timeout_ms + kDnsGraceMs)
                             : r->detail;
        // A warning: this machine may simply be offline, and the daemon still runs.
        c.report.add(
            "upstream", Status::kWarn,
            fmt::format("{} unreachable: {}; used by {}", where, why, models),
            "check the network (DNS, proxy, firewall) or the api_base in " + c.config_path);
    }
}

}  // namespace

int doctor(const DoctorOptions& options) {
    HomePaths paths = home_paths(options.home);
    std::string config_path =
        absolute_path(options.config_path.empty() ? paths.config : options.config_path);
    Report report(options.json, paths.home, config_path);
    Context c(options, report);
    c.paths = paths;
    c.config_path = config_path;
    c.socket_path =
        options.socket_path.empty() ? control_socket_path(paths.home) : options.socket_path;
    c.manager = detect_service_manager();

    if (check_home(c)) check_logs(c);
    load_dotenv(c);
    check_config(c);
    check_env(c);
    check_credentials(c);
    check_tokens(c);
    check_socket(c);
    check_port(c);
    check_service(c);
    check_upstreams(c);
    return report.finish();
}

}  // namespace litellm::ctl
