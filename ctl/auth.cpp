#include "ctl/auth.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <thread>

#include <fmt/format.h>
#include <rapidjson/document.h>

#include "common/config.hpp"
#include "common/dotenv.hpp"
#include "common/fs.hpp"
#include "common/gemini_login.hpp"
#include "common/json.hpp"
#include "common/oauth.hpp"
#include "common/outbound_proxy.hpp"
#include "common/paths.hpp"
#include "common/process.hpp"
#include "common/providers.hpp"
#include "common/rpc_client.hpp"
#include "common/token_file.hpp"
#include "ctl/oauth_callback.hpp"
#include "proto/errors.hpp"
#include "proto/version.hpp"

namespace litellm::ctl {

namespace {

using proto::ExitCode;

int code(ExitCode c) {
    return static_cast<int>(c);
}

volatile std::sig_atomic_t g_aborted = 0;

void on_abort(int) {
    g_aborted = 1;
}

std::int64_t now_s() {
    return static_cast<std::int64_t>(std::time(nullptr));
}

std::string user_home() {
    const char* h = std::getenv("HOME");
    return h && *h ? h : "/root";
}

const char* env_get(const char* name) {
    return std::getenv(name);
}

/// The daemon, when one answers; `exit_code` is set when it exists but cannot be used.
struct DaemonLink {
    std::optional<rpc::Client> client;
    int exit_code = 0;
};

DaemonLink link_daemon(const AuthOptions& o) {
    DaemonLink link;
    rpc::Client c;
    if (!c.connect(o.socket_path, 2000)) {
        if (c.last_error() == rpc::TransportError::kPermission) {
            std::fprintf(stderr,
                         "litellmctl auth: permission denied on %s: the daemon belongs to another "
                         "user\n",
                         o.socket_path.c_str());
            link.exit_code = code(ExitCode::kPermission);
        }
        return link;  // not running: litellmctl acts on the files itself
    }
    std::string hello = fmt::format(R"({{"client":"litellmctl/{}","protocol":{}}})",
                                    proto::kVersion, proto::kProtocolVersion);
    auto r = c.call("rpc.hello", hello, o.timeout_ms);
    if (!r || r->is_error) {
        std::fprintf(stderr, "litellmctl auth: litellmd on %s does not answer: %s\n",
                     o.socket_path.c_str(),
                     r ? r->error_message.c_str() : c.last_error_text().c_str());
        link.exit_code = code(ExitCode::kFailure);
        return link;
    }
    link.client = std::move(c);
    return link;
}

const OAuthSpec* spec_or_report(const std::string& name) {
    const OAuthSpec* spec = find_oauth_spec(name);
    if (!spec) {
        std::fprintf(stderr,
                     "litellmctl auth: unknown provider '%s'; the OAuth providers are qwen "
                     "(qwen_portal), chatgpt (codex) and gemini (gemini_cli)\n",
                     name.c_str());
    }
    return spec;
}

std::string path_for(const OAuthSpec& spec, const std::string& home) {
    const ProviderInfo* info = find_provider(spec.provider);
    return info ? token_file_path(*info, home)
                : home + "/auth." + std::string(spec.provider) + ".json";
}

std::string display_name(const OAuthSpec& spec) {
    const ProviderInfo* info = find_provider(spec.provider);
    return info ? std::string(info->display_name) : std::string(spec.provider);
}

// Writes `record` while no daemon runs, under the file's lock.
bool write_locally(const OAuthSpec& spec, const std::string& home, TokenRecord record,
                   std::string& message) {
    std::string path = path_for(spec, home);
    TokenFileLock lock(path);
    std::string error;
    if (!lock.acquire(5000, &error)) {
        message = error;
        return false;
    }
    if (!record.last_refresh) record.last_refresh = now_s();
    if (record.token_type.empty()) record.token_type = "Bearer";
    if (!write_token_file(path, record, &error)) {
        message = fmt::format("cannot write {}: {}", path, error);
        return false;
    }
    message = fmt::format("stored in {} ({}; litellmd is not running, so litellmctl wrote it)",
                          path, expiry_text(record, now_s()));
    return true;
}

// Hands tokens to the daemon (the only writer while it runs), or writes them itself.
int store_tokens(const AuthOptions& o, const OAuthSpec& spec, const TokenRecord& record,
                 const char* what) {
    DaemonLink link = link_daemon(o);
    if (link.exit_code != 0) return link.exit_code;
    std::string message;
    if (link.client) {
        rapidjson::Document params(rapidjson::kObjectType);
        auto& a = params.GetAllocator();
        params.AddMember("provider", json_str(spec.provider, a), a);
        rapidjson::Document tokens;
        json_parse(serialize_token_file(record), tokens);
        params.AddMember("tokens", rapidjson::Value(tokens, a), a);
        auto r = link.client->call("auth.import", json_stringify(params), o.timeout_ms);
        if (!r || r->is_error) {
            std::fprintf(stderr, "litellmctl auth: litellmd did not store the tokens: %s\n",
                         r ? r->error_message.c_str() : link.client->last_error_text().c_str());
            return code(ExitCode::kFailure);
        }
        message = std::string(json_get_string(r->payload(), "message")) + ", through litellmd";
    } else if (!write_locally(spec, o.home, record, message)) {
        std::fprintf(stderr, "litellmctl auth: %s\n", message.c_str());
        return code(ExitCode::kFailure);
    }
    if (o.json) {
        rapidjson::Document d(rapidjson::kObjectType);
        auto& a = d.GetAllocator();
        d.AddMember("provider", json_str(spec.provider, a), a);
        d.AddMember("file", json_str(path_for(spec, o.home), a), a);
        d.AddMember("through_daemon", link.client.has_value(), a);
        d.AddMember("expires_at",
                    record.expires_at ? rapidjson::Value(static_cast<int64_t>(*record.expires_at))
                                      : rapidjson::Value(),
                    a);
        d.AddMember("message", json_str(message, a), a);
        std::printf("%s\n", json_pretty(d).c_str());
    } else {
        std::printf("%s %s: %s\n", what, display_name(spec).c_str(), message.c_str());
    }
    return 0;
}

void open_browser(const std::string& url) {
#ifdef __APPLE__
    std::string opener = find_program("open");
#else
    std::string opener = find_program("xdg-open");
#endif
    if (opener.empty()) return;
    SpawnOptions o;
    o.argv = {opener, url};
    o.stdout_path = "/dev/null";
    o.stderr_path = "/dev/null";
    o.new_session = true;
    Subprocess p;
    p.spawn(o);  // the browser outlives us; Subprocess does not wait on destruction
}

// ---- login (device code) -------------------------------------------------------------------

// After a Google login: the account's email and its Code Assist project (found, or set up by
// onboarding, which can take a while). False, having said why, when Google will not serve it.
bool setup_gemini(const AuthOptions& o, const OAuthSpec& spec, const OAuthClient& client,
                  TokenRecord& record) {
    record.email =
        fetch_google_email(client, endpoint_url(spec.userinfo, env_get), record.access_token);
    if (!record.email.empty()) std::fprintf(stderr, "Signed in as %s\n", record.email.c_str());
    int poll_ms = 5000;
    if (const char* v = env_get("GEMINI_CLI_ONBOARD_POLL_MS"); v && std::atoi(v) > 0) {
        poll_ms = std::atoi(v);
    }
    std::fprintf(stderr, "Finding the account's Code Assist project ...\n");
    CodeAssistSetup setup = setup_code_assist(
        client, endpoint_url(spec.api, env_get), record.access_token, env_get,
        [&](const std::string& what) {
            if (!o.json) std::fprintf(stderr, "  %s\n", what.c_str());
        },
        poll_ms);
    if (!setup.ok) {
        std::fprintf(stderr, "litellmctl auth %s: %s\n", std::string(spec.login).c_str(),
                     setup.error.c_str());
        return false;
    }
    record.project_id = setup.project_id;
    record.plan = setup.tier;
    std::fprintf(
        stderr, "Code Assist: %s%s\n", setup.tier.c_str(),
        setup.project_id.empty() ? " (no project)" : (", project " + setup.project_id).c_str());
    return true;
}

// The browser login (authorization code + PKCE): a loopback redirect, or a pasted one.
int browser_login(const AuthOptions& o, const OAuthSpec& spec) {
    OutboundProxy proxy = OutboundProxy::from_environment(env_get);
    OAuthClient client = make_oauth_client(spec, env_get);
    client.proxy_for = [proxy](const std::string& url) { return proxy.for_url(url); };
    if (spec.provider == "gemini_cli" && client.client_secret.empty()) {
        // Google wants the Gemini CLI's own client secret; `npm root -g` is asked too here.
        GeminiClientCredentials found = find_gemini_client_credentials(env_get);
        if (!found.found()) {
            std::fprintf(stderr,
                         "litellmctl auth %s: the Gemini CLI's OAuth client was not found. Set "
                         "GEMINI_CLI_OAUTH_CLIENT_ID and GEMINI_CLI_OAUTH_CLIENT_SECRET in %s, or "
                         "install the Gemini CLI (`npm install -g @google/gemini-cli`) and run "
                         "this again. Looked in:\n",
                         std::string(spec.login).c_str(), home_paths(o.home).dotenv.c_str());
            for (const auto& where : found.searched)
                std::fprintf(stderr, "  %s\n", where.c_str());
            return code(ExitCode::kFailure);
        }
        client.client_id = found.client_id;
        client.client_secret = found.client_secret;
        if (!o.json)
            std::fprintf(stderr, "Using the Gemini CLI's OAuth client from %s\n",
                         found.source.c_str());
    }
    CallbackOptions cb;
    // LITELLM_OAUTH_CALLBACK_PORT replaces the provider's ports: for tests and fake issuers.
    // OpenAI's issuer accepts only its registered redirects (ports 1455 and 1457).
    if (const char* p = std::getenv("LITELLM_OAUTH_CALLBACK_PORT"); p && std::atoi(p) > 0) {
        cb.ports = {std::atoi(p)};
    } else {
        cb.ports = {spec.callback_port};
        if (spec.callback_fallback_port) cb.ports.push_back(spec.callback_fallback_port);
    }
    cb.path = std::string(spec.callback_path);
    cb.state = random_urlsafe(16);
    cb.paste_fd = STDIN_FILENO;
    cb.on_ignored = [&spec](const std::string& why) {
        std::fprintf(stderr, "litellmctl auth %s: %s\n", std::string(spec.login).c_str(),
                     why.c_str());
    };
    LoopbackCallback server;
    std::string error;
    if (!server.listen(cb, &error)) {
        std::fprintf(stderr, "litellmctl auth %s: %s\n", std::string(spec.login).c_str(),
                     error.c_str());
        return code(ExitCode::kFailure);
    }
    Pkce pkce = make_pkce();
    std::string url = authorize_url(client, server.redirect_uri(), pkce, cb.state);
    bool headless = is_headless();
    std::fprintf(stderr, "To log in to %s, open this page and sign in:\n  %s\n\n",
                 display_name(spec).c_str(), url.c_str());
    if (headless) {
        std::fprintf(stderr, "%s\n", ssh_tunnel_hint(server.port()).c_str());
    } else if (!o.no_browser) {
        open_browser(url);
    }
    std::fprintf(stderr,
                 "Waiting for the sign-in (up to %d min; paste the final address here if "
                 "the browser cannot reach this machine) ...\n",
                 cb.timeout_s / 60);
    CallbackResult result = server.wait();
    if (!result.ok) {
        std::fprintf(stderr, "litellmctl auth %s: %s\n", std::string(spec.login).c_str(),
                     result.error.c_str());
        return code(ExitCode::kFailure);
    }
    CodeExchange exchanged =
        exchange_code(client, result.code, pkce.verifier, server.redirect_uri(), now_s());
    if (!exchanged.ok) {
        std::fprintf(stderr, "litellmctl auth %s: %s\n", std::string(spec.login).c_str(),
                     exchanged.error.c_str());
        return code(ExitCode::kFailure);
    }
    if (!exchanged.record.account_id.empty()) {
        std::fprintf(
            stderr, "Signed in: account %s%s\n", exchanged.record.account_id.c_str(),
            exchanged.record.plan.empty() ? "" : (" (" + exchanged.record.plan + " plan)").c_str());
    }
    if (spec.provider == "gemini_cli" && !setup_gemini(o, spec, client, exchanged.record)) {
        return code(ExitCode::kFailure);
    }
    return store_tokens(o, spec, exchanged.record, "Logged in to");
}

int login(const AuthOptions& o, const OAuthSpec& spec) {
    if (spec.provider == "chatgpt" || spec.provider == "gemini_cli") return browser_login(o, spec);
    if (spec.device_code.default_url.empty()) {
        std::fprintf(stderr,
                     "litellmctl auth %s: not built yet: the %s login arrives in a later release. "
                     "Until then `litellmctl auth import %s` takes the tokens of the official "
                     "CLI.\n",
                     std::string(spec.login).c_str(), display_name(spec).c_str(),
                     std::string(spec.login).c_str());
        return code(ExitCode::kNotImplemented);
    }
    OutboundProxy proxy = OutboundProxy::from_environment(env_get);
    OAuthClient client = make_oauth_client(spec, env_get);
    client.proxy_for = [proxy](const std::string& url) { return proxy.for_url(url); };
    std::fprintf(stderr, "Asking %s for a login code ...\n", display_name(spec).c_str());
    DeviceStart start = start_device_flow(client);
    if (!start.ok) {
        std::fprintf(stderr, "litellmctl auth %s: %s\n", std::string(spec.login).c_str(),
                     start.error.c_str());
        std::string hint = retired_tier_hint(spec);
        if (start.refused && !hint.empty()) std::fprintf(stderr, "  %s\n", hint.c_str());
        return code(ExitCode::kFailure);
    }
    const DeviceCode& dc = start.code;
    std::string url =
        dc.verification_uri_complete.empty() ? dc.verification_uri : dc.verification_uri_complete;
    std::fprintf(stderr, "\nTo log in, open this page and approve the code %s:\n  %s\n\n",
                 dc.user_code.c_str(), url.c_str());
    if (!o.no_browser && !is_headless()) {
        open_browser(url);
    } else if (is_headless()) {
        std::fprintf(stderr, "(no browser here: open the page on any device)\n");
    }
    struct sigaction sa {};
    sa.sa_handler = on_abort;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    bool tty = ::isatty(STDERR_FILENO);
    auto started = std::chrono::steady_clock::now();
    auto deadline = started + std::chrono::seconds(dc.expires_in_s);
    double interval = dc.interval_s;
    while (!g_aborted) {
        auto left = std::chrono::duration_cast<std::chrono::seconds>(
                        deadline - std::chrono::steady_clock::now())
                        .count();
        if (left <= 0) {
            if (tty) std::fprintf(stderr, "\r\033[K");
            std::fprintf(stderr,
                         "litellmctl auth %s: the code expired before it was approved; run "
                         "`litellmctl auth %s` again\n",
                         std::string(spec.login).c_str(), std::string(spec.login).c_str());
            return code(ExitCode::kFailure);
        }
        if (tty) {
            std::fprintf(stderr, "\rWaiting for approval in the browser (%lld:%02lld left) ",
                         static_cast<long long>(left / 60), static_cast<long long>(left % 60));
        }
        // Sleep in small steps so Ctrl-C is prompt.
        auto until = std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(static_cast<long>(interval * 1000));
        while (!g_aborted && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        if (g_aborted) break;
        DevicePoll poll = poll_device_token(client, dc, now_s());
        switch (poll.state) {
            case DevicePoll::State::kPending:
                interval = std::min(interval + 0.5, 10.0);
                break;
            case DevicePoll::State::kSlowDown:
                interval = std::min(interval * 2 + 1, 10.0);  // the server asked us to
                break;
            case DevicePoll::State::kFailed: {
                if (tty) std::fprintf(stderr, "\r\033[K");
                std::fprintf(stderr, "litellmctl auth %s: %s\n", std::string(spec.login).c_str(),
                             poll.error.c_str());
                std::string hint = retired_tier_hint(spec);
                if (!hint.empty()) std::fprintf(stderr, "  %s\n", hint.c_str());
                return code(ExitCode::kFailure);
            }
            case DevicePoll::State::kDone:
                if (tty) std::fprintf(stderr, "\r\033[K");
                std::fprintf(stderr, "Approved.\n");
                return store_tokens(o, spec, poll.record, "Logged in to");
        }
    }
    if (tty) std::fprintf(stderr, "\r\033[K");
    std::fprintf(stderr, "Aborted.\n");
    return 130;
}

// ---- status --------------------------------------------------------------------------------

struct Row {
    std::string provider, login, file, state, account, plan, last_error;
    std::optional<std::int64_t> expires_at, last_refresh, next_refresh_at;
    std::uint64_t refreshes = 0;
    bool used = false;
};

std::optional<std::int64_t> optional_int(const rapidjson::Value& v, const char* key) {
    auto it = v.FindMember(key);
    if (it == v.MemberEnd() || !it->value.IsInt64()) return std::nullopt;
    return it->value.GetInt64();
}

std::vector<Row> rows_from_daemon(const rapidjson::Value& result) {
    std::vector<Row> rows;
    for (const auto& p : result["providers"].GetArray()) {
        Row r;
        r.provider = json_get_string(p, "provider");
        r.login = json_get_string(p, "login");
        r.file = json_get_string(p, "file");
        r.state = json_get_string(p, "state");
        r.account = json_get_string(p, "account");
        r.plan = json_get_string(p, "plan");
        r.last_error = json_get_string(p, "last_error");
        r.expires_at = optional_int(p, "expires_at");
        r.last_refresh = optional_int(p, "last_refresh");
        r.next_refresh_at = optional_int(p, "next_refresh_at");
        r.refreshes = static_cast<std::uint64_t>(json_get_int(p, "refreshes"));
        r.used = p.HasMember("used") && p["used"].IsBool() && p["used"].GetBool();
        rows.push_back(std::move(r));
    }
    return rows;
}

// The same rows from the files, with the one parser the daemon uses.
std::vector<Row> rows_from_files(const AuthOptions& o) {
    HomePaths paths = home_paths(o.home);
    ConfigLoadResult cfg = load_config_file(paths.config);
    std::vector<Row> rows;
    for (const OAuthSpec& spec : oauth_specs()) {
        Row r;
        r.provider = std::string(spec.provider);
        r.login = "litellmctl auth " + std::string(spec.login);
        r.file = path_for(spec, o.home);
        if (cfg.ok()) {
            for (const Deployment& d : cfg.config->model_list)
                if (d.provider == spec.provider) r.used = true;
        }
        std::string error;
        auto text = read_file(r.file, &error);
        if (!text) {
            r.state = "missing";
        } else if (TokenParse p = parse_token_file(*text); !p.ok) {
            r.state = "corrupt";
            r.last_error = r.file + " " + p.error;
        } else {
            const TokenRecord& t = p.record;
            bool expired = !t.access_token.empty() && t.expires_at && *t.expires_at <= now_s();
            r.state = t.access_token.empty() || expired ? "expired" : "valid";
            r.account = !t.email.empty() ? t.email : t.account_id;
            r.plan = t.plan;
            r.expires_at = t.expires_at;
            r.last_refresh = t.last_refresh;
        }
        rows.push_back(std::move(r));
    }
    return rows;
}

std::string when(std::int64_t t) {
    std::int64_t d = t - now_s();
    TokenRecord r;
    r.expires_at = t;
    std::string text = expiry_text(r, now_s());  // "expires in 3h 2m" / "expired 5m ago"
    if (d > 0) return "in " + text.substr(std::string("expires in ").size());
    return text.substr(std::string("expired ").size());
}

rapidjson::Value time_value(const std::optional<std::int64_t>& t) {
    return t ? rapidjson::Value(static_cast<int64_t>(*t)) : rapidjson::Value();
}

int status(const AuthOptions& o) {
    DaemonLink link = link_daemon(o);
    if (link.exit_code != 0) return link.exit_code;
    std::vector<Row> rows;
    if (link.client) {
        auto r = link.client->call("auth.status", "", o.timeout_ms);
        if (!r || r->is_error) {
            std::fprintf(stderr, "litellmctl auth status: %s\n",
                         r ? r->error_message.c_str() : link.client->last_error_text().c_str());
            return code(ExitCode::kFailure);
        }
        rows = rows_from_daemon(r->payload());
    } else {
        rows = rows_from_files(o);
    }
    if (o.json) {
        rapidjson::Document d(rapidjson::kObjectType);
        auto& a = d.GetAllocator();
        d.AddMember("daemon", link.client.has_value(), a);
        rapidjson::Value list(rapidjson::kArrayType);
        for (const Row& r : rows) {
            rapidjson::Value v(rapidjson::kObjectType);
            v.AddMember("provider", json_str(r.provider, a), a);
            v.AddMember("login", json_str(r.login, a), a);
            v.AddMember("file", json_str(r.file, a), a);
            v.AddMember("state", json_str(r.state, a), a);
            v.AddMember("used", r.used, a);
            v.AddMember("account", json_str(r.account, a), a);
            v.AddMember("plan", json_str(r.plan, a), a);
            v.AddMember("expires_at", time_value(r.expires_at), a);
            v.AddMember("last_refresh", time_value(r.last_refresh), a);
            v.AddMember("next_refresh_at", time_value(r.next_refresh_at), a);
            v.AddMember("refreshes", static_cast<uint64_t>(r.refreshes), a);
            v.AddMember("last_error", json_str(r.last_error, a), a);
            list.PushBack(v, a);
        }
        d.AddMember("providers", list, a);
        std::printf("%s\n", json_pretty(d).c_str());
        return 0;
    }
    std::printf("OAuth logins (%s):\n",
                link.client ? "as litellmd sees them" : "from the files; litellmd is not running");
    for (const Row& r : rows) {
        const OAuthSpec* spec = find_oauth_spec(r.provider);
        std::string name = spec ? display_name(*spec) : r.provider;
        std::string state = r.state == "login_needed" ? "LOGIN NEEDED"
                            : r.state == "corrupt"    ? "CORRUPT"
                            : r.state == "missing"    ? "not logged in"
                                                      : r.state;
        std::printf("  %-28s %-14s %s\n", name.c_str(), state.c_str(), r.file.c_str());
        if (!r.account.empty() || !r.plan.empty()) {
            std::printf("      account %s%s\n", r.account.empty() ? "?" : r.account.c_str(),
                        r.plan.empty() ? "" : (" (" + r.plan + ")").c_str());
        }
        if (r.expires_at) {
            std::printf("      access token %s %s", *r.expires_at > now_s() ? "expires" : "expired",
                        when(*r.expires_at).c_str());
            if (r.last_refresh) std::printf("; last refresh %s", when(*r.last_refresh).c_str());
            if (r.next_refresh_at) {
                std::printf("; next refresh %s", *r.next_refresh_at <= now_s()
                                                     ? "now"
                                                     : when(*r.next_refresh_at).c_str());
            }
            std::printf("\n");
        }
        if (!r.last_error.empty()) std::printf("      last error: %s\n", r.last_error.c_str());
        if (r.state == "login_needed" || r.state == "corrupt" || (r.state == "missing" && r.used) ||
            (r.state == "expired" && !link.client)) {
            std::printf("      -> run `%s`%s\n", r.login.c_str(),
                        r.used ? "" : " (the config does not use it)");
        }
    }
    return 0;
}

// ---- refresh / logout / import ---------------------------------------------------------------

int refresh(const AuthOptions& o, const OAuthSpec& spec) {
    DaemonLink link = link_daemon(o);
    if (link.exit_code != 0) return link.exit_code;
    std::string message, state;
    std::optional<std::int64_t> expires;
    if (link.client) {
        std::string params = fmt::format(R"({{"provider":"{}"}})", spec.provider);
        auto r = link.client->call("auth.refresh", params, std::max(o.timeout_ms, 60000));
        if (!r || r->is_error) {
            std::fprintf(stderr, "litellmctl auth refresh: %s\n",
                         r ? r->error_message.c_str() : link.client->last_error_text().c_str());
            return code(ExitCode::kFailure);
        }
        message = json_get_string(r->payload(), "message");
        state = json_get_string(r->payload(), "state");
        expires = optional_int(r->payload(), "expires_at");
    } else {
        std::string path = path_for(spec, o.home);
        TokenFileLock lock(path);
        std::string error;
        if (!lock.acquire(5000, &error)) {
            std::fprintf(stderr, "litellmctl auth refresh: %s\n", error.c_str());
            return code(ExitCode::kFailure);
        }
        auto text = read_file(path, &error);
        if (!text) {
            std::fprintf(stderr,
                         "litellmctl auth refresh: not logged in (no %s); run "
                         "`litellmctl auth %s`\n",
                         path.c_str(), std::string(spec.login).c_str());
            return code(ExitCode::kFailure);
        }
        TokenParse parsed = parse_token_file(*text);
        if (!parsed.ok) {
            std::fprintf(stderr,
                         "litellmctl auth refresh: %s %s; it is left as it is; run "
                         "`litellmctl auth %s` to log in again\n",
                         path.c_str(), parsed.error.c_str(), std::string(spec.login).c_str());
            return code(ExitCode::kFailure);
        }
        OutboundProxy proxy = OutboundProxy::from_environment(env_get);
        OAuthClient client = make_oauth_client(spec, env_get);
        client.proxy_for = [proxy](const std::string& url) { return proxy.for_url(url); };
        RefreshOutcome out = refresh_tokens(client, parsed.record, now_s());
        if (out.status != RefreshStatus::kOk) {
            std::string hint =
                out.status == RefreshStatus::kPermanent ? retired_tier_hint(spec) : std::string();
            std::fprintf(
                stderr, "litellmctl auth refresh: %s%s%s\n", out.message.c_str(),
                out.status == RefreshStatus::kPermanent
                    ? fmt::format("; run `litellmctl auth {}` to log in again", spec.login).c_str()
                    : "; try again later",
                hint.empty() ? "" : ("\n  " + hint).c_str());
            return code(ExitCode::kFailure);
        }
        if (!write_token_file(path, out.record, &error)) {
            std::fprintf(stderr, "litellmctl auth refresh: refreshed, but cannot write %s: %s\n",
                         path.c_str(), error.c_str());
            return code(ExitCode::kFailure);
        }
        message = "refreshed: " + expiry_text(out.record, now_s()) + " (litellmd is not running)";
        state = "valid";
        expires = out.record.expires_at;
    }
    if (o.json) {
        rapidjson::Document d(rapidjson::kObjectType);
        auto& a = d.GetAllocator();
        d.AddMember("provider", json_str(spec.provider, a), a);
        d.AddMember("state", json_str(state, a), a);
        d.AddMember("expires_at", time_value(expires), a);
        d.AddMember("through_daemon", link.client.has_value(), a);
        d.AddMember("message", json_str(message, a), a);
        std::printf("%s\n", json_pretty(d).c_str());
    } else {
        std::printf("%s: %s\n", display_name(spec).c_str(), message.c_str());
    }
    return 0;
}

int logout(const AuthOptions& o, const OAuthSpec& spec) {
    DaemonLink link = link_daemon(o);
    if (link.exit_code != 0) return link.exit_code;
    std::string message;
    if (link.client) {
        std::string params = fmt::format(R"({{"provider":"{}"}})", spec.provider);
        auto r = link.client->call("auth.logout", params, o.timeout_ms);
        if (!r || r->is_error) {
            std::fprintf(stderr, "litellmctl auth logout: %s\n",
                         r ? r->error_message.c_str() : link.client->last_error_text().c_str());
            return code(ExitCode::kFailure);
        }
        message = json_get_string(r->payload(), "message");
    } else {
        std::string path = path_for(spec, o.home);
        TokenFileLock lock(path);
        std::string error;
        if (!lock.acquire(5000, &error)) {
            std::fprintf(stderr, "litellmctl auth logout: %s\n", error.c_str());
            return code(ExitCode::kFailure);
        }
        if (!path_exists(path)) {
            std::fprintf(stderr, "litellmctl auth logout: not logged in (no %s)\n", path.c_str());
            return code(ExitCode::kFailure);
        }
        if (::unlink(path.c_str()) != 0) {
            std::fprintf(stderr, "litellmctl auth logout: cannot remove %s: %s\n", path.c_str(),
                         std::strerror(errno));
            return code(ExitCode::kFailure);
        }
        message = "removed " + path;
    }
    if (o.json) {
        std::printf("{\"provider\": %s, \"message\": %s}\n", json_quote(spec.provider).c_str(),
                    json_quote(message).c_str());
    } else {
        std::printf("%s: %s; its models are skipped until `litellmctl auth %s`\n",
                    display_name(spec).c_str(), message.c_str(), std::string(spec.login).c_str());
    }
    return 0;
}

// Where the official CLI keeps its tokens.
std::string official_file(const OAuthSpec& spec) {
    if (spec.provider == "qwen_portal") return user_home() + "/.qwen/oauth_creds.json";
    if (spec.provider == "gemini_cli") return user_home() + "/.gemini/oauth_creds.json";
    const char* codex = std::getenv("CODEX_HOME");
    return (codex && *codex ? std::string(codex) : user_home() + "/.codex") + "/auth.json";
}

int import(const AuthOptions& o, const OAuthSpec& spec) {
    std::string from = o.from.empty() ? official_file(spec) : absolute_path(o.from);
    std::string error;
    auto text = read_file(from, &error);
    if (!text) {
        std::fprintf(stderr, "litellmctl auth import: cannot read %s: %s%s\n", from.c_str(),
                     error.c_str(), o.from.empty() ? "; name the file with --from PATH" : "");
        return code(ExitCode::kFailure);
    }
    TokenParse parsed = parse_token_file(*text);
    if (!parsed.ok) {
        std::fprintf(stderr, "litellmctl auth import: %s %s\n", from.c_str(), parsed.error.c_str());
        return code(ExitCode::kFailure);
    }
    TokenRecord& r = parsed.record;
    if (r.refresh_token.empty() && r.expires_at && *r.expires_at <= now_s() + 60) {
        std::fprintf(stderr,
                     "litellmctl auth import: %s holds an expired access token and no refresh "
                     "token; nothing to import\n",
                     from.c_str());
        return code(ExitCode::kFailure);
    }
    // The copy gets a file of its own: only the fields our file knows, no other tool's state;
    // the source is remembered, so the daemon re-reads it when the shared token rotates.
    r.original_json.clear();
    r.imported_from = from;
    if (spec.provider == "chatgpt") fill_chatgpt_claims(r);  // expiry and account from the JWTs
    if (!o.json) {
        std::fprintf(stderr,
                     "note: %s and litellmd now share one refresh token, which %s rotates: "
                     "when the official CLI refreshes first, litellmd re-reads %s and takes "
                     "its new tokens; when litellmd refreshes first, the official CLI must log "
                     "in again. If both must keep working, log in separately "
                     "(`litellmctl auth %s`).\n",
                     from.c_str(), display_name(spec).c_str(), from.c_str(),
                     std::string(spec.login).c_str());
    }
    if (spec.provider == "gemini_cli" && r.project_id.empty() && !r.access_token.empty() &&
        (!r.expires_at || *r.expires_at > now_s() + 60)) {
        // The Gemini CLI keeps no project in its file: found here, as a login would.
        OutboundProxy proxy = OutboundProxy::from_environment(env_get);
        OAuthClient client = make_oauth_client(spec, env_get);
        client.proxy_for = [proxy](const std::string& url) { return proxy.for_url(url); };
        CodeAssistSetup setup = setup_code_assist(client, endpoint_url(spec.api, env_get),
                                                  r.access_token, env_get, nullptr, 5000);
        if (setup.ok) {
            r.project_id = setup.project_id;
            r.plan = setup.tier;
        } else if (!o.json) {
            std::fprintf(stderr, "note: %s\n", setup.error.c_str());
        }
    }
    return store_tokens(o, spec, r, "Imported");
}

}  // namespace

bool is_headless() {
    for (const char* v : {"SSH_CLIENT", "SSH_TTY", "SSH_CONNECTION"}) {
        const char* s = std::getenv(v);
        if (s && *s) return true;
    }
    if (path_exists("/.dockerenv")) return true;
#ifndef __APPLE__
    const char* display = std::getenv("DISPLAY");
    const char* wayland = std::getenv("WAYLAND_DISPLAY");
    if (!(display && *display) && !(wayland && *wayland)) return true;
#endif
    return false;
}

int auth_command(const AuthOptions& o) {
    // Endpoint overrides and token paths may be set in .env, as for the daemon.
    load_dotenv_file(home_paths(o.home).dotenv);
    if (o.action == "status") return status(o);
    const OAuthSpec* spec = spec_or_report(o.provider);
    if (!spec) return code(ExitCode::kUsage);
    if (o.action == "login") return login(o, *spec);
    if (o.action == "refresh") return refresh(o, *spec);
    if (o.action == "logout") return logout(o, *spec);
    if (o.action == "import") return import(o, *spec);
    std::fprintf(stderr, "litellmctl auth: unknown action '%s'\n", o.action.c_str());
    return code(ExitCode::kUsage);
}

}  // namespace litellm::ctl
