#include "common/config.hpp"

#include "common/json.hpp"
#include "common/net.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string_view>

#include "common/providers.hpp"
#include "common/redact.hpp"

namespace litellm {

std::string Diagnostic::to_string() const {
    std::string out = file;
    if (line > 0) {
        out += ":" + std::to_string(line);
        if (column > 0) out += ":" + std::to_string(column);
    }
    if (!out.empty()) out += ": ";
    out += severity == Severity::kError ? "error: " : "warning: ";
    out += message;
    return out;
}

std::vector<std::string> Config::model_names() const {
    std::vector<std::string> names;
    std::set<std::string> seen;
    for (const Deployment& deployment : model_list) {
        // A wildcard name (`anthropic/*`) is a route, not a model a client can list.
        if (deployment.model_name.find('*') != std::string::npos) continue;
        if (seen.insert(deployment.model_name).second) names.push_back(deployment.model_name);
    }
    return names;
}

std::vector<const Deployment*> Config::deployments_for(const std::string& model_name) const {
    std::vector<const Deployment*> out;
    for (const Deployment& deployment : model_list) {
        if (deployment.model_name == model_name) out.push_back(&deployment);
    }
    return out;
}

const FallbackChain* Config::fallbacks_for(const std::string& model_name) const {
    for (const FallbackChain& chain : router.fallbacks) {
        if (chain.model_name == model_name) return &chain;
    }
    // default_fallbacks: for every model without a chain of its own (LiteLLM's "*" entry).
    if (!router.default_fallbacks.fallbacks.empty()) return &router.default_fallbacks;
    return nullptr;
}

std::vector<Diagnostic> ConfigLoadResult::errors() const {
    std::vector<Diagnostic> out;
    for (const Diagnostic& d : diagnostics) {
        if (d.severity == Diagnostic::Severity::kError) out.push_back(d);
    }
    return out;
}

std::vector<Diagnostic> ConfigLoadResult::warnings() const {
    std::vector<Diagnostic> out;
    for (const Diagnostic& d : diagnostics) {
        if (d.severity == Diagnostic::Severity::kWarning) out.push_back(d);
    }
    return out;
}

namespace {

constexpr std::string_view kEnvPrefix = "os.environ/";

// ---------------------------------------------------------------------------------------------
// Scalar helpers. LiteLLM reads its config with PyYAML, so plain (unquoted) scalars follow the
// YAML type rules while quoted ones are always strings; we mirror that for values we pass on.

bool is_quoted_or_str_tagged(const YAML::Node& node) {
    // yaml-cpp tags quoted and block scalars "!" and plain ones "?"; an explicit !!str also means
    // the author wants a string.
    const std::string& tag = node.Tag();
    return tag == "!" || tag == "tag:yaml.org,2002:str";
}

std::optional<bool> plain_bool(std::string_view s) {
    static const char* const kTrue[] = {"true", "True", "TRUE", "yes", "Yes",
                                        "YES",  "on",   "On",   "ON"};
    static const char* const kFalse[] = {"false", "False", "FALSE", "no", "No",
                                         "NO",    "off",   "Off",   "OFF"};
    for (const char* t : kTrue) {
        if (s == t) return true;
    }
    for (const char* f : kFalse) {
        if (s == f) return false;
    }
    return std::nullopt;
}

bool all_digits(std::string_view s, int base) {
    if (s.empty()) return false;
    for (char c : s) {
        bool ok = base == 16 ? std::isxdigit(static_cast<unsigned char>(c)) != 0
                             : (c >= '0' && c < static_cast<char>('0' + base));
        if (!ok) return false;
    }
    return true;
}

// Plain YAML integer (decimal, 0x hex, 0o octal) as JSON text, or nullopt.
std::optional<std::string> plain_int_json(std::string_view s) {
    bool negative = false;
    std::string_view digits = s;
    if (!digits.empty() && (digits.front() == '-' || digits.front() == '+')) {
        negative = digits.front() == '-';
        digits.remove_prefix(1);
    }
    int base = 10;
    if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'o')) {
        base = digits[1] == 'x' ? 16 : 8;
        digits.remove_prefix(2);
    }
    if (!all_digits(digits, base)) return std::nullopt;
    unsigned long long value = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
    if (ec != std::errc() || ptr != digits.data() + digits.size()) {
        // Too large for 64 bits: JSON numbers have no size limit, so keep the decimal digits.
        if (base != 10) return std::nullopt;
        size_t first = digits.find_first_not_of('0');
        std::string text(first == std::string_view::npos ? "0" : digits.substr(first));
        return negative ? "-" + text : text;
    }
    std::string text = std::to_string(value);
    return negative && value != 0 ? "-" + text : text;
}

// True when `s` already is a JSON number (so it can be copied verbatim, keeping "0.1" as "0.1").
bool is_json_number(std::string_view s) {
    size_t i = 0;
    if (i < s.size() && s[i] == '-') ++i;
    if (i >= s.size()) return false;
    if (s[i] == '0') {
        ++i;
    } else if (s[i] >= '1' && s[i] <= '9') {
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
            ++i;
    } else {
        return false;
    }
    if (i < s.size() && s[i] == '.') {
        ++i;
        size_t start = i;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
            ++i;
        if (i == start) return false;
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
        size_t start = i;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
            ++i;
        if (i == start) return false;
    }
    return i == s.size();
}

// Plain YAML float ("1.5", ".5", "1e3", "+2.") as JSON text, or nullopt. .inf/.nan have no JSON
// form, so they stay strings.
std::optional<std::string> plain_float_json(std::string_view s) {
    std::string_view body = s;
    if (!body.empty() && (body.front() == '-' || body.front() == '+')) body.remove_prefix(1);
    size_t i = 0;
    size_t mantissa_digits = 0;
    while (i < body.size() && std::isdigit(static_cast<unsigned char>(body[i]))) {
        ++i;
        ++mantissa_digits;
    }
    if (i < body.size() && body[i] == '.') {
        ++i;
        while (i < body.size() && std::isdigit(static_cast<unsigned char>(body[i]))) {
            ++i;
            ++mantissa_digits;
        }
    }
    if (mantissa_digits == 0) return std::nullopt;
    if (i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
        ++i;
        if (i < body.size() && (body[i] == '+' || body[i] == '-')) ++i;
        if (!all_digits(body.substr(i), 10)) return std::nullopt;
        i = body.size();
    }
    if (i != body.size()) return std::nullopt;
    if (is_json_number(s)) return std::string(s);

    std::string_view parse_from = s.front() == '+' ? s.substr(1) : s;
    double value = 0;
    auto [ptr, ec] =
        std::from_chars(parse_from.data(), parse_from.data() + parse_from.size(), value);
    if (ec != std::errc() || !std::isfinite(value)) return std::nullopt;
    char buf[64];
    auto [end, ec2] = std::to_chars(buf, buf + sizeof buf, value);
    if (ec2 != std::errc()) return std::nullopt;
    std::string text(buf, end);
    // to_chars may print a whole value as "5"; keep it a float-looking number only if JSON allows.
    return is_json_number(text) ? std::optional<std::string>(text) : std::nullopt;
}

void append_json(std::string& out, const YAML::Node& node) {
    switch (node.Type()) {
        case YAML::NodeType::Map: {
            out += '{';
            bool first = true;
            for (auto it = node.begin(); it != node.end(); ++it) {
                if (!first) out += ',';
                first = false;
                // JSON keys are strings whatever their YAML type ("1: x" -> {"1": "x"}).
                append_json_string(out, it->first.IsScalar() ? it->first.Scalar() : "");
                out += ':';
                append_json(out, it->second);
            }
            out += '}';
            return;
        }
        case YAML::NodeType::Sequence: {
            out += '[';
            bool first = true;
            for (auto it = node.begin(); it != node.end(); ++it) {
                if (!first) out += ',';
                first = false;
                append_json(out, *it);
            }
            out += ']';
            return;
        }
        case YAML::NodeType::Scalar: {
            const std::string& text = node.Scalar();
            if (!is_quoted_or_str_tagged(node)) {
                if (std::optional<bool> b = plain_bool(text)) {
                    out += *b ? "true" : "false";
                    return;
                }
                if (std::optional<std::string> n = plain_int_json(text)) {
                    out += *n;
                    return;
                }
                if (std::optional<std::string> f = plain_float_json(text)) {
                    out += *f;
                    return;
                }
            }
            append_json_string(out, text);
            return;
        }
        case YAML::NodeType::Null:
        case YAML::NodeType::Undefined:
            out += "null";
            return;
    }
}

std::string to_json(const YAML::Node& node) {
    std::string out;
    append_json(out, node);
    return out;
}

// Human description of a node's kind, for "expected X, got Y" messages.
std::string describe(const YAML::Node& node) {
    switch (node.Type()) {
        case YAML::NodeType::Map:
            return "a mapping";
        case YAML::NodeType::Sequence:
            return "a list";
        case YAML::NodeType::Scalar:
            return "'" + node.Scalar() + "'";
        default:
            return "nothing";
    }
}

// Strict number parse: the whole scalar must be a finite number.
std::optional<double> parse_number(const std::string& text) {
    std::string_view s = text;
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    if (s.empty()) return std::nullopt;
    double value = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(value)) {
        return std::nullopt;
    }
    return value;
}

// ---------------------------------------------------------------------------------------------

// A key/value pair of a YAML mapping, kept together so messages can point at the key when the
// value is empty (yaml-cpp gives empty values the position of the *next* token).
struct Field {
    std::string name;
    YAML::Node key;
    YAML::Node value;
};

struct PendingFallback {
    std::string setting;  // "fallbacks" or "context_window_fallbacks"
    std::string primary;
    YAML::Mark primary_mark;
    std::vector<std::pair<std::string, YAML::Mark>> targets;
};

struct UnsetEnv {
    size_t diagnostic_index = 0;
    std::string subject;  // "api_key of 'zai/glm-5'"
    std::string state;    // "not set" or "empty"
    int other_uses = 0;
};

// What to write instead of a LiteLLM prefix litellmd does not serve.
std::string unserved_provider_hint(const std::string& provider) {
    if (provider == "bedrock" || provider == "sagemaker" || provider == "vertex_ai" ||
        provider == "vertex_ai_beta") {
        return "run an OpenAI-compatible gateway for it (LiteLLM's own proxy works) and write "
               "openai/<model> with that gateway's api_base; Claude on " +
               provider +
               " can also be reached as anthropic/<model> through an Anthropic-compatible one";
    }
    return "if the server speaks OpenAI chat completions write openai/<model> with its "
           "api_base; if it speaks Anthropic Messages, anthropic/<model> with its api_base";
}

class Loader {
  public:
    explicit Loader(std::string file) : m_file(std::move(file)) {}

    ConfigLoadResult run(const std::string& text) {
        m_config.path = m_file;
        YAML::Node root;
        try {
            root = YAML::Load(text);
        } catch (const YAML::ParserException& e) {
            add(Diagnostic::Severity::kError, e.mark, "YAML syntax error: " + e.msg);
            return finish();
        } catch (const std::exception& e) {
            add(Diagnostic::Severity::kError, YAML::Mark::null_mark(),
                std::string("cannot parse YAML: ") + e.what());
            return finish();
        }
        try {
            parse_root(root);
            merge_litellm_router_settings();
            check_fallbacks();
            m_config.proxy =
                OutboundProxy::from_environment([this](const char* name) { return env(name); });
        } catch (const std::exception& e) {
            // Loading must never throw; anything yaml-cpp still raises becomes a diagnostic.
            add(Diagnostic::Severity::kError, YAML::Mark::null_mark(),
                std::string("cannot read config: ") + e.what());
        }
        return finish();
    }

  private:
    // A variable as the loaded config sees it: the process environment, else the config's own
    // environment_variables (read before anything refers to them, wherever they stand in the
    // file). The daemon also puts the latter into its environment, without replacing a set one.
    const char* env(const std::string& name) const {
        if (const char* v = std::getenv(name.c_str())) return v;
        auto it = m_config.environment_variables.find(name);
        return it == m_config.environment_variables.end() ? nullptr : it->second.c_str();
    }

    std::string m_file;
    std::string m_skip_reason;        ///< set while reading a deployment that is left out
    RouterSettings m_litellm_router;  ///< router keys found under litellm_settings
    std::set<std::string> m_router_keys, m_litellm_keys;  ///< keys each section set
    Config m_config;
    std::vector<Diagnostic> m_diagnostics;
    std::vector<PendingFallback> m_pending_fallbacks;
    std::map<std::string, UnsetEnv> m_unset_env;

    // ---- diagnostics -------------------------------------------------------------------------

    void add(Diagnostic::Severity severity, const YAML::Mark& mark, std::string message) {
        Diagnostic d;
        d.severity = severity;
        d.file = m_file;
        if (!mark.is_null() && mark.line >= 0) {
            d.line = mark.line + 1;
            d.column = mark.column + 1;
        }
        // Messages quote the user's values; one may be a key in the wrong place, and they reach
        // status, reload replies and logs.
        d.message = redact(message);
        m_diagnostics.push_back(std::move(d));
    }

    void error(const YAML::Mark& mark, std::string message) {
        add(Diagnostic::Severity::kError, mark, std::move(message));
    }
    void warning(const YAML::Mark& mark, std::string message) {
        add(Diagnostic::Severity::kWarning, mark, std::move(message));
    }

    static YAML::Mark mark_of(const Field& field) {
        return field.value.IsNull() ? field.key.Mark() : field.value.Mark();
    }

    ConfigLoadResult finish() {
        // Report in file order so editors and humans read them top to bottom; position-less
        // diagnostics (file-level) go last.
        std::stable_sort(m_diagnostics.begin(), m_diagnostics.end(),
                         [](const Diagnostic& a, const Diagnostic& b) {
                             int la = a.line == 0 ? INT_MAX : a.line;
                             int lb = b.line == 0 ? INT_MAX : b.line;
                             return la != lb ? la < lb : a.column < b.column;
                         });
        ConfigLoadResult result;
        bool failed = std::any_of(m_diagnostics.begin(), m_diagnostics.end(), [](const auto& d) {
            return d.severity == Diagnostic::Severity::kError;
        });
        if (!failed) result.config = std::move(m_config);
        result.diagnostics = std::move(m_diagnostics);
        return result;
    }

    // ---- generic typed readers -----------------------------------------------------------------

    // The pairs of a mapping in file order. A repeated key keeps the last value, as PyYAML does,
    // but gets a warning because it is almost always a copy-paste mistake.
    std::vector<Field> entries(const YAML::Node& map, const std::string& where) {
        std::vector<Field> out;
        for (auto it = map.begin(); it != map.end(); ++it) {
            if (!it->first.IsScalar()) {
                error(it->first.Mark(),
                      "keys in " + where + " must be plain names, got " + describe(it->first));
                continue;
            }
            Field field{it->first.Scalar(), it->first, it->second};
            auto previous = std::find_if(out.begin(), out.end(),
                                         [&](const Field& f) { return f.name == field.name; });
            if (previous != out.end()) {
                warning(field.key.Mark(), "duplicate key '" + field.name + "' in " + where +
                                              " (the last one is used)");
                out.erase(previous);
            }
            out.push_back(std::move(field));
        }
        return out;
    }

    void unknown_key(const Field& field, const std::string& where) {
        warning(field.key.Mark(), "unknown key '" + field.name + "' in " + where + " (ignored)");
    }

    std::optional<std::string> read_string(const Field& field, const std::string& what) {
        if (!field.value.IsScalar()) {
            error(mark_of(field), what + " must be a string, got " + describe(field.value));
            return std::nullopt;
        }
        return field.value.Scalar();
    }

    std::optional<bool> read_bool(const Field& field, const std::string& what) {
        std::optional<bool> value;
        if (field.value.IsScalar()) value = plain_bool(field.value.Scalar());
        if (!value) {
            error(mark_of(field), what + " must be true or false, got " + describe(field.value));
        }
        return value;
    }

    // Durations: ints or floats, in seconds. Zero is refused because it would make every request
    // time out before it starts.
    std::optional<double> read_seconds(const Field& field, const std::string& what,
                                       bool allow_zero) {
        std::optional<double> value;
        if (field.value.IsScalar()) value = parse_number(field.value.Scalar());
        if (!value) {
            error(mark_of(field),
                  what + " must be a number of seconds, got " + describe(field.value));
            return std::nullopt;
        }
        if (*value < 0 || (!allow_zero && *value == 0)) {
            error(mark_of(field), what + " must be " +
                                      (allow_zero ? "zero or more" : "greater than zero") +
                                      ", got " + field.value.Scalar());
            return std::nullopt;
        }
        return value;
    }

    std::optional<int> read_count(const Field& field, const std::string& what) {
        std::optional<double> value;
        if (field.value.IsScalar()) value = parse_number(field.value.Scalar());
        if (!value || *value != std::floor(*value) || std::fabs(*value) > INT_MAX) {
            error(mark_of(field), what + " must be a whole number, got " + describe(field.value));
            return std::nullopt;
        }
        if (*value < 0) {
            error(mark_of(field), what + " must be zero or more, got " + field.value.Scalar());
            return std::nullopt;
        }
        return static_cast<int>(*value);
    }

    // Resolves "os.environ/NAME" from the process environment. `subject` names the setting in
    // the warning ("api_key of 'zai/glm-5'"). Returns nullopt only on a hard error.
    std::optional<SecretValue> read_secret(const Field& field, const std::string& subject) {
        std::optional<std::string> text = read_string(field, subject);
        if (!text) return std::nullopt;
        return resolve_secret(*text, field.value.Mark(), subject);
    }

    std::optional<SecretValue> resolve_secret(const std::string& text, const YAML::Mark& mark,
                                              const std::string& subject) {
        SecretValue secret;
        if (text.rfind(kEnvPrefix, 0) != 0) {
            secret.value = text;
            return secret;
        }
        secret.env_name = text.substr(kEnvPrefix.size());
        if (secret.env_name.empty()) {
            error(mark, subject + " says 'os.environ/' without a variable name");
            return std::nullopt;
        }
        const char* env = this->env(secret.env_name);
        if (env != nullptr) secret.value = env;
        if (!secret.value.empty()) return secret;

        // One warning per variable: the shipped config names ZAI_API_KEY a dozen times and a
        // dozen identical lines would bury everything else.
        auto [it, inserted] = m_unset_env.try_emplace(secret.env_name);
        UnsetEnv& unset = it->second;
        if (inserted) {
            unset.diagnostic_index = m_diagnostics.size();
            unset.subject = subject;
            unset.state = env == nullptr ? "not set" : "empty";
            warning(mark, "");
        } else {
            ++unset.other_uses;
        }
        std::string message = unset.subject;
        if (unset.other_uses > 0) {
            message += " (and " + std::to_string(unset.other_uses) + " other setting" +
                       (unset.other_uses == 1 ? "" : "s") + ")";
        }
        message += " refers to " + secret.env_name + ", which is " + unset.state +
                   "; add it to $LITELLM_HOME/.env";
        m_diagnostics[unset.diagnostic_index].message = redact(message);
        return secret;
    }

    // ---- sections ------------------------------------------------------------------------------

    void parse_root(const YAML::Node& root) {
        if (root.IsNull()) {
            warning(YAML::Mark::null_mark(), "the config is empty; no models will be served");
            return;
        }
        if (!root.IsMap()) {
            error(root.Mark(),
                  "the top level of the config must be a mapping with model_list, "
                  "router_settings, ...; got " +
                      describe(root));
            return;
        }
        bool saw_model_list = false;
        const std::vector<Field> top = entries(root, "the top level");
        // environment_variables first: the rest of the file may refer to them.
        for (const Field& field : top) {
            if (field.name == "environment_variables") parse_environment_variables(field);
        }
        for (const Field& field : top) {
            if (field.name == "environment_variables") continue;  // read above
            if (field.name == "model_list") {
                saw_model_list = true;
                parse_model_list(field);
            } else if (field.name == "router_settings") {
                parse_router_settings(field);
            } else if (field.name == "litellm_settings") {
                parse_litellm_settings(field);
            } else if (field.name == "general_settings") {
                parse_general_settings(field);
            } else {
                unknown_key(field, "the top level");
            }
        }
        if (!saw_model_list) {
            warning(root.Mark(), "there is no model_list; no models will be served");
        }
    }

    // Settings sections may be left empty ("router_settings:" with everything commented out).
    bool section_is_map(const Field& field) {
        if (field.value.IsNull()) return false;
        if (!field.value.IsMap()) {
            error(mark_of(field), field.name + " must be a mapping, got " + describe(field.value));
            return false;
        }
        return true;
    }

    void parse_model_list(const Field& field) {
        if (field.value.IsNull()) {
            warning(field.key.Mark(), "model_list is empty; no models will be served");
            return;
        }
        if (!field.value.IsSequence()) {
            error(mark_of(field), "model_list must be a list of entries (- model_name: ...), got " +
                                      describe(field.value));
            return;
        }
        size_t index = 0;
        for (auto it = field.value.begin(); it != field.value.end(); ++it) {
            parse_deployment(*it, ++index);
        }
        if (index == 0) warning(field.key.Mark(), "model_list is empty; no models will be served");
    }

    void parse_deployment(const YAML::Node& item, size_t index) {
        std::string label = "model_list entry " + std::to_string(index);
        if (!item.IsMap()) {
            error(item.Mark(), label +
                                   " must be a mapping with model_name and litellm_params, got " +
                                   describe(item));
            return;
        }
        std::vector<Field> fields = entries(item, label);
        Deployment deployment;
        deployment.line = item.Mark().line + 1;
        bool ok = true;

        // model_name first: every other message names the entry by it.
        auto find = [&](std::string_view name) -> const Field* {
            for (const Field& f : fields) {
                if (f.name == name) return &f;
            }
            return nullptr;
        };
        if (const Field* name = find("model_name")) {
            std::optional<std::string> value = read_string(*name, label + " model_name");
            if (value && value->empty()) {
                error(mark_of(*name), label + " has an empty model_name");
                ok = false;
            } else if (!value) {
                ok = false;
            } else {
                deployment.model_name = *value;
                label = "'" + *value + "'";
            }
        } else {
            error(item.Mark(), label + " has no model_name (the name clients ask for)");
            ok = false;
        }

        bool saw_params = false;
        for (const Field& f : fields) {
            if (f.name == "model_name") continue;
            if (f.name == "litellm_params") {
                saw_params = true;
                ok = parse_litellm_params(f, label, deployment) && ok;
            } else if (f.name == "rpm" || f.name == "tpm") {
                // LiteLLM copies these from the entry into litellm_params.
                if (auto v = read_count(f, f.name + " of " + label)) {
                    (f.name == "rpm" ? deployment.rpm : deployment.tpm) = *v;
                }
            } else if (f.name == "model_info") {
                if (f.value.IsNull()) continue;
                if (!f.value.IsMap()) {
                    error(mark_of(f), "model_info of " + label + " must be a mapping, got " +
                                          describe(f.value));
                    ok = false;
                    continue;
                }
                for (const Field& info : entries(f.value, "model_info of " + label)) {
                    deployment.model_info[info.name] = to_json(info.value);
                }
            } else {
                unknown_key(f, "model_list entry " + label);
            }
        }
        for (const char* limit : {"rpm", "tpm"}) {
            auto it = deployment.extra_params.find(limit);
            if (it == deployment.extra_params.end()) continue;
            char* end = nullptr;
            long long v = std::strtoll(it->second.c_str(), &end, 10);
            if (end && *end == '\0' && v > 0) {
                (std::string(limit) == "rpm" ? deployment.rpm : deployment.tpm) = v;
            } else {
                warning(item.Mark(), std::string("litellm_params.") + limit + " of " + label +
                                         " must be a whole number above 0; ignored");
            }
        }
        if (!m_skip_reason.empty()) {
            if (!deployment.model_name.empty()) {
                m_config.skipped_models[deployment.model_name] = m_skip_reason;
            }
            m_skip_reason.clear();
            return;
        }
        if (!saw_params) {
            error(item.Mark(), label +
                                   " has no litellm_params (it needs at least "
                                   "litellm_params.model, e.g. anthropic/claude-opus-4-6)");
            ok = false;
        }
        if (ok && !deployment.api_key.present() && deployment.api_key.env_name.empty()) {
            // No api_key: the provider's own variable, read now, so request threads never
            // read the environment (reload changes it on the loop thread).
            const ProviderInfo* info = find_provider(deployment.provider);
            if (info && info->auth == AuthKind::kApiKey && !info->default_key_env.empty()) {
                deployment.api_key.env_name = std::string(info->default_key_env);
                const char* env = this->env(deployment.api_key.env_name);
                if (env) deployment.api_key.value = env;
            }
        }
        if (ok && deployment.api_base.empty()) {
            // No api_base: the provider's variable for it (LiteLLM's GROQ_API_BASE, ...), then
            // its default; a provider without one (a self-hosted server) needs it said.
            const ProviderInfo* info = find_provider(deployment.provider);
            const char* env =
                info && !info->base_env.empty() ? this->env(std::string(info->base_env)) : nullptr;
            if (env && *env) {
                deployment.api_base = env;
            } else if (info && info->default_api_base.empty()) {
                error(
                    item.Mark(),
                    label + " (" + deployment.model + ") needs litellm_params.api_base: " +
                        std::string(info->display_name) + " has no default address" +
                        (info->base_env.empty() ? std::string()
                                                : " (or set " + std::string(info->base_env) + ")"));
                ok = false;
            }
        }
        if (ok && deployment.provider == "azure" && !deployment.extra_params.count("api_version")) {
            // LiteLLM's AZURE_API_VERSION, read now (request threads never read the env).
            if (const char* v = this->env("AZURE_API_VERSION"); v && *v) {
                deployment.extra_params["api_version"] = to_json(YAML::Node(std::string(v)));
            }
        }
        if (ok) m_config.model_list.push_back(std::move(deployment));
    }

    bool parse_litellm_params(const Field& field, const std::string& label, Deployment& out) {
        if (!field.value.IsMap()) {
            error(mark_of(field), "litellm_params of " + label + " must be a mapping, got " +
                                      describe(field.value));
            return false;
        }
        bool ok = true;
        bool saw_model = false;
        for (const Field& f : entries(field.value, "litellm_params of " + label)) {
            if (f.name == "model") {
                saw_model = true;
                ok = parse_model(f, label, out) && ok;
            } else if (f.name == "api_key") {
                std::optional<SecretValue> key = read_secret(f, "api_key of " + label);
                if (key) {
                    out.api_key = *key;
                } else {
                    ok = false;
                }
            } else if (f.name == "api_base") {
                ok = parse_api_base(f, label, out) && ok;
            } else if (f.name == "timeout" || f.name == "stream_timeout" ||
                       f.name == "first_byte_timeout") {
                std::optional<double> seconds =
                    read_seconds(f, "litellm_params." + f.name + " of " + label, false);
                if (!seconds) {
                    ok = false;
                } else if (f.name == "timeout") {
                    out.timeout_s = seconds;
                } else if (f.name == "stream_timeout") {
                    out.stream_timeout_s = seconds;
                } else {
                    out.first_byte_timeout_s = seconds;
                }
            } else if (f.name == "extra_headers") {
                ok = parse_extra_headers(f, label, out) && ok;
            } else {
                // Pass-through parameters. LiteLLM resolves os.environ/ in any top-level string
                // of litellm_params, so we do too.
                if (f.value.IsScalar() && f.value.Scalar().rfind(kEnvPrefix, 0) == 0) {
                    std::optional<SecretValue> v =
                        resolve_secret(f.value.Scalar(), f.value.Mark(), f.name + " of " + label);
                    if (!v) {
                        ok = false;
                        continue;
                    }
                    std::string json;
                    append_json_string(json, v->value);
                    out.extra_params[f.name] = json;
                } else {
                    out.extra_params[f.name] = to_json(f.value);
                }
            }
        }
        if (!saw_model) {
            error(field.key.Mark(), "litellm_params of " + label +
                                        " has no model (e.g. model: anthropic/claude-opus-4-6)");
            ok = false;
        }
        return ok;
    }

    // An api_base taken from an unset variable is an error, not a warning: falling back to the
    // provider's default endpoint would send this deployment's key to a different host.
    bool parse_api_base(const Field& field, const std::string& label, Deployment& out) {
        const std::string subject = "api_base of " + label;
        std::optional<std::string> text = read_string(field, subject);
        if (!text) return false;
        if (text->rfind(kEnvPrefix, 0) == 0) {
            std::string name = text->substr(kEnvPrefix.size());
            const char* env = name.empty() ? nullptr : this->env(name);
            if (name.empty()) {
                error(field.value.Mark(), subject + " says 'os.environ/' without a variable name");
                return false;
            }
            if (env == nullptr || *env == '\0') {
                error(field.value.Mark(),
                      subject + " refers to " + name + ", which is " +
                          (env == nullptr ? "not set" : "empty") +
                          "; add it to $LITELLM_HOME/.env (without it requests would go to the "
                          "provider's default endpoint)");
                return false;
            }
            out.api_base = env;
            return true;
        }
        out.api_base = *text;
        return true;
    }

    bool parse_model(const Field& field, const std::string& label, Deployment& out) {
        std::optional<std::string> model = read_string(field, "litellm_params.model of " + label);
        if (!model) return false;
        YAML::Mark mark = mark_of(field);
        size_t slash = model->find('/');
        if (slash == std::string::npos || slash == 0) {
            std::string example = model->empty() ? "openai/gpt-4o" : "openai/" + *model;
            error(mark, "litellm_params.model '" + *model + "' of " + label +
                            " needs a provider prefix such as " + example +
                            "; known prefixes: " + known_provider_prefixes());
            return false;
        }
        // The original's aliases (codex/, gemini-cli/, qwen-portal/) name a provider's prefix.
        std::string provider(canonical_prefix(std::string_view(*model).substr(0, slash)));
        std::string upstream = model->substr(slash + 1);
        if (find_provider(provider) == nullptr) {
            // One deployment litellmd cannot serve does not refuse the rest of the file: it is
            // left out, and a request for it is told why.
            m_skip_reason = "litellm_params.model '" + *model + "' uses provider '" + provider +
                            "', which litellmd does not serve; " +
                            unserved_provider_hint(provider) +
                            " (known prefixes: " + known_provider_prefixes() + ")";
            warning(mark, m_skip_reason + "; " + label + " is skipped");
            return false;
        }
        if (upstream.empty()) {
            error(mark, "litellm_params.model '" + *model + "' of " + label +
                            " has no model name after '" + provider + "/'");
            return false;
        }
        out.model = provider + "/" + upstream;
        out.provider = std::move(provider);
        out.upstream_model = std::move(upstream);
        return true;
    }

    bool parse_extra_headers(const Field& field, const std::string& label, Deployment& out) {
        if (field.value.IsNull()) return true;
        if (!field.value.IsMap()) {
            error(mark_of(field), "extra_headers of " + label +
                                      " must be a mapping of header name to value, got " +
                                      describe(field.value));
            return false;
        }
        bool ok = true;
        for (const Field& header : entries(field.value, "extra_headers of " + label)) {
            std::string subject = "extra_headers." + header.name + " of " + label;
            if (header.name.empty()) {
                error(header.key.Mark(), "extra_headers of " + label + " has an empty header name");
                ok = false;
                continue;
            }
            std::optional<SecretValue> value = read_secret(header, subject);
            if (!value) {
                ok = false;
                continue;
            }
            out.extra_headers[header.name] = value->value;
        }
        return ok;
    }

    void parse_fallbacks(const Field& field, std::vector<FallbackChain>& out,
                         const std::string& section = "router_settings") {
        const std::string what = section + "." + field.name;
        const std::string shape =
            " must be a list of single-key mappings such as "
            "'- claude-opus-4-6: [zai/glm-5]'";
        if (field.value.IsNull()) return;
        if (!field.value.IsSequence()) {
            error(mark_of(field), what + shape + ", got " + describe(field.value));
            return;
        }
        for (auto it = field.value.begin(); it != field.value.end(); ++it) {
            const YAML::Node& item = *it;
            if (!item.IsMap() || item.size() != 1) {
                error(item.Mark(),
                      "each item of " + what + shape + "; got " +
                          (item.IsMap() ? "a mapping with " + std::to_string(item.size()) + " keys"
                                        : describe(item)));
                continue;
            }
            auto pair = item.begin();
            if (!pair->first.IsScalar() || pair->first.Scalar().empty()) {
                error(pair->first.Mark(), "each item of " + what + " must start with a model name");
                continue;
            }
            Field chain_field{pair->first.Scalar(), pair->first, pair->second};
            const std::string chain_what = what + " for '" + chain_field.name + "'";
            if (!chain_field.value.IsSequence()) {
                error(mark_of(chain_field), chain_what + " must be a list of model names, got " +
                                                describe(chain_field.value));
                continue;
            }
            FallbackChain chain;
            chain.model_name = chain_field.name;
            PendingFallback pending{what, chain.model_name, chain_field.key.Mark(), {}};
            bool ok = true;
            for (auto target = chain_field.value.begin(); target != chain_field.value.end();
                 ++target) {
                if (!target->IsScalar() || target->Scalar().empty()) {
                    error(target->Mark(),
                          chain_what + " must list model names, got " + describe(*target));
                    ok = false;
                    continue;
                }
                chain.fallbacks.push_back(target->Scalar());
                pending.targets.emplace_back(target->Scalar(), target->Mark());
            }
            if (!ok) continue;
            bool duplicate = std::any_of(out.begin(), out.end(), [&](const FallbackChain& c) {
                return c.model_name == chain.model_name;
            });
            if (duplicate) {
                warning(chain_field.key.Mark(),
                        what + " lists '" + chain.model_name + "' twice (the first chain is used)");
            }
            out.push_back(std::move(chain));
            m_pending_fallbacks.push_back(std::move(pending));
        }
    }

    void parse_router_settings(const Field& section) {
        if (!section_is_map(section)) return;
        RouterSettings& r = m_config.router;
        for (const Field& f : entries(section.value, "router_settings")) {
            const std::string what = "router_settings." + f.name;
            m_router_keys.insert(f.name);
            if (f.name == "fallbacks") {
                parse_fallbacks(f, r.fallbacks);
            } else if (f.name == "context_window_fallbacks") {
                parse_fallbacks(f, r.context_window_fallbacks);
            } else if (f.name == "content_policy_fallbacks") {
                parse_fallbacks(f, r.content_policy_fallbacks);
            } else if (f.name == "default_fallbacks") {
                parse_name_list(f, what, r.default_fallbacks.fallbacks);
            } else if (f.name == "num_retries") {
                if (auto v = read_count(f, what)) r.num_retries = *v;
            } else if (f.name == "allowed_fails") {
                if (auto v = read_count(f, what)) r.allowed_fails = *v;
            } else if (f.name == "timeout") {
                if (auto v = read_seconds(f, what, false)) r.timeout_s = *v;
            } else if (f.name == "retry_after") {
                if (auto v = read_seconds(f, what, true)) r.retry_after_s = *v;
            } else if (f.name == "cooldown_time") {
                if (auto v = read_seconds(f, what, true)) r.cooldown_time_s = *v;
            } else if (f.name == "routing_strategy") {
                if (auto v = read_string(f, what)) {
                    r.routing_strategy = *v;
                    if (*v != "simple-shuffle" && *v != "round-robin" && *v != "in-order") {
                        // LiteLLM's others pick by live load, latency or spend: not built here.
                        warning(mark_of(f),
                                what + " '" + *v +
                                    "' is not implemented in litellmd; it routes in order "
                                    "(the first healthy deployment of a model first). Write "
                                    "simple-shuffle or round-robin to spread requests over a "
                                    "model's deployments; rpm/tpm limits are enforced either "
                                    "way");
                    }
                }
            } else if (f.name == "max_cooldown_time") {
                if (auto v = read_seconds(f, what, false)) r.max_cooldown_time_s = *v;
            } else if (f.name == "first_byte_timeout") {
                if (auto v = read_seconds(f, what, false)) r.first_byte_timeout_s = *v;
            } else if (f.name == "stream_hold_timeout") {
                if (auto v = read_seconds(f, what, true)) r.stream_hold_timeout_s = *v;
            } else {
                unknown_key(f, "router_settings");
            }
        }
    }

    void parse_litellm_settings(const Field& section) {
        if (!section_is_map(section)) return;
        LitellmSettings& s = m_config.litellm;
        for (const Field& f : entries(section.value, "litellm_settings")) {
            const std::string what = "litellm_settings." + f.name;
            if (f.name == "drop_params") {
                if (auto v = read_bool(f, what)) s.drop_params = *v;
            } else if (f.name == "set_verbose") {
                if (auto v = read_bool(f, what)) s.set_verbose = *v;
            } else if (f.name == "request_timeout") {
                if (auto v = read_seconds(f, what, false)) s.request_timeout_s = *v;
            } else if (f.name == "fallbacks") {
                parse_fallbacks(f, m_litellm_router.fallbacks, "litellm_settings");
            } else if (f.name == "context_window_fallbacks") {
                parse_fallbacks(f, m_litellm_router.context_window_fallbacks, "litellm_settings");
            } else if (f.name == "content_policy_fallbacks") {
                parse_fallbacks(f, m_litellm_router.content_policy_fallbacks, "litellm_settings");
            } else if (f.name == "default_fallbacks") {
                parse_name_list(f, what, m_litellm_router.default_fallbacks.fallbacks);
            } else if (f.name == "num_retries") {
                if (auto v = read_count(f, what)) m_litellm_router.num_retries = *v;
            } else if (f.name == "allowed_fails") {
                if (auto v = read_count(f, what)) m_litellm_router.allowed_fails = *v;
            } else {
                unknown_key(f, "litellm_settings");
            }
            m_litellm_keys.insert(f.name);
        }
    }

    void parse_general_settings(const Field& section) {
        if (!section_is_map(section)) return;
        for (const Field& f : entries(section.value, "general_settings")) {
            const std::string what = "general_settings." + f.name;
            Limits& l = m_config.general.limits;
            // Sizes in MB or KB; 0 is refused (it would refuse everything).
            auto size = [&](std::size_t& out, std::size_t unit) {
                auto v = read_count(f, what);
                if (!v) return;
                if (*v == 0) {
                    error(mark_of(f), what + " must be at least 1");
                    return;
                }
                out = static_cast<std::size_t>(*v) * unit;
            };
            auto count = [&](int& out, int min) {
                auto v = read_count(f, what);
                if (!v) return;
                if (*v < min) {
                    error(mark_of(f), what + " must be at least " + std::to_string(min));
                    return;
                }
                out = *v;
            };
            if (f.name == "master_key") {
                if (auto v = read_secret(f, "general_settings.master_key")) {
                    m_config.general.master_key = *v;
                }
            } else if (f.name == "max_request_size_mb") {
                size(l.max_request_bytes, 1u << 20);
            } else if (f.name == "max_buffered_requests_mb") {
                size(l.max_buffered_request_bytes, 1u << 20);
            } else if (f.name == "max_response_size_mb") {
                size(l.max_response_bytes, 1u << 20);
            } else if (f.name == "max_inflate_ratio") {
                count(l.max_inflate_ratio, 2);
            } else if (f.name == "max_sse_line_kb") {
                size(l.max_sse_line_bytes, 1u << 10);
            } else if (f.name == "max_json_depth") {
                count(l.max_json_depth, 8);
                // Deeper would let recursive walks outgrow a worker thread's stack again.
                if (l.max_json_depth > 512) {
                    error(mark_of(f), what + " must be at most 512");
                    l.max_json_depth = 512;
                }
            } else if (f.name == "max_log_line_kb") {
                size(l.max_log_line_bytes, 1u << 10);
            } else if (f.name == "max_connections") {
                count(l.max_connections, 16);
            } else if (f.name == "client_head_timeout_s") {
                count(l.client_head_timeout_s, 1);
            } else if (f.name == "client_request_timeout_s") {
                count(l.client_request_timeout_s, 1);
            } else if (f.name == "log_max_size_mb") {
                // litellmd's own: rotate the log file past this size (0 = leave it to logrotate).
                if (auto v = read_count(f, what))
                    m_config.general.log_max_bytes = static_cast<std::size_t>(*v) << 20;
            } else if (f.name == "log_backups") {
                count(m_config.general.log_backups, 1);
            } else if (f.name == "quota_check_interval_s") {
                count(m_config.general.quota_check_interval_s, 1);
            } else if (f.name == "allowed_hosts") {
                parse_host_list(f, what, m_config.general.allowed_hosts);
            } else if (f.name == "log_file") {
                auto v = read_string(f, what);
                if (v && (*v == "auto" || *v == "always" || *v == "never")) {
                    m_config.general.log_file = *v;
                } else if (v) {
                    error(mark_of(f), what +
                                          " must be auto (no file when stderr is the "
                                          "journal), always or never; got '" +
                                          *v + "'");
                }
            } else {
                unknown_key(f, "general_settings");
            }
        }
        const Limits& l = m_config.general.limits;
        if (l.max_buffered_request_bytes < l.max_request_bytes) {
            // Otherwise a body between the two would be refused as "busy, retry" forever.
            error(section.key.Mark(), "general_settings.max_buffered_requests_mb (" +
                                          std::to_string(l.max_buffered_request_bytes >> 20) +
                                          ") must be at least max_request_size_mb (" +
                                          std::to_string(l.max_request_bytes >> 20) + ")");
        }
    }

    void parse_environment_variables(const Field& section) {
        if (!section_is_map(section)) return;
        for (const Field& f : entries(section.value, "environment_variables")) {
            if (f.value.IsNull()) {
                m_config.environment_variables[f.name] = "";
            } else if (f.value.IsScalar()) {
                m_config.environment_variables[f.name] = f.value.Scalar();
            } else {
                error(mark_of(f), "environment_variables." + f.name +
                                      " must be a plain value, got " + describe(f.value));
            }
        }
    }

    // Fallbacks may name models defined later in the file, so they are checked at the end. A
    // dangling name is only a warning: the router skips it and the rest of the chain still works.
    // LiteLLM hands router_settings to its Router and lets litellm_settings fill only what
    // router_settings leaves unset; these are the keys it reads from both.
    void merge_litellm_router_settings() {
        RouterSettings& r = m_config.router;
        auto from_litellm = [&](const char* key) {
            return m_litellm_keys.count(key) && !m_router_keys.count(key);
        };
        if (from_litellm("fallbacks")) r.fallbacks = m_litellm_router.fallbacks;
        if (from_litellm("context_window_fallbacks"))
            r.context_window_fallbacks = m_litellm_router.context_window_fallbacks;
        if (from_litellm("content_policy_fallbacks"))
            r.content_policy_fallbacks = m_litellm_router.content_policy_fallbacks;
        if (from_litellm("default_fallbacks"))
            r.default_fallbacks = m_litellm_router.default_fallbacks;
        if (from_litellm("num_retries")) r.num_retries = m_litellm_router.num_retries;
        if (from_litellm("allowed_fails")) r.allowed_fails = m_litellm_router.allowed_fails;
        r.default_fallbacks.model_name = "*";
        if (!r.content_policy_fallbacks.empty()) {
            add(Diagnostic::Severity::kWarning, YAML::Mark::null_mark(),
                "content_policy_fallbacks: litellmd does not yet tell a content-policy refusal "
                "from other 400 errors, so these chains are read but not used; a refused "
                "request is returned to the client");
        }
    }

    void parse_name_list(const Field& f, const std::string& what, std::vector<std::string>& out) {
        if (f.value.IsNull()) return;
        if (!f.value.IsSequence()) {
            error(mark_of(f), what + " must be a list of model names, got " + describe(f.value));
            return;
        }
        for (auto it = f.value.begin(); it != f.value.end(); ++it) {
            if (it->IsScalar() && !it->Scalar().empty()) {
                out.push_back(it->Scalar());
            } else {
                error(it->Mark(), what + " must list model names, got " + describe(*it));
            }
        }
    }

    // Host names as a Host header carries them (lower-cased, no port): a port or a scheme
    // here would never match, so it is an error, not a silent no-op.
    void parse_host_list(const Field& f, const std::string& what, std::vector<std::string>& out) {
        if (f.value.IsNull()) return;
        if (!f.value.IsSequence()) {
            error(mark_of(f), what + " must be a list of host names, got " + describe(f.value));
            return;
        }
        for (auto it = f.value.begin(); it != f.value.end(); ++it) {
            std::string host = it->IsScalar() ? authority_host(it->Scalar()) : std::string();
            if (host.empty() || it->Scalar().find(':') != std::string::npos) {
                error(it->Mark(), what +
                                      " must list host names without a port (such as "
                                      "litellm.internal), got " +
                                      describe(*it));
                continue;
            }
            out.push_back(host);
        }
    }

    void check_fallbacks() {
        std::set<std::string> names;
        for (const Deployment& d : m_config.model_list)
            names.insert(d.model_name);
        for (const PendingFallback& p : m_pending_fallbacks) {
            const std::string& what = p.setting;
            if (names.count(p.primary) == 0) {
                warning(p.primary_mark, what + " has a chain for '" + p.primary +
                                            "', which is not a model_name in model_list");
            }
            for (const auto& [target, mark] : p.targets) {
                if (names.count(target) == 0) {
                    warning(mark, "fallback '" + target + "' of '" + p.primary + "' in " + what +
                                      " is not a model_name in model_list (it will be skipped)");
                }
            }
        }
    }
};

}  // namespace

ConfigLoadResult load_config_text(const std::string& text, const std::string& display_name) {
    return Loader(display_name).run(text);
}

ConfigLoadResult load_config_file(const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::path absolute = fs::absolute(fs::path(path), ec);
    std::string shown = ec ? path : absolute.lexically_normal().string();

    auto fail = [&](std::string message) {
        ConfigLoadResult result;
        Diagnostic d;
        d.file = shown;
        d.message = std::move(message);
        result.diagnostics.push_back(std::move(d));
        return result;
    };

    if (!fs::exists(fs::path(path), ec)) {
        return fail("config file " + shown +
                    " does not exist; `litellmctl init` creates the default one in LITELLM_HOME");
    }
    if (fs::is_directory(fs::path(path), ec)) {
        return fail(shown + " is a directory, not a config file");
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) return fail("cannot read config file " + shown + ": " + std::strerror(errno));
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad()) return fail("cannot read config file " + shown + ": " + std::strerror(errno));

    ConfigLoadResult result = load_config_text(buffer.str(), shown);
    if (result.config) result.config->path = shown;
    return result;
}

}  // namespace litellm
