// Functional tests of litellmd and litellmctl: real binaries, a temporary LITELLM_HOME, port 0.

#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include <regex>

#include <gtest/gtest.h>
#include <httplib.h>

#include "common/fs.hpp"
#include "common/json.hpp"
#include "functional/harness.hpp"
#include "proto/errors.hpp"
#include "proto/methods.hpp"

namespace litellm::test {
namespace {

using namespace std::chrono_literals;

class DaemonTest : public ::testing::Test {
  protected:
    void SetUp() override {
        m_home.write("config.yaml", kSmallConfig);
        m_home.write(".env", "FT_ANTHROPIC_KEY=sk-ant-test-0000000000000000\n");
        std::string error;
        ASSERT_TRUE(m_daemon.start({}, &error)) << error;
    }

    TempHome m_home;
    DaemonProcess m_daemon{m_home};
};

// Sends raw bytes on a fresh Unix socket and returns the first line of the answer.
std::string raw_exchange(const std::string& path, const std::string& bytes) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return "connect failed";
    }
    size_t off = 0;
    while (off < bytes.size()) {
        ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
        if (n <= 0) break;
        off += static_cast<size_t>(n);
    }
    std::string out;
    char buf[4096];
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    while (out.find('\n') == std::string::npos) {
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return out.substr(0, out.find('\n'));
}

TEST_F(DaemonTest, StatusJsonShowsTheRunningDaemon) {
    auto r = run_ctl(m_home, {"status", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto d = parse_json(r.out);
    EXPECT_TRUE(d["running"].GetBool());
    EXPECT_EQ(d["pid"].GetInt(), m_daemon.process().pid());
    EXPECT_EQ(d["model_count"].GetInt(), 3);
    EXPECT_GT(d["listen"]["port"].GetInt(), 0);
    EXPECT_STREQ(d["listen"]["host"].GetString(), "127.0.0.1");
    EXPECT_EQ(std::string(d["config_path"].GetString()), m_home.file("config.yaml"));
    EXPECT_TRUE(d["master_key_set"].IsBool());
    EXPECT_FALSE(d["master_key_set"].GetBool());  // FT_MASTER_KEY is not set
    // The provider without a key is reported with a fix; the one with a key is ok.
    bool saw_missing = false, saw_ok = false;
    for (const auto& p : d["providers"].GetArray()) {
        std::string source = p["source"].GetString();
        if (source == "env FT_BACKUP_KEY") {
            saw_missing = true;
            EXPECT_STREQ(p["credential"].GetString(), "missing");
            EXPECT_NE(std::string(p["hint"].GetString()).find("FT_BACKUP_KEY"), std::string::npos);
        }
        if (source == "env FT_ANTHROPIC_KEY") {
            saw_ok = true;
            EXPECT_STREQ(p["credential"].GetString(), "ok");
        }
    }
    EXPECT_TRUE(saw_missing);
    EXPECT_TRUE(saw_ok);
    // The key itself never appears in status output.
    EXPECT_EQ(r.out.find("sk-ant-test-0000000000000000"), std::string::npos);
}

TEST_F(DaemonTest, HumanStatusNamesUrlAndFallbacks) {
    auto r = run_ctl(m_home, {"status"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("running (pid"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("http://127.0.0.1:"), std::string::npos);
    EXPECT_NE(r.out.find("claude-test -> backup/model"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("MISSING"), std::string::npos);
}

TEST_F(DaemonTest, EveryReadOnlyMethodResultMatchesItsSpec) {
    for (const auto& spec : proto::method_table()) {
        if (spec.mutating() || spec.streaming()) continue;
        auto reply = m_daemon.call(std::string(spec.name));
        ASSERT_TRUE(reply) << spec.name;
        ASSERT_FALSE(reply->is_error) << spec.name << ": " << reply->error_message;
        auto problems = proto::check_result(spec, reply->payload());
        EXPECT_TRUE(problems.empty()) << spec.name << ": " << problems.front();
    }
}

TEST_F(DaemonTest, RawJsonRpcLineGetsAnAnswer) {
    std::string reply = raw_exchange(m_daemon.socket_path(),
                                     "{\"jsonrpc\":\"2.0\",\"id\":\"x1\",\"method\":\"status\"}\n");
    auto d = parse_json(reply);
    EXPECT_STREQ(d["id"].GetString(), "x1");
    EXPECT_EQ(d["result"]["model_count"].GetInt(), 3);
}

TEST_F(DaemonTest, MalformedAndOversizedLinesGetErrorsAndTheDaemonKeepsServing) {
    auto bad = parse_json(raw_exchange(m_daemon.socket_path(), "{not json\n"));
    EXPECT_EQ(bad["error"]["code"].GetInt(), -32700);
    std::string huge =
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"status\",\"params\":{\"pad\":\"" +
        std::string(1100 * 1024, 'a') + "\"}}\n";
    auto big = parse_json(raw_exchange(m_daemon.socket_path(), huge));
    EXPECT_EQ(big["error"]["code"].GetInt(), -32600);
    EXPECT_NE(std::string(big["error"]["message"].GetString()).find("exceeds"), std::string::npos);
    auto after = m_daemon.call("status");
    ASSERT_TRUE(after);
    EXPECT_FALSE(after->is_error);
}

TEST_F(DaemonTest, ControlSocketIsPrivate) {
    struct stat st {};
    ASSERT_EQ(::stat(m_daemon.socket_path().c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(DaemonTest, HealthAndRootAnswerOverHttp) {
    httplib::Client http("127.0.0.1", m_daemon.http_port());
    auto health = http.Get("/health");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200);
    auto d = parse_json(health->body);
    EXPECT_STREQ(d["status"].GetString(), "healthy");
    auto head = http.Head("/");
    ASSERT_TRUE(head);
    EXPECT_EQ(head->status, 200);
}

TEST_F(DaemonTest, FollowReceivesALineLoggedAfterItStarted) {
    SpawnOptions opts;
    opts.argv = {LITELLMCTL_BIN, "--home", m_home.path(), "logs", "-f", "-n", "0"};
    opts.stdout_path = m_home.file("follow.out");
    opts.stderr_path = m_home.file("follow.err");
    Subprocess follower;
    ASSERT_TRUE(follower.spawn(opts));
    // Each reload logs "reloading"; repeat until the follower shows one (it may subscribe
    // after the first).
    bool seen = false;
    for (int i = 0; i < 100 && !seen; ++i) {
        m_daemon.call("reload");
        std::this_thread::sleep_for(50ms);
        seen = read_file(m_home.file("follow.out")).value_or("").find("reloading") !=
               std::string::npos;
    }
    EXPECT_TRUE(seen) << read_file(m_home.file("follow.err")).value_or("");
    follower.kill(SIGINT);
    auto rc = follower.wait(5000);
    ASSERT_TRUE(rc);
    EXPECT_EQ(*rc, 0);
}

TEST_F(DaemonTest, LogsTailShowsStartupLines) {
    auto r = run_ctl(m_home, {"logs", "-n", "200", "--level", "debug"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("listening on http://127.0.0.1:"), std::string::npos) << r.out;
}

TEST_F(DaemonTest, BrokenReloadReturnsErrorsAndKeepsTheOldConfig) {
    m_home.write("config.yaml",
                 "model_list:\n  - model_name: x\n    litellm_params:\n      "
                 "model: abc\n");
    auto r = run_ctl(m_home, {"reload"});
    EXPECT_EQ(r.exit_code, static_cast<int>(proto::ExitCode::kConfigInvalid)) << r.out << r.err;
    EXPECT_NE(r.err.find("config.yaml:4:"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("still serving the previous config"), std::string::npos) << r.err;
    auto raw = m_daemon.call("reload");
    ASSERT_TRUE(raw);
    ASSERT_TRUE(raw->is_error);
    EXPECT_EQ(raw->error_code, static_cast<int>(proto::ErrorCode::kFailedPrecondition));
    EXPECT_TRUE(raw->error_data()["errors"].IsArray());
    auto status = m_daemon.call("status");
    ASSERT_TRUE(status);
    EXPECT_EQ(json_get_int(status->payload(), "model_count"), 3);
}

TEST_F(DaemonTest, GoodReloadAndSighupSwapTheConfig) {
    m_home.write("config.yaml",
                 "model_list:\n  - model_name: only-one\n    litellm_params:\n      "
                 "model: openai/m\n      api_base: http://127.0.0.1:9/v1\n");
    auto r = run_ctl(m_home, {"reload"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("1 models"), std::string::npos) << r.out;
    m_home.write("config.yaml", kSmallConfig);
    m_daemon.process().kill(SIGHUP);
    bool swapped = false;
    for (int i = 0; i < 100 && !swapped; ++i) {
        std::this_thread::sleep_for(20ms);
        auto s = m_daemon.call("status");
        swapped = s && json_get_int(s->payload(), "model_count") == 3;
    }
    EXPECT_TRUE(swapped);
}

TEST_F(DaemonTest, SecondDaemonOnTheSameHomeRefuses) {
    auto r = run_daemon_binary({"--home", m_home.path(), "--port", "0"});
    EXPECT_EQ(r.exit_code, static_cast<int>(proto::ExitCode::kAlreadyRunning)) << r.err;
    EXPECT_NE(r.err.find("already running"), std::string::npos) << r.err;
    // The first one is unharmed.
    auto s = m_daemon.call("status");
    ASSERT_TRUE(s);
    EXPECT_FALSE(s->is_error);
}

TEST_F(DaemonTest, SigtermExitsZeroAndRemovesTheSocket) {
    auto rc = m_daemon.signal_and_wait(SIGTERM);
    ASSERT_TRUE(rc);
    EXPECT_EQ(*rc, 0) << m_daemon.stderr_text();
    EXPECT_FALSE(path_exists(m_daemon.socket_path()));
    EXPECT_NE(m_daemon.stderr_text().find("stopping (SIGTERM)"), std::string::npos);
}

TEST_F(DaemonTest, StopCommandShutsDownCleanly) {
    auto r = run_ctl(m_home, {"stop"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto rc = m_daemon.process().wait(10000);
    ASSERT_TRUE(rc);
    EXPECT_EQ(*rc, 0);
    EXPECT_FALSE(path_exists(m_daemon.socket_path()));
}

TEST_F(DaemonTest, RpcCommandPrintsResultsAndErrors) {
    auto ok = run_ctl(m_home, {"rpc", "logs.tail", R"({"n":1})"});
    ASSERT_EQ(ok.exit_code, 0) << ok.err;
    auto d = parse_json(ok.out);
    EXPECT_TRUE(d["records"].IsArray());
    auto bad = run_ctl(m_home, {"rpc", "logs.tail", R"({"n":"x"})"});
    EXPECT_EQ(bad.exit_code, static_cast<int>(proto::ExitCode::kRpcError));
    EXPECT_NE(bad.err.find("invalid_params"), std::string::npos) << bad.err;
    auto notjson = run_ctl(m_home, {"rpc", "status", "{x"});
    EXPECT_EQ(notjson.exit_code, static_cast<int>(proto::ExitCode::kUsage));
}

// ---- without a running daemon --------------------------------------------------------------

TEST(NoDaemon, CommandsSayItIsNotRunningWithExitCode3) {
    TempHome home;
    for (std::vector<std::string> args :
         {std::vector<std::string>{"reload"}, {"rpc", "status"}, {"cooldowns"}}) {
        auto r = run_ctl(home, args);
        EXPECT_EQ(r.exit_code, static_cast<int>(proto::ExitCode::kNotRunning)) << args[0];
        EXPECT_NE(r.err.find("litellmd is not running"), std::string::npos) << r.err;
        EXPECT_NE(r.err.find("litellmctl proxy"), std::string::npos) << r.err;
    }
    auto stop = run_ctl(home, {"stop", "--manager", "detached"});
    EXPECT_EQ(stop.exit_code, 3);
    EXPECT_NE(stop.err.find("not running"), std::string::npos) << stop.err;
    // status still shows what it can see without the daemon, on stdout.
    auto status = run_ctl(home, {"status"});
    EXPECT_EQ(status.exit_code, 3);
    EXPECT_NE(status.out.find("not running"), std::string::npos) << status.out;
    EXPECT_NE(status.out.find("litellmctl start"), std::string::npos) << status.out;
    auto json = run_ctl(home, {"status", "--json"});
    EXPECT_EQ(json.exit_code, 3);
    auto d = parse_json(json.out);
    EXPECT_FALSE(d["running"].GetBool());
}

TEST(NoDaemon, LogsReadsTheLogFile) {
    TempHome home;
    home.write("logs/litellmd.log", "line one\nline two\nline three\n");
    auto r = run_ctl(home, {"logs", "-n", "2"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "line two\nline three\n");
    EXPECT_NE(r.err.find("not running"), std::string::npos);
}

TEST(NoDaemon, StaleSocketIsRemovedAtStart) {
    TempHome home;
    home.write("config.yaml", kSmallConfig);
    // A socket file nobody listens on, as a crashed daemon leaves behind.
    std::string path = home.file("litellmd.sock");
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ::close(fd);
    ASSERT_TRUE(path_exists(path));
    DaemonProcess daemon(home);
    std::string error;
    ASSERT_TRUE(daemon.start({}, &error)) << error;
    EXPECT_NE(daemon.stderr_text().find("removing stale control socket"), std::string::npos);
}

TEST(NoDaemon, BrokenConfigAtStartExitsWithConfigInvalid) {
    TempHome home;
    home.write("config.yaml", "model_list: [\n");
    auto r = run_daemon_binary({"--home", home.path(), "--port", "0"});
    EXPECT_EQ(r.exit_code, static_cast<int>(proto::ExitCode::kConfigInvalid));
    EXPECT_NE(r.err.find("config.yaml:"), std::string::npos) << r.err;
}

TEST(NoDaemon, NoCredentialsStillStartsAndSaysWhatIsMissing) {
    TempHome home;
    home.write("config.yaml", kSmallConfig);
    DaemonProcess daemon(home);
    std::string error;
    ASSERT_TRUE(daemon.start({}, &error)) << error;
    std::string log = daemon.stderr_text();
    EXPECT_NE(log.find("FT_ANTHROPIC_KEY"), std::string::npos) << log;
    EXPECT_NE(log.find("has no credentials"), std::string::npos) << log;
}

TEST(CheckConfig, ShippedConfigIsValid) {
    auto r =
        run_daemon_binary({"--check-config", std::string(LITELLM_SOURCE_DIR) + "/etc/config.yaml"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("OK"), std::string::npos);
}

TEST(CheckConfig, BrokenConfigExitsConfigInvalidWithFileLineColumn) {
    TempHome home;
    home.write("bad.yaml", "router_settings:\n  num_retries: lots\n");
    auto r = run_daemon_binary({"--check-config", home.file("bad.yaml")});
    // The documented exit code (docs/control-protocol.md), as `reload` uses it.
    EXPECT_EQ(r.exit_code, static_cast<int>(proto::ExitCode::kConfigInvalid));
    EXPECT_NE(r.err.find("bad.yaml:2:"), std::string::npos) << r.err;
}

TEST(Cli, HelpAndPlaceholders) {
    TempHome home;
    auto help = run_ctl(home, {"--help"});
    EXPECT_EQ(help.exit_code, 0);
    for (const char* cmd : {"status", "logs", "reload", "proxy", "rpc", "version", "start",
                            "toggle-claude", "auth"}) {
        EXPECT_NE(help.out.find(cmd), std::string::npos) << cmd;
    }
    // Without the Gemini CLI's OAuth client anywhere, the login says how to get it.
    auto no_client = run_ctl(home, {"auth", "gemini"});
    EXPECT_EQ(no_client.exit_code, static_cast<int>(proto::ExitCode::kFailure));
    EXPECT_NE(no_client.err.find("GEMINI_CLI_OAUTH_CLIENT_SECRET"), std::string::npos)
        << no_client.err;
    EXPECT_NE(no_client.err.find("npm install -g @google/gemini-cli"), std::string::npos);
    auto usage = run_ctl(home, {"logs", "-n", "abc"});
    EXPECT_EQ(usage.exit_code, static_cast<int>(proto::ExitCode::kUsage));
    auto version = run_ctl(home, {"version", "--json"});
    EXPECT_EQ(version.exit_code, 0);
    auto v = parse_json(version.out);
    EXPECT_TRUE(v["litellmd"].IsNull());
    EXPECT_EQ(v["protocol"].GetInt(), 1);
}

}  // namespace
}  // namespace litellm::test

namespace litellm::test {
namespace {

// `--version` names the commit the binaries were built from (a bug report can say which).
TEST(VersionFlag, BothBinariesNameTheirCommit) {
    TempHome home;
    std::regex shape(
        R"(^(litellmd|litellmctl) \d+\.\d+\.\d+ \(commit ([0-9a-f]{12}(-dirty)?|unknown)\)\n$)");
    RunResult d = run_daemon_binary({"--version"});
    EXPECT_EQ(d.exit_code, 0);
    EXPECT_TRUE(std::regex_match(d.out, shape)) << d.out;
    RunResult c = run_ctl(home, {"--version"});
    EXPECT_EQ(c.exit_code, 0);
    EXPECT_TRUE(std::regex_match(c.out, shape)) << c.out;
    // Both from the same build: the same commit.
    EXPECT_EQ(d.out.substr(d.out.find("(commit")), c.out.substr(c.out.find("(commit")));
}

}  // namespace
}  // namespace litellm::test
