// Crash loops: litellmd and litellmctl get SIGKILL at random moments while they write files
// (Claude Code's settings, a first start's config, token refreshes during reloads and
// restarts), hundreds of times. After every kill, every file is its old or its new version:
// never torn, empty, or left as a temp file; and the next start works. Together with
// QwenOAuth.KillNineOfTheDaemonDuringRefreshWritesNeverLeavesATornFile (200 kills) these make
// the 1,000 kills docs/RELIABILITY.md reports.

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/fs.hpp"
#include "common/home_init.hpp"
#include "common/json.hpp"
#include "common/paths.hpp"
#include "common/process.hpp"
#include "common/rpc_client.hpp"
#include "common/token_file.hpp"
#include "fakes/fake_qwen.hpp"
#include "functional/harness.hpp"

namespace litellm::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

long long now_s() {
    return static_cast<long long>(std::time(nullptr));
}

/// Files in `dir` (not recursive) whose names mark them as a writer's temp file, of `target`
/// only when given (write_file_atomic names them .TARGET.tmp.PID.N).
int temp_files(const std::string& dir, const std::string& target = {}) {
    int n = 0;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
        std::string name = e.path().filename().string();
        if (name.find(".tmp") == std::string::npos) continue;
        if (!target.empty() && name.rfind("." + target + ".tmp.", 0) != 0) continue;
        ++n;
    }
    return n;
}

long long elapsed_us(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t).count();
}

// ---- litellmctl toggle-claude ------------------------------------------------------------------

TEST(CrashLoop, KillNineDuringToggleClaudeLeavesTheOldOrTheNewSettings) {
    TempHome home;
    home.write("config.yaml", kSmallConfig);
    home.write(".env", "FT_MASTER_KEY=sk-ft-crash-master-0123456789\n");
    home.write("user/.claude/settings.json", "{\n  \"model\": \"opus\",\n  \"env\": {}\n}\n");
    const std::string dir = home.file("user/.claude");
    const std::string settings = dir + "/settings.json";
    auto toggle_options = [&](bool proxy) {
        SpawnOptions o;
        o.argv = {
            LITELLMCTL_BIN, "--home", home.path(), "toggle-claude", proxy ? "--proxy" : "--direct",
            "--port",       "4000"};
        o.env_set["HOME"] = home.file("user");
        o.env_unset = {"LITELLM_SOCKET", "LITELLM_HOME", "FT_MASTER_KEY"};
        o.stdout_path = "/dev/null";
        o.stderr_path = "/dev/null";
        return o;
    };
    // The two states, and how long a whole switch takes: the median of six, so one fast or
    // slow run on a busy machine does not put every kill on one side of the rename.
    std::vector<long long> runs;
    std::string proxied, direct;
    for (int i = 0; i < 6; ++i) {
        auto t0 = Clock::now();
        ASSERT_EQ(run_capture(toggle_options(i % 2 == 0), 20000).exit_code, 0);
        runs.push_back(elapsed_us(t0));
        (i % 2 == 0 ? proxied : direct) = read_file(settings).value_or("");
    }
    std::sort(runs.begin(), runs.end());
    long long full_us = runs[runs.size() / 2];
    ASSERT_NE(proxied, direct);

    std::mt19937 rng(4242);
    std::uniform_int_distribution<long long> delay(0, full_us * 3 / 2);
    int changed = 0, unchanged = 0;
    bool want_proxy = true;
    for (int i = 0; i < 300; ++i) {
        std::string before = read_file(settings).value_or("");
        Subprocess p;
        ASSERT_TRUE(p.spawn(toggle_options(want_proxy)));
        std::this_thread::sleep_for(std::chrono::microseconds(delay(rng)));
        ::kill(p.pid(), SIGKILL);
        p.wait(5000);
        auto after = read_file(settings);
        ASSERT_TRUE(after) << "iteration " << i << ": settings.json is gone";
        ASSERT_TRUE(*after == proxied || *after == direct)
            << "iteration " << i << ": settings.json is torn:\n"
            << *after;
        if (auto bak = read_file(settings + ".bak")) {
            rapidjson::Document d;
            ASSERT_TRUE(json_parse(*bak, d)) << "iteration " << i << ": the backup is torn";
        }
        if (*after == before) {
            ++unchanged;
        } else {
            ++changed;
            want_proxy = !want_proxy;
        }
        // A temp file a killed writer left is removed by the next writer of that file.
        ASSERT_LE(temp_files(dir, "settings.json"), 1) << "iteration " << i;
        ASSERT_LE(temp_files(dir, "settings.json.bak"), 1) << "iteration " << i;
        ASSERT_EQ(temp_files(dir),
                  temp_files(dir, "settings.json") + temp_files(dir, "settings.json.bak"))
            << "iteration " << i;
    }
    EXPECT_GT(changed, 0);    // kills landed after the rename ...
    EXPECT_GT(unchanged, 0);  // ... and before it
    ASSERT_EQ(run_capture(toggle_options(true), 20000).exit_code, 0);
    EXPECT_EQ(temp_files(dir), 0);
    struct stat st {};
    ASSERT_EQ(::stat(settings.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);  // it holds the master key
}

// ---- litellmd ------------------------------------------------------------------------------

// A first start writes the default config.yaml and .env.example; killed anywhere in it, each is
// absent or whole, and the next start completes the home.
TEST(CrashLoop, KillNineDuringAFirstStartLeavesNoTornDefaults) {
    // How long a start takes to write its config here (a sanitizer build is much slower): the
    // kills are spread over half again as long.
    long long full_us = 0;
    {
        TempHome home;
        std::filesystem::remove(home.path());
        Subprocess p;
        auto t0 = Clock::now();
        ASSERT_TRUE(p.spawn(litellmd_spawn_options(home)));
        while (!read_file(home.file("config.yaml")) && elapsed_us(t0) < 20'000'000)
            std::this_thread::sleep_for(200us);
        full_us = elapsed_us(t0);
        ::kill(p.pid(), SIGKILL);
        p.wait(5000);
    }
    std::mt19937 rng(777);
    std::uniform_int_distribution<long long> delay(0, full_us * 3 / 2);
    int written = 0, absent = 0;
    for (int i = 0; i < 200; ++i) {
        TempHome home;
        std::filesystem::remove(home.path());  // the daemon creates the home itself
        Subprocess p;
        ASSERT_TRUE(p.spawn(litellmd_spawn_options(home)));
        std::this_thread::sleep_for(std::chrono::microseconds(delay(rng)));
        ::kill(p.pid(), SIGKILL);
        p.wait(5000);
        auto config = read_file(home.file("config.yaml"));
        if (config) {
            ASSERT_EQ(*config, default_config_text()) << "iteration " << i;
            ++written;
        } else {
            ++absent;
        }
        if (auto example = read_file(home.file(".env.example")))
            ASSERT_EQ(*example, default_env_example_text()) << "iteration " << i;
        ASSERT_LE(temp_files(home.path()), 1) << "iteration " << i;
    }
    EXPECT_GT(written, 0);
    EXPECT_GT(absent, 0);
}

/// Kills litellmd `iterations` times while it refreshes Qwen tokens (one second long, and a
/// forced refresh asked for as soon as it answers) and `act` (a reload or a restart) runs; the
/// token file must parse after every kill and each next start must answer.
/// `act` may return a control connection, kept open until the kill.
using Act = std::function<std::shared_ptr<rpc::Client>(const std::string& socket, pid_t pid)>;

void kill_loop_with_refreshes(int iterations, const Act& act, unsigned seed) {
    FakeQwen qwen;
    TempHome home;
    qwen.set_current(1);
    qwen.set_expires_in(1);
    home.write(".env", qwen.dotenv());
    const std::string config =
        "model_list:\n  - model_name: coder\n"
        "    litellm_params: {model: qwen_portal/qwen3-coder-plus}\n";
    home.write("config.yaml", config);
    home.write("auth.qwen_portal.json", qwen.token_file(1, now_s() + 1));
    const std::string tokens = home.file("auth.qwen_portal.json");
    const std::string socket = control_socket_path(home.path());
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> delay_us(0, 30000);
    std::set<std::string> seen;
    for (int i = 0; i < iterations; ++i) {
        Subprocess p;
        ASSERT_TRUE(p.spawn(litellmd_spawn_options(home)));
        // Up and answering (the previous one was killed: a stale socket and lock are
        // its leftovers, and must not stop this start).
        bool up = false;
        for (auto until = Clock::now() + 15s; !up && Clock::now() < until;) {
            rpc::Client c;
            up = c.connect(socket, 200) && c.call("rpc.hello", "", 2000).has_value();
            if (!up) std::this_thread::sleep_for(2ms);
        }
        ASSERT_TRUE(up) << "iteration " << i << ": litellmd did not come up after a kill";
        // A forced refresh (its write is what the kill should land in), then the act.
        rpc::Client refresher;
        if (refresher.connect(socket, 2000)) {
            refresher.send_line(
                R"({"jsonrpc":"2.0","id":1,"method":"auth.refresh","params":{"provider":"qwen_portal"}})");
        }
        auto held = act(socket, p.pid());
        std::this_thread::sleep_for(std::chrono::microseconds(delay_us(rng)));
        ::kill(p.pid(), SIGKILL);
        p.wait(5000);
        auto text = read_file(tokens);
        ASSERT_TRUE(text) << "iteration " << i << ": the token file is gone";
        TokenParse parsed = parse_token_file(*text);
        ASSERT_TRUE(parsed.ok) << "iteration " << i << ": " << parsed.error << "\n" << *text;
        seen.insert(parsed.record.access_token);
        // A refresh the fake answered but the daemon did not live to write: the fake goes back
        // to the pair on disk (a real server's grace period for a just-rotated token).
        int n = std::atoi(parsed.record.access_token.substr(8).c_str());
        if (n > 0) qwen.set_current(n);
        ASSERT_EQ(read_file(home.file("config.yaml")).value_or(""), config) << "iteration " << i;
        ASSERT_LE(temp_files(home.path()), 1) << "iteration " << i;
    }
    EXPECT_GT(qwen.refreshes(), iterations / 2);
    EXPECT_GT(seen.size(), 1u);  // kills landed after token writes, not only before them
    struct stat st {};
    ASSERT_EQ(::stat(tokens.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(CrashLoop, KillNineDuringReloadsWhileTokensRefreshLeavesEveryFileWhole) {
    kill_loop_with_refreshes(
        150,
        [](const std::string&, pid_t pid) {
            ::kill(pid, SIGHUP);
            return std::shared_ptr<rpc::Client>();
        },
        99);
}

TEST(CrashLoop, KillNineDuringRestartsWhileTokensRefreshLeavesEveryFileWhole) {
    kill_loop_with_refreshes(
        150,
        [](const std::string& socket, pid_t) {
            // The restart is asked for and not waited on: the kill lands inside it.
            auto c = std::make_shared<rpc::Client>();
            if (c->connect(socket, 2000))
                c->send_line(R"({"jsonrpc":"2.0","id":1,"method":"restart","params":{}})");
            return c;
        },
        1234);
}

}  // namespace
}  // namespace litellm::test
