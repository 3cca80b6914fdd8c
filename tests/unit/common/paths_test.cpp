#include "common/paths.hpp"

#include <stdlib.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace litellm {
namespace {

// Saves and restores an environment variable around a test.
class EnvGuard {
  public:
    explicit EnvGuard(const char* name) : m_name(name) {
        if (const char* v = ::getenv(name)) m_old = v;
        m_had = ::getenv(name) != nullptr;
    }
    ~EnvGuard() {
        if (m_had)
            ::setenv(m_name, m_old.c_str(), 1);
        else
            ::unsetenv(m_name);
    }

  private:
    const char* m_name;
    std::string m_old;
    bool m_had = false;
};

TEST(Paths, HomeLayoutKeepsTheOriginalNames) {
    EnvGuard sock("LITELLM_SOCKET");
    ::unsetenv("LITELLM_SOCKET");
    auto p = home_paths("/home/u/.litellm");
    EXPECT_EQ(p.config, "/home/u/.litellm/config.yaml");
    EXPECT_EQ(p.dotenv, "/home/u/.litellm/.env");
    EXPECT_EQ(p.log_file, "/home/u/.litellm/logs/litellmd.log");
    EXPECT_EQ(p.socket, "/home/u/.litellm/litellmd.sock");
}

TEST(Paths, DefaultHomeHonoursLitellmHome) {
    EnvGuard home("LITELLM_HOME");
    ::setenv("LITELLM_HOME", "/srv/llm", 1);
    EXPECT_EQ(default_home(), "/srv/llm");
    ::unsetenv("LITELLM_HOME");
    EnvGuard user_home("HOME");
    ::setenv("HOME", "/home/someone", 1);
    EXPECT_EQ(default_home(), "/home/someone/.litellm");
}

TEST(Paths, LongHomeMovesSocketToRuntimeDir) {
    EnvGuard sock("LITELLM_SOCKET");
    EnvGuard xdg("XDG_RUNTIME_DIR");
    ::unsetenv("LITELLM_SOCKET");
    ::setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
    std::string long_home = "/home/" + std::string(120, 'x');
    std::string a = control_socket_path(long_home);
    EXPECT_EQ(a.rfind("/run/user/1000/litellm/litellmd-", 0), 0u) << a;
    EXPECT_LT(a.size(), sizeof(sockaddr_un::sun_path));
    // Two long homes never share a socket.
    EXPECT_NE(a, control_socket_path(long_home + "y"));
    ::unsetenv("XDG_RUNTIME_DIR");
    std::string b = control_socket_path(long_home);
    EXPECT_EQ(b.rfind("/tmp/litellm-" + std::to_string(getuid()) + "/", 0), 0u) << b;
}

TEST(Paths, SocketOverride) {
    EnvGuard sock("LITELLM_SOCKET");
    ::setenv("LITELLM_SOCKET", "/tmp/custom.sock", 1);
    EXPECT_EQ(control_socket_path("/anything"), "/tmp/custom.sock");
}

}  // namespace
}  // namespace litellm
