// `litellmctl auth chatgpt` against a fake OpenAI issuer: the authorize URL, the redirect pasted
// into the terminal (a headless machine) or received by the loopback server, the code exchange,
// the account and plan read from the id token, and the JSON refresh.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/evp.h>

#include "common/fs.hpp"
#include "common/json.hpp"
#include "common/process.hpp"
#include "common/token_file.hpp"
#include "fakes/fake_qwen.hpp"
#include "fakes/fake_upstream.hpp"
#include "functional/harness.hpp"

namespace litellm::test {
namespace {

using namespace std::chrono_literals;

long long now_s() {
    return static_cast<long long>(std::time(nullptr));
}

std::string b64url(const std::string& s) {
    std::string out(4 * ((s.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(s.data()),
                            static_cast<int>(s.size()));
    out.resize(static_cast<std::size_t>(n));
    for (char& c : out) {
        if (c == '+') c = '-';
        if (c == '/') c = '_';
    }
    while (!out.empty() && out.back() == '=')
        out.pop_back();
    return out;
}

std::string jwt(const std::string& claims) {
    return b64url(R"({"alg":"RS256","typ":"JWT"})") + "." + b64url(claims) + ".c2ln";
}

FakeReply reply(int status, const std::string& body) {
    FakeReply r;
    r.status = status;
    r.body = body;
    return r;
}

// The issuer's token endpoint: the code exchange and refreshes.
class FakeIssuer {
  public:
    FakeIssuer() {
        m_server.set_responder([this](const RecordedRequest& req) { return respond(req); });
    }
    std::string token_url() const { return m_server.base_url() + "/oauth/token"; }
    long long exp() const { return m_exp; }
    std::vector<RecordedRequest> requests() const { return m_server.requests(); }

  private:
    FakeReply answer(int n) {
        FakeReply r;
        r.body = "{\"access_token\":\"" + jwt("{\"exp\":" + std::to_string(m_exp + n) + "}") +
                 "\",\"refresh_token\":\"oai-rt-" + std::to_string(n) + "\",\"id_token\":\"" +
                 jwt(R"({"email":"user@example.com","https://api.openai.com/auth":)"
                     R"({"chatgpt_account_id":"acct-42","chatgpt_plan_type":"pro"}})") +
                 "\",\"expires_in\":864000}";
        return r;
    }
    FakeReply respond(const RecordedRequest& req) {
        if (req.path != "/oauth/token") return reply(404, "{}");
        if (req.header("Content-Type").find("application/json") == 0) {
            rapidjson::Document d;
            if (!json_parse(req.body, d) ||
                std::string(json_get_string(d, "grant_type")) != "refresh_token" ||
                d.HasMember("scope")) {
                return reply(400, R"({"error":"invalid_request"})");
            }
            return answer(2);
        }
        auto form = parse_form(req.body);
        if (form["grant_type"] != "authorization_code" || form["code"] != "the-code" ||
            form["code_verifier"].size() != 43 ||
            form["client_id"] != "app_EMoamEEZ73f0CkXaXp7hrann" ||
            form["redirect_uri"].find("/auth/callback") == std::string::npos) {
            return reply(400, R"({"error":"invalid_grant"})");
        }
        return answer(1);
    }

    long long m_exp = now_s() + 7200;
    FakeUpstream m_server;
};

class ChatGptLogin : public ::testing::Test {
  protected:
    void SetUp() override {
        m_home.write(".env", "CHATGPT_OAUTH_TOKEN_URL=" + m_issuer.token_url() + "\n");
        m_port = free_port();
    }

    // Starts `auth chatgpt` with stdin from a FIFO the test writes the pasted redirect into.
    void start_login(bool headless) {
        m_fifo = m_home.file("paste.fifo");
        ASSERT_EQ(::mkfifo(m_fifo.c_str(), 0600), 0);
        SpawnOptions o;
        o.argv = {"/bin/sh",
                  "-c",
                  std::string("exec \"$0\" --home \"$1\" auth chatgpt --no-browser < \"$2\""),
                  LITELLMCTL_BIN,
                  m_home.path(),
                  m_fifo};
        o.env_set["LITELLM_OAUTH_CALLBACK_PORT"] = std::to_string(m_port);
        o.env_set["HOME"] = m_home.file("user");
        if (headless) o.env_set["SSH_CONNECTION"] = "10.0.0.1 5000 10.0.0.2 22";
        o.env_unset = {"LITELLM_SOCKET", "LITELLM_HOME", "DISPLAY", "WAYLAND_DISPLAY"};
        o.stdout_path = m_home.file("login.out");
        o.stderr_path = m_home.file("login.err");
        o.die_with_parent = true;
        ASSERT_TRUE(m_proc.spawn(o));
        m_paste = ::open(m_fifo.c_str(), O_WRONLY);  // blocks until the shell opened it
        ASSERT_GE(m_paste, 0);
    }

    // The authorize URL litellmctl printed.
    std::string authorize_url() {
        std::string url;
        for (int i = 0; i < 200 && url.empty(); ++i) {
            std::string err = read_file(m_home.file("login.err")).value_or("");
            auto p = err.find("https://auth.openai.com/oauth/authorize?");
            if (p != std::string::npos) {
                auto e = err.find('\n', p);
                if (e != std::string::npos) url = err.substr(p, e - p);
            }
            if (url.empty()) std::this_thread::sleep_for(25ms);
        }
        return url;
    }

    static std::string param(const std::string& url, const std::string& name) {
        auto q = url.find('?');
        return parse_form(url.substr(q + 1))[name];
    }

    int finish() {
        auto rc = m_proc.wait(20000);
        if (m_paste >= 0) ::close(m_paste);
        m_paste = -1;
        return rc.value_or(-1);
    }

    TempHome m_home;
    FakeIssuer m_issuer;
    int m_port = 0;
    std::string m_fifo;
    int m_paste = -1;
    Subprocess m_proc;
};

TEST_F(ChatGptLogin, PastedRedirectOnAHeadlessMachine) {
    start_login(/*headless=*/true);
    std::string url = authorize_url();
    ASSERT_FALSE(url.empty()) << read_file(m_home.file("login.err")).value_or("");
    // The parameters the Codex CLI sends, in its order.
    EXPECT_EQ(url.find("https://auth.openai.com/oauth/authorize?response_type=code&client_id="
                       "app_EMoamEEZ73f0CkXaXp7hrann&redirect_uri="),
              0u)
        << url;
    EXPECT_EQ(param(url, "redirect_uri"),
              "http://localhost:" + std::to_string(m_port) + "/auth/callback");
    EXPECT_EQ(param(url, "code_challenge_method"), "S256");
    EXPECT_EQ(param(url, "codex_cli_simplified_flow"), "true");
    EXPECT_EQ(param(url, "originator"), "codex_cli_rs");
    EXPECT_EQ(param(url, "scope"), "openid profile email offline_access");
    std::string err = read_file(m_home.file("login.err")).value_or("");
    EXPECT_NE(err.find("ssh -L " + std::to_string(m_port) + ":localhost:" + std::to_string(m_port)),
              std::string::npos)
        << err;
    std::string pasted =
        param(url, "redirect_uri") + "?code=the-code&state=" + param(url, "state") + "\n";
    ASSERT_EQ(::write(m_paste, pasted.data(), pasted.size()), static_cast<ssize_t>(pasted.size()));
    EXPECT_EQ(finish(), 0) << read_file(m_home.file("login.err")).value_or("");
    auto text = read_file(m_home.file("auth.chatgpt.json"));
    ASSERT_TRUE(text);
    TokenParse t = parse_token_file(*text);
    ASSERT_TRUE(t.ok) << t.error;
    EXPECT_EQ(t.record.account_id, "acct-42");
    EXPECT_EQ(t.record.plan, "pro");
    EXPECT_EQ(t.record.email, "user@example.com");
    EXPECT_EQ(t.record.refresh_token, "oai-rt-1");
    EXPECT_FALSE(t.record.id_token.empty());
    EXPECT_EQ(*t.record.expires_at, m_issuer.exp() + 1);  // the access token's own exp
    struct stat st {};
    ASSERT_EQ(::stat(m_home.file("auth.chatgpt.json").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_NE(read_file(m_home.file("login.err")).value_or("").find("acct-42 (pro plan)"),
              std::string::npos);

    // A refresh is a JSON body without scope, and re-reads the claims.
    SpawnOptions r;
    r.argv = {LITELLMCTL_BIN, "--home", m_home.path(), "auth", "refresh", "codex", "--json"};
    r.env_unset = {"LITELLM_SOCKET", "LITELLM_HOME"};
    RunResult refreshed = run_capture(r, 20000);
    ASSERT_EQ(refreshed.exit_code, 0) << refreshed.err;
    TokenParse after = parse_token_file(read_file(m_home.file("auth.chatgpt.json")).value_or(""));
    EXPECT_EQ(after.record.refresh_token, "oai-rt-2");
    EXPECT_EQ(*after.record.expires_at, m_issuer.exp() + 2);
    EXPECT_EQ(after.record.account_id, "acct-42");
}

TEST_F(ChatGptLogin, TheBrowsersRedirectReachesTheLoopbackServer) {
    start_login(/*headless=*/false);
    std::string url = authorize_url();
    ASSERT_FALSE(url.empty());
    httplib::Client browser("127.0.0.1", m_port);
    // Anyone on the machine can reach the port: a foreign state is refused, the login says so
    // and keeps waiting (it neither completes nor ends), and nothing is written.
    auto wrong = browser.Get("/auth/callback?code=the-code&state=not-ours");
    ASSERT_TRUE(wrong);
    EXPECT_EQ(wrong->status, 400);
    auto denied = browser.Get("/auth/callback?error=access_denied");
    ASSERT_TRUE(denied);
    EXPECT_EQ(denied->status, 400);
    EXPECT_FALSE(path_exists(m_home.file("auth.chatgpt.json")));
    std::string err;
    for (int i = 0; i < 100; ++i) {
        err = read_file(m_home.file("login.err")).value_or("");
        if (err.find("still waiting") != std::string::npos) break;
        std::this_thread::sleep_for(50ms);
    }
    EXPECT_NE(err.find("ignored a redirect"), std::string::npos) << err;
    EXPECT_EQ(err.find("the-code"), std::string::npos) << err;
    auto ok = browser.Get("/auth/callback?code=the-code&state=" + param(url, "state"));
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200);
    EXPECT_NE(ok->body.find("Authentication successful"), std::string::npos);
    EXPECT_EQ(finish(), 0) << read_file(m_home.file("login.err")).value_or("");
    EXPECT_TRUE(path_exists(m_home.file("auth.chatgpt.json")));
}

// `auth import chatgpt` shares the Codex CLI's rotating refresh token. When the CLI refreshes
// first, ours is spent (refresh_token_reused): the daemon re-reads the CLI's file, takes the
// rotated token and refreshes with it, instead of asking for a new login.
TEST(ChatGptImport, ARefreshTheCodexCliRotatedFirstIsTakenFromItsFile) {
    TempHome home;
    FakeUpstream issuer;
    std::mutex seen_mutex;
    std::vector<std::string> refresh_tokens_seen;  // written by the fake's thread
    auto seen = [&] {
        std::lock_guard lock(seen_mutex);
        return refresh_tokens_seen;
    };
    issuer.set_responder([&](const RecordedRequest& req) {
        rapidjson::Document d;
        if (req.path != "/oauth/token" || !json_parse(req.body, d)) return reply(400, "{}");
        std::string rt(json_get_string(d, "refresh_token"));
        std::lock_guard lock(seen_mutex);
        refresh_tokens_seen.push_back(rt);
        if (rt != "cli-rt-2") {
            return reply(401,
                         R"({"error":{"message":"Your refresh token has already been used)"
                         R"( to generate a new access token.","code":"refresh_token_reused"}})");
        }
        return reply(200, "{\"access_token\":\"" +
                              jwt("{\"exp\":" + std::to_string(now_s() + 7200) + "}") +
                              "\",\"refresh_token\":\"ours-rt-3\",\"expires_in\":7200}");
    });
    home.write(".env", "CHATGPT_OAUTH_TOKEN_URL=" + issuer.base_url() + "/oauth/token\n");
    std::string id_token = jwt(R"({"email":"user@example.com","https://api.openai.com/auth":)"
                               R"({"chatgpt_account_id":"acct-42","chatgpt_plan_type":"plus"}})");
    auto codex_file = [&](const std::string& rt, long long exp) {
        return "{\"OPENAI_API_KEY\":null,\"tokens\":{\"id_token\":\"" + id_token +
               "\",\"access_token\":\"" + jwt("{\"exp\":" + std::to_string(exp) + "}") +
               "\",\"refresh_token\":\"" + rt +
               "\",\"account_id\":\"acct-42\"},\"last_refresh\":\"2026-11-30T10:00:00Z\"}\n";
    };
    std::string codex_home = home.file("codex");
    ASSERT_TRUE(ensure_directory(codex_home, 0700, nullptr));
    home.write("codex/auth.json", codex_file("shared-rt-1", now_s() + 3600));

    SpawnOptions imp;
    imp.argv = {LITELLMCTL_BIN, "--home", home.path(), "auth", "import", "chatgpt"};
    imp.env_set["CODEX_HOME"] = codex_home;
    imp.env_unset = {"LITELLM_SOCKET", "LITELLM_HOME"};
    RunResult imported = run_capture(imp, 20000);
    ASSERT_EQ(imported.exit_code, 0) << imported.err;
    EXPECT_NE(imported.err.find("re-reads"), std::string::npos) << imported.err;
    TokenParse ours = parse_token_file(read_file(home.file("auth.chatgpt.json")).value_or(""));
    ASSERT_TRUE(ours.ok);
    EXPECT_EQ(ours.record.imported_from, codex_home + "/auth.json");
    EXPECT_EQ(ours.record.account_id, "acct-42");

    // The Codex CLI refreshes: its file now holds the rotated token (and an expired access
    // token, so litellmd must refresh with the new one).
    home.write("codex/auth.json", codex_file("cli-rt-2", now_s() - 60));
    DaemonProcess daemon{home};
    std::string error;
    ASSERT_TRUE(daemon.start({}, &error)) << error;
    RunResult refreshed = run_ctl(home, {"auth", "refresh", "chatgpt", "--json"});
    EXPECT_EQ(refreshed.exit_code, 0) << refreshed.out << refreshed.err;
    ASSERT_EQ(seen().size(), 2u);
    EXPECT_EQ(seen()[0], "shared-rt-1");
    EXPECT_EQ(seen()[1], "cli-rt-2");
    TokenParse after = parse_token_file(read_file(home.file("auth.chatgpt.json")).value_or(""));
    ASSERT_TRUE(after.ok);
    EXPECT_EQ(after.record.refresh_token, "ours-rt-3");
    EXPECT_EQ(after.record.imported_from, codex_home + "/auth.json");
    auto status = parse_json(run_ctl(home, {"auth", "status", "--json"}).out);
    EXPECT_NE(json_stringify(status).find("\"valid\""), std::string::npos)
        << json_stringify(status);

    // Another account's tokens in that file are never taken.
    home.write("codex/auth.json",
               "{\"tokens\":{\"access_token\":\"x\",\"refresh_token\":\"cli-rt-2\","
               "\"account_id\":\"acct-other\"}}\n");
    RunResult refused = run_ctl(home, {"auth", "refresh", "chatgpt"});
    EXPECT_NE(refused.exit_code, 0);
    ASSERT_EQ(seen().size(), 3u);  // ours only ("ours-rt-3" is refused), not theirs
    EXPECT_EQ(seen()[2], "ours-rt-3");
}

}  // namespace
}  // namespace litellm::test
