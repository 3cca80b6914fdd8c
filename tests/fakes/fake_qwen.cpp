#include "fakes/fake_qwen.hpp"

#include <chrono>
#include <thread>

namespace litellm::test {

namespace {

std::string url_decode(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out += ' ';
        } else if (s[i] == '%' && i + 2 < s.size()) {
            out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

FakeReply json_reply(int status, const std::string& body) {
    FakeReply r;
    r.status = status;
    r.body = body;
    return r;
}

}  // namespace

std::map<std::string, std::string> parse_form(const std::string& body) {
    std::map<std::string, std::string> out;
    std::size_t pos = 0;
    while (pos <= body.size()) {
        std::size_t amp = body.find('&', pos);
        std::string pair =
            body.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
        std::size_t eq = pair.find('=');
        if (!pair.empty()) {
            out[url_decode(pair.substr(0, eq))] =
                eq == std::string::npos ? "" : url_decode(pair.substr(eq + 1));
        }
        if (amp == std::string::npos) break;
        pos = amp + 1;
    }
    return out;
}

FakeQwen::FakeQwen() {
    m_server.set_responder([this](const RecordedRequest& req) { return respond(req); });
}

std::string FakeQwen::dotenv() const {
    return "QWEN_PORTAL_OAUTH_DEVICE_CODE_URL=" + device_code_url() +
           "\nQWEN_PORTAL_OAUTH_TOKEN_URL=" + token_url() + "\n";
}

std::string FakeQwen::token_file(int n, long long expires_at) const {
    return "{\n  \"access_token\": \"qwen-at-" + std::to_string(n) +
           "\",\n  \"refresh_token\": \"qwen-rt-" + std::to_string(n) +
           "\",\n  \"expires_at\": " + std::to_string(expires_at) + ",\n  \"resource_url\": \"" +
           base_url() + "\",\n  \"token_type\": \"Bearer\"\n}\n";
}

void FakeQwen::set_login_script(int pending, int slow_down) {
    std::lock_guard lock(m_mutex);
    m_pending = pending;
    m_slow_down = slow_down;
}

void FakeQwen::set_keep_history(bool keep) {
    m_keep_history = keep;
    m_server.set_keep_history(keep);
}

void FakeQwen::revoke_current_access() {
    std::lock_guard lock(m_mutex);
    m_refused_access.insert("Bearer qwen-at-" + std::to_string(m_issued));
}

void FakeQwen::set_current(int n) {
    std::lock_guard lock(m_mutex);
    m_issued = n;
}

std::vector<std::string> FakeQwen::chat_tokens() const {
    std::lock_guard lock(m_mutex);
    return m_chat_tokens;
}

std::string FakeQwen::last_challenge() const {
    std::lock_guard lock(m_mutex);
    return m_challenge;
}

std::string FakeQwen::last_verifier() const {
    std::lock_guard lock(m_mutex);
    return m_verifier;
}

FakeReply FakeQwen::respond(const RecordedRequest& req) {
    if (req.path == "/api/v1/oauth2/device/code") {
        ++m_device_requests;
        if (m_refuse_logins) {
            return json_reply(403, R"({"error":"access_denied","error_description":"Qwen OAuth )"
                                   R"(free tier has been discontinued"})");
        }
        auto form = parse_form(req.body);
        std::lock_guard lock(m_mutex);
        m_challenge = form["code_challenge"];
        if (form["code_challenge_method"] != "S256" || form["client_id"].empty()) {
            return json_reply(400, R"({"error":"invalid_request"})");
        }
        return json_reply(
            200,
            R"({"device_code":"dev-123","user_code":"ABCD-1234",)"
            R"("verification_uri":"https://chat.qwen.ai/authorize",)"
            R"("verification_uri_complete":"https://chat.qwen.ai/authorize?user_code=ABCD-1234",)"
            R"("expires_in":300,"interval":1})");
    }
    if (req.path == "/api/v1/oauth2/token") return token(parse_form(req.body));
    if (req.path.size() >= 17 &&
        req.path.compare(req.path.size() - 17, 17, "/chat/completions") == 0) {
        std::string auth = req.header("Authorization");
        bool ok;
        {
            std::lock_guard lock(m_mutex);
            if (m_keep_history) m_chat_tokens.push_back(auth);
            ok = !m_revoked && auth == "Bearer qwen-at-" + std::to_string(m_issued) &&
                 m_refused_access.count(auth) == 0;
        }
        if (!ok) {
            return json_reply(
                401, R"({"error":{"message":"invalid access token or token )"
                     R"(expired","type":"invalid_request_error","code":"invalid_api_key"}})");
        }
        if (req.body.find("\"stream\":true") != std::string::npos) {
            FakeReply r = openai_fake::stream_text({"hello ", "from ", "qwen"});
            r.delay_between_chunks_ms = m_chunk_delay_ms.load();
            return r;
        }
        return openai_fake::text("hello from qwen");
    }
    return json_reply(404, R"({"error":"not found"})");
}

FakeReply FakeQwen::token(const std::map<std::string, std::string>& form) {
    auto get = [&](const char* k) {
        auto it = form.find(k);
        return it == form.end() ? std::string() : it->second;
    };
    std::string grant = get("grant_type");
    if (grant == "urn:ietf:params:oauth:grant-type:device_code") {
        ++m_polls;
        std::lock_guard lock(m_mutex);
        m_verifier = get("code_verifier");
        if (get("device_code") != "dev-123") return json_reply(400, R"({"error":"invalid_grant"})");
        if (m_pending > 0) {
            --m_pending;
            return json_reply(400, R"({"error":"authorization_pending"})");
        }
        if (m_slow_down > 0) {
            --m_slow_down;
            return json_reply(429, R"({"error":"slow_down"})");
        }
        int n = ++m_issued;
        return json_reply(200, "{\"access_token\":\"qwen-at-" + std::to_string(n) +
                                   "\",\"refresh_token\":\"qwen-rt-" + std::to_string(n) +
                                   "\",\"token_type\":\"Bearer\",\"expires_in\":" +
                                   std::to_string(m_expires_in.load()) + ",\"resource_url\":\"" +
                                   base_url() + "\"}");
    }
    if (grant == "refresh_token") {
        ++m_refreshes;
        if (int d = m_refresh_delay_ms.load(); d > 0) {
            std::this_thread::sleep_for(std::chrono::milliseconds(d));
        }
        if (int f = m_refresh_failure.load(); f == 400) {
            return json_reply(400, R"({"error":"invalid_grant","error_description":"refresh )"
                                   R"(token expired"})");
        } else if (f != 0) {
            return json_reply(f, R"({"error":"server_error"})");
        }
        std::lock_guard lock(m_mutex);
        if (get("refresh_token") != "qwen-rt-" + std::to_string(m_issued)) {
            return json_reply(400, R"({"error":"invalid_grant","error_description":"refresh )"
                                   R"(token reused"})");
        }
        int n = ++m_issued;
        // The answer omits resource_url: the client must keep the one it has.
        return json_reply(200, "{\"access_token\":\"qwen-at-" + std::to_string(n) +
                                   "\",\"refresh_token\":\"qwen-rt-" + std::to_string(n) +
                                   "\",\"token_type\":\"Bearer\",\"expires_in\":" +
                                   std::to_string(m_expires_in.load()) + "}");
    }
    return json_reply(400, R"({"error":"unsupported_grant_type"})");
}

}  // namespace litellm::test
