#include "ctl/toggle_claude.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <rapidjson/error/en.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include "common/config.hpp"
#include "common/dotenv.hpp"
#include "common/fs.hpp"
#include "common/json.hpp"
#include "common/paths.hpp"
#include "common/rpc_client.hpp"
#include "common/text.hpp"
#include "proto/errors.hpp"

namespace litellm::ctl {

// ---- pure helpers ---------------------------------------------------------------------------

namespace toggle_detail {

bool is_loopback_url(std::string_view url) {
    auto lower = [](std::string_view s) {
        std::string out(s);
        for (char& c : out)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return out;
    };
    size_t scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return false;
    std::string scheme = lower(url.substr(0, scheme_end));
    if (scheme != "http" && scheme != "https") return false;
    std::string_view authority = url.substr(scheme_end + 3);
    authority = authority.substr(0, authority.find_first_of("/?#"));
    if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
        authority.remove_prefix(at + 1);
    }
    std::string host;
    if (!authority.empty() && authority.front() == '[') {
        size_t close = authority.find(']');
        if (close == std::string_view::npos) return false;
        host = lower(authority.substr(1, close - 1));
        return host == "::1";
    }
    host = lower(authority.substr(0, authority.find(':')));
    if (host == "localhost" || host == "localhost.") return true;
    // 127.0.0.0/8: four dotted decimal parts, the first one 127.
    if (host.rfind("127.", 0) != 0) return false;
    int dots = 0;
    for (char c : host) {
        if (c == '.') {
            ++dots;
        } else if (!std::isdigit(static_cast<unsigned char>(c))) {
            return false;
        }
    }
    return dots == 3 && host.back() != '.';
}

std::string mask_secret(std::string_view secret) {
    // Four characters of a short secret would give away too much of it.
    if (secret.size() <= 8) return fmt::format("**** ({} chars)", secret.size());
    return fmt::format("{}... ({} chars)", secret.substr(0, 4), secret.size());
}

JsonStyle detect_json_style(std::string_view text) {
    JsonStyle style;
    if (text.empty()) return style;
    style.trailing_newline = text.back() == '\n';
    style.crlf = text.find("\r\n") != std::string_view::npos;
    for (size_t nl = text.find('\n'); nl != std::string_view::npos; nl = text.find('\n', nl + 1)) {
        size_t start = nl + 1;
        if (start >= text.size()) break;
        char c = text[start];
        if (c != ' ' && c != '\t') continue;
        size_t end = start;
        while (end < text.size() && text[end] == c)
            ++end;
        if (end < text.size() && text[end] != '\n' && text[end] != '\r') {
            style.indent_char = c;
            style.indent_width = static_cast<unsigned>(end - start);
            break;
        }
    }
    return style;
}

std::string render_json(const rapidjson::Value& value, const JsonStyle& style) {
    rapidjson::StringBuffer buffer;
    rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
    writer.SetIndent(style.indent_char, style.indent_width);
    value.Accept(writer);
    std::string out(buffer.GetString(), buffer.GetSize());
    if (style.trailing_newline) out += '\n';
    if (!style.crlf) return out;
    std::string crlf;
    crlf.reserve(out.size() + out.size() / 16);
    for (char c : out) {
        if (c == '\n') crlf += '\r';
        crlf += c;
    }
    return crlf;
}

}  // namespace toggle_detail

namespace {

using proto::ExitCode;
using namespace toggle_detail;

constexpr unsigned kParseFlags = rapidjson::kParseFullPrecisionFlag;

int code(ExitCode c) {
    return static_cast<int>(c);
}

enum class Mode { kDirect, kProxy };

const char* mode_name(Mode m) {
    return m == Mode::kProxy ? "proxy" : "direct";
}

constexpr const char* kBaseUrlKey = "ANTHROPIC_BASE_URL";
constexpr const char* kTokenKey = "ANTHROPIC_AUTH_TOKEN";

/// One default-model variable: what proxy mode writes, and values earlier tools wrote (the bash
/// original's dated names, the Python port's aliases) that mean "set by a toggle".
struct ModelVar {
    const char* key;
    const char* label;
    const char* json_name;
    const char* value;
    std::vector<const char*> also_ours;
};

const std::vector<ModelVar>& model_vars() {
    static const std::vector<ModelVar> kVars = {
        {"ANTHROPIC_DEFAULT_OPUS_MODEL", "Opus", "opus", "claude-opus-4-6", {"ultra"}},
        {"ANTHROPIC_DEFAULT_SONNET_MODEL",
         "Sonnet",
         "sonnet",
         "claude-sonnet-4-5",
         {"claude-sonnet-4-5-20250929", "plus"}},
        {"ANTHROPIC_DEFAULT_HAIKU_MODEL",
         "Haiku",
         "haiku",
         "claude-haiku-4-5",
         {"claude-haiku-4-5-20251001", "lite"}},
    };
    return kVars;
}

/// The env keys toggle-claude owns, in the order it writes them.
std::vector<std::string> owned_keys() {
    std::vector<std::string> keys = {kBaseUrlKey, kTokenKey};
    for (const auto& m : model_vars())
        keys.emplace_back(m.key);
    return keys;
}

std::string_view as_text(const rapidjson::Value& v) {
    return v.IsString() ? std::string_view(v.GetString(), v.GetStringLength()) : std::string_view();
}

/// True when `value` of `key` is what some toggle wrote for proxy mode. The token is always
/// ours while the base URL points at loopback: Claude Code must not send it to Anthropic.
bool looks_proxy_set(const std::string& key, const rapidjson::Value& value) {
    if (!value.IsString()) return false;
    std::string_view text = as_text(value);
    if (key == kBaseUrlKey) return is_loopback_url(text);
    if (key == kTokenKey) return true;
    for (const auto& m : model_vars()) {
        if (key != m.key) continue;
        if (text == m.value) return true;
        for (const char* v : m.also_ours)
            if (text == v) return true;
    }
    return false;
}

/// The token as shown: masked, except the placeholder, which is no secret and says more in full.
std::string shown_token(std::string_view token) {
    if (token == kNoMasterKeyToken) return std::string(token) + " (placeholder: no master key)";
    return mask_secret(token);
}

/// A non-owning JSON string for looking `key` up (keys may hold any bytes, even NUL).
rapidjson::Value key_ref(const std::string& key) {
    return rapidjson::Value(rapidjson::StringRef(key.data(), key.size()));
}

const rapidjson::Value* find_member(const rapidjson::Value& obj, const std::string& key) {
    if (!obj.IsObject()) return nullptr;
    auto it = obj.FindMember(key_ref(key));
    return it == obj.MemberEnd() ? nullptr : &it->value;
}

rapidjson::Value* find_member(rapidjson::Value& obj, const std::string& key) {
    return const_cast<rapidjson::Value*>(
        find_member(static_cast<const rapidjson::Value&>(obj), key));
}

/// obj[name] as an object, replacing a missing or damaged member (state files are ours).
rapidjson::Value& object_member(rapidjson::Value& obj, const char* name,
                                rapidjson::Document::AllocatorType& alloc) {
    rapidjson::Value* v = find_member(obj, name);
    if (v && v->IsObject()) return *v;
    if (v) {
        v->SetObject();
        return *v;
    }
    obj.AddMember(rapidjson::StringRef(name), rapidjson::Value(rapidjson::kObjectType), alloc);
    return *find_member(obj, name);
}

const char* type_name(const rapidjson::Value& v) {
    switch (v.GetType()) {
        case rapidjson::kNullType:
            return "null";
        case rapidjson::kFalseType:
        case rapidjson::kTrueType:
            return "boolean";
        case rapidjson::kObjectType:
            return "object";
        case rapidjson::kArrayType:
            return "array";
        case rapidjson::kStringType:
            return "string";
        case rapidjson::kNumberType:
            return "number";
    }
    return "value";
}

std::string now_rfc3339() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string user_home_dir() {
    const char* home = std::getenv("HOME");
    if (home && *home) return home;
    if (const passwd* pw = getpwuid(getuid())) return pw->pw_dir;
    return ".";
}

/// Follows symlinks from `path` (dangling ones too), so a settings file kept in a dotfiles repo
/// is edited where it lives instead of being replaced by a regular file.
std::string resolve_write_target(const std::string& path) {
    namespace fs = std::filesystem;
    fs::path p(path);
    std::error_code ec;
    for (int hops = 0; hops < 40 && fs::is_symlink(p, ec); ++hops) {
        fs::path link = fs::read_symlink(p, ec);
        if (ec) break;
        p = link.is_absolute() ? link : p.parent_path() / link;
    }
    return p.lexically_normal().string();
}

/// "line L, column C" of a byte offset, for parse errors a person can find in an editor.
std::string text_position(std::string_view text, size_t offset) {
    offset = std::min(offset, text.size());
    size_t line = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < offset; ++i) {
        if (text[i] == '\n') {
            ++line;
            line_start = i + 1;
        }
    }
    return fmt::format("line {}, column {}", line, offset - line_start + 1);
}

// ---- the settings file ----------------------------------------------------------------------

struct SettingsFile {
    std::string path;    ///< as shown to the user (absolute)
    std::string target;  ///< where reads and writes go: `path` with symlinks resolved
    bool exists = false;
    std::string text;  ///< the bytes read
    mode_t mode = 0600;
    rapidjson::Document doc;
    JsonStyle style;
};

/// Reads and checks the settings file; false with `error` set when it must not be touched.
bool load_settings(SettingsFile& s, std::string& error) {
    s.target = resolve_write_target(s.path);
    struct stat st {};
    if (::stat(s.target.c_str(), &st) != 0) {
        if (errno != ENOENT) {
            error = fmt::format("cannot read {}: {}", s.path, std::strerror(errno));
            return false;
        }
        s.exists = false;
        s.doc.SetObject();
        return true;
    }
    if (!S_ISREG(st.st_mode)) {
        error = fmt::format("{} is not a regular file", s.path);
        return false;
    }
    s.exists = true;
    s.mode = st.st_mode & 07777;
    std::string read_error;
    auto text = read_file(s.target, &read_error);
    if (!text) {
        error = "cannot read " + read_error;
        return false;
    }
    s.text = std::move(*text);
    s.style = detect_json_style(s.text);
    // An empty file holds nothing to lose; treat it as the empty object Claude Code would.
    if (s.text.find_first_not_of(" \t\r\n") == std::string::npos) {
        s.doc.SetObject();
        s.style = JsonStyle{};
        return true;
    }
    s.doc.Parse<kParseFlags>(s.text.data(), s.text.size());
    if (s.doc.HasParseError()) {
        error = fmt::format("{} is not valid JSON ({}: {}); it was left unchanged, fix it by hand",
                            s.path, text_position(s.text, s.doc.GetErrorOffset()),
                            rapidjson::GetParseError_En(s.doc.GetParseError()));
        return false;
    }
    if (!s.doc.IsObject()) {
        error = fmt::format("{} holds a JSON {}, not an object; it was left unchanged", s.path,
                            type_name(s.doc));
        return false;
    }
    if (const auto* env = find_member(s.doc, "env"); env && !env->IsObject()) {
        error = fmt::format("\"env\" in {} is a JSON {}, not an object; it was left unchanged",
                            s.path, type_name(*env));
        return false;
    }
    return true;
}

Mode detect_mode(const rapidjson::Value& doc) {
    const auto* env = find_member(doc, "env");
    const auto* url = env ? find_member(*env, kBaseUrlKey) : nullptr;
    return url && url->IsString() && is_loopback_url(as_text(*url)) ? Mode::kProxy : Mode::kDirect;
}

// ---- the state file -------------------------------------------------------------------------

/// $LITELLM_HOME/toggle-claude.json: for each settings file, the previous value (or absence) of
/// every key proxy mode overwrote, whether `env` existed, and the values proxy mode wrote.
///   {"version":1,"files":{"<path>":{"created_at":..,"env_existed":true|false|null,
///     "previous":{"KEY":{"value":..}|{"absent":true}},"applied":{"KEY":".."}}}}
class StateFile {
  public:
    explicit StateFile(std::string path) : m_path(std::move(path)) {}

    const std::string& path() const { return m_path; }

    /// Loads the file; a missing one is empty. A damaged one is reported in `warning` and
    /// treated as empty (it is ours, so replacing it loses only stale memory).
    void load(std::string& warning) {
        m_doc.SetObject();
        auto text = read_file(m_path);
        if (text) {
            rapidjson::Document d;
            d.Parse<kParseFlags>(text->data(), text->size());
            const auto* files = d.HasParseError() ? nullptr : find_member(d, "files");
            if (files && files->IsObject()) {
                m_doc.Swap(d);
            } else {
                warning = fmt::format("ignored {}: not a toggle-claude state file", m_path);
                m_doc.SetObject();
            }
        }
        if (!find_member(m_doc, "version")) m_doc.AddMember("version", 1, m_doc.GetAllocator());
        if (!find_member(m_doc, "files")) {
            m_doc.AddMember("files", rapidjson::Value(rapidjson::kObjectType),
                            m_doc.GetAllocator());
        }
    }

    rapidjson::Value* entry(const std::string& settings) {
        rapidjson::Value* e = find_member(files(), settings);
        return e && e->IsObject() ? e : nullptr;
    }

    /// Removes the entry for `settings`; true when there was one.
    bool drop(const std::string& settings) { return files().EraseMember(key_ref(settings)); }

    /// A fresh entry for `settings` (replacing any old one).
    rapidjson::Value& create(const std::string& settings, std::optional<bool> env_existed) {
        drop(settings);
        auto& a = m_doc.GetAllocator();
        rapidjson::Value e(rapidjson::kObjectType);
        e.AddMember("created_at", json_str(now_rfc3339(), a), a);
        rapidjson::Value existed;
        if (env_existed) existed.SetBool(*env_existed);
        e.AddMember("env_existed", existed, a);
        e.AddMember("previous", rapidjson::Value(rapidjson::kObjectType), a);
        e.AddMember("applied", rapidjson::Value(rapidjson::kObjectType), a);
        files().AddMember(json_str(settings, a), e, a);
        return *entry(settings);
    }

    rapidjson::Document::AllocatorType& allocator() { return m_doc.GetAllocator(); }

    /// Writes the file (0600, atomically), or removes it when no entry is left.
    bool save(std::string& error) {
        if (files().ObjectEmpty()) {
            if (::unlink(m_path.c_str()) != 0 && errno != ENOENT) {
                error = fmt::format("cannot remove {}: {}", m_path, std::strerror(errno));
                return false;
            }
            return true;
        }
        std::filesystem::path dir = std::filesystem::path(m_path).parent_path();
        if (!ensure_directory(dir.string(), 0700, &error)) return false;
        return write_file_atomic(m_path, render_json(m_doc, JsonStyle{}), 0600, &error);
    }

  private:
    rapidjson::Value& files() { return m_doc["files"]; }

    std::string m_path;
    rapidjson::Document m_doc;
};

// ---- the daemon and the master key ----------------------------------------------------------

struct DaemonInfo {
    bool running = false;
    int port = 0;
    std::string url;
    std::string config_path;
    bool master_key_set = false;
    std::string problem;  ///< why we could not ask, when something other than "not running"
};

/// Asks a running litellmd for its listener and config; not running is not an error here.
DaemonInfo ask_daemon(const std::string& socket_path) {
    DaemonInfo info;
    if (socket_path.empty()) return info;
    rpc::Client client;
    if (!client.connect(socket_path, 2000)) {
        if (client.last_error() != rpc::TransportError::kNotRunning) {
            info.problem = client.last_error_text();
        }
        return info;
    }
    auto reply = client.call("status", "", 5000);
    if (!reply || reply->is_error) {
        info.problem = reply ? reply->error_message : client.last_error_text();
        return info;
    }
    const auto& s = reply->payload();
    info.running = true;
    if (const auto* listen = find_member(s, "listen")) {
        info.port = static_cast<int>(json_get_int(*listen, "port"));
        info.url = std::string(json_get_string(*listen, "url"));
    }
    info.config_path = std::string(json_get_string(s, "config_path"));
    const auto* mk = find_member(s, "master_key_set");
    info.master_key_set = mk && mk->IsBool() && mk->GetBool();
    return info;
}

/// The names among `names` that the config at `config_path` does not serve (neither a
/// model_name nor matched by a wildcard route); nullopt when the config cannot be read.
std::optional<std::vector<std::string>> unserved_names(const std::string& config_path,
                                                       const std::vector<std::string>& names) {
    ConfigLoadResult cfg = load_config_file(config_path);
    if (!cfg.ok()) return std::nullopt;
    std::vector<std::string> missing;
    for (const std::string& name : names) {
        bool served =
            std::any_of(cfg.config->model_list.begin(), cfg.config->model_list.end(),
                        [&](const Deployment& d) { return wildcard_match(d.model_name, name); });
        if (!served) missing.push_back(name);
    }
    return missing;
}

struct MasterKey {
    std::optional<std::string> value;
    std::string config_path;
    std::string source;               ///< for a person: where the key came from / why none
    std::vector<std::string> errors;  ///< config errors: the daemon could not load it either
};

/// The master key litellmd checks: general_settings.master_key of `config_path` (default
/// home/config.yaml) with home/.env loaded the way the daemon loads it.
MasterKey find_master_key(const std::string& home, const std::string& config_path) {
    MasterKey out;
    HomePaths paths = home_paths(home);
    out.config_path = config_path.empty() ? paths.config : config_path;
    // Same rule as the daemon: .env fills in variables, never overrides exported ones.
    load_dotenv_file(paths.dotenv);
    if (!path_exists(out.config_path)) {
        out.source = fmt::format("there is no config at {}", out.config_path);
        return out;
    }
    ConfigLoadResult result = load_config_file(out.config_path);
    if (!result.ok()) {
        for (const auto& d : result.errors())
            out.errors.push_back(d.to_string());
        return out;
    }
    const SecretValue& key = result.config->general.master_key;
    if (key.present()) {
        out.value = key.value;
        out.source = key.env_name.empty()
                         ? fmt::format("general_settings.master_key in {}", out.config_path)
                         : fmt::format("general_settings.master_key (os.environ/{})", key.env_name);
    } else if (!key.env_name.empty()) {
        out.source = fmt::format(
            "general_settings.master_key refers to {}, which is set neither in the environment "
            "nor in {}",
            key.env_name, paths.dotenv);
    } else {
        out.source = fmt::format("{} sets no general_settings.master_key", out.config_path);
    }
    return out;
}

// ---- one run --------------------------------------------------------------------------------

struct Change {
    std::string key;
    std::string action;  ///< "set", "added", "restored", "removed", "kept"
};

class ToggleRun {
  public:
    explicit ToggleRun(const ToggleClaudeOptions& options)
        : m_options(options), m_state(options.home + "/toggle-claude.json") {}

    int run() {
        if (m_options.port < 0 || m_options.port > 65535) {
            return fail(fmt::format("--port {} is not a TCP port (1-65535)", m_options.port),
                        ExitCode::kUsage);
        }
        m_settings.path = absolute_path(m_options.settings_path.empty()
                                            ? user_home_dir() + "/.claude/settings.json"
                                            : m_options.settings_path);
        std::string error;
        if (!load_settings(m_settings, error)) return fail(error, ExitCode::kFailure);
        std::string warning;
        m_state.load(warning);
        if (!warning.empty()) m_notes.push_back(warning);

        Mode current = detect_mode(m_settings.doc);
        switch (m_options.action) {
            case ToggleClaudeOptions::Action::kStatus:
                return status(current);
            case ToggleClaudeOptions::Action::kProxy:
                return to_proxy(current);
            case ToggleClaudeOptions::Action::kDirect:
                return to_direct(current);
            case ToggleClaudeOptions::Action::kToggle:
                return current == Mode::kProxy ? to_direct(current) : to_proxy(current);
        }
        return code(ExitCode::kFailure);
    }

  private:
    int fail(const std::string& message, ExitCode exit_code) {
        std::fprintf(stderr, "litellmctl toggle-claude: %s\n", message.c_str());
        return code(exit_code);
    }

    rapidjson::Value& env() { return m_settings.doc["env"]; }

    // ---- proxy mode ----

    int to_proxy(Mode current) {
        DaemonInfo daemon = ask_daemon(m_options.socket_path);
        if (!daemon.problem.empty()) {
            m_notes.push_back("could not ask litellmd for its port: " + daemon.problem);
        }
        int port = toggle_detail::kDefaultPort;
        if (m_options.port > 0) {
            port = m_options.port;
            m_port_source = "--port";
            if (daemon.running && daemon.port != port) {
                m_notes.push_back(fmt::format("the running litellmd listens on port {}, not {}",
                                              daemon.port, port));
            }
        } else if (daemon.running && daemon.port > 0) {
            port = daemon.port;
            m_port_source = "daemon";
        } else {
            m_port_source = "default";
            m_notes.push_back(
                "litellmd is not running; start it (`litellmctl start`, or `litellmctl proxy` "
                "in the foreground) on port 4000, or pass --port");
        }
        std::string base_url = fmt::format("http://127.0.0.1:{}", port);

        MasterKey key = find_master_key(m_options.home, daemon.running ? daemon.config_path : "");
        if (!key.errors.empty()) {
            std::string message = fmt::format(
                "cannot read the master key: {} has errors (litellmd cannot load it either); "
                "{} was left unchanged:",
                key.config_path, m_settings.path);
            for (const auto& e : key.errors)
                message += "\n  " + e;
            return fail(message, ExitCode::kConfigInvalid);
        }
        std::string token = key.value.value_or(std::string(kNoMasterKeyToken));
        m_token_source = key.value ? "master_key" : "placeholder";
        if (!key.value) {
            m_notes.push_back(fmt::format(
                "no master key: {}; wrote the placeholder token '{}' (litellmd without a master "
                "key accepts any key from loopback clients)",
                key.source, kNoMasterKeyToken));
        }
        if (daemon.running && daemon.master_key_set != key.value.has_value()) {
            m_notes.push_back(
                daemon.master_key_set
                    ? "the running litellmd requires a master key that was not found here; "
                      "check its config and .env"
                    : "the running litellmd has no master key loaded yet; run `litellmctl "
                      "reload` so it checks the new one");
        }
        m_key_source = key.source;

        std::vector<std::pair<std::string, std::string>> desired = {{kBaseUrlKey, base_url},
                                                                    {kTokenKey, token}};
        std::vector<std::string> names;
        for (const auto& m : model_vars()) {
            desired.emplace_back(m.key, m.value);
            names.emplace_back(m.value);
        }
        // Claude Code asks for these names; a config that serves none of them answers every
        // request with 404, so say it now rather than in Claude Code's error.
        std::string config_path = daemon.running && !daemon.config_path.empty()
                                      ? daemon.config_path
                                      : home_paths(m_options.home).config;
        if (auto missing = unserved_names(config_path, names); missing && !missing->empty()) {
            m_unserved = *missing;
            m_unserved_warning = (fmt::format(
                "{} does not serve {}: Claude Code's requests for {} will get 404 until a "
                "model_list entry (or a wildcard route) has {}",
                config_path, fmt::join(*missing, ", "), missing->size() == 1 ? "it" : "them",
                missing->size() == 1 ? "that name" : "those names"));
        }

        auto& alloc = m_settings.doc.GetAllocator();
        bool env_existed = find_member(m_settings.doc, "env") != nullptr;
        if (!env_existed) {
            m_settings.doc.AddMember("env", rapidjson::Value(rapidjson::kObjectType), alloc);
        }

        // Remember what we overwrite. Coming from direct mode the current values are the
        // user's own: record all of them afresh. Already in proxy mode, keep what an earlier
        // switch recorded, and do not record values a toggle wrote (that would make direct
        // mode "restore" proxy settings); direct mode recognises those by their values.
        rapidjson::Value* entry = m_state.entry(m_settings.target);
        if (current == Mode::kDirect) {
            entry = &m_state.create(m_settings.target, env_existed);
        } else if (!entry) {
            entry = &m_state.create(m_settings.target, std::nullopt);
        }
        auto& salloc = m_state.allocator();
        rapidjson::Value& previous = object_member(*entry, "previous", salloc);
        rapidjson::Value& applied = object_member(*entry, "applied", salloc);
        for (const auto& [k, v] : desired) {
            if (find_member(previous, k)) continue;
            const rapidjson::Value* cur = find_member(env(), k);
            if (current == Mode::kProxy && cur && looks_proxy_set(k, *cur)) continue;
            rapidjson::Value rec(rapidjson::kObjectType);
            if (cur) {
                rec.AddMember("value", rapidjson::Value(*cur, salloc), salloc);
            } else {
                rec.AddMember("absent", true, salloc);
            }
            previous.AddMember(json_str(k, salloc), rec, salloc);
        }
        for (const auto& [k, v] : desired) {
            if (rapidjson::Value* a = find_member(applied, k)) {
                a->SetString(v.data(), static_cast<rapidjson::SizeType>(v.size()), salloc);
            } else {
                applied.AddMember(json_str(k, salloc), json_str(v, salloc), salloc);
            }
        }

        // Edit in place so every key keeps its position; new keys go at the end.
        for (const auto& [k, v] : desired) {
            rapidjson::Value* cur = find_member(env(), k);
            if (cur && cur->IsString() && as_text(*cur) == v) continue;
            if (cur) {
                cur->SetString(v.data(), static_cast<rapidjson::SizeType>(v.size()), alloc);
                m_changes.push_back({k, "set"});
            } else {
                env().AddMember(json_str(k, alloc), json_str(v, alloc), alloc);
                m_changes.push_back({k, "added"});
            }
        }

        if (m_changes.empty()) {
            // Nothing to write; the state is untouched too (only proxy values were seen).
            return report(Mode::kProxy, false);
        }
        std::string error;
        if (!still_unchanged(error)) return fail(error, ExitCode::kFailure);
        // State first: if writing the settings then fails, the stale entry is harmless (the
        // file is still in direct mode, and the next switch starts a fresh entry).
        if (!m_state.save(error)) {
            return fail(fmt::format("cannot save {}: {}; {} was left unchanged", m_state.path(),
                                    error, m_settings.path),
                        ExitCode::kFailure);
        }
        m_state_saved = true;
        if (int rc = write_settings(); rc != 0) return rc;
        return report(Mode::kProxy, true);
    }

    // ---- direct mode ----

    int to_direct(Mode current) {
        std::string error;
        if (!m_settings.exists) {
            if (m_state.drop(m_settings.target)) m_state.save(error);
            m_notes.push_back(fmt::format(
                "{} does not exist; Claude Code already uses the Anthropic API directly",
                m_settings.path));
            return report(Mode::kDirect, false);
        }
        rapidjson::Value* entry = m_state.entry(m_settings.target);
        bool leaving = current == Mode::kProxy;
        if (!leaving && !entry) return report(Mode::kDirect, false);

        if (find_member(m_settings.doc, "env")) restore_env(entry, leaving);

        if (m_changes.empty() || std::all_of(m_changes.begin(), m_changes.end(),
                                             [](const Change& c) { return c.action == "kept"; })) {
            if (m_state.drop(m_settings.target)) m_state.save(error);
            return report(Mode::kDirect, false);
        }
        if (!still_unchanged(error)) return fail(error, ExitCode::kFailure);
        if (int rc = write_settings(); rc != 0) return rc;
        // Settings first: the entry is only forgotten once the file no longer needs it.
        m_state.drop(m_settings.target);
        if (!m_state.save(error)) {
            m_notes.push_back(fmt::format("could not update {}: {}", m_state.path(), error));
        }
        return report(Mode::kDirect, true);
    }

    // Puts back what proxy mode replaced. The base URL and the token always go when leaving
    // proxy mode (Anthropic must never receive the master key); a model variable goes only when
    // it still holds what a toggle wrote, so a later edit of the user's own survives.
    void restore_env(const rapidjson::Value* entry, bool leaving) {
        const rapidjson::Value* previous = entry ? find_member(*entry, "previous") : nullptr;
        const rapidjson::Value* applied = entry ? find_member(*entry, "applied") : nullptr;
        auto& alloc = m_settings.doc.GetAllocator();
        bool removed_any = false;
        for (const std::string& k : owned_keys()) {
            rapidjson::Value* cur = find_member(env(), k);
            if (!cur) continue;  // gone already: the user removed it, leave it so
            const rapidjson::Value* rec = previous ? find_member(*previous, k) : nullptr;
            const rapidjson::Value* set = applied ? find_member(*applied, k) : nullptr;
            bool ours = (leaving && (k == kBaseUrlKey || k == kTokenKey)) ||
                        (set && *cur == *set) || (leaving && !rec && looks_proxy_set(k, *cur));
            if (!ours) {
                if (leaving && (rec || set)) m_changes.push_back({k, "kept"});
                continue;
            }
            const rapidjson::Value* old = rec ? find_member(*rec, "value") : nullptr;
            if (old) {
                cur->CopyFrom(*old, alloc);
                m_changes.push_back({k, "restored"});
            } else {
                // EraseMember, not RemoveMember: the latter moves the last key into the gap.
                env().EraseMember(key_ref(k));
                m_changes.push_back({k, "removed"});
                removed_any = true;
            }
        }
        if (!removed_any || !env().ObjectEmpty()) return;
        // An empty env goes when we created it, or when we cannot know (then a toggle made it:
        // the original tool replaced the whole object).
        const rapidjson::Value* existed = entry ? find_member(*entry, "env_existed") : nullptr;
        bool keep = existed && existed->IsBool() && existed->GetBool();
        if (!keep) m_settings.doc.EraseMember("env");
    }

    // ---- writing ----

    // Claude Code rewrites its settings on its own; refuse to clobber a change made since we
    // read the file rather than lose it.
    bool still_unchanged(std::string& error) {
        auto now = read_file(m_settings.target);
        bool same = m_settings.exists ? now && *now == m_settings.text : !now.has_value();
        if (!same) {
            error = fmt::format(
                "{} changed while toggle-claude was working; nothing was written, "
                "run it again",
                m_settings.path);
        }
        return same;
    }

    int write_settings() {
        std::string error;
        std::filesystem::path dir = std::filesystem::path(m_settings.target).parent_path();
        if (!m_settings.exists && !ensure_directory(dir.string(), 0700, &error)) {
            return fail("cannot create " + error, ExitCode::kFailure);
        }
        // Either file may hold the master key (the backup does after a switch back to
        // direct): neither is readable by group or others, whatever the file's mode was.
        mode_t private_mode = (m_settings.mode & 0700) | 0600;
        if (m_settings.exists) {
            m_backup = m_settings.target + ".bak";
            if (!write_file_atomic(m_backup, m_settings.text, private_mode, &error)) {
                m_backup.clear();
                return fail(fmt::format("cannot write the backup ({}); {} was left unchanged",
                                        error, m_settings.path),
                            ExitCode::kFailure);
            }
        }
        std::string content = render_json(m_settings.doc, m_settings.style);
        if (!write_file_atomic(m_settings.target, content, private_mode, &error)) {
            return fail(fmt::format("cannot write {}: {}", m_settings.path, error),
                        ExitCode::kFailure);
        }
        return 0;
    }

    // ---- output ----

    /// The current values of the owned keys, as one JSON object (the token masked).
    void describe(rapidjson::Document& d, Mode mode, bool changed) {
        auto& a = d.GetAllocator();
        const rapidjson::Value* e = find_member(m_settings.doc, "env");
        auto value_of = [&](const char* key) -> rapidjson::Value {
            const rapidjson::Value* v = e ? find_member(*e, key) : nullptr;
            return v && v->IsString() ? json_str(as_text(*v), a) : rapidjson::Value();
        };
        d.AddMember("mode", rapidjson::StringRef(mode_name(mode)), a);
        d.AddMember("changed", changed, a);
        d.AddMember("settings", json_str(m_settings.path, a), a);
        d.AddMember("exists", m_settings.exists || changed, a);
        d.AddMember("backup", m_backup.empty() ? rapidjson::Value() : json_str(m_backup, a), a);
        d.AddMember("base_url", value_of(kBaseUrlKey), a);
        rapidjson::Value token = value_of(kTokenKey);
        if (token.IsString()) token = json_str(shown_token(as_text(token)), a);
        d.AddMember("auth_token", token, a);
        rapidjson::Value models(rapidjson::kObjectType);
        for (const auto& m : model_vars())
            models.AddMember(rapidjson::StringRef(m.json_name), value_of(m.key), a);
        d.AddMember("models", models, a);
    }

    void print_values() {
        const rapidjson::Value* e = find_member(m_settings.doc, "env");
        for (const std::string& k : owned_keys()) {
            const rapidjson::Value* v = e ? find_member(*e, k) : nullptr;
            std::string shown = !v               ? "(not set)"
                                : !v->IsString() ? json_stringify(*v)
                                : k == kTokenKey ? shown_token(as_text(*v))
                                                 : std::string(as_text(*v));
            std::printf("  %-31s %s\n", k.c_str(), shown.c_str());
        }
    }

    int status(Mode mode) {
        DaemonInfo daemon = ask_daemon(m_options.socket_path);
        const rapidjson::Value* e = find_member(m_settings.doc, "env");
        const rapidjson::Value* url = e ? find_member(*e, kBaseUrlKey) : nullptr;
        std::string url_text = url && url->IsString() ? std::string(as_text(*url)) : "";
        bool saved = m_state.entry(m_settings.target) != nullptr;
        if (mode == Mode::kProxy && daemon.running &&
            url_text != fmt::format("http://127.0.0.1:{}", daemon.port)) {
            m_notes.push_back(
                fmt::format("litellmd listens on {}, but Claude Code points at {}; run `litellmctl "
                            "toggle-claude --proxy` to update it",
                            daemon.url, url_text));
        }
        if (mode == Mode::kProxy && !daemon.running && daemon.problem.empty()) {
            m_notes.push_back(
                "litellmd is not running: Claude Code's requests fail until it starts "
                "(`litellmctl start`)");
        }
        if (m_options.json) {
            rapidjson::Document d(rapidjson::kObjectType);
            describe(d, mode, false);
            auto& a = d.GetAllocator();
            d.AddMember("daemon_url", daemon.running ? json_str(daemon.url, a) : rapidjson::Value(),
                        a);
            d.AddMember("state_saved", saved, a);
            add_notes(d);
            std::printf("%s\n", json_pretty(d).c_str());
            return 0;
        }
        if (mode == Mode::kProxy) {
            std::printf("Claude Code: proxy mode (through litellmd at %s)\n", url_text.c_str());
        } else {
            std::printf("Claude Code: direct mode (the Anthropic API%s)\n",
                        url_text.empty() ? " with its own login" : (" at " + url_text).c_str());
        }
        std::printf("  Settings: %s%s\n", m_settings.path.c_str(),
                    m_settings.exists ? "" : " (does not exist)");
        print_values();
        if (daemon.running) {
            std::printf("  litellmd: running at %s\n", daemon.url.c_str());
        } else {
            std::printf("  litellmd: not running\n");
        }
        if (saved) {
            std::printf("  Saved previous values: %s (`--direct` restores them)\n",
                        m_state.path().c_str());
        }
        print_notes();
        return 0;
    }

    void add_notes(rapidjson::Document& d) {
        auto& a = d.GetAllocator();
        rapidjson::Value notes(rapidjson::kArrayType);
        for (const auto& n : m_notes)
            notes.PushBack(json_str(n, a), a);
        d.AddMember("notes", notes, a);
    }

    void print_notes() {
        for (const auto& n : m_notes)
            std::printf("note: %s\n", n.c_str());
    }

    int report(Mode mode, bool changed) {
        if (m_options.json) {
            rapidjson::Document d(rapidjson::kObjectType);
            describe(d, mode, changed);
            auto& a = d.GetAllocator();
            if (mode == Mode::kProxy) {
                d.AddMember("port_source", json_str(m_port_source, a), a);
                d.AddMember("token", json_str(m_token_source, a), a);
            }
            rapidjson::Value changes(rapidjson::kArrayType);
            for (const auto& c : m_changes) {
                rapidjson::Value o(rapidjson::kObjectType);
                o.AddMember("key", json_str(c.key, a), a);
                o.AddMember("action", json_str(c.action, a), a);
                changes.PushBack(o, a);
            }
            d.AddMember("changes", changes, a);
            if (mode == Mode::kProxy) {
                rapidjson::Value unserved(rapidjson::kArrayType);
                for (const auto& n : m_unserved)
                    unserved.PushBack(json_str(n, a), a);
                d.AddMember("unserved_models", unserved, a);
                if (!m_unserved_warning.empty()) m_notes.push_back(m_unserved_warning);
            }
            d.AddMember("state_file",
                        m_state_saved ? json_str(m_state.path(), a) : rapidjson::Value(), a);
            add_notes(d);
            std::printf("%s\n", json_pretty(d).c_str());
            return 0;
        }
        const rapidjson::Value* e = find_member(m_settings.doc, "env");
        if (mode == Mode::kProxy) {
            const rapidjson::Value* url = e ? find_member(*e, kBaseUrlKey) : nullptr;
            const char* port_from = m_port_source == "--port"   ? "the port given with --port"
                                    : m_port_source == "daemon" ? "the running litellmd's port"
                                                                : "the default port";
            std::printf("%s litellmd at %s (%s).\n",
                        changed ? "Claude Code now uses" : "Claude Code already uses",
                        url ? std::string(as_text(*url)).c_str() : "?", port_from);
            for (const auto& m : model_vars()) {
                const rapidjson::Value* v = e ? find_member(*e, m.key) : nullptr;
                std::printf("  %-7s %s\n", (std::string(m.label) + ":").c_str(),
                            v ? std::string(as_text(*v)).c_str() : "(not set)");
            }
            std::printf("  Token:  %s\n", m_token_source == "master_key"
                                              ? ("the master key, " + m_key_source).c_str()
                                              : "placeholder (no master key configured)");
        } else if (changed) {
            std::printf("Claude Code now uses the Anthropic API directly (its own login).\n");
        } else {
            const rapidjson::Value* url = e ? find_member(*e, kBaseUrlKey) : nullptr;
            if (url && url->IsString()) {
                std::printf(
                    "Claude Code does not use litellmd (ANTHROPIC_BASE_URL is %s); "
                    "nothing to do.\n",
                    std::string(as_text(*url)).c_str());
            } else {
                std::printf(
                    "Claude Code already uses the Anthropic API directly; nothing to "
                    "do.\n");
            }
        }
        for (const auto& c : m_changes) {
            if (mode == Mode::kDirect) {
                std::printf("  %-31s %s\n", c.key.c_str(),
                            c.action == "kept" ? "kept (changed since proxy mode set it)"
                                               : c.action.c_str());
            }
        }
        if (changed) {
            std::printf("Updated %s%s\n", m_settings.path.c_str(),
                        m_backup.empty()
                            ? " (created)."
                            : fmt::format("; the previous file is in {} (replaced on each switch).",
                                          m_backup)
                                  .c_str());
            if (mode == Mode::kProxy && m_state_saved) {
                std::printf(
                    "Previous values saved in %s; `litellmctl toggle-claude --direct` puts them "
                    "back.\n",
                    m_state.path().c_str());
            }
        }
        print_notes();
        if (!m_unserved_warning.empty()) {
            std::fprintf(stderr, "warning: %s\n", m_unserved_warning.c_str());
        }
        if (changed) std::printf("Restart Claude Code for the change to take effect.\n");
        return 0;
    }

    const ToggleClaudeOptions& m_options;
    SettingsFile m_settings;
    StateFile m_state;
    std::vector<std::string> m_notes;
    std::vector<std::string> m_unserved;  ///< model names written that the config does not serve
    std::string m_unserved_warning;
    std::vector<Change> m_changes;
    std::string m_backup;
    std::string m_port_source;
    std::string m_token_source;
    std::string m_key_source;
    bool m_state_saved = false;
};

}  // namespace

int toggle_claude(const ToggleClaudeOptions& options) {
    ToggleRun run(options);
    return run.run();
}

}  // namespace litellm::ctl
