// Logs an admin can rotate: after logrotate's `mv`, SIGUSR1 (or a reload) makes litellmd write
// a fresh file at the old path; under systemd (JOURNAL_STREAM names stderr) every line carries
// its syslog priority and the file is not written beside the journal.

#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "functional/harness.hpp"

namespace litellm::test {
namespace {

std::string read_all(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// Waits until `path` holds `text` (the logger batches info lines for up to 50 ms).
bool wait_for_text(const std::string& path, const std::string& text) {
    for (int i = 0; i < 200; ++i) {
        if (read_all(path).find(text) != std::string::npos) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return false;
}

class LogRotationTest : public ::testing::Test {
  protected:
    void start() {
        m_home.write("config.yaml", "model_list: []\n");
        std::string error;
        ASSERT_TRUE(m_daemon.start({}, &error)) << error;
        ASSERT_TRUE(wait_for_text(m_log, "listening on"));
    }
    void TearDown() override { ::unsetenv("JOURNAL_STREAM"); }

    TempHome m_home;
    DaemonProcess m_daemon{m_home};
    std::string m_log = m_home.file("logs/litellmd.log");
};

TEST_F(LogRotationTest, AMovedLogIsReopenedOnSigusr1) {
    start();
    std::filesystem::rename(m_log, m_log + ".1");
    m_daemon.process().kill(SIGUSR1);
    ASSERT_TRUE(wait_for_text(m_log, "log file reopened")) << m_daemon.stderr_text();
    // The moved file kept what was written before and got nothing after.
    std::string old = read_all(m_log + ".1");
    EXPECT_NE(old.find("starting"), std::string::npos);
    EXPECT_EQ(old.find("log file reopened"), std::string::npos);
    struct stat st {};
    ASSERT_EQ(::stat(m_log.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 077, 0u);  // 0600, as the first one
}

TEST_F(LogRotationTest, AReloadReopensTheLogToo) {
    start();
    std::filesystem::rename(m_log, m_log + ".1");
    auto r = run_ctl(m_home, {"reload"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    ASSERT_TRUE(wait_for_text(m_log, "reloaded")) << m_daemon.stderr_text();
}

TEST_F(LogRotationTest, UnderTheJournalLinesCarryPrioritiesAndTheFileIsLeftAlone) {
    // stderr is a file the test made; JOURNAL_STREAM names it as systemd names the journal's.
    m_home.write("daemon.stderr", "");
    struct stat st {};
    ASSERT_EQ(::stat(m_home.file("daemon.stderr").c_str(), &st), 0);
    std::string js = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
    ::setenv("JOURNAL_STREAM", js.c_str(), 1);
    m_home.write("config.yaml",
                 "model_list:\n  - model_name: m\n    litellm_params: {model: openai/x, "
                 "api_key: k}\nrouter_settings: {unknown_thing: 1}\n");
    std::string error;
    ASSERT_TRUE(m_daemon.start({}, &error)) << error;
    std::string err_path = m_home.file("daemon.stderr");
    ASSERT_TRUE(wait_for_text(err_path, "listening on"));
    std::string text = read_all(err_path);
    EXPECT_NE(text.find("<6>"), std::string::npos) << text;
    EXPECT_NE(text.find("<4>"), std::string::npos) << text;  // the unknown key's warning
    // Every line starts with a priority.
    std::size_t at = 0;
    while (at < text.size()) {
        EXPECT_EQ(text[at], '<') << text.substr(at, 80);
        at = text.find('\n', at);
        if (at == std::string::npos) break;
        ++at;
    }
    // After the config was read (log_file: auto), nothing more went to the file.
    EXPECT_EQ(read_all(m_log).find("listening on"), std::string::npos);
}

}  // namespace
}  // namespace litellm::test
