// Lifecycle: sd_notify messages to a fake $NOTIFY_SOCKET, and `litellmctl proxy` running the
// daemon in the foreground.

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "common/fs.hpp"
#include "common/json.hpp"
#include "common/paths.hpp"
#include "functional/harness.hpp"

namespace litellm::test {
namespace {

using namespace std::chrono_literals;

// A datagram socket standing in for systemd's notify socket.
class NotifySocket {
  public:
    explicit NotifySocket(const std::string& path) : m_path(path) {
        m_fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
        ::bind(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        timeval tv{0, 100 * 1000};
        ::setsockopt(m_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    ~NotifySocket() {
        ::close(m_fd);
        ::unlink(m_path.c_str());
    }
    /// Every datagram received within `wait`, concatenated with '|' between them.
    std::string drain(std::chrono::milliseconds wait) {
        std::string all;
        auto deadline = std::chrono::steady_clock::now() + wait;
        while (std::chrono::steady_clock::now() < deadline) {
            char buf[4096];
            ssize_t n = ::recv(m_fd, buf, sizeof buf, 0);
            if (n > 0) all += std::string(buf, static_cast<size_t>(n)) + "|";
        }
        return all;
    }

  private:
    std::string m_path;
    int m_fd = -1;
};

TEST(Lifecycle, SdNotifyReadyReloadingAndStopping) {
    TempHome home;
    home.write("config.yaml", kSmallConfig);
    NotifySocket notify(home.file("notify.sock"));
    SpawnOptions opts;
    opts.argv = {LITELLMD_BIN, "--home", home.path(), "--port", "0", "-q"};
    opts.env_set = {{"NOTIFY_SOCKET", home.file("notify.sock")}};
    opts.env_unset = {"LITELLM_SOCKET"};
    Subprocess daemon;
    ASSERT_TRUE(daemon.spawn(opts));
    std::string got;
    for (int i = 0; i < 100 && got.find("READY=1") == std::string::npos; ++i) {
        got += notify.drain(50ms);
    }
    EXPECT_NE(got.find("READY=1"), std::string::npos) << got;
    EXPECT_NE(got.find("MAINPID=" + std::to_string(daemon.pid())), std::string::npos) << got;

    daemon.kill(SIGHUP);
    got = notify.drain(500ms);
    EXPECT_NE(got.find("RELOADING=1"), std::string::npos) << got;
    EXPECT_NE(got.find("MONOTONIC_USEC="), std::string::npos) << got;
    EXPECT_NE(got.find("READY=1"), std::string::npos) << got;

    daemon.kill(SIGTERM);
    auto rc = daemon.wait(10000);
    got = notify.drain(100ms);
    EXPECT_NE(got.find("STOPPING=1"), std::string::npos) << got;
    ASSERT_TRUE(rc);
    EXPECT_EQ(*rc, 0);
}

TEST(Lifecycle, CtlProxyRunsTheDaemonInTheForeground) {
    TempHome home;
    home.write("config.yaml", kSmallConfig);
    SpawnOptions opts;
    opts.argv = {LITELLMCTL_BIN, "--home", home.path(), "proxy", "--port", "0"};
    opts.stderr_path = home.file("proxy.err");
    opts.env_unset = {"LITELLM_SOCKET", "LITELLM_HOME", "NOTIFY_SOCKET"};
    Subprocess proxy;
    ASSERT_TRUE(proxy.spawn(opts));
    bool up = false;
    for (int i = 0; i < 200 && !up; ++i) {
        rpc::Client c;
        up = c.connect(control_socket_path(home.path()), 200) && c.call("rpc.hello", "", 2000);
        if (!up) std::this_thread::sleep_for(20ms);
    }
    ASSERT_TRUE(up) << read_file(home.file("proxy.err")).value_or("");
    // exec() keeps the pid: the process we started is the daemon itself.
    auto status = run_ctl(home, {"status", "--json"});
    auto d = parse_json(status.out);
    EXPECT_EQ(d["pid"].GetInt(), proxy.pid());
    proxy.kill(SIGINT);
    auto rc = proxy.wait(10000);
    ASSERT_TRUE(rc);
    EXPECT_EQ(*rc, 0);
}

}  // namespace
}  // namespace litellm::test
