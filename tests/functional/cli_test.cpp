// litellmctl as a user meets it: `help` and typo suggestions, `init` and the defaults compiled
// into the binaries, `--json` shapes, `logs` with the daemon down (filters, rotation) and
// `logs -f` across an in-place restart, and `install`/`update` that ask before they act.

#include <sys/stat.h>
#include <unistd.h>

#include <csignal>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/fs.hpp"
#include "common/json.hpp"
#include "common/process.hpp"
#include "functional/harness.hpp"
#include "proto/errors.hpp"

namespace litellm::test {
namespace {

using namespace std::chrono_literals;

int exit_code(proto::ExitCode c) {
    return static_cast<int>(c);
}

std::string source_file(const std::string& rel) {
    return read_file(std::string(LITELLM_SOURCE_DIR) + "/" + rel).value_or("<missing>");
}

mode_t file_mode(const std::string& path) {
    struct stat st {};
    ::stat(path.c_str(), &st);
    return st.st_mode & 0777;
}

// Polls `done` for up to `timeout`.
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout = 10s) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
        if (done()) return true;
        std::this_thread::sleep_for(50ms);
    }
    return done();
}

// ---- help and typos -----------------------------------------------------------------------

TEST(CliHelp, HelpSubcommandShowsTheSameTextAsDashDashHelp) {
    TempHome home;
    auto all = run_ctl(home, {"help"});
    EXPECT_EQ(all.exit_code, 0);
    EXPECT_EQ(all.out, run_ctl(home, {"--help"}).out);
    auto logs = run_ctl(home, {"help", "logs"});
    EXPECT_EQ(logs.exit_code, 0);
    EXPECT_EQ(logs.out, run_ctl(home, {"logs", "--help"}).out);
    EXPECT_NE(logs.out.find("--follow"), std::string::npos) << logs.out;
}

TEST(CliHelp, UnknownCommandsAndOptionsGetTheNearestName) {
    TempHome home;
    auto typo = run_ctl(home, {"stauts"});
    EXPECT_EQ(typo.exit_code, exit_code(proto::ExitCode::kUsage));
    EXPECT_NE(typo.err.find("unknown command 'stauts'. Did you mean 'status'?"), std::string::npos)
        << typo.err;
    auto help_typo = run_ctl(home, {"help", "restrat"});
    EXPECT_EQ(help_typo.exit_code, exit_code(proto::ExitCode::kUsage));
    EXPECT_NE(help_typo.err.find("Did you mean 'restart'?"), std::string::npos) << help_typo.err;
    auto nothing_near = run_ctl(home, {"frobnicate"});
    EXPECT_EQ(nothing_near.exit_code, exit_code(proto::ExitCode::kUsage));
    EXPECT_EQ(nothing_near.err.find("Did you mean"), std::string::npos) << nothing_near.err;
    EXPECT_NE(nothing_near.err.find("litellmctl help"), std::string::npos);
    auto option = run_ctl(home, {"status", "--josn"});
    EXPECT_EQ(option.exit_code, exit_code(proto::ExitCode::kUsage));
    EXPECT_NE(option.err.find("did you mean --json?"), std::string::npos) << option.err;
    // A global option's value is not taken for the command word.
    auto global = run_ctl(home, {"--timeout", "2000", "version", "--json"});
    EXPECT_EQ(global.exit_code, 0) << global.err;
}

// ---- init and the defaults ----------------------------------------------------------------

TEST(CliInit, WritesTheCompiledInDefaultsAndKeepsExistingFiles) {
    TempHome tmp;
    std::string home = tmp.file("new-home");
    SpawnOptions o;
    o.argv = {LITELLMCTL_BIN, "--home", home, "init"};
    auto first = run_capture(o, 20000);
    ASSERT_EQ(first.exit_code, 0) << first.err;
    // The binary carries etc/config.yaml and etc/env.example byte for byte.
    EXPECT_EQ(read_file(home + "/config.yaml").value_or(""), source_file("etc/config.yaml"));
    EXPECT_EQ(read_file(home + "/.env.example").value_or(""), source_file("etc/env.example"));
    EXPECT_EQ(file_mode(home + "/config.yaml"), 0600u);
    EXPECT_EQ(file_mode(home), 0700u);
    EXPECT_FALSE(path_exists(home + "/.env"));  // keys are the user's to write
    EXPECT_NE(first.out.find("cp " + home + "/.env.example " + home + "/.env"), std::string::npos)
        << first.out;

    std::string edited = "model_list: []\n";
    ASSERT_TRUE(write_file_atomic(home + "/config.yaml", edited, 0600, nullptr));
    o.argv = {LITELLMCTL_BIN, "--home", home, "init", "--json"};
    auto again = run_capture(o, 20000);
    ASSERT_EQ(again.exit_code, 0) << again.err;
    auto d = parse_json(again.out);
    EXPECT_EQ(d["written"].Size(), 0u);
    EXPECT_EQ(d["kept"].Size(), 2u);
    EXPECT_EQ(read_file(home + "/config.yaml").value_or(""), edited);

    o.argv = {LITELLMCTL_BIN, "--home", home, "init", "--force", "--json"};
    auto forced = run_capture(o, 20000);
    ASSERT_EQ(forced.exit_code, 0) << forced.err;
    EXPECT_EQ(parse_json(forced.out)["written"].Size(), 2u);
    EXPECT_EQ(read_file(home + "/config.yaml").value_or(""), source_file("etc/config.yaml"));
}

TEST(CliInit, DaemonFirstStartInAnEmptyHomeWritesTheDefaultConfig) {
    TempHome home;  // no config.yaml
    DaemonProcess daemon(home);
    std::string error;
    ASSERT_TRUE(daemon.start({}, &error)) << error;
    EXPECT_EQ(read_file(home.file("config.yaml")).value_or(""), source_file("etc/config.yaml"));
    auto status = parse_json(run_ctl(home, {"status", "--json"}).out);
    EXPECT_GT(status["model_count"].GetInt(), 0);
    EXPECT_TRUE(eventually([&] {
        return run_ctl(home, {"logs", "-n", "200"})
                   .out.find("created " + home.file("config.yaml")) != std::string::npos;
    }));
}

TEST(CliInit, AnExplicitMissingConfigIsNeverInvented) {
    TempHome home;
    auto r = run_daemon_binary(
        {"--home", home.path(), "--config", home.file("nope.yaml"), "--port", "0", "--quiet"});
    EXPECT_EQ(r.exit_code, exit_code(proto::ExitCode::kConfigInvalid)) << r.err;
    EXPECT_FALSE(path_exists(home.file("nope.yaml")));
    EXPECT_FALSE(path_exists(home.file("config.yaml")));
}

// ---- --json shapes ------------------------------------------------------------------------

TEST(CliJson, ReloadPrintsTheResultAndNothingOnStdoutWhenRefused) {
    TempHome home;
    home.write("config.yaml", kSmallConfig);
    DaemonProcess daemon(home);
    std::string error;
    ASSERT_TRUE(daemon.start({}, &error)) << error;
    auto ok = run_ctl(home, {"reload", "--json"});
    ASSERT_EQ(ok.exit_code, 0) << ok.err;
    auto d = parse_json(ok.out);
    EXPECT_FALSE(d.HasMember("jsonrpc"));  // the result, not the envelope
    EXPECT_EQ(d["model_count"].GetInt(), 3);
    home.write("config.yaml", "model_list: [\n");
    auto refused = run_ctl(home, {"reload", "--json"});
    EXPECT_EQ(refused.exit_code, exit_code(proto::ExitCode::kConfigInvalid));
    EXPECT_EQ(refused.out, "");
    EXPECT_NE(refused.err.find("reload refused"), std::string::npos) << refused.err;
}

// ---- logs with the daemon down ------------------------------------------------------------

const char* const kLogLines =
    "2026-12-01T10:00:00.001Z DEBUG proxy: a debug line\n"
    "2026-12-01T10:00:00.002Z INFO  daemon: listening on http://127.0.0.1:4000\n"
    "2026-12-01T10:00:00.003Z WARN  config: FT_KEY is not set\n"
    "terminate called after throwing an instance of 'std::bad_alloc'\n"
    "2026-12-01T10:00:00.004Z ERROR proxy: upstream 502: it broke\n";

TEST(CliLogsOffline, LevelAndJsonApplyToTheLogFile) {
    TempHome home;
    home.write("logs/litellmd.log", kLogLines);
    auto plain = run_ctl(home, {"logs"});
    EXPECT_EQ(plain.exit_code, 0) << plain.err;
    EXPECT_EQ(plain.out.find("a debug line"), std::string::npos) << plain.out;  // info default
    EXPECT_NE(plain.out.find("terminate called"), std::string::npos) << plain.out;
    auto warn = run_ctl(home, {"logs", "--level", "warn"});
    EXPECT_EQ(warn.out,
              "2026-12-01T10:00:00.003Z WARN  config: FT_KEY is not set\n"
              "2026-12-01T10:00:00.004Z ERROR proxy: upstream 502: it broke\n");
    auto json = run_ctl(home, {"logs", "--json", "--level", "debug", "-n", "2"});
    ASSERT_EQ(json.exit_code, 0);
    std::vector<std::string> lines;
    std::string line;
    for (std::istringstream in(json.out); std::getline(in, line);)
        lines.push_back(line);
    ASSERT_EQ(lines.size(), 2u) << json.out;
    auto crash = parse_json(lines[0]);
    EXPECT_EQ(std::string(crash["level"].GetString()), "info");
    EXPECT_TRUE(crash["ts"].IsNull());
    EXPECT_EQ(std::string(crash["msg"].GetString()),
              "terminate called after throwing an instance of 'std::bad_alloc'");
    auto last = parse_json(lines[1]);
    // The same keys as a record from a running daemon.
    for (const char* key : {"seq", "ts", "level", "component", "msg"})
        EXPECT_TRUE(last.HasMember(key)) << key;
    EXPECT_EQ(std::string(last["level"].GetString()), "error");
    EXPECT_EQ(std::string(last["component"].GetString()), "proxy");
    EXPECT_EQ(std::string(last["msg"].GetString()), "upstream 502: it broke");
    EXPECT_EQ(std::string(last["ts"].GetString()), "2026-12-01T10:00:00.004Z");
}

TEST(CliLogsOffline, FollowGoesOnWithTheNewFileAfterARotation) {
    TempHome home;
    home.write("logs/litellmd.log", kLogLines);
    std::string out = home.file("follow.out");
    Subprocess follower;
    SpawnOptions o;
    o.argv = {LITELLMCTL_BIN, "--home", home.path(), "logs", "-f", "-n", "0"};
    o.stdout_path = out;
    o.stderr_path = home.file("follow.err");
    o.die_with_parent = true;
    ASSERT_TRUE(follower.spawn(o));
    std::this_thread::sleep_for(300ms);
    auto append = [&](const std::string& text) {
        FILE* f = std::fopen(home.file("logs/litellmd.log").c_str(), "a");
        std::fputs(text.c_str(), f);
        std::fclose(f);
    };
    append("2026-12-01T10:00:01.000Z INFO  daemon: before the rotation\n");
    ASSERT_TRUE(eventually([&] {
        return read_file(out).value_or("").find("before the rotation") != std::string::npos;
    }));
    std::filesystem::rename(home.file("logs/litellmd.log"), home.file("logs/litellmd.log.1"));
    home.write("logs/litellmd.log", "2026-12-01T10:00:02.000Z INFO  daemon: after the rotation\n");
    EXPECT_TRUE(eventually([&] {
        return read_file(out).value_or("").find("after the rotation") != std::string::npos;
    })) << read_file(out).value_or("");
    ::kill(follower.pid(), SIGINT);
    EXPECT_EQ(follower.wait(5000).value_or(-1), 0);
    EXPECT_EQ(read_file(out).value_or("").find("a debug line"), std::string::npos);
}

// ---- logs -f across a restart -------------------------------------------------------------

TEST(CliLogsFollow, ReconnectsAcrossAnInPlaceRestart) {
    TempHome home;
    home.write("config.yaml", kSmallConfig);
    DaemonProcess daemon(home);
    std::string error;
    ASSERT_TRUE(daemon.start({}, &error)) << error;
    std::string out = home.file("follow.out"), err = home.file("follow.err");
    Subprocess follower;
    SpawnOptions o;
    o.argv = {LITELLMCTL_BIN, "--home", home.path(), "logs", "-f", "-n", "5"};
    o.stdout_path = out;
    o.stderr_path = err;
    o.die_with_parent = true;
    ASSERT_TRUE(follower.spawn(o));
    auto lines_with = [&](const std::string& needle) {
        std::string text = read_file(out).value_or("");
        int n = 0;
        for (std::size_t p = text.find(needle); p != std::string::npos;
             p = text.find(needle, p + 1))
            ++n;
        return n;
    };
    ASSERT_TRUE(eventually([&] { return lines_with("listening on") == 1; }))
        << read_file(out).value_or("");
    auto restart = run_ctl(home, {"restart"});
    ASSERT_EQ(restart.exit_code, 0) << restart.err;
    // The restarted daemon's own start lines arrive through the new connection.
    EXPECT_TRUE(eventually([&] { return lines_with("listening on") == 2; }))
        << read_file(out).value_or("") << read_file(err).value_or("");
    ASSERT_EQ(run_ctl(home, {"reload"}).exit_code, 0);
    EXPECT_TRUE(eventually([&] { return lines_with("reloading") == 1; }))
        << read_file(out).value_or("");
    EXPECT_NE(read_file(err).value_or("").find("following litellmd"), std::string::npos)
        << read_file(err).value_or("");
    EXPECT_FALSE(follower.wait(0).has_value());  // still following
    ::kill(follower.pid(), SIGINT);
    EXPECT_EQ(follower.wait(5000).value_or(-1), 0);
}

// ---- install / update ---------------------------------------------------------------------

class CliBuild : public ::testing::Test {
  protected:
    void SetUp() override {
        // A source tree whose scripts/install only records how it was called.
        m_tmp.write("src/scripts/install",
                    "#!/bin/sh\necho \"$@\" > \"$(dirname \"$0\")/../install-called\"\n");
        ::chmod(m_tmp.file("src/scripts/install").c_str(), 0755);
    }

    RunResult ctl(const std::vector<std::string>& args) {
        SpawnOptions o;
        o.argv = {LITELLMCTL_BIN, "--home", m_tmp.file("home")};
        for (const auto& a : args)
            o.argv.push_back(a);
        o.env_set["LITELLM_SOURCE_DIR"] = m_tmp.file("src");
        o.env_set["HOME"] = m_tmp.file("user");  // stdin is /dev/null: not a terminal
        return run_capture(o, 20000);
    }

    bool installed() const { return path_exists(m_tmp.file("src/install-called")); }

    TempHome m_tmp;
};

TEST_F(CliBuild, InstallSaysWhatItWillDoAndNeedsYesOffATerminal) {
    auto asked = ctl({"install"});
    EXPECT_EQ(asked.exit_code, exit_code(proto::ExitCode::kUsage));
    EXPECT_NE(asked.out.find("litellmctl install will:"), std::string::npos) << asked.out;
    EXPECT_NE(asked.out.find("copy both into " + m_tmp.file("user") + "/.local/bin"),
              std::string::npos)
        << asked.out;
    EXPECT_NE(asked.err.find("pass --yes"), std::string::npos) << asked.err;
    EXPECT_FALSE(installed());
    auto dry = ctl({"install", "--dry-run", "--prefix", m_tmp.file("p")});
    EXPECT_EQ(dry.exit_code, 0);
    EXPECT_NE(dry.out.find("copy both into " + m_tmp.file("p") + "/bin"), std::string::npos);
    EXPECT_FALSE(installed());
    auto yes = ctl({"install", "--yes", "--prefix", m_tmp.file("p")});
    EXPECT_EQ(yes.exit_code, 0) << yes.err;
    ASSERT_TRUE(installed());
    EXPECT_EQ(read_file(m_tmp.file("src/install-called")).value_or(""),
              "--prefix " + m_tmp.file("p") + "\n");
}

TEST_F(CliBuild, UpdateAsksFirstAndSaysWhenThereIsNoGitCheckout) {
    auto asked = ctl({"update"});
    EXPECT_EQ(asked.exit_code, exit_code(proto::ExitCode::kUsage));
    EXPECT_NE(asked.out.find("is not a git checkout"), std::string::npos) << asked.out;
    EXPECT_FALSE(installed());
    auto yes = ctl({"update", "--yes"});
    EXPECT_EQ(yes.exit_code, 0) << yes.err;
    EXPECT_TRUE(installed());
    auto missing = ctl({"update", "--yes", "--source", m_tmp.file("elsewhere")});
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_NE(missing.err.find("no source checkout at " + m_tmp.file("elsewhere")),
              std::string::npos)
        << missing.err;
}

}  // namespace
}  // namespace litellm::test
