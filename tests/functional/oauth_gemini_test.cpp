// `litellmctl auth gemini` against fake Google servers: the Gemini CLI's OAuth client read from
// a fake installed gemini-cli, the authorize URL, the redirect pasted on a headless machine, the
// code exchange with the client secret, the email from userinfo, Code Assist's project found
// by loadCodeAssist and onboardUser (polled until done), then a refresh that sends the secret.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>

#include <gtest/gtest.h>

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

FakeReply reply(int status, const std::string& body) {
    FakeReply r;
    r.status = status;
    r.body = body;
    return r;
}

constexpr const char* kSecret = "GOCSPX-fake_Secret-42";
constexpr const char* kClientId = "123456789-abcdef0123.apps.googleusercontent.com";

class GeminiLogin : public ::testing::Test {
  protected:
    void SetUp() override {
        m_google.set_responder([this](const RecordedRequest& req) { return respond(req); });
        m_home.write(".env", "GEMINI_CLI_OAUTH_TOKEN_URL=" + m_google.base_url() +
                                 "/token\nGEMINI_CLI_OAUTH_USERINFO_URL=" + m_google.base_url() +
                                 "/userinfo\nGEMINI_CLI_CODE_ASSIST_URL=" + m_google.base_url() +
                                 "/v1internal\nGEMINI_CLI_ONBOARD_POLL_MS=50\n"
                                 "GOOGLE_CLOUD_PROJECT=my-proj\n");
        // An installed Gemini CLI (its older layout) under the user's npm prefix.
        std::string dir = m_home.file(
            "user/.npm-global/lib/node_modules/@google/gemini-cli-core/dist/src/code_assist");
        ASSERT_EQ(::system(("mkdir -p '" + dir + "'").c_str()), 0);
        m_home.write(
            "user/.npm-global/lib/node_modules/@google/gemini-cli-core/dist/src/"
            "code_assist/oauth2.js",
            std::string("const OAUTH_CLIENT_ID = '") + kClientId +
                "';\nconst OAUTH_CLIENT_SECRET = '" + kSecret + "';\n");
        m_port = free_port();
    }

    FakeReply respond(const RecordedRequest& req) {
        std::lock_guard lock(m_mutex);
        m_paths.push_back(req.path);
        if (req.path == "/token") {
            auto form = parse_form(req.body);
            if (form["client_secret"] != kSecret || form["client_id"] != kClientId) {
                return reply(401, R"({"error":"invalid_client"})");
            }
            if (form["grant_type"] == "refresh_token") {
                if (form["refresh_token"] != "1//google-rt")
                    return reply(400, R"({"error":"invalid_grant"})");
                return reply(
                    200,
                    R"({"access_token":"ya29.refreshed","expires_in":3599,"token_type":"Bearer"})");
            }
            if (form["grant_type"] != "authorization_code" || form["code"] != "g-code" ||
                form["code_verifier"].size() != 43 ||
                form["redirect_uri"].find("/oauth2callback") == std::string::npos) {
                return reply(400, R"({"error":"invalid_grant"})");
            }
            return reply(
                200,
                R"({"access_token":"ya29.first","refresh_token":"1//google-rt","expires_in":3599,"token_type":"Bearer"})");
        }
        if (req.path == "/userinfo") {
            if (req.header("Authorization") != "Bearer ya29.first") return reply(401, "{}");
            return reply(200, R"({"email":"dev@example.com","verified_email":true})");
        }
        if (req.path == "/v1internal:loadCodeAssist") {
            rapidjson::Document d;
            json_parse(req.body, d);
            if (std::string(json_get_string(d, "cloudaicompanionProject")) != "my-proj") {
                return reply(
                    400,
                    R"({"error":{"code":400,"message":"project","status":"INVALID_ARGUMENT"}})");
            }
            return reply(
                200,
                R"({"allowedTiers":[{"id":"free-tier","isDefault":false},{"id":"standard-tier","isDefault":true,"userDefinedCloudaicompanionProject":true}]})");
        }
        if (req.path == "/v1internal:onboardUser") {
            m_onboard_bodies.push_back(req.body);
            if (m_onboard_bodies.size() < 3)
                return reply(200, R"({"name":"operations/op-1","done":false})");
            return reply(
                200,
                R"({"name":"operations/op-1","done":true,"response":{"cloudaicompanionProject":{"id":"proj-onboarded","name":"p"}}})");
        }
        return reply(404, "{}");
    }

    void start_login() {
        m_fifo = m_home.file("paste.fifo");
        ASSERT_EQ(::mkfifo(m_fifo.c_str(), 0600), 0);
        SpawnOptions o;
        o.argv = {"/bin/sh",
                  "-c",
                  std::string("exec \"$0\" --home \"$1\" auth gemini --no-browser < \"$2\""),
                  LITELLMCTL_BIN,
                  m_home.path(),
                  m_fifo};
        o.env_set["LITELLM_OAUTH_CALLBACK_PORT"] = std::to_string(m_port);
        o.env_set["HOME"] = m_home.file("user");
        o.env_set["PATH"] = "/usr/bin:/bin";  // no gemini, and npm's global root has none
        o.env_set["SSH_CONNECTION"] = "10.0.0.1 5000 10.0.0.2 22";
        o.env_unset = {"LITELLM_SOCKET",
                       "LITELLM_HOME",
                       "DISPLAY",
                       "WAYLAND_DISPLAY",
                       "GEMINI_CLI_OAUTH_CLIENT_ID",
                       "GEMINI_CLI_OAUTH_CLIENT_SECRET"};
        o.stdout_path = m_home.file("login.out");
        o.stderr_path = m_home.file("login.err");
        o.die_with_parent = true;
        ASSERT_TRUE(m_proc.spawn(o));
        m_paste = ::open(m_fifo.c_str(), O_WRONLY);
        ASSERT_GE(m_paste, 0);
    }

    std::string authorize_url() {
        for (int i = 0; i < 400; ++i) {
            std::string err = read_file(m_home.file("login.err")).value_or("");
            auto p = err.find("https://accounts.google.com/o/oauth2/v2/auth?");
            if (p != std::string::npos && err.find('\n', p) != std::string::npos) {
                return err.substr(p, err.find('\n', p) - p);
            }
            std::this_thread::sleep_for(25ms);
        }
        return {};
    }

    TempHome m_home;
    std::mutex m_mutex;
    std::vector<std::string> m_paths, m_onboard_bodies;
    int m_port = 0;
    std::string m_fifo;
    int m_paste = -1;
    Subprocess m_proc;
    // Last, so it stops first: its threads call respond(), which uses the members above.
    FakeUpstream m_google;
};

TEST_F(GeminiLogin, PastedRedirectThenProjectSetupThenRefresh) {
    start_login();
    std::string url = authorize_url();
    ASSERT_FALSE(url.empty()) << read_file(m_home.file("login.err")).value_or("");
    auto q = parse_form(url.substr(url.find('?') + 1));
    EXPECT_EQ(q["client_id"], kClientId);  // the installed CLI's client
    EXPECT_EQ(q["redirect_uri"], "http://localhost:" + std::to_string(m_port) + "/oauth2callback");
    EXPECT_EQ(q["access_type"], "offline");
    EXPECT_EQ(q["prompt"], "consent");
    EXPECT_EQ(q["code_challenge_method"], "S256");
    EXPECT_NE(q["scope"].find("cloud-platform"), std::string::npos);
    std::string err = read_file(m_home.file("login.err")).value_or("");
    EXPECT_EQ(err.find(kSecret), std::string::npos) << "the secret is never printed";
    std::string pasted = q["redirect_uri"] + "?state=" + q["state"] + "&code=g-code&scope=x\n";
    ASSERT_EQ(::write(m_paste, pasted.data(), pasted.size()), static_cast<ssize_t>(pasted.size()));
    auto rc = m_proc.wait(30000);
    ::close(m_paste);
    err = read_file(m_home.file("login.err")).value_or("");
    ASSERT_EQ(rc.value_or(-1), 0) << err;
    EXPECT_NE(err.find("dev@example.com"), std::string::npos) << err;
    EXPECT_NE(err.find("setting up Code Assist"), std::string::npos) << err;  // progress shown
    EXPECT_EQ(err.find(kSecret), std::string::npos);

    TokenParse t = parse_token_file(read_file(m_home.file("auth.gemini_cli.json")).value_or(""));
    ASSERT_TRUE(t.ok) << t.error;
    EXPECT_EQ(t.record.access_token, "ya29.first");
    EXPECT_EQ(t.record.refresh_token, "1//google-rt");
    EXPECT_EQ(t.record.email, "dev@example.com");
    EXPECT_EQ(t.record.project_id, "proj-onboarded");
    EXPECT_EQ(t.record.plan, "standard-tier");
    {
        std::lock_guard lock(m_mutex);
        ASSERT_EQ(m_onboard_bodies.size(), 3u);  // polled until done
        rapidjson::Document ob;
        ASSERT_TRUE(json_parse(m_onboard_bodies[0], ob));
        EXPECT_STREQ(ob["tierId"].GetString(), "standard-tier");
        EXPECT_STREQ(ob["cloudaicompanionProject"].GetString(), "my-proj");
    }
    struct stat st {};
    ASSERT_EQ(::stat(m_home.file("auth.gemini_cli.json").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);

    // A refresh (no daemon) sends the client secret found the same way.
    SpawnOptions r;
    r.argv = {LITELLMCTL_BIN, "--home", m_home.path(), "auth", "refresh", "gemini"};
    r.env_set["HOME"] = m_home.file("user");
    r.env_set["PATH"] = "/usr/bin:/bin";
    r.env_unset = {"LITELLM_SOCKET", "LITELLM_HOME", "GEMINI_CLI_OAUTH_CLIENT_ID",
                   "GEMINI_CLI_OAUTH_CLIENT_SECRET"};
    RunResult refreshed = run_capture(r, 20000);
    ASSERT_EQ(refreshed.exit_code, 0) << refreshed.err;
    TokenParse after =
        parse_token_file(read_file(m_home.file("auth.gemini_cli.json")).value_or(""));
    EXPECT_EQ(after.record.access_token, "ya29.refreshed");
    EXPECT_EQ(after.record.refresh_token, "1//google-rt");  // kept: Google sent none
    EXPECT_EQ(after.record.project_id, "proj-onboarded");
}

}  // namespace
}  // namespace litellm::test
