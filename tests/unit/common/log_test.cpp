#include "common/log.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>

#include <thread>

#include <gtest/gtest.h>

#include "common/fs.hpp"

namespace litellm {
namespace {

class LogTest : public ::testing::Test {
  protected:
    void SetUp() override {
        LoggerOptions o;
        o.min_level = LogLevel::kDebug;
        o.ring_capacity = 8;
        Logger::instance().configure(o);
    }
    void TearDown() override { Logger::instance().configure(LoggerOptions{}); }
};

TEST_F(LogTest, TailReturnsNewestInOrderAndFiltersLevel) {
    for (int i = 0; i < 12; ++i)
        log_info("t", "line {}", i);
    log_debug("t", "debug line");
    auto all = Logger::instance().tail(100, LogLevel::kDebug);
    ASSERT_EQ(all.size(), 8u);  // ring capacity
    EXPECT_EQ(all.back().message, "debug line");
    EXPECT_EQ(all.front().message, "line 5");
    for (size_t i = 1; i < all.size(); ++i)
        EXPECT_EQ(all[i].seq, all[i - 1].seq + 1);
    auto info = Logger::instance().tail(2, LogLevel::kInfo);
    ASSERT_EQ(info.size(), 2u);
    EXPECT_EQ(info[0].message, "line 10");
    EXPECT_EQ(info[1].message, "line 11");
}

TEST_F(LogTest, RecordsAreRedactedWhenBuilt) {
    log_warn("auth", "refresh with Authorization: Bearer supersecretvalue");
    auto last = Logger::instance().tail(1, LogLevel::kDebug);
    ASSERT_EQ(last.size(), 1u);
    EXPECT_EQ(last[0].message.find("supersecretvalue"), std::string::npos);
    EXPECT_EQ(last[0].component, "auth");
    EXPECT_EQ(last[0].level, LogLevel::kWarn);
}

TEST_F(LogTest, MinLevelSkipsRecords) {
    LoggerOptions o;
    o.min_level = LogLevel::kWarn;
    o.ring_capacity = 8;
    Logger::instance().configure(o);
    log_info("t", "hidden");
    log_error("t", "shown");
    auto recs = Logger::instance().tail(10, LogLevel::kDebug);
    ASSERT_FALSE(recs.empty());
    EXPECT_EQ(recs.back().message, "shown");
    for (const auto& r : recs)
        EXPECT_NE(r.message, "hidden");
}

TEST_F(LogTest, SubscriberQueueDropsAndCountsInsteadOfBlocking) {
    std::atomic<int> wakes{0};
    auto sub = Logger::instance().subscribe(LogLevel::kInfo, 3, [&] { ++wakes; });
    for (int i = 0; i < 10; ++i)
        log_info("t", "r{}", i);
    log_debug("t", "below the subscriber's level");
    EXPECT_EQ(wakes.load(), 1);  // one wake until drained
    std::uint64_t dropped = 0;
    auto got = sub->drain(&dropped);
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0].message, "r0");
    EXPECT_EQ(dropped, 7u);
    log_info("t", "after drain");
    EXPECT_EQ(wakes.load(), 2);
    got = sub->drain(&dropped);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(dropped, 0u);
    Logger::instance().unsubscribe(sub);
    log_info("t", "after unsubscribe");
    EXPECT_TRUE(sub->drain(&dropped).empty());
}

// Points the logger at a new file in the temp directory (info and up); its path, or "".
std::string log_to_fresh_file(const std::string& stem) {
    std::string path =
        (std::filesystem::temp_directory_path() / (stem + std::to_string(getpid()) + ".log"))
            .string();
    std::filesystem::remove(path);
    LoggerOptions o;
    o.file_path = path;
    o.min_level = LogLevel::kInfo;
    return Logger::instance().configure(o) ? path : std::string();
}

TEST_F(LogTest, FileSinkIsPrivateAndGetsFormattedLines) {
    std::string path = log_to_fresh_file("litellm-log-test-");
    ASSERT_FALSE(path.empty());
    log_info("daemon", "hello {}", 42);
    Logger::instance().close();
    auto text = read_file(path);
    ASSERT_TRUE(text);
    EXPECT_NE(text->find(" INFO  daemon: hello 42\n"), std::string::npos) << *text;
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    std::filesystem::remove(path);
}

TEST_F(LogTest, InfoLinesAreFlushedInBatchesWarningsAtOnce) {
    std::string path = log_to_fresh_file("litellm-log-flush-");
    ASSERT_FALSE(path.empty());
    log_warn("daemon", "warned");
    auto text = read_file(path);  // no close(): a warning is on disk as soon as it is logged
    ASSERT_TRUE(text);
    EXPECT_NE(text->find("warned"), std::string::npos);
    log_info("proxy", "request done");
    bool seen = false;
    for (int i = 0; i < 100 && !seen; ++i) {  // flushed by the logger's own thread
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        text = read_file(path);
        seen = text && text->find("request done") != std::string::npos;
    }
    EXPECT_TRUE(seen) << "an info line never reached the file without close()";
    Logger::instance().close();
    std::filesystem::remove(path);
}

TEST_F(LogTest, TheFileIsRotatedBySizeKeepingTheBackupsAsked) {
    std::string dir =
        std::filesystem::temp_directory_path() / ("litellm-logrot-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    LoggerOptions o;
    o.file_path = dir + "/d.log";
    o.max_file_bytes = 300;
    o.file_backups = 2;
    Logger::instance().configure(o);
    for (int i = 0; i < 40; ++i)
        log_warn("t", "line {} padding padding padding", i);  // warnings reach the file now
    Logger::instance().configure(LoggerOptions{});
    namespace fs = std::filesystem;
    EXPECT_TRUE(fs::exists(dir + "/d.log"));
    EXPECT_TRUE(fs::exists(dir + "/d.log.1"));
    EXPECT_TRUE(fs::exists(dir + "/d.log.2"));
    EXPECT_FALSE(fs::exists(dir + "/d.log.3"));        // only the two asked for
    EXPECT_LE(fs::file_size(dir + "/d.log.1"), 300u);  // a line that would pass it starts the next
    // The newest line is in the live file, older ones in .1.
    auto read = [](const std::string& p) {
        std::ifstream in(p);
        return std::string(std::istreambuf_iterator<char>(in), {});
    };
    EXPECT_NE(read(dir + "/d.log").find("line 39"), std::string::npos);
    EXPECT_EQ(read(dir + "/d.log.1").find("line 39"), std::string::npos);
    EXPECT_EQ((fs::status(dir + "/d.log.1").permissions() & fs::perms::others_read),
              fs::perms::none);
    fs::remove_all(dir);
}

TEST(LogJournal, PrioritiesAsSdDaemonReadsThem) {
    EXPECT_STREQ(journal_prefix(LogLevel::kError), "<3>");
    EXPECT_STREQ(journal_prefix(LogLevel::kWarn), "<4>");
    EXPECT_STREQ(journal_prefix(LogLevel::kInfo), "<6>");
    EXPECT_STREQ(journal_prefix(LogLevel::kDebug), "<7>");
}

TEST(LogFormat, TimestampAndLevels) {
    EXPECT_EQ(format_timestamp(0), "1970-01-01T00:00:00.000Z");
    EXPECT_EQ(format_timestamp(1795500000123), "2026-11-24T06:00:00.123Z");
    EXPECT_EQ(parse_log_level("warning"), LogLevel::kWarn);
    EXPECT_EQ(parse_log_level("nope"), std::nullopt);
    EXPECT_EQ(log_level_name(LogLevel::kError), "error");
}

TEST_F(LogTest, ARecordIsOneLineWhateverTheInput) {
    // A model name with a JSON-escaped newline once forged a whole second record.
    log_info("proxy", "request model={} done",
             "x\r\n2026-01-01T00:00:00.000Z ERROR daemon: forged\x1b[2J");
    auto last = Logger::instance().tail(1, LogLevel::kDebug);
    ASSERT_EQ(last.size(), 1u);
    EXPECT_EQ(last[0].message.find('\n'), std::string::npos);
    EXPECT_EQ(last[0].message.find('\r'), std::string::npos);
    EXPECT_EQ(last[0].message.find('\x1b'), std::string::npos);
    EXPECT_NE(last[0].message.find("x\\r\\n2026"), std::string::npos) << last[0].message;
}

TEST_F(LogTest, LongRecordsAreCutWithTheirSize) {
    Logger::instance().set_max_message_bytes(1024);
    log_info("proxy", "model={}", std::string(30u << 20, 'm'));  // 30 MB once went to the ring
    auto last = Logger::instance().tail(1, LogLevel::kDebug);
    Logger::instance().set_max_message_bytes(8u << 10);
    ASSERT_EQ(last.size(), 1u);
    EXPECT_LE(last[0].message.size(), 1024u + 32u);
    EXPECT_NE(last[0].message.find("… (31457286 bytes)"), std::string::npos);
}

TEST(LogSafeText, TheCutDropsAWordItWouldSplit) {
    // A key straddling the cut must not survive as a prefix the redactor cannot recognise.
    std::string text = "error: key " + std::string(600, 'k') + " rest";
    std::string cut = log_safe_text(text, 300);
    EXPECT_EQ(cut.find('k', 11), std::string::npos) << cut;
    EXPECT_EQ(log_safe_text("short\ttab", 100), "short\ttab");
    // The cap holds for the escaped text: control bytes grow fourfold when escaped.
    std::string escaped = log_safe_text(std::string(10000, '\x01'), 1024);
    EXPECT_LE(escaped.size(), 1024u + 32u) << escaped.size();
    EXPECT_NE(escaped.find("(10000 bytes)"), std::string::npos);
}

}  // namespace
}  // namespace litellm

namespace litellm {
namespace {

TEST(ParseLogLine, ReadsBackWhatFormatLogLineWrites) {
    for (LogLevel level : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
        LogRecord r;
        r.ts_ms = 1764583200123;
        r.level = level;
        r.component = "proxy";
        r.message = "upstream said: 502: bad gateway";
        auto parsed = parse_log_line(format_log_line(r));
        ASSERT_TRUE(parsed) << format_log_line(r);
        EXPECT_EQ(parsed->ts, format_timestamp(r.ts_ms));
        EXPECT_EQ(parsed->level, level);
        EXPECT_EQ(parsed->component, "proxy");
        EXPECT_EQ(parsed->message, r.message);
    }
}

TEST(ParseLogLine, OtherLinesAreNotRecords) {
    EXPECT_FALSE(parse_log_line(""));
    EXPECT_FALSE(parse_log_line("terminate called after throwing an instance of 'x'"));
    EXPECT_FALSE(parse_log_line("2026-12-01T10:00:00.001Z NOTICE proxy: x"));
    EXPECT_FALSE(parse_log_line("2026-12-01T10:00:00.001Z INFO  no colon here"));
    EXPECT_FALSE(parse_log_line("2026-12-01T10:00:00.001Z INFO  two words: x"));
}

}  // namespace
}  // namespace litellm
