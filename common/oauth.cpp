#include "common/oauth.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <rapidjson/document.h>

#include "common/fs.hpp"
#include "common/gemini_login.hpp"
#include "common/http_fetch.hpp"
#include "common/json.hpp"
#include "common/log.hpp"
#include "common/redact.hpp"

namespace litellm {

namespace {

std::string base64url(const unsigned char* data, std::size_t n) {
    std::string out(4 * ((n + 2) / 3) + 1, '\0');
    int len =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
    out.resize(static_cast<std::size_t>(len));
    for (char& c : out) {
        if (c == '+') c = '-';
        if (c == '/') c = '_';
    }
    while (!out.empty() && out.back() == '=')
        out.pop_back();
    return out;
}

std::string string_field(const rapidjson::Value& obj, const char* key) {
    return std::string(json_get_string(obj, key));
}

// The error code and description of an OAuth error answer, for messages.
std::string oauth_error_text(int status, std::string_view body) {
    rapidjson::Document d;
    std::string code, description;
    if (json_parse(body, d) && d.IsObject()) {
        code = string_field(d, "error");
        if (code.empty() && d.HasMember("error") && d["error"].IsObject()) {
            code = string_field(d["error"], "code");
            description = string_field(d["error"], "message");
        }
        if (description.empty()) description = string_field(d, "error_description");
        if (description.empty()) description = string_field(d, "message");
    }
    std::string text = fmt::format("HTTP {}", status);
    if (!code.empty()) text += ": " + code;
    if (!description.empty()) text += (code.empty() ? ": " : " - ") + description;
    if (code.empty() && description.empty() && !body.empty()) {
        text += ": " + std::string(body.substr(0, 200));
    }
    return redact(text);
}

std::vector<std::pair<std::string, std::string>> base_headers(const OAuthClient& c, bool form) {
    std::vector<std::pair<std::string, std::string>> h = {
        {"Content-Type", form ? "application/x-www-form-urlencoded" : "application/json"},
        {"Accept", "application/json"}};
    if (!c.spec->user_agent.empty()) h.emplace_back("User-Agent", std::string(c.spec->user_agent));
    return h;
}

FetchResult post(const OAuthClient& c, const std::string& url, std::string body, bool form,
                 std::vector<std::pair<std::string, std::string>> extra = {}) {
    FetchRequest r;
    r.url = url;
    r.headers = base_headers(c, form);
    for (auto& h : extra)
        r.headers.push_back(std::move(h));
    r.body = std::move(body);
    r.proxy = c.proxy_for ? c.proxy_for(url) : std::string();
    r.timeout_s = c.timeout_s;
    return http_fetch(r);
}

// Fills `r` from a token endpoint's answer; false when it holds no access token.
bool apply_token_answer(const rapidjson::Value& d, TokenRecord& r, std::int64_t now_s) {
    std::string access = string_field(d, "access_token");
    if (access.empty()) return false;
    r.access_token = access;
    // A refresh token, resource_url and id_token that are not sent again stay as they were.
    if (std::string v = string_field(d, "refresh_token"); !v.empty()) r.refresh_token = v;
    if (std::string v = string_field(d, "id_token"); !v.empty()) r.id_token = v;
    if (std::string v = string_field(d, "resource_url"); !v.empty()) r.resource_url = v;
    if (std::string v = string_field(d, "token_type"); !v.empty()) r.token_type = v;
    long long expires_in = json_get_int(d, "expires_in", 3600);
    if (expires_in <= 0) expires_in = 3600;
    r.expires_at = now_s + expires_in;
    r.last_refresh = now_s;
    return true;
}

std::string uuid4() {
    unsigned char b[16];
    RAND_bytes(b, sizeof b);
    b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
    b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
    std::string hex;
    for (int i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) hex += '-';
        hex += fmt::format("{:02x}", b[i]);
    }
    return hex;
}

}  // namespace

const std::vector<OAuthSpec>& oauth_specs() {
    static const std::vector<OAuthSpec> kSpecs = {
        {.provider = "qwen_portal",
         .login = "qwen",
         .client_id = "f0304373b74a44d2b584a3fb70ca9e56",
         .scope = "openid profile email model.completion",
         .refresh_encoding = RefreshEncoding::kForm,
         .user_agent = "qwen-code/1.0.0",
         .device_code = {"device code", "QWEN_PORTAL_OAUTH_DEVICE_CODE_URL",
                         "https://chat.qwen.ai/api/v1/oauth2/device/code"},
         .token = {"token", "QWEN_PORTAL_OAUTH_TOKEN_URL",
                   "https://chat.qwen.ai/api/v1/oauth2/token"}},
        {.provider = "chatgpt",
         .login = "chatgpt",
         .client_id = "app_EMoamEEZ73f0CkXaXp7hrann",
         .scope = "openid profile email offline_access",
         .refresh_encoding = RefreshEncoding::kJson,
         .token = {"token", "CHATGPT_OAUTH_TOKEN_URL", "https://auth.openai.com/oauth/token"},
         .authorize = {"authorize", "CHATGPT_OAUTH_AUTHORIZE_URL",
                       "https://auth.openai.com/oauth/authorize"},
         .callback_port = 1455,
         .callback_fallback_port = 1457,
         .callback_path = "/auth/callback",
         .max_refresh_age_s = 8 * 86400},
        {.provider = "gemini_cli",
         .login = "gemini",
         .client_id = "681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com",
         .client_id_env = "GEMINI_CLI_OAUTH_CLIENT_ID",
         .client_secret_env = "GEMINI_CLI_OAUTH_CLIENT_SECRET",
         .scope = "https://www.googleapis.com/auth/cloud-platform "
                  "https://www.googleapis.com/auth/userinfo.email "
                  "https://www.googleapis.com/auth/userinfo.profile",
         .refresh_encoding = RefreshEncoding::kForm,
         .token = {"token", "GEMINI_CLI_OAUTH_TOKEN_URL", "https://oauth2.googleapis.com/token"},
         .authorize = {"authorize", "GEMINI_CLI_OAUTH_AUTHORIZE_URL",
                       "https://accounts.google.com/o/oauth2/v2/auth"},
         .userinfo = {"userinfo", "GEMINI_CLI_OAUTH_USERINFO_URL",
                      "https://www.googleapis.com/oauth2/v1/userinfo?alt=json"},
         .api = {"code assist", "GEMINI_CLI_CODE_ASSIST_URL",
                 "https://cloudcode-pa.googleapis.com/v1internal"},
         .callback_port = 8085,
         .callback_path = "/oauth2callback"},
    };
    return kSpecs;
}

const OAuthSpec* find_oauth_spec(std::string_view name) {
    std::string n(name);
    std::replace(n.begin(), n.end(), '-', '_');
    if (n == "codex" || n == "openai") n = "chatgpt";
    if (n == "gemini_cli_oauth") n = "gemini_cli";
    for (const OAuthSpec& s : oauth_specs()) {
        if (s.provider == n || s.login == n) return &s;
    }
    return nullptr;
}

std::string endpoint_url(const OAuthEndpoint& endpoint, const EnvGetter& env) {
    if (!endpoint.env.empty() && env) {
        const char* v = env(std::string(endpoint.env).c_str());
        if (v && *v) return v;
    }
    return std::string(endpoint.default_url);
}

OAuthClient make_oauth_client(const OAuthSpec& spec, const EnvGetter& env) {
    OAuthClient c;
    c.spec = &spec;
    c.client_id = std::string(spec.client_id);
    auto read = [&](std::string_view name) -> std::string {
        if (name.empty() || !env) return {};
        const char* v = env(std::string(name).c_str());
        return v ? std::string(v) : std::string();
    };
    if (std::string id = read(spec.client_id_env); !id.empty()) c.client_id = id;
    c.client_secret = read(spec.client_secret_env);
    if (spec.provider == "gemini_cli" && c.client_secret.empty()) {
        // Google's token endpoint wants the Gemini CLI's client secret too: it is read from an
        // installed Gemini CLI when the environment does not give it.
        GeminiClientCredentials found = find_gemini_client_credentials(env, /*ask_npm=*/false);
        if (found.found()) {
            c.client_id = found.client_id;
            c.client_secret = found.client_secret;
        }
    }
    c.device_code_url = endpoint_url(spec.device_code, env);
    c.token_url = endpoint_url(spec.token, env);
    c.authorize_url = endpoint_url(spec.authorize, env);
    return c;
}

std::string random_urlsafe(std::size_t n) {
    std::vector<unsigned char> b(n);
    if (RAND_bytes(b.data(), static_cast<int>(n)) != 1) throw std::runtime_error("RAND_bytes");
    return base64url(b.data(), n);
}

std::string pkce_challenge(const std::string& verifier) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(verifier.data()), verifier.size(), digest);
    return base64url(digest, sizeof digest);
}

Pkce make_pkce() {
    Pkce p;
    p.verifier = random_urlsafe(32);
    p.challenge = pkce_challenge(p.verifier);
    return p;
}

RefreshStatus classify_refresh_failure(int http_status, std::string_view body) {
    if (http_status == 0 || http_status == 408 || http_status == 429 || http_status >= 500) {
        return RefreshStatus::kTransient;
    }
    for (std::string_view code : {"invalid_grant", "refresh_token_expired", "refresh_token_reused",
                                  "refresh_token_invalidated"}) {
        if (body.find(code) != std::string_view::npos) return RefreshStatus::kPermanent;
    }
    return http_status == 400 || http_status == 401 || http_status == 403
               ? RefreshStatus::kPermanent
               : RefreshStatus::kTransient;
}

namespace {

// One exchange of the refresh token at the token endpoint.
RefreshOutcome refresh_once(const OAuthClient& client, const TokenRecord& current,
                            std::int64_t now_s) {
    RefreshOutcome out;
    if (current.refresh_token.empty()) {
        out.status = RefreshStatus::kPermanent;
        out.message = "the token file has no refresh token";
        return out;
    }
    if (client.spec->client_secret_env.size() && client.client_secret.empty()) {
        out.status = RefreshStatus::kPermanent;
        out.message =
            fmt::format("{} is not set (needed to refresh)", client.spec->client_secret_env);
        return out;
    }
    std::string body;
    bool form = client.spec->refresh_encoding == RefreshEncoding::kForm;
    if (form) {
        std::vector<std::pair<std::string, std::string>> f = {
            {"grant_type", "refresh_token"},
            {"refresh_token", current.refresh_token},
            {"client_id", client.client_id}};
        if (!client.client_secret.empty()) f.emplace_back("client_secret", client.client_secret);
        body = form_encode(f);
    } else {
        rapidjson::Document d(rapidjson::kObjectType);
        auto& a = d.GetAllocator();
        d.AddMember("client_id", json_str(client.client_id, a), a);
        d.AddMember("grant_type", "refresh_token", a);
        d.AddMember("refresh_token", json_str(current.refresh_token, a), a);
        body = json_stringify(d);
    }
    FetchResult r = post(client, client.token_url, std::move(body), form);
    out.http_status = r.status;
    if (r.status == 0) {
        out.status = RefreshStatus::kTransient;
        out.message = "token endpoint unreachable: " + redact(r.error);
        return out;
    }
    if (r.status != 200) {
        out.status = classify_refresh_failure(r.status, r.body);
        out.message =
            "token endpoint refused the refresh (" + oauth_error_text(r.status, r.body) + ")";
        return out;
    }
    rapidjson::Document d;
    out.record = current;
    if (!json_parse(r.body, d) || !d.IsObject() || !apply_token_answer(d, out.record, now_s)) {
        out.status = RefreshStatus::kTransient;
        out.message = "token endpoint answered 200 without an access_token";
        return out;
    }
    if (client.spec->provider == "chatgpt") fill_chatgpt_claims(out.record);
    out.status = RefreshStatus::kOk;
    return out;
}

// The tokens of the official CLI's file that `ours` was imported from, when that program has
// rotated the shared refresh token since (same account): ours with its tokens; else nullopt.
std::optional<TokenRecord> rotated_by_official_cli(const TokenRecord& ours, const OAuthSpec& spec,
                                                   std::int64_t now_s) {
    auto text = read_file(ours.imported_from);
    if (!text) return std::nullopt;
    TokenParse theirs = parse_token_file(*text);
    if (!theirs.ok || theirs.record.refresh_token.empty() ||
        theirs.record.refresh_token == ours.refresh_token) {
        return std::nullopt;
    }
    if (spec.provider == "chatgpt") fill_chatgpt_claims(theirs.record);
    const std::string& a = ours.account_id;
    const std::string& b = theirs.record.account_id;
    if (!a.empty() && !b.empty() && a != b) return std::nullopt;  // another account now
    TokenRecord out = ours;
    out.access_token = theirs.record.access_token;
    out.refresh_token = theirs.record.refresh_token;
    if (!theirs.record.id_token.empty()) out.id_token = theirs.record.id_token;
    out.expires_at = theirs.record.expires_at;
    out.last_refresh = theirs.record.last_refresh.value_or(now_s);
    if (out.account_id.empty()) out.account_id = b;
    return out;
}

}  // namespace

RefreshOutcome refresh_tokens(const OAuthClient& client, const TokenRecord& current,
                              std::int64_t now_s) {
    RefreshOutcome out = refresh_once(client, current, now_s);
    if (out.status != RefreshStatus::kPermanent || current.imported_from.empty()) return out;
    // Imported tokens share their refresh token with the official CLI: when it rotated the
    // token first, ours is spent (refresh_token_reused), and its file has the new one.
    auto rotated = rotated_by_official_cli(current, *client.spec, now_s);
    if (!rotated) return out;
    log_info("auth",
             "{}: the refresh token was rotated by the program it was imported from; "
             "taking the new tokens in {}",
             client.spec->provider, current.imported_from);
    if (rotated->expires_at && *rotated->expires_at > now_s + 60) {
        RefreshOutcome taken;
        taken.status = RefreshStatus::kOk;
        taken.record = std::move(*rotated);
        return taken;
    }
    return refresh_once(client, *rotated, now_s);
}

DeviceStart start_device_flow(const OAuthClient& client) {
    DeviceStart out;
    out.code.pkce = make_pkce();
    std::string body = form_encode({{"client_id", client.client_id},
                                    {"scope", std::string(client.spec->scope)},
                                    {"code_challenge", out.code.pkce.challenge},
                                    {"code_challenge_method", "S256"}});
    FetchResult r =
        post(client, client.device_code_url, std::move(body), true, {{"x-request-id", uuid4()}});
    if (r.status == 0) {
        out.error = fmt::format("cannot reach {}: {}", client.device_code_url, r.error);
        return out;
    }
    rapidjson::Document d;
    bool json = json_parse(r.body, d) && d.IsObject();
    if (r.status != 200 || !json || string_field(d, "device_code").empty()) {
        out.refused = r.status >= 400 && r.status < 500;
        out.error =
            "the device authorization was refused (" + oauth_error_text(r.status, r.body) + ")";
        return out;
    }
    DeviceCode& c = out.code;
    c.device_code = string_field(d, "device_code");
    c.user_code = string_field(d, "user_code");
    c.verification_uri = string_field(d, "verification_uri");
    c.verification_uri_complete = string_field(d, "verification_uri_complete");
    c.expires_in_s = json_get_int(d, "expires_in", 600);
    if (c.expires_in_s <= 0) c.expires_in_s = 600;
    long long interval = json_get_int(d, "interval", 0);
    if (interval > 0) c.interval_s = static_cast<double>(std::min(interval, 10LL));
    out.ok = true;
    return out;
}

DevicePoll poll_device_token(const OAuthClient& client, const DeviceCode& code,
                             std::int64_t now_s) {
    DevicePoll out;
    std::string body = form_encode({{"grant_type", "urn:ietf:params:oauth:grant-type:device_code"},
                                    {"client_id", client.client_id},
                                    {"device_code", code.device_code},
                                    {"code_verifier", code.pkce.verifier}});
    FetchResult r = post(client, client.token_url, std::move(body), true);
    if (r.status == 0) {
        // A network blip while the user types the code: keep polling until the deadline.
        out.state = DevicePoll::State::kPending;
        return out;
    }
    rapidjson::Document d;
    bool json = json_parse(r.body, d) && d.IsObject();
    std::string error = json ? string_field(d, "error") : std::string();
    if (r.status == 200 && json) {
        if (apply_token_answer(d, out.record, now_s)) {
            if (out.record.token_type.empty()) out.record.token_type = "Bearer";
            out.state = DevicePoll::State::kDone;
            return out;
        }
        out.state = DevicePoll::State::kPending;  // {"status":"pending"}
        return out;
    }
    if (error == "authorization_pending") {
        out.state = DevicePoll::State::kPending;
        return out;
    }
    if (error == "slow_down" || r.status == 429) {
        out.state = DevicePoll::State::kSlowDown;
        return out;
    }
    out.state = DevicePoll::State::kFailed;
    if (error == "expired_token") {
        out.error = "the code expired before it was approved; run the login again";
    } else if (error == "access_denied") {
        out.error = "the login was denied in the browser";
    } else {
        out.error =
            "the token endpoint refused the login (" + oauth_error_text(r.status, r.body) + ")";
    }
    return out;
}

std::optional<std::string> jwt_claims_json(std::string_view jwt) {
    std::size_t a = jwt.find('.');
    std::size_t b = a == std::string_view::npos ? a : jwt.find('.', a + 1);
    if (b == std::string_view::npos) return std::nullopt;
    std::string seg(jwt.substr(a + 1, b - a - 1));
    for (char& c : seg) {
        if (c == '-') c = '+';
        if (c == '_') c = '/';
    }
    while (seg.size() % 4)
        seg += '=';
    std::string out(seg.size() * 3 / 4 + 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(seg.data()),
                            static_cast<int>(seg.size()));
    if (n < 0) return std::nullopt;
    std::size_t pad = 0;
    for (std::size_t i = seg.size(); i > 0 && seg[i - 1] == '='; --i)
        ++pad;
    out.resize(static_cast<std::size_t>(n) -
               std::min<std::size_t>(pad, static_cast<std::size_t>(n)));
    rapidjson::Document d;
    if (!json_parse(out, d) || !d.IsObject()) return std::nullopt;
    return out;
}

void fill_chatgpt_claims(TokenRecord& r) {
    rapidjson::Document d;
    if (auto access = jwt_claims_json(r.access_token); access && json_parse(*access, d)) {
        long long exp = json_get_int(d, "exp", 0);
        if (exp > 0) r.expires_at = exp;
    }
    // The account comes from the id token (as the Codex CLI reads it), else the access token.
    for (const std::string* token : {&r.id_token, &r.access_token}) {
        auto claims = jwt_claims_json(*token);
        if (!claims || !json_parse(*claims, d)) continue;
        if (r.email.empty()) r.email = string_field(d, "email");
        auto it = d.FindMember("https://api.openai.com/auth");
        if (it == d.MemberEnd() || !it->value.IsObject()) continue;
        std::string account = string_field(it->value, "chatgpt_account_id");
        if (!account.empty()) r.account_id = account;
        std::string plan = string_field(it->value, "chatgpt_plan_type");
        if (!plan.empty()) r.plan = plan;
        if (!r.account_id.empty()) break;
    }
}

std::string authorize_url(const OAuthClient& client, const std::string& redirect_uri,
                          const Pkce& pkce, const std::string& state) {
    std::vector<std::pair<std::string, std::string>> q;
    if (client.spec->provider == "chatgpt") {
        q = {{"response_type", "code"},
             {"client_id", client.client_id},
             {"redirect_uri", redirect_uri},
             {"scope", std::string(client.spec->scope)},
             {"code_challenge", pkce.challenge},
             {"code_challenge_method", "S256"},
             {"state", state},
             {"id_token_add_organizations", "true"},
             {"codex_cli_simplified_flow", "true"},
             {"originator", "codex_cli_rs"}};
    } else {
        q = {{"client_id", client.client_id},
             {"response_type", "code"},
             {"redirect_uri", redirect_uri},
             {"scope", std::string(client.spec->scope)},
             {"code_challenge", pkce.challenge},
             {"code_challenge_method", "S256"},
             {"state", state},
             {"access_type", "offline"},
             {"prompt", "consent"}};
    }
    std::string url = client.authorize_url;
    return url + (url.find('?') == std::string::npos ? "?" : "&") + form_encode(q);
}

CodeExchange exchange_code(const OAuthClient& client, const std::string& code,
                           const std::string& verifier, const std::string& redirect_uri,
                           std::int64_t now_s) {
    CodeExchange out;
    std::vector<std::pair<std::string, std::string>> f = {{"grant_type", "authorization_code"},
                                                          {"client_id", client.client_id},
                                                          {"code", code},
                                                          {"code_verifier", verifier},
                                                          {"redirect_uri", redirect_uri}};
    if (!client.client_secret.empty()) f.emplace_back("client_secret", client.client_secret);
    FetchResult r = post(client, client.token_url, form_encode(f), true);
    if (r.status == 0) {
        out.error = fmt::format("cannot reach {}: {}", client.token_url, redact(r.error));
        return out;
    }
    rapidjson::Document d;
    if (r.status != 200 || !json_parse(r.body, d) || !d.IsObject() ||
        !apply_token_answer(d, out.record, now_s)) {
        out.error =
            "the token endpoint refused the code (" + oauth_error_text(r.status, r.body) + ")";
        return out;
    }
    if (out.record.refresh_token.empty()) {
        out.error = "the token endpoint sent no refresh token; log in again";
        return out;
    }
    if (out.record.token_type.empty()) out.record.token_type = "Bearer";
    if (client.spec->provider == "chatgpt") fill_chatgpt_claims(out.record);
    out.ok = true;
    return out;
}

std::string qwen_base_from_resource_url(std::string_view resource_url) {
    std::string base(resource_url);
    while (!base.empty() && (base.back() == '/' || base.back() == ' '))
        base.pop_back();
    if (base.empty()) return {};
    if (base.rfind("http://", 0) != 0 && base.rfind("https://", 0) != 0) base = "https://" + base;
    if (base.size() < 3 || base.compare(base.size() - 3, 3, "/v1") != 0) base += "/v1";
    return base;
}

std::string retired_tier_hint(const OAuthSpec& spec) {
    if (spec.provider == "qwen_portal") {
        return "Qwen ended its free OAuth tier on 2026-04-15 and refuses new logins and old "
               "tokens; use dashscope/<model> with a DASHSCOPE_API_KEY (Alibaba Cloud Model "
               "Studio) instead";
    }
    if (spec.provider == "gemini_cli") {
        return "Google stopped Gemini CLI logins of individual accounts on 2026-06-18; a "
               "Standard or Enterprise Code Assist licence still works (an admin grants it), "
               "else use gemini/<model> with a GEMINI_API_KEY (Google AI Studio)";
    }
    return {};
}

}  // namespace litellm
