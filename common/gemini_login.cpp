#include "common/gemini_login.hpp"

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include <fmt/format.h>
#include <rapidjson/document.h>

#include "common/fs.hpp"
#include "common/http_fetch.hpp"
#include "common/json.hpp"
#include "common/process.hpp"
#include "common/redact.hpp"

namespace litellm {

namespace {

// A bundle is large but not unbounded; these keep a scan of a strange tree cheap.
constexpr std::size_t kMaxScannedFileBytes = 64u << 20;
constexpr int kMaxScannedFiles = 200;
constexpr int kMaxOnboardPolls = 60;

bool is_id_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

std::string real_path(const std::string& p) {
    char buf[PATH_MAX];
    return ::realpath(p.c_str(), buf) ? std::string(buf) : std::string();
}

bool is_file(const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
           static_cast<std::size_t>(st.st_size) <= kMaxScannedFileBytes;
}

std::vector<std::string> js_files_in(const std::string& dir) {
    std::vector<std::string> out;
    DIR* d = ::opendir(dir.c_str());
    if (!d) return out;
    while (dirent* e = ::readdir(d)) {
        std::string name = e->d_name;
        if (name.size() > 3 &&
            (name.compare(name.size() - 3, 3, ".js") == 0 ||
             (name.size() > 4 && name.compare(name.size() - 4, 4, ".mjs") == 0))) {
            out.push_back(dir + "/" + name);
        }
    }
    ::closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

// The files of an installed Gemini CLI that may hold its client, under one node_modules root.
std::vector<std::string> candidate_files(const std::string& root) {
    std::vector<std::string> out;
    for (const char* sub : {"/@google/gemini-cli-core/dist/src/code_assist/oauth2.js",
                            "/@google/gemini-cli/node_modules/@google/gemini-cli-core/dist/src/"
                            "code_assist/oauth2.js"}) {
        out.push_back(root + sub);
    }
    // Newer releases ship one bundle.
    for (const char* dir : {"/@google/gemini-cli/bundle", "/@google/gemini-cli/dist"}) {
        for (auto& f : js_files_in(root + dir))
            out.push_back(std::move(f));
    }
    return out;
}

std::vector<std::string> node_roots(const EnvGetter& env) {
    std::vector<std::string> roots;
    auto get = [&](const char* name) -> std::string {
        const char* v = env ? env(name) : nullptr;
        return v ? std::string(v) : std::string();
    };
    std::string home = get("HOME");
    // Where `gemini` on PATH really lives: its package is in a node_modules above it.
    std::string path = get("PATH");
    for (std::size_t start = 0; start <= path.size();) {
        std::size_t end = path.find(':', start);
        if (end == std::string::npos) end = path.size();
        std::string dir = path.substr(start, end - start);
        start = end + 1;
        if (dir.empty()) continue;
        std::string bin = real_path(dir + "/gemini");
        if (bin.empty()) continue;
        std::string up = bin;
        for (int i = 0; i < 10; ++i) {
            std::size_t slash = up.rfind('/');
            if (slash == std::string::npos || slash == 0) break;
            up.resize(slash);
            roots.push_back(up + "/node_modules");
            roots.push_back(up + "/lib/node_modules");
        }
        break;
    }
    if (!home.empty()) roots.push_back(home + "/.bun/install/global/node_modules");
    roots.push_back("/usr/local/lib/node_modules");
    roots.push_back("/usr/lib/node_modules");
    if (!home.empty()) roots.push_back(home + "/.npm-global/lib/node_modules");
    std::string nvm = get("NVM_DIR");
    if (nvm.empty() && !home.empty()) nvm = home + "/.nvm";
    if (!nvm.empty()) {
        std::string versions = nvm + "/versions/node";
        if (DIR* d = ::opendir(versions.c_str())) {
            std::vector<std::string> found;
            while (dirent* e = ::readdir(d)) {
                if (e->d_name[0] != '.')
                    found.push_back(versions + "/" + e->d_name + "/lib/node_modules");
            }
            ::closedir(d);
            std::sort(found.rbegin(), found.rend());  // newest first
            roots.insert(roots.end(), found.begin(), found.end());
        }
    }
    return roots;
}

bool scan_roots(const std::vector<std::string>& roots, GeminiClientCredentials& out, int& scanned) {
    for (const std::string& root : roots) {
        out.searched.push_back(root);
        for (const std::string& file : candidate_files(root)) {
            if (scanned >= kMaxScannedFiles) return false;
            if (!is_file(file)) continue;
            ++scanned;
            auto text = read_file(file);
            if (!text) continue;
            std::string id, secret;
            if (extract_gemini_client_credentials(*text, id, secret)) {
                out.client_id = id;
                out.client_secret = secret;
                out.source = file;
                return true;
            }
        }
    }
    return false;
}

std::string npm_global_root() {
    std::string npm = find_program("npm");
    if (npm.empty()) return {};
    SpawnOptions o;
    o.argv = {npm, "root", "-g"};
    o.stdout_path = "|";
    o.stderr_path = "/dev/null";
    RunResult r = run_capture(o, 10000);
    if (r.exit_code != 0) return {};
    std::string root = r.out;
    while (!root.empty() && (root.back() == '\n' || root.back() == '\r' || root.back() == ' '))
        root.pop_back();
    return root;
}

FetchResult post_json(const OAuthClient& client, const std::string& url, const std::string& body,
                      const std::string& token) {
    FetchRequest r;
    r.url = url;
    r.body = body;
    r.headers = {{"Authorization", "Bearer " + token},
                 {"Content-Type", "application/json"},
                 {"Accept", "application/json"},
                 {"User-Agent", "GeminiCLI/0.20.0 (litellmctl)"}};
    r.proxy = client.proxy_for ? client.proxy_for(url) : std::string();
    r.timeout_s = client.timeout_s;
    return http_fetch(r);
}

std::string project_of(const rapidjson::Value& v) {
    auto it = v.FindMember("cloudaicompanionProject");
    if (it == v.MemberEnd()) return {};
    if (it->value.IsString()) return it->value.GetString();
    if (it->value.IsObject()) return std::string(json_get_string(it->value, "id"));
    return {};
}

std::string google_error(const FetchResult& r) {
    if (r.status == 0) return redact(r.error);
    rapidjson::Document d;
    if (json_parse(r.body, d)) {
        const rapidjson::Value* e = &d;
        if (d.IsArray() && !d.Empty()) e = &d[0];
        if (e->IsObject() && e->HasMember("error") && (*e)["error"].IsObject()) {
            std::string msg(json_get_string((*e)["error"], "message"));
            if (!msg.empty()) return fmt::format("HTTP {}: {}", r.status, redact(msg));
        }
    }
    return fmt::format("HTTP {}", r.status);
}

std::string metadata_json(const std::string& project) {
    std::string m =
        R"({"ideType":"IDE_UNSPECIFIED","platform":"PLATFORM_UNSPECIFIED","pluginType":"GEMINI")";
    if (!project.empty()) m += ",\"duetProject\":" + json_quote(project);
    return m + "}";
}

}  // namespace

bool extract_gemini_client_credentials(std::string_view text, std::string& id,
                                       std::string& secret) {
    constexpr std::string_view kIdTail = ".apps.googleusercontent.com";
    constexpr std::string_view kSecretHead = "GOCSPX-";
    id.clear();
    secret.clear();
    // A bundle holds other Google clients too: the secret goes with the id written nearest it.
    std::vector<std::pair<std::size_t, std::string>> ids, secrets;
    for (std::size_t at = text.find(kIdTail); at != std::string_view::npos;
         at = text.find(kIdTail, at + 1)) {
        // <digits>-<[a-z0-9]+>.apps.googleusercontent.com
        std::size_t b = at;
        while (b > 0 && is_id_char(text[b - 1]))
            --b;
        if (b == at || b == 0 || text[b - 1] != '-') continue;
        std::size_t dash = b - 1;
        std::size_t d = dash;
        while (d > 0 && text[d - 1] >= '0' && text[d - 1] <= '9')
            --d;
        if (d == dash) continue;
        ids.emplace_back(d, std::string(text.substr(d, at + kIdTail.size() - d)));
    }
    for (std::size_t at = text.find(kSecretHead); at != std::string_view::npos;
         at = text.find(kSecretHead, at + 1)) {
        std::size_t e = at + kSecretHead.size();
        while (e < text.size() && (std::isalnum(static_cast<unsigned char>(text[e])) ||
                                   text[e] == '_' || text[e] == '-'))
            ++e;
        if (e > at + kSecretHead.size())
            secrets.emplace_back(at, std::string(text.substr(at, e - at)));
    }
    std::size_t best = std::string_view::npos;
    for (const auto& [ip, iv] : ids) {
        for (const auto& [sp, sv] : secrets) {
            std::size_t dist = ip > sp ? ip - sp : sp - ip;
            if (dist < best) {
                best = dist;
                id = iv;
                secret = sv;
            }
        }
    }
    return !id.empty() && !secret.empty();
}

GeminiClientCredentials find_gemini_client_credentials(const EnvGetter& env, bool ask_npm) {
    GeminiClientCredentials out;
    auto get = [&](const char* name) -> std::string {
        const char* v = env ? env(name) : nullptr;
        return v ? std::string(v) : std::string();
    };
    out.client_id = get("GEMINI_CLI_OAUTH_CLIENT_ID");
    out.client_secret = get("GEMINI_CLI_OAUTH_CLIENT_SECRET");
    if (!out.client_secret.empty()) {
        if (out.client_id.empty()) {
            const OAuthSpec* spec = find_oauth_spec("gemini_cli");
            out.client_id = spec ? std::string(spec->client_id) : std::string();
        }
        out.source = "environment";
        return out;
    }
    out.client_id.clear();
    int scanned = 0;
    if (scan_roots(node_roots(env), out, scanned)) return out;
    if (std::string root = ask_npm ? npm_global_root() : std::string(); !root.empty()) {
        if (scan_roots({root}, out, scanned)) return out;
    }
    return out;
}

std::string fetch_google_email(const OAuthClient& client, const std::string& userinfo_url,
                               const std::string& access_token) {
    FetchRequest r;
    r.method = "GET";
    r.url = userinfo_url;
    r.headers = {{"Authorization", "Bearer " + access_token}, {"Accept", "application/json"}};
    r.proxy = client.proxy_for ? client.proxy_for(userinfo_url) : std::string();
    r.timeout_s = client.timeout_s;
    FetchResult res = http_fetch(r);
    rapidjson::Document d;
    if (res.status != 200 || !json_parse(res.body, d) || !d.IsObject()) return {};
    return std::string(json_get_string(d, "email"));
}

CodeAssistSetup setup_code_assist(const OAuthClient& client, const std::string& api_base,
                                  const std::string& access_token, const EnvGetter& env,
                                  const std::function<void(const std::string&)>& progress,
                                  int poll_ms) {
    CodeAssistSetup out;
    auto get = [&](const char* name) -> std::string {
        const char* v = env ? env(name) : nullptr;
        return v ? std::string(v) : std::string();
    };
    std::string chosen = get("GOOGLE_CLOUD_PROJECT");
    if (chosen.empty()) chosen = get("GOOGLE_CLOUD_PROJECT_ID");
    std::string load_body = "{";
    if (!chosen.empty()) load_body += "\"cloudaicompanionProject\":" + json_quote(chosen) + ",";
    load_body += "\"metadata\":" + metadata_json(chosen) + "}";
    FetchResult load = post_json(client, api_base + ":loadCodeAssist", load_body, access_token);
    rapidjson::Document d;
    if (load.status != 200 || !json_parse(load.body, d) || !d.IsObject()) {
        out.error = "Code Assist did not answer loadCodeAssist (" + google_error(load) + ")";
        return out;
    }
    const OAuthSpec* spec = find_oauth_spec("gemini_cli");
    std::string hint = spec ? retired_tier_hint(*spec) : std::string();
    if (auto it = d.FindMember("currentTier"); it != d.MemberEnd() && it->value.IsObject()) {
        out.tier = std::string(json_get_string(it->value, "id"));
        out.project_id = project_of(d);
        if (out.project_id.empty()) out.project_id = chosen;
        if (out.project_id.empty() && out.tier != "free-tier") {
            out.error =
                "this account's Code Assist tier (" + out.tier +
                ") needs a Google Cloud project: set GOOGLE_CLOUD_PROJECT in ~/.litellm/.env "
                "and log in again";
            return out;
        }
        out.ok = true;
        return out;
    }
    // Not set up yet: onboard with the default tier the account may use.
    std::string tier;
    bool needs_project = false;
    if (auto it = d.FindMember("allowedTiers"); it != d.MemberEnd() && it->value.IsArray()) {
        for (const auto& t : it->value.GetArray()) {
            if (!t.IsObject()) continue;
            if (tier.empty() ||
                (t.HasMember("isDefault") && t["isDefault"].IsBool() && t["isDefault"].GetBool())) {
                tier = std::string(json_get_string(t, "id"));
                needs_project = t.HasMember("userDefinedCloudaicompanionProject") &&
                                t["userDefinedCloudaicompanionProject"].IsBool() &&
                                t["userDefinedCloudaicompanionProject"].GetBool();
            }
        }
    }
    if (tier.empty()) {
        std::string why;
        if (auto it = d.FindMember("ineligibleTiers"); it != d.MemberEnd() && it->value.IsArray()) {
            for (const auto& t : it->value.GetArray()) {
                if (!t.IsObject()) continue;
                if (!why.empty()) why += "; ";
                why += std::string(json_get_string(t, "tierId")) + ": " +
                       std::string(json_get_string(t, "reasonCode"));
                std::string msg(json_get_string(t, "reasonMessage"));
                if (!msg.empty()) why += " (" + msg + ")";
            }
        }
        out.error = "Google offers this account no Code Assist tier" +
                    (why.empty() ? std::string() : " (" + why + ")") +
                    (hint.empty() ? std::string() : "; " + hint);
        return out;
    }
    if (needs_project && chosen.empty()) {
        out.error = "the " + tier +
                    " tier needs a Google Cloud project: set GOOGLE_CLOUD_PROJECT in "
                    "~/.litellm/.env and log in again";
        return out;
    }
    out.tier = tier;
    // The free tier takes no project (sending one is "Precondition Failed").
    std::string body = "{\"tierId\":" + json_quote(tier);
    if (tier != "free-tier" && !chosen.empty()) {
        body += ",\"cloudaicompanionProject\":" + json_quote(chosen);
    }
    body += ",\"metadata\":" + metadata_json(tier == "free-tier" ? std::string() : chosen) + "}";
    for (int poll = 0; poll < kMaxOnboardPolls; ++poll) {
        FetchResult r = post_json(client, api_base + ":onboardUser", body, access_token);
        rapidjson::Document op;
        if (r.status != 200 || !json_parse(r.body, op) || !op.IsObject()) {
            out.error = "Code Assist refused onboardUser (" + google_error(r) + ")" +
                        (hint.empty() ? std::string() : "; " + hint);
            return out;
        }
        bool done = op.HasMember("done") && op["done"].IsBool() && op["done"].GetBool();
        if (done) {
            if (auto resp = op.FindMember("response");
                resp != op.MemberEnd() && resp->value.IsObject()) {
                out.project_id = project_of(resp->value);
            }
            if (out.project_id.empty()) out.project_id = chosen;
            out.ok = true;
            return out;
        }
        if (progress)
            progress(fmt::format("setting up Code Assist ({} tier), {} s ...", tier,
                                 (poll + 1) * poll_ms / 1000));
        std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms));
    }
    out.error = "Code Assist onboarding did not finish in time; run `litellmctl auth gemini` again";
    return out;
}

}  // namespace litellm
