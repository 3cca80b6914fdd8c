// The token store end to end, with the Qwen Portal as the provider: the real `litellmctl auth
// qwen` device flow against a fake (through a running daemon, and with none), refresh ahead of
// expiry, single flight, a 401 answered by a new token, tokens rotated by another program, a
// refused refresh token, a corrupt file, and kill -9 during refresh writes.

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <httplib.h>

#include "common/fs.hpp"
#include "common/json.hpp"
#include "common/oauth.hpp"
#include "common/paths.hpp"
#include "common/process.hpp"
#include "common/rpc_client.hpp"
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

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout = 15s) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
        if (done()) return true;
        std::this_thread::sleep_for(50ms);
    }
    return done();
}

const char* const kChat = R"({"model":"coder","messages":[{"role":"user","content":"hi"}]})";

class QwenOAuth : public ::testing::Test {
  protected:
    void SetUp() override {
        m_backup.set_default_reply(openai_fake::text("hello from the backup"));
        write_config();
        m_home.write(".env", m_qwen.dotenv());
    }

    void write_config(bool with_backup = true) {
        std::string cfg =
            "model_list:\n"
            "  - model_name: coder\n"
            "    litellm_params:\n"
            "      model: qwen_portal/qwen3-coder-plus\n"
            "  - model_name: qwen-only\n"
            "    litellm_params:\n"
            "      model: qwen_portal/qwen3-coder-plus\n";
        if (with_backup) {
            cfg +=
                "  - model_name: backup\n"
                "    litellm_params:\n"
                "      model: openai/backup-1\n"
                "      api_base: " +
                m_backup.base_url() +
                "/v1\n"
                "      api_key: k\n"
                "router_settings:\n"
                "  num_retries: 0\n"
                "  fallbacks:\n"
                "    - coder: [backup]\n";
        }
        m_home.write("config.yaml", cfg);
    }

    std::string token_path() const { return m_home.file("auth.qwen_portal.json"); }

    TokenRecord tokens_on_disk() const {
        return parse_token_file(read_file(token_path()).value_or("")).record;
    }

    RunResult ctl(const std::vector<std::string>& args, int timeout_ms = 60000) {
        SpawnOptions o;
        o.argv = {LITELLMCTL_BIN, "--home", m_home.path()};
        for (const auto& a : args)
            o.argv.push_back(a);
        o.env_unset = {"LITELLM_SOCKET", "LITELLM_HOME", "DISPLAY", "WAYLAND_DISPLAY"};
        o.env_set["HOME"] = m_home.file("user");
        return run_capture(o, timeout_ms);
    }

    httplib::Result chat(int port, const char* body = kChat) {
        httplib::Client c("127.0.0.1", port);
        c.set_read_timeout(30, 0);
        return c.Post("/v1/chat/completions", body, "application/json");
    }

    rapidjson::Document auth_status() { return parse_json(ctl({"auth", "status", "--json"}).out); }

    std::string qwen_state() {
        auto d = auth_status();
        for (const auto& p : d["providers"].GetArray()) {
            if (std::string(p["provider"].GetString()) == "qwen_portal")
                return p["state"].GetString();
        }
        return "?";
    }

    FakeQwen m_qwen;
    FakeUpstream m_backup;
    TempHome m_home;
};

// ---- logins ---------------------------------------------------------------------------------

TEST_F(QwenOAuth, DeviceLoginThroughTheRunningDaemon) {
    DaemonProcess daemon(m_home);
    std::string error;
    ASSERT_TRUE(daemon.start({}, &error)) << error;
    m_qwen.set_login_script(/*pending=*/1, /*slow_down=*/1);
    auto login = ctl({"auth", "qwen", "--no-browser"});
    ASSERT_EQ(login.exit_code, 0) << login.out << login.err;
    EXPECT_NE(login.err.find("ABCD-1234"), std::string::npos) << login.err;
    EXPECT_NE(login.err.find("https://chat.qwen.ai/authorize?user_code=ABCD-1234"),
              std::string::npos);
    EXPECT_NE(login.out.find("Logged in to Qwen Portal"), std::string::npos) << login.out;
    EXPECT_NE(login.out.find("through litellmd"), std::string::npos) << login.out;
    EXPECT_EQ(m_qwen.polls(), 3);  // pending, slow_down, approved
    // PKCE: the verifier sent with the polls hashes to the challenge sent first.
    EXPECT_EQ(pkce_challenge(m_qwen.last_verifier()), m_qwen.last_challenge());
    EXPECT_EQ(m_qwen.last_verifier().size(), 43u);

    struct stat st {};
    ASSERT_EQ(::stat(token_path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    TokenRecord t = tokens_on_disk();
    EXPECT_EQ(t.access_token, "qwen-at-1");
    EXPECT_EQ(t.refresh_token, "qwen-rt-1");
    EXPECT_EQ(t.resource_url, m_qwen.base_url());
    ASSERT_TRUE(t.expires_at);
    EXPECT_NEAR(static_cast<double>(*t.expires_at), static_cast<double>(now_s() + 3600), 30);

    // The daemon uses it at once, at the host the token names.
    auto r = chat(daemon.http_port());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_NE(r->body.find("hello from qwen"), std::string::npos);
    EXPECT_EQ(m_qwen.chat_tokens().back(), "Bearer qwen-at-1");
    EXPECT_EQ(qwen_state(), "valid");
    auto status = parse_json(ctl({"status", "--json"}).out);
    for (const auto& p : status["providers"].GetArray()) {
        if (std::string(p["name"].GetString()) == "qwen_portal") {
            EXPECT_STREQ(p["credential"].GetString(), "ok");
        }
    }
}

TEST_F(QwenOAuth, DeviceLoginWithTheDaemonDownWritesTheFileItself) {
    auto login = ctl({"auth", "qwen", "--no-browser", "--json"});
    ASSERT_EQ(login.exit_code, 0) << login.out << login.err;
    auto d = parse_json(login.out);
    EXPECT_FALSE(d["through_daemon"].GetBool());
    EXPECT_EQ(std::string(d["file"].GetString()), token_path());
    EXPECT_EQ(tokens_on_disk().access_token, "qwen-at-1");
    struct stat st {};
    ASSERT_EQ(::stat(token_path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_EQ(qwen_state(), "valid");  // offline status reads the same file the same way

    DaemonProcess daemon(m_home);
    std::string error;
    ASSERT_TRUE(daemon.start({}, &error)) << error;
    auto r = chat(daemon.http_port());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
}

TEST_F(QwenOAuth, ARefusedLoginSaysTheFreeTierEndedAndNamesTheReplacement) {
    m_qwen.refuse_logins(true);
    auto login = ctl({"auth", "qwen", "--no-browser"});
    EXPECT_EQ(login.exit_code, 1);
    EXPECT_NE(login.err.find("refused"), std::string::npos) << login.err;
    EXPECT_NE(login.err.find("free tier has been discontinued"), std::string::npos) << login.err;
    EXPECT_NE(login.err.find("dashscope/<model> with a DASHSCOPE_API_KEY"), std::string::npos)
        << login.err;
    EXPECT_FALSE(path_exists(token_path()));
}

// ---- refresh ---------------------------------------------------------------------------------

TEST_F(QwenOAuth, TheTimerRefreshesAheadOfExpiryWithoutARequest) {
    m_qwen.set_current(1);
    m_home.write("auth.qwen_portal.json", m_qwen.token_file(1, now_s() + 120));  // inside 5 min
    DaemonProcess daemon(m_home);
    std::string error;
    ASSERT_TRUE(daemon.start({}, &error)) << error;
    ASSERT_TRUE(eventually([&] { return tokens_on_disk().access_token == "qwen-at-2"; }))
        << read_file(token_path()).value_or("");
    EXPECT_EQ(m_qwen.refreshes(), 1);
    EXPECT_TRUE(m_qwen.chat_tokens().empty());  // no request needed for it
    TokenRecord t = tokens_on_disk();
    EXPECT_EQ(t.refresh_token, "qwen-rt-2");
    EXPECT_EQ(t.resource_url, m_qwen.base_url());  // kept: the answer did not repeat it
    struct stat st {};
    ASSERT_EQ(::stat(token_path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    auto r = chat(daemon.http_port());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    auto s = auth_status();
    for (const auto& p : s["providers"].GetArray()) {
        if (std::string(p["provider"].GetString()) != "qwen_portal") continue;
        EXPECT_EQ(p["refreshes"].GetInt(), 1);
        EXPECT_TRUE(p["used"].GetBool());
        EXPECT_GT(p["next_refresh_at"].GetInt64(), now_s() + 3000);  // an hour's token, 5 min early
    }
}

TEST_F(QwenOAuth, TwentyRequestsOnAnExpiredTokenShareOneRefreshAndNoneSendsIt) {
    m_qwen.set_current(1);
    m_qwen.set_refresh_delay_ms(700);
    m_home.write("auth.qwen_portal.json", m_qwen.token_file(1, now_s() - 60));
    DaemonProcess daemon(m_home);
    std::string error;
    ASSERT_TRUE(daemon.start({}, &error)) << error;
    int port = daemon.http_port();
    std::atomic<int> ok{0};
    std::vector<std::thread> clients;
    for (int i = 0; i < 20; ++i) {
        clients.emplace_back([&] {
            auto r =
                chat(port, R"({"model":"qwen-only","messages":[{"role":"user","content":"x"}]})");
            if (r && r->status == 200) ++ok;
        });
    }
    for (auto& t : clients)
        t.join();
    EXPECT_EQ(ok.load(), 20);
    EXPECT_EQ(m_qwen.refreshes(), 1);
    for (const auto& t : m_qwen.chat_tokens())
        EXPECT_EQ(t, "Bearer qwen-at-2");  // the expired qwen-at-1 never went out
    EXPECT_EQ(tokens_on_disk().access_token, "qwen-at-2");
}

TEST_F(QwenOAuth, ARevokedTokenWhoseRefreshIsRefusedEndsInLoginNeeded) {
    m_qwen.set_current(1);
    m_home.write("auth.qwen_portal.json", m_qwen.token_file(1, now_s() + 3600));
    DaemonProcess daemon(m_home);
    std::string error;
    ASSERT_TRUE(daemon.start({}, &error)) << error;
    // The portal moved on to pair 5 behind our back: qwen-at-1 is refused, and so is
    // qwen-rt-1 (a reused refresh token).
    m_qwen.set_current(5);
    auto r = chat(daemon.http_port(),
                  R"({"model":"qwen-only","messages":[{"role":"user","content":"x"}]})");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << r->body;
    EXPECT_NE(r->body.find("dashscope/"), std::string::npos) << r->body;
    EXPECT_EQ(m_qwen.refreshes(), 1);
    EXPECT_EQ(m_qwen.chat_tokens().size(), 1u);  // one try, no retry with the same token
    EXPECT_EQ(qwen_state(), "login_needed");
    auto again = chat(daemon.http_port(),
                      R"({"model":"qwen-only","messages":[{"role":"user","content":"x"}]})");
    ASSERT_TRUE(again);
    EXPECT_NE(again->body.find("litellmctl auth qwen"), std::string::npos) << again->body;
    EXPECT_EQ(m_qwen.chat_tokens().size(), 1u);  // skipped now, not tried
}

TEST_F(QwenOAuth, AnUpstream401IsRetriedOnceWithARefreshedToken) {
    m_qwen.set_current(2);  // the portal already moved on to pair 2 ...
    // ... while our file still holds access token 1 with refresh token 2 (a refresh whose new
    // access token was lost); the chat endpoint refuses qwen-at-1.
    std::string file = m_qwen.token_file(1, now_s() + 3600);
    file.replace(file.find("qwen-rt-1"), 9, "qwen-rt-2");
    m_home.write("auth.qwen_portal.json", file);
    DaemonProcess daemon(m_home);
    std::string error;
    ASSERT_TRUE(daemon.start({}, &error)) << error;
    auto r = chat(daemon.http_port(),
                  R"({"model":"qwen-only","messages":[{"role":"user","content":"x"}]})");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(m_qwen.refreshes(), 1);
    auto tokens = m_qwen.chat_tokens();
    ASSERT_EQ(tokens.size(), 2u);
    EXPECT_EQ(tokens[0], "Bearer qwen-at-1");
    EXPECT_EQ(tokens[1], "Bearer qwen-at-3");
    EXPECT_EQ(tokens_on_disk().access_token, "qwen-at-3");
}

TEST_F(QwenOAuth, TokensRotatedByAnotherProgramAreAdopted) {
    m_qwen.set_current(1);
    m_home.write("auth.qwen_portal.json", m_qwen.token_file(1, now_s() + 3600));
    DaemonProcess daemon(m_home);
    std::string error;
    ASSERT_TRUE(daemon.start({}, &error)) << error;
    int port = daemon.http_port();
    ASSERT_EQ(chat(port)->status, 200);
    // Another program refreshes and writes pair 7 (atomically, as careful tools do).
    m_qwen.set_current(7);
    ASSERT_TRUE(
        write_file_atomic(token_path(), m_qwen.token_file(7, now_s() + 3600), 0600, nullptr));
    ASSERT_TRUE(eventually([&] {
        auto r = chat(port, R"({"model":"qwen-only","messages":[{"role":"user","content":"x"}]})");
        return r && r->status == 200 && m_qwen.chat_tokens().back() == "Bearer qwen-at-7";
    })) << m_qwen.chat_tokens().back();
    EXPECT_EQ(m_qwen.refreshes(), 0);  // adopted, not refreshed
}

TEST_F(QwenOAuth, ARefusedRefreshTokenMeansLoginNeededAndTheChainFallsBack) {
    m_qwen.set_current(1);
    m_qwen.fail_refreshes(400);
    m_home.write("auth.qwen_portal.json", m_qwen.token_file(1, now_s() - 10));
    DaemonProcess daemon(m_home);
    std::string error;
    ASSERT_TRUE(daemon.start({}, &error)) << error;
    int port = daemon.http_port();
    ASSERT_TRUE(eventually([&] { return qwen_state() == "login_needed"; })) << qwen_state();
    auto r = chat(port);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_NE(r->body.find("hello from the backup"), std::string::npos);
    EXPECT_EQ(r->get_header_value("x-litellm-model"), "openai/backup-1");
    auto only = chat(port, R"({"model":"qwen-only","messages":[{"role":"user","content":"x"}]})");
    ASSERT_TRUE(only);
    EXPECT_EQ(only->status, 401) << only->body;
    EXPECT_NE(only->body.find("login needed"), std::string::npos) << only->body;
    EXPECT_NE(only->body.find("litellmctl auth qwen"), std::string::npos) << only->body;
    EXPECT_NE(only->body.find("dashscope/"), std::string::npos) << only->body;
    EXPECT_TRUE(m_qwen.chat_tokens().empty());  // the dead token is never sent
    auto status = ctl({"status"});
    EXPECT_NE(status.out.find("login needed"), std::string::npos) << status.out;
    auto text = ctl({"auth", "status"});
    EXPECT_NE(text.out.find("LOGIN NEEDED"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("-> run `litellmctl auth qwen`"), std::string::npos) << text.out;
    auto logs = ctl({"logs", "-n", "200"});
    EXPECT_NE(logs.out.find("qwen_portal: login_needed"), std::string::npos) << logs.out;
    // The refused token file is not rewritten.
    EXPECT_EQ(tokens_on_disk().access_token, "qwen-at-1");
}

TEST_F(QwenOAuth, ACorruptTokenFileIsReportedAndLeftAsItIs) {
    const std::string junk = "{\"access_token\": \"qwen-at-1\", \"refresh";
    m_home.write("auth.qwen_portal.json", junk);
    ::chmod(token_path().c_str(), 0600);
    DaemonProcess daemon(m_home);
    std::string error;
    ASSERT_TRUE(daemon.start({}, &error)) << error;
    EXPECT_EQ(qwen_state(), "corrupt");
    auto r = chat(daemon.http_port(),
                  R"({"model":"qwen-only","messages":[{"role":"user","content":"x"}]})");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << r->body;
    EXPECT_NE(r->body.find("is not valid JSON"), std::string::npos) << r->body;
    auto refresh = ctl({"auth", "refresh", "qwen"});
    EXPECT_EQ(refresh.exit_code, 1);
    EXPECT_EQ(read_file(token_path()).value_or(""), junk);
    daemon.signal_and_wait(SIGTERM);
    EXPECT_EQ(qwen_state(), "corrupt");  // offline status agrees
    auto offline = ctl({"auth", "refresh", "qwen"});
    EXPECT_EQ(offline.exit_code, 1);
    EXPECT_NE(offline.err.find("left as it is"), std::string::npos) << offline.err;
    EXPECT_EQ(read_file(token_path()).value_or(""), junk);
}

TEST_F(QwenOAuth, RefreshLogoutAndImportWorkWithAndWithoutTheDaemon) {
    m_qwen.set_current(1);
    m_home.write("auth.qwen_portal.json", m_qwen.token_file(1, now_s() + 3600));
    // No daemon: litellmctl refreshes and writes under the lock.
    auto offline = ctl({"auth", "refresh", "qwen", "--json"});
    ASSERT_EQ(offline.exit_code, 0) << offline.err;
    EXPECT_FALSE(parse_json(offline.out)["through_daemon"].GetBool());
    EXPECT_EQ(tokens_on_disk().access_token, "qwen-at-2");
    DaemonProcess daemon(m_home);
    std::string error;
    ASSERT_TRUE(daemon.start({}, &error)) << error;
    auto online = ctl({"auth", "refresh", "qwen-portal", "--json"});
    ASSERT_EQ(online.exit_code, 0) << online.err;
    auto d = parse_json(online.out);
    EXPECT_TRUE(d["through_daemon"].GetBool());
    EXPECT_STREQ(d["state"].GetString(), "valid");
    EXPECT_EQ(tokens_on_disk().access_token, "qwen-at-3");
    EXPECT_EQ(m_qwen.refreshes(), 2);

    auto logout = ctl({"auth", "logout", "qwen"});
    ASSERT_EQ(logout.exit_code, 0) << logout.err;
    EXPECT_FALSE(path_exists(token_path()));
    EXPECT_EQ(qwen_state(), "missing");
    auto r = chat(daemon.http_port(),
                  R"({"model":"qwen-only","messages":[{"role":"user","content":"x"}]})");
    ASSERT_TRUE(r);
    EXPECT_NE(r->body.find("not logged in"), std::string::npos) << r->body;

    // Qwen Code's own file: milliseconds, no resource_url of ours.
    m_qwen.set_current(9);
    m_home.write("user/.qwen/oauth_creds.json",
                 "{\"access_token\":\"qwen-at-9\",\"refresh_token\":\"qwen-rt-9\","
                 "\"token_type\":\"Bearer\",\"resource_url\":\"" +
                     m_qwen.base_url() +
                     "\",\"expiry_date\":" + std::to_string((now_s() + 3600) * 1000) + "}");
    auto import = ctl({"auth", "import", "qwen"});
    ASSERT_EQ(import.exit_code, 0) << import.err;
    EXPECT_NE(import.err.find("share one refresh token"), std::string::npos) << import.err;
    TokenRecord t = tokens_on_disk();
    EXPECT_EQ(t.access_token, "qwen-at-9");
    ASSERT_TRUE(t.expires_at);
    EXPECT_NEAR(static_cast<double>(*t.expires_at), static_cast<double>(now_s() + 3600), 30);
    EXPECT_EQ(read_file(token_path()).value_or("").find("expiry_date"), std::string::npos);
    auto after = chat(daemon.http_port());
    ASSERT_TRUE(after);
    EXPECT_EQ(after->status, 200) << after->body;
    EXPECT_EQ(m_qwen.chat_tokens().back(), "Bearer qwen-at-9");
}

// A writer killed at any moment leaves the old file or the new one, never a torn or empty one:
// the daemon, asked for a refresh as soon as it answers (its tokens live one second), gets
// SIGKILL at a random moment, 200 times.
TEST_F(QwenOAuth, KillNineOfTheDaemonDuringRefreshWritesNeverLeavesATornFile) {
    m_qwen.set_current(1);
    m_qwen.set_expires_in(1);
    m_home.write("auth.qwen_portal.json", m_qwen.token_file(1, now_s() + 1));
    std::mt19937 rng(12345);
    std::uniform_int_distribution<int> delay_us(0, 20000);
    int changed = 0, unchanged = 0;
    std::string before = tokens_on_disk().access_token;
    for (int i = 0; i < 200; ++i) {
        Subprocess p;
        int seen = m_qwen.refreshes();
        ASSERT_TRUE(p.spawn(litellmd_spawn_options(m_home)));
        // Up, then a forced refresh (tokens refreshed a moment ago are not due yet).
        rpc::Client c;
        for (int w = 0; w < 2000 && !c.connect(control_socket_path(m_home.path()), 200); ++w)
            std::this_thread::sleep_for(std::chrono::microseconds(500));
        c.send_line(
            R"({"jsonrpc":"2.0","id":1,"method":"auth.refresh","params":{"provider":"qwen_portal"}})");
        // Started refreshing: the fake saw a refresh from this process (or a short while).
        for (int w = 0; w < 400 && m_qwen.refreshes() == seen; ++w)
            std::this_thread::sleep_for(std::chrono::microseconds(500));
        std::this_thread::sleep_for(std::chrono::microseconds(delay_us(rng)));
        ::kill(p.pid(), SIGKILL);
        p.wait(5000);
        auto text = read_file(token_path());
        ASSERT_TRUE(text) << "iteration " << i;
        TokenParse parsed = parse_token_file(*text);
        ASSERT_TRUE(parsed.ok) << "iteration " << i << ": " << parsed.error << "\n" << *text;
        // A refresh the fake answered but the daemon did not live to write: the fake goes back
        // to the pair on disk, as a real server's grace period for a just-rotated token would.
        int n = std::atoi(parsed.record.access_token.substr(8).c_str());
        if (n > 0) m_qwen.set_current(n);
        (parsed.record.access_token == before ? unchanged : changed)++;
        before = parsed.record.access_token;
    }
    EXPECT_GT(m_qwen.refreshes(), 200);
    EXPECT_GT(changed, 0);  // the kills landed both after a rename ...
    struct stat st {};
    ASSERT_EQ(::stat(token_path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    // ... and no temp file is left behind for good (the next writer removes a dead one's).
    int temps = 0;
    for (const auto& e : std::filesystem::directory_iterator(m_home.path()))
        if (e.path().filename().string().find(".tmp.") != std::string::npos) ++temps;
    EXPECT_LE(temps, 1);
    (void)unchanged;
}

}  // namespace
}  // namespace litellm::test
