// `litellmctl doctor` against broken and healthy homes: each problem gets its own line with a
// fix, a healthy home with a running daemon passes, --json parses, --offline skips the probes.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.hpp"
#include "common/paths.hpp"
#include "fakes/fake_upstream.hpp"
#include "functional/harness.hpp"

namespace litellm::test {
namespace {

// A TCP listener on 127.0.0.1 (port 0 = any free port), closed on destruction.
class TcpListener {
  public:
    TcpListener() {
        m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        if (m_fd < 0 || ::bind(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
            ::listen(m_fd, 4) != 0 ||
            ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
            ADD_FAILURE() << "cannot open a TCP listener: " << std::strerror(errno);
            return;
        }
        m_port = ntohs(addr.sin_port);
    }
    ~TcpListener() {
        if (m_fd >= 0) ::close(m_fd);
    }
    int port() const { return m_port; }

  private:
    int m_fd = -1;
    int m_port = 0;
};

// A Unix socket file with no listener behind it: what a crashed daemon leaves.
void make_stale_socket(const std::string& path) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    ASSERT_LT(path.size(), sizeof addr.sun_path);
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0)
        << std::strerror(errno);
    ::close(fd);
}

void write_mode(const TempHome& home, const std::string& name, const std::string& content,
                mode_t mode) {
    home.write(name, content);
    ASSERT_EQ(::chmod(home.file(name).c_str(), mode), 0);
}

// The rows of a doctor --json report.
struct Check {
    std::string name, status, detail, fix;
};

std::vector<Check> checks_of(const rapidjson::Document& doc) {
    std::vector<Check> out;
    if (!doc.IsObject() || !doc.HasMember("checks") || !doc["checks"].IsArray()) {
        ADD_FAILURE() << "no checks array";
        return out;
    }
    for (const auto& c : doc["checks"].GetArray()) {
        out.push_back(
            {std::string(json_get_string(c, "name")), std::string(json_get_string(c, "status")),
             std::string(json_get_string(c, "detail")), std::string(json_get_string(c, "fix"))});
    }
    return out;
}

// The first row with `name` and `status` whose detail contains `needle`, or nullptr.
const Check* find_check(const std::vector<Check>& checks, const std::string& name,
                        const std::string& status, const std::string& needle) {
    for (const Check& c : checks) {
        if (c.name == name && c.status == status && c.detail.find(needle) != std::string::npos) {
            return &c;
        }
    }
    return nullptr;
}

std::string dump(const std::vector<Check>& checks) {
    std::string out;
    for (const Check& c : checks)
        out += fmt::format("  {:5} {:12} {} | fix: {}\n", c.status, c.name, c.detail, c.fix);
    return out;
}

// Two models on fake upstreams, keys and master key from .env.
std::string healthy_config(const FakeUpstream& a, const FakeUpstream& b) {
    return fmt::format(R"(model_list:
  - model_name: doc-claude
    litellm_params:
      model: anthropic/claude-doc-1
      api_base: {}
      api_key: os.environ/DOCTOR_FT_ANTHROPIC_KEY
  - model_name: doc-gpt
    litellm_params:
      model: openai/gpt-doc-1
      api_base: {}/v1
      api_key: os.environ/DOCTOR_FT_OPENAI_KEY
router_settings:
  fallbacks:
    - doc-claude: [doc-gpt]
general_settings:
  master_key: os.environ/DOCTOR_FT_MASTER_KEY
)",
                       a.base_url(), b.base_url());
}

constexpr const char* kHealthyEnv =
    "DOCTOR_FT_ANTHROPIC_KEY=sk-ant-doctor\n"
    "DOCTOR_FT_OPENAI_KEY=sk-doctor\n"
    "DOCTOR_FT_MASTER_KEY=sk-litellm-doctor-test\n";

class DoctorTest : public ::testing::Test {
  protected:
    // Pin the service manager so doctor never asks systemctl (slow, and not the test's).
    void SetUp() override { ::setenv("LITELLM_SERVICE_MANAGER", "detached", 1); }
    void TearDown() override { ::unsetenv("LITELLM_SERVICE_MANAGER"); }

    RunResult doctor(const TempHome& home, std::vector<std::string> args) {
        args.insert(args.begin(), "doctor");
        return run_ctl(home, args, 10000);
    }
};

TEST_F(DoctorTest, MissingConfigFailsWithFix) {
    TempHome home;
    RunResult r = doctor(home, {"--offline", "--port", std::to_string(free_port())});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("FAIL  config       no config file at " + home.file("config.yaml")),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("fix: `litellmctl init` writes the default config"), std::string::npos)
        << r.out;
    // The checks that need a config say so instead of going silent.
    EXPECT_NE(r.out.find("credentials  not checked: the config did not load"), std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("FAIL: fix the FAIL lines"), std::string::npos) << r.out;
}

TEST_F(DoctorTest, ConfigSyntaxErrorFailsWithLineAndColumn) {
    TempHome home;
    home.write("config.yaml",
               "model_list:\n"
               "  - model_name: a\n"
               "    litellm_params: {model: anthropic/x\n");
    RunResult r = doctor(home, {"--offline", "--json", "--port", std::to_string(free_port())});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    auto doc = parse_json(r.out);
    auto checks = checks_of(doc);
    const Check* c = find_check(checks, "config", "fail", home.file("config.yaml") + ":");
    ASSERT_NE(c, nullptr) << dump(checks);
    // file:line:col, the form editors jump to.
    std::string rest = c->detail.substr(home.file("config.yaml").size());
    int line = 0, col = 0;
    EXPECT_EQ(std::sscanf(rest.c_str(), ":%d:%d:", &line, &col), 2) << c->detail;
    EXPECT_GE(line, 3) << c->detail;
    EXPECT_GT(col, 0) << c->detail;
    EXPECT_NE(c->fix.find("litellmd --check-config"), std::string::npos) << c->fix;
}

TEST_F(DoctorTest, BrokenHomeListsEachProblem) {
    TempHome home;
    ASSERT_EQ(::chmod(home.path().c_str(), 0770), 0);
    home.write("config.yaml", R"(model_list:
  - model_name: doc-claude
    litellm_params:
      model: anthropic/claude-doc-1
      api_key: os.environ/DOCTOR_FT_MISSING_KEY
general_settings:
  master_key: os.environ/DOCTOR_FT_MISSING_MASTER
)");
    write_mode(home, ".env", "DOCTOR_FT_UNRELATED=1\n", 0644);
    write_mode(home, "auth.chatgpt.json", "{\"access_token\": \"abc\",", 0644);
    double past =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count() -
        7200.5;
    write_mode(
        home, "auth.qwen_portal.json",
        fmt::format(R"({{"access_token":"a","refresh_token":"r","expires_at":{:.3f}}})", past),
        0600);
    TcpListener held;
    make_stale_socket(control_socket_path(home.path()));

    auto started = std::chrono::steady_clock::now();
    RunResult r = doctor(home, {"--json", "--port", std::to_string(held.port())});
    auto took = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_LT(took, std::chrono::seconds(4));
    auto doc = parse_json(r.out);
    ASSERT_TRUE(doc.IsObject());
    EXPECT_FALSE(doc["ok"].GetBool());
    auto checks = checks_of(doc);
    SCOPED_TRACE(dump(checks));

    const Check* c = find_check(checks, "home", "fail", "writable by group (mode 0770)");
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->fix, "chmod 700 " + home.path());

    c = find_check(checks, ".env", "warn", "open to group and others (mode 0644)");
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->fix, "chmod 600 " + home.file(".env"));

    c = find_check(checks, "env", "warn",
                   "DOCTOR_FT_MISSING_KEY is not set (api_key of doc-claude)");
    ASSERT_NE(c, nullptr);
    EXPECT_NE(c->fix.find("add DOCTOR_FT_MISSING_KEY=<key> to " + home.file(".env")),
              std::string::npos);
    // As `status` sees it: no master key is a warning (loopback only), not a failure.
    c = find_check(checks, "env", "warn", "DOCTOR_FT_MISSING_MASTER is not set");
    ASSERT_NE(c, nullptr);
    EXPECT_NE(c->detail.find("serves loopback only"), std::string::npos) << c->detail;
    EXPECT_EQ(find_check(checks, "env", "fail", "DOCTOR_FT_MISSING_MASTER"), nullptr);
    // The env rows carry these; the config check does not repeat them.
    EXPECT_EQ(find_check(checks, "config", "warn", "DOCTOR_FT_MISSING"), nullptr);

    c = find_check(checks, "credentials", "warn", "doc-claude will not work");
    ASSERT_NE(c, nullptr);
    EXPECT_FALSE(c->fix.empty());

    c = find_check(checks, "token", "fail", "auth.chatgpt.json is not valid JSON");
    ASSERT_NE(c, nullptr);
    EXPECT_NE(c->fix.find("litellmctl auth chatgpt"), std::string::npos);
    c = find_check(checks, "token", "warn", "auth.chatgpt.json holds tokens and is open to");
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->fix, "chmod 600 " + home.file("auth.chatgpt.json"));
    c = find_check(checks, "token", "warn", "auth.qwen_portal.json access token expired 2h 0m ago");
    ASSERT_NE(c, nullptr);
    EXPECT_NE(c->fix.find("litellmctl auth qwen"), std::string::npos);
    EXPECT_EQ(find_check(checks, "token", "warn", "auth.qwen_portal.json holds tokens"), nullptr);

    c = find_check(checks, "socket", "warn", "stale socket");
    ASSERT_NE(c, nullptr);
    EXPECT_NE(c->fix.find("removes it when it starts"), std::string::npos);

    c = find_check(checks, "port", "fail",
                   fmt::format("port {} is held by pid {}", held.port(), ::getpid()));
    ASSERT_NE(c, nullptr);
    EXPECT_NE(c->fix.find("--port"), std::string::npos);

    ASSERT_NE(find_check(checks, "service", "warn", "detached: not started"), nullptr);

    // The same report for a person: aligned lines, a fix under each problem, a summary.
    RunResult text = doctor(home, {"--offline", "--port", std::to_string(held.port())});
    EXPECT_EQ(text.exit_code, 1);
    EXPECT_NE(text.out.find("\nFAIL  token        auth.chatgpt.json is not valid JSON"),
              std::string::npos)
        << text.out;
    EXPECT_NE(text.out.find("\n                   fix: chmod 600 " + home.file(".env")),
              std::string::npos)
        << text.out;
    EXPECT_NE(text.out.find("3 FAIL: fix the FAIL lines"), std::string::npos) << text.out;
}

TEST_F(DoctorTest, HealthyHomeWithRunningDaemonPasses) {
    FakeUpstream anthropic_up, openai_up;
    TempHome home;
    home.write("config.yaml", healthy_config(anthropic_up, openai_up));
    write_mode(home, ".env", kHealthyEnv, 0600);
    DaemonProcess daemon(home);
    std::string error;
    ASSERT_TRUE(daemon.start({}, &error)) << error;
    int port = daemon.http_port();
    ASSERT_GT(port, 0);

    RunResult r = doctor(home, {"--json", "--port", std::to_string(port)});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    auto doc = parse_json(r.out);
    ASSERT_TRUE(doc.IsObject());
    EXPECT_TRUE(doc["ok"].GetBool());
    auto checks = checks_of(doc);
    SCOPED_TRACE(dump(checks));
    for (const Check& c : checks)
        EXPECT_TRUE(c.status == "ok" || c.status == "warn") << c.name << ": " << c.detail;
    EXPECT_NE(find_check(checks, "home", "ok", "(mode 0700)"), nullptr);
    EXPECT_NE(find_check(checks, "config", "ok", "loads: 2 models"), nullptr);
    EXPECT_NE(find_check(checks, ".env", "ok", "3 variables, mode 0600"), nullptr);
    EXPECT_NE(find_check(checks, "env", "ok", "set: DOCTOR_FT_ANTHROPIC_KEY"), nullptr);
    EXPECT_NE(find_check(checks, "credentials", "ok", "anthropic"), nullptr);
    EXPECT_NE(find_check(checks, "credentials", "ok", "openai"), nullptr);
    EXPECT_NE(find_check(checks, "socket", "ok", "answers on " + daemon.socket_path()), nullptr);
    EXPECT_NE(find_check(checks, "port", "ok", fmt::format("listens on port {}", port)), nullptr);
    EXPECT_NE(find_check(checks, "service", "ok", "litellmd runs outside it"), nullptr);
    EXPECT_NE(find_check(checks, "upstream", "ok",
                         fmt::format("127.0.0.1:{} reachable", anthropic_up.port())),
              nullptr);
    EXPECT_NE(find_check(checks, "upstream", "ok",
                         fmt::format("127.0.0.1:{} reachable", openai_up.port())),
              nullptr);
    ASSERT_TRUE(doc.HasMember("summary"));
    EXPECT_EQ(json_get_int(doc["summary"], "fail", -1), 0);

    RunResult text = doctor(home, {"--port", std::to_string(port)});
    EXPECT_EQ(text.exit_code, 0) << text.out;
    EXPECT_EQ(text.out.find("FAIL"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("ok    socket       litellmd "), std::string::npos) << text.out;
}

TEST_F(DoctorTest, UpstreamsBehindAProxyAreProbedThroughItAndSaySo) {
    FakeUpstream anthropic_up, openai_up, proxy;  // the "proxy" only has to accept TCP
    TempHome home;
    home.write("config.yaml", healthy_config(anthropic_up, openai_up));
    write_mode(home, ".env", kHealthyEnv, 0600);
    std::string proxy_url = "http://u:pw@127.0.0.1:" + std::to_string(proxy.port());
    ::setenv("HTTP_PROXY", proxy_url.c_str(), 1);
    ::setenv("NO_PROXY", "127.0.0.2", 1);
    RunResult r = doctor(home, {"--json", "--port", std::to_string(free_port())});
    ::unsetenv("HTTP_PROXY");
    ::unsetenv("NO_PROXY");
    auto checks = checks_of(parse_json(r.out));
    SCOPED_TRACE(dump(checks));
    EXPECT_NE(find_check(checks, "upstream", "ok",
                         fmt::format("127.0.0.1:{} via the proxy http://u:***@127.0.0.1:{} "
                                     "(HTTP_PROXY) proxy reachable",
                                     anthropic_up.port(), proxy.port())),
              nullptr);
    EXPECT_EQ(r.out.find(":pw@"), std::string::npos);  // the proxy password is not shown
}

TEST_F(DoctorTest, OfflineSkipsProbes) {
    FakeUpstream anthropic_up, openai_up;
    TempHome home;
    home.write("config.yaml", healthy_config(anthropic_up, openai_up));
    write_mode(home, ".env", kHealthyEnv, 0600);
    RunResult r = doctor(home, {"--offline", "--json", "--port", std::to_string(free_port())});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    auto doc = parse_json(r.out);
    auto checks = checks_of(doc);
    SCOPED_TRACE(dump(checks));
    EXPECT_NE(find_check(checks, "upstream", "ok", "skipped (--offline)"), nullptr);
    for (const Check& c : checks)
        EXPECT_EQ(c.detail.find("reachable"), std::string::npos) << c.detail;
    // No daemon: not a failure, but said, with how to start it.
    const Check* c = find_check(checks, "socket", "warn", "litellmd is not running");
    ASSERT_NE(c, nullptr);
    EXPECT_NE(c->fix.find("litellmctl start"), std::string::npos);
    EXPECT_NE(find_check(checks, "port", "ok", "is free for litellmd"), nullptr);
}

TEST_F(DoctorTest, UnreachableUpstreamsWarnWithoutHanging) {
    TempHome home;
    int closed = free_port();
    // A local port nobody listens on, and a public host (no DNS on offline machines).
    home.write("config.yaml", fmt::format(R"(model_list:
  - model_name: doc-local
    litellm_params:
      model: openai/local-1
      api_base: http://127.0.0.1:{}/v1
      api_key: os.environ/DOCTOR_FT_OPENAI_KEY
  - model_name: doc-public
    litellm_params:
      model: anthropic/claude-doc-1
      api_key: os.environ/DOCTOR_FT_ANTHROPIC_KEY
general_settings:
  master_key: os.environ/DOCTOR_FT_MASTER_KEY
)",
                                          closed));
    write_mode(home, ".env", kHealthyEnv, 0600);
    auto started = std::chrono::steady_clock::now();
    RunResult r = doctor(home, {"--json", "--port", std::to_string(free_port())});
    auto took = std::chrono::steady_clock::now() - started;
    // Probes are bounded by the 2 s probe timeout (plus DNS grace), all hosts at once.
    EXPECT_LT(took, std::chrono::seconds(4));
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    auto doc = parse_json(r.out);
    auto checks = checks_of(doc);
    SCOPED_TRACE(dump(checks));
    const Check* c =
        find_check(checks, "upstream", "warn", fmt::format("127.0.0.1:{} unreachable", closed));
    ASSERT_NE(c, nullptr);
    EXPECT_NE(c->detail.find("doc-local"), std::string::npos);
    EXPECT_FALSE(c->fix.empty());
    // api.anthropic.com is probed either way: reachable online, a warning offline.
    bool anthropic_row = find_check(checks, "upstream", "ok", "api.anthropic.com:443") ||
                         find_check(checks, "upstream", "warn", "api.anthropic.com:443");
    EXPECT_TRUE(anthropic_row);
}

}  // namespace
}  // namespace litellm::test
