// The service layer: `litellmctl start/stop/restart/uninstall-service/status` against fake
// `systemctl` and `launchctl` scripts on PATH (tests/functional/fake_bin), the detached mode,
// and a restart under load that must not fail a single request.

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>

#include "common/fs.hpp"
#include "common/json.hpp"
#include "common/net.hpp"
#include "common/paths.hpp"
#include "fakes/fake_upstream.hpp"
#include "functional/harness.hpp"
#include "proto/errors.hpp"

namespace litellm::test {
namespace {

using namespace std::chrono_literals;

std::string fake_bin() {
    return std::string(LITELLM_SOURCE_DIR) + "/tests/functional/fake_bin";
}

class ServiceTest : public ::testing::Test {
  protected:
    void SetUp() override {
        m_user_home = m_tmp.path() + "/user";
        m_home = m_tmp.path() + "/user/.litellm";
        m_tmp.write("user/.litellm/config.yaml", kSmallConfig);
        m_tmp.write("state/.keep", "");
        m_port = free_port();
    }

    void TearDown() override {
        // Whatever a test started through the fakes must not outlive it.
        ctl({"stop"});
        for (const char* f : {"state/litellmd.service.pid", "state/launchd.pid"}) {
            int pid = std::atoi(read_file(m_tmp.file(f)).value_or("0").c_str());
            if (pid > 0) ::kill(pid, SIGKILL);
        }
        int pid = std::atoi(read_file(m_home + "/litellmd.pid").value_or("0").c_str());
        if (pid > 0) ::kill(pid, SIGKILL);
    }

    RunResult ctl(std::vector<std::string> args, const std::string& manager = "",
                  const std::string& runtime_dir = "") {
        SpawnOptions o;
        o.argv = {LITELLMCTL_BIN, "--home", m_home};
        for (auto& a : args)
            o.argv.push_back(a);
        o.env_set = {{"HOME", m_user_home},
                     {"PATH", fake_bin() + ":" + std::string(std::getenv("PATH"))},
                     {"FAKE_SYSTEMCTL_LOG", m_tmp.file("systemctl.log")},
                     {"FAKE_LAUNCHCTL_LOG", m_tmp.file("launchctl.log")},
                     {"FAKE_SERVICE_STATE", m_tmp.file("state")}};
        if (!manager.empty()) o.env_set["LITELLM_SERVICE_MANAGER"] = manager;
        o.env_set["XDG_RUNTIME_DIR"] =
            runtime_dir.empty() ? m_tmp.path() + "/no-runtime" : runtime_dir;
        o.env_unset = {"XDG_CONFIG_HOME", "LITELLM_SOCKET", "LITELLM_HOME", "NOTIFY_SOCKET"};
        return run_capture(o, 60000);
    }

    std::string calls(const char* log) { return read_file(m_tmp.file(log)).value_or(""); }

    TempHome m_tmp;
    std::string m_user_home;
    std::string m_home;
    int m_port = 0;
};

TEST_F(ServiceTest, SystemdStartStatusStopThroughTheServiceManager) {
    auto start = ctl({"start", "--port", std::to_string(m_port)}, "systemd");
    ASSERT_EQ(start.exit_code, 0) << start.out << start.err;
    EXPECT_NE(start.out.find("http://127.0.0.1:" + std::to_string(m_port)), std::string::npos)
        << start.out;
    EXPECT_NE(start.out.find("litellmd.service"), std::string::npos);
    std::string log = calls("systemctl.log");
    EXPECT_NE(log.find("systemctl --user daemon-reload"), std::string::npos) << log;
    EXPECT_NE(log.find("systemctl --user enable litellmd.service"), std::string::npos) << log;

    std::string unit_path = m_user_home + "/.config/systemd/user/litellmd.service";
    auto unit = read_file(unit_path);
    ASSERT_TRUE(unit) << unit_path;
    EXPECT_NE(unit->find("Type=notify"), std::string::npos);
    EXPECT_NE(unit->find("Restart=on-failure"), std::string::npos);
    EXPECT_NE(unit->find("ExecReload=" + std::string(LITELLMCTL_BIN)), std::string::npos);
    EXPECT_NE(unit->find("--port " + std::to_string(m_port)), std::string::npos);
    EXPECT_EQ(unit->find("API_KEY"), std::string::npos);  // .env is read by the daemon

    auto status = ctl({"status", "--json"}, "systemd");
    ASSERT_EQ(status.exit_code, 0) << status.err;
    auto d = parse_json(status.out);
    EXPECT_TRUE(d["running"].GetBool());
    EXPECT_STREQ(d["service"]["manager"].GetString(), "systemd");
    EXPECT_TRUE(d["service"]["active"].GetBool());
    EXPECT_EQ(d["listen"]["port"].GetInt(), m_port);

    auto again = ctl({"start"}, "systemd");  // idempotent
    EXPECT_EQ(again.exit_code, 0);
    EXPECT_NE(again.out.find("already running"), std::string::npos) << again.out;

    auto stop = ctl({"stop"}, "systemd");
    EXPECT_EQ(stop.exit_code, 0) << stop.err;
    EXPECT_NE(calls("systemctl.log").find("systemctl --user stop litellmd.service"),
              std::string::npos);
    auto down = ctl({"status", "--json"}, "systemd");
    EXPECT_EQ(down.exit_code, 3);
    EXPECT_FALSE(parse_json(down.out)["running"].GetBool());

    auto uninstall = ctl({"uninstall-service"}, "systemd");
    EXPECT_EQ(uninstall.exit_code, 0) << uninstall.err;
    EXPECT_FALSE(path_exists(unit_path));
    EXPECT_NE(calls("systemctl.log").find("disable --now litellmd.service"), std::string::npos);
}

TEST_F(ServiceTest, DetectsSystemdFromTheUserManagersSocket) {
    auto none = ctl({"status", "--json"}, "", m_tmp.path() + "/runtime");
    EXPECT_STREQ(parse_json(none.out)["service"]["manager"].GetString(), "detached");
    m_tmp.write("runtime/systemd/private", "");  // where a running user manager listens
    auto status = ctl({"status", "--json"}, "", m_tmp.path() + "/runtime");
    auto d = parse_json(status.out);
    EXPECT_STREQ(d["service"]["manager"].GetString(), "systemd");
    EXPECT_FALSE(d["service"]["installed"].GetBool());
}

TEST_F(ServiceTest, GeneratedUnitPassesSystemdAnalyzeVerify) {
    if (find_program("systemd-analyze").empty()) GTEST_SKIP() << "systemd-analyze not installed";
    auto start = ctl({"start", "--port", std::to_string(m_port)}, "systemd");
    ASSERT_EQ(start.exit_code, 0) << start.err;
    SpawnOptions verify;
    verify.argv = {find_program("systemd-analyze"), "verify",
                   m_user_home + "/.config/systemd/user/litellmd.service"};
    auto r = run_capture(verify, 30000);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out + r.err, "") << "systemd-analyze found problems";
}

TEST_F(ServiceTest, LaunchdPlistIsWellFormedAndLoadedThroughLaunchctl) {
    auto start = ctl({"start", "--port", std::to_string(m_port)}, "launchd");
    ASSERT_EQ(start.exit_code, 0) << start.out << start.err;
    std::string plist = m_user_home + "/Library/LaunchAgents/com.litellm.litellmd.plist";
    ASSERT_TRUE(path_exists(plist));
    SpawnOptions check;
    check.argv = {find_program("python3"), "-c",
                  "import plistlib,sys,json; p=plistlib.load(open(sys.argv[1],'rb')); "
                  "print(json.dumps(p))",
                  plist};
    auto r = run_capture(check, 10000);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto d = parse_json(r.out);
    EXPECT_STREQ(d["Label"].GetString(), "com.litellm.litellmd");
    EXPECT_TRUE(d["RunAtLoad"].GetBool());
    EXPECT_TRUE(d["KeepAlive"].GetBool());
    EXPECT_STREQ(d["ProgramArguments"][0].GetString(), LITELLMD_BIN);
    EXPECT_FALSE(d.HasMember("EnvironmentVariables"));  // no keys copied from .env
    std::string log = calls("launchctl.log");
    EXPECT_NE(log.find("launchctl bootstrap gui/"), std::string::npos) << log;
    auto stop = ctl({"stop"}, "launchd");
    EXPECT_EQ(stop.exit_code, 0) << stop.err;
    EXPECT_NE(calls("launchctl.log").find("launchctl bootout gui/"), std::string::npos);
}

TEST_F(ServiceTest, DetachedModeIsStartedFoundAndStopped) {
    auto start = ctl({"start", "--port", std::to_string(m_port)}, "detached");
    ASSERT_EQ(start.exit_code, 0) << start.out << start.err;
    EXPECT_NE(start.out.find("detached"), std::string::npos);
    ASSERT_TRUE(path_exists(m_home + "/litellmd.pid"));
    auto status = ctl({"status"}, "detached");
    EXPECT_EQ(status.exit_code, 0) << status.err;
    EXPECT_NE(status.out.find("detached: running, pid"), std::string::npos) << status.out;
    auto stop = ctl({"stop"}, "detached");
    EXPECT_EQ(stop.exit_code, 0) << stop.err;
    EXPECT_FALSE(path_exists(m_home + "/litellmd.pid"));
    auto down = ctl({"status"}, "detached");
    EXPECT_EQ(down.exit_code, 3);
    EXPECT_NE(down.out.find("not running"), std::string::npos);
}

TEST_F(ServiceTest, StartRefusesAPortHeldBySomethingElseAndNamesIt) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(m_port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(fd, 4), 0);
    auto start = ctl({"start", "--port", std::to_string(m_port)}, "detached");
    ::close(fd);
    EXPECT_EQ(start.exit_code, 1);
    EXPECT_NE(start.err.find("port " + std::to_string(m_port) + " is already in use"),
              std::string::npos)
        << start.err;
    EXPECT_NE(start.err.find("pid " + std::to_string(getpid())), std::string::npos) << start.err;
    EXPECT_NE(start.err.find("nothing was killed"), std::string::npos);
}

TEST_F(ServiceTest, OfflineStatusShowsConfigAndCredentials) {
    auto status = ctl({"status"}, "detached");
    EXPECT_EQ(status.exit_code, 3);
    EXPECT_NE(status.out.find("not running"), std::string::npos) << status.out;
    EXPECT_NE(status.out.find("3 models"), std::string::npos) << status.out;
    EXPECT_NE(status.out.find("FT_ANTHROPIC_KEY"), std::string::npos) << status.out;
}

// --port (and --config) that differ from the running daemon's: `start` refuses and names the
// command that moves it; `restart` moves it through the service manager.
TEST_F(ServiceTest, DetachedStartRefusesAnotherPortAndRestartMovesIt) {
    auto start = ctl({"start", "--port", std::to_string(m_port), "--json"}, "detached");
    ASSERT_EQ(start.exit_code, 0) << start.out << start.err;
    auto started = parse_json(start.out);
    EXPECT_STREQ(started["action"].GetString(), "started");
    EXPECT_EQ(started["port"].GetInt(), m_port);
    EXPECT_STREQ(started["manager"].GetString(), "detached");

    int other = free_port();
    auto refused = ctl({"start", "--port", std::to_string(other)}, "detached");
    EXPECT_EQ(refused.exit_code, static_cast<int>(proto::ExitCode::kAlreadyRunning));
    EXPECT_NE(refused.err.find("litellmctl restart --port " + std::to_string(other)),
              std::string::npos)
        << refused.err;
    auto same = ctl({"start", "--json"}, "detached");
    ASSERT_EQ(same.exit_code, 0) << same.err;
    auto again = parse_json(same.out);
    EXPECT_STREQ(again["action"].GetString(), "already_running");
    EXPECT_EQ(again["pid"].GetInt(), started["pid"].GetInt());

    auto moved = ctl({"restart", "--port", std::to_string(other), "--json"}, "detached");
    ASSERT_EQ(moved.exit_code, 0) << moved.out << moved.err;
    auto m = parse_json(moved.out);
    EXPECT_STREQ(m["action"].GetString(), "moved");
    EXPECT_EQ(m["port"].GetInt(), other);
    EXPECT_NE(moved.err.find("not an in-place restart"), std::string::npos) << moved.err;
    auto status = parse_json(ctl({"status", "--json"}, "detached").out);
    EXPECT_EQ(status["listen"]["port"].GetInt(), other);
    EXPECT_EQ(std::atoi(read_file(m_home + "/litellmd.pid").value_or("0").c_str()),
              status["pid"].GetInt());
    EXPECT_FALSE(local_port_in_use(m_port));

    auto in_place = ctl({"restart", "--json"}, "detached");
    ASSERT_EQ(in_place.exit_code, 0) << in_place.err;
    auto r = parse_json(in_place.out);
    EXPECT_STREQ(r["action"].GetString(), "restarted_in_place");
    EXPECT_EQ(r["pid"].GetInt(), status["pid"].GetInt());
    EXPECT_EQ(r["port"].GetInt(), other);

    auto stop = ctl({"stop", "--json"}, "detached");
    ASSERT_EQ(stop.exit_code, 0) << stop.err;
    EXPECT_FALSE(parse_json(stop.out)["running"].GetBool());
}

TEST_F(ServiceTest, SystemdRestartWithAnotherPortRewritesTheUnit) {
    ASSERT_EQ(ctl({"start", "--port", std::to_string(m_port)}, "systemd").exit_code, 0);
    int other = free_port();
    auto moved = ctl({"restart", "--port", std::to_string(other)}, "systemd");
    ASSERT_EQ(moved.exit_code, 0) << moved.out << moved.err;
    EXPECT_NE(moved.out.find("moved to http://127.0.0.1:" + std::to_string(other)),
              std::string::npos)
        << moved.out;
    auto unit = read_file(m_user_home + "/.config/systemd/user/litellmd.service");
    ASSERT_TRUE(unit);
    EXPECT_NE(unit->find("--port " + std::to_string(other)), std::string::npos) << *unit;
    auto status = parse_json(ctl({"status", "--json"}, "systemd").out);
    EXPECT_EQ(status["listen"]["port"].GetInt(), other);
    // A later plain restart keeps the new port (it is in the unit now).
    ASSERT_EQ(ctl({"restart"}, "systemd").exit_code, 0);
    EXPECT_EQ(parse_json(ctl({"status", "--json"}, "systemd").out)["listen"]["port"].GetInt(),
              other);
}

TEST_F(ServiceTest, RestartWithAnotherPortRefusesADaemonStartedByHand) {
    Subprocess daemon;
    SpawnOptions o;
    o.argv = {LITELLMD_BIN, "--home", m_home, "--port", std::to_string(m_port), "--quiet"};
    o.die_with_parent = true;
    o.env_unset = {"NOTIFY_SOCKET", "LITELLMD_LISTEN_FD"};
    ASSERT_TRUE(daemon.spawn(o));
    for (int i = 0; i < 100 && ctl({"status"}, "detached").exit_code != 0; ++i)
        std::this_thread::sleep_for(50ms);
    int other = free_port();
    auto refused = ctl({"restart", "--port", std::to_string(other)}, "detached");
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_NE(refused.err.find("was not started by `litellmctl start`"), std::string::npos)
        << refused.err;
    auto status = parse_json(ctl({"status", "--json"}, "detached").out);
    EXPECT_EQ(status["listen"]["port"].GetInt(), m_port);
    EXPECT_FALSE(daemon.wait(0).has_value());
    ::kill(daemon.pid(), SIGTERM);
    daemon.wait(10000);
}

TEST_F(ServiceTest, FirstStartWithoutAConfigWritesTheDefaults) {
    ::unlink((m_home + "/config.yaml").c_str());
    auto start = ctl({"start", "--port", std::to_string(m_port)}, "detached");
    ASSERT_EQ(start.exit_code, 0) << start.out << start.err;
    EXPECT_NE(start.err.find("created " + m_home + "/config.yaml"), std::string::npos) << start.err;
    EXPECT_EQ(read_file(m_home + "/config.yaml").value_or(""),
              read_file(std::string(LITELLM_SOURCE_DIR) + "/etc/config.yaml").value_or("?"));
    // A config named with --config is never invented, and a move to one that cannot load
    // leaves the running daemon alone.
    int pid = parse_json(ctl({"status", "--json"}, "detached").out)["pid"].GetInt();
    auto named = ctl({"restart", "--config", m_home + "/missing.yaml"}, "detached");
    EXPECT_EQ(named.exit_code, static_cast<int>(proto::ExitCode::kConfigInvalid)) << named.err;
    EXPECT_NE(named.err.find("nothing was changed"), std::string::npos) << named.err;
    EXPECT_FALSE(path_exists(m_home + "/missing.yaml"));
    auto still = ctl({"status", "--json"}, "detached");
    ASSERT_EQ(still.exit_code, 0);
    EXPECT_EQ(parse_json(still.out)["pid"].GetInt(), pid);
}

// A restart under load: requests keep flowing, none fails, the pid stays, the process is new.
TEST(ServiceRestart, InPlaceRestartFailsNoRequest) {
    FakeUpstream upstream;
    upstream.set_default_reply(openai_fake::text("ok"));
    TempHome home;
    home.write("config.yaml",
               "model_list:\n  - model_name: m\n    litellm_params:\n      model: openai/up\n"
               "      api_base: " +
                   upstream.base_url() + "/v1\n      api_key: k\n");
    DaemonProcess daemon(home);
    std::string error;
    ASSERT_TRUE(daemon.start({}, &error)) << error;
    int port = daemon.http_port();
    auto before = parse_json(run_ctl(home, {"status", "--json"}).out);
    std::string started_before = before["started_at"].GetString();

    std::atomic<bool> stop{false};
    std::atomic<int> ok{0}, failed{0};
    std::mutex errors_mutex;
    std::string errors;
    std::vector<std::thread> clients;
    for (int t = 0; t < 4; ++t) {
        clients.emplace_back([&] {
            while (!stop) {
                httplib::Client c("127.0.0.1", port);
                c.set_read_timeout(20, 0);
                auto r = c.Post("/v1/chat/completions",
                                R"({"model":"m","messages":[{"role":"user","content":"hi"}]})",
                                "application/json");
                if (r && r->status == 200) {
                    ++ok;
                } else {
                    ++failed;
                    std::lock_guard lock(errors_mutex);
                    errors += r ? "HTTP " + std::to_string(r->status) + " " + r->body + "; "
                                : "transport: " + httplib::to_string(r.error()) + "; ";
                }
            }
        });
    }
    std::this_thread::sleep_for(200ms);
    auto restart = run_ctl(home, {"restart"});
    std::this_thread::sleep_for(300ms);
    stop = true;
    for (auto& t : clients)
        t.join();
    EXPECT_EQ(restart.exit_code, 0) << restart.out << restart.err;
    EXPECT_NE(restart.out.find("restarted in place"), std::string::npos) << restart.out;
    EXPECT_GT(ok.load(), 20);
    EXPECT_EQ(failed.load(), 0) << errors;
    auto after = parse_json(run_ctl(home, {"status", "--json"}).out);
    EXPECT_EQ(after["pid"].GetInt(), before["pid"].GetInt());
    EXPECT_NE(std::string(after["started_at"].GetString()), started_before);
    EXPECT_EQ(after["listen"]["port"].GetInt(), port);
}

}  // namespace
}  // namespace litellm::test
