#pragma once
// fmt-based logging with levels. Every record is redacted when it is built, then goes to the log
// file, stderr (in the foreground), an in-memory ring (for `logs.tail`) and each `logs.follow`
// subscriber's bounded queue. A slow subscriber loses records (counted), never blocks a logger.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>

namespace litellm {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

/// "debug", "info", "warn", "error".
std::string_view log_level_name(LogLevel level);
/// Parses a level name (also "warning"); nullopt when unknown.
std::optional<LogLevel> parse_log_level(std::string_view name);

/// One log record, already redacted.
struct LogRecord {
    std::uint64_t seq = 0;
    std::int64_t ts_ms = 0;  ///< Unix epoch milliseconds
    LogLevel level = LogLevel::kInfo;
    std::string component;
    std::string message;
};

/// RFC 3339 UTC with milliseconds: "2026-11-24T05:30:00.123Z".
std::string format_timestamp(std::int64_t epoch_ms);

/// The line written to the log file and stderr: "<ts> INFO  component: message".
std::string format_log_line(const LogRecord& record);

/// One line of a log file read back: the parts of format_log_line's output.
struct ParsedLogLine {
    std::string ts;  ///< as written (RFC 3339)
    LogLevel level = LogLevel::kInfo;
    std::string component;
    std::string message;
};

/// Splits a line format_log_line wrote; nullopt for any other line (a crash message, a line
/// from another program).
std::optional<ParsedLogLine> parse_log_line(std::string_view line);

/// A `logs.follow` subscriber: a bounded queue filled by loggers, drained by its connection.
class LogSubscriber {
  public:
    LogSubscriber(LogLevel min_level, std::size_t limit, std::function<void()> wake)
        : m_min_level(min_level), m_limit(limit), m_wake(std::move(wake)) {}

    /// Takes every queued record and the number dropped since the last drain.
    std::vector<LogRecord> drain(std::uint64_t* dropped);

    LogLevel min_level() const { return m_min_level; }

  private:
    friend class Logger;
    /// Queues `record` or counts a drop; calls the wake function when the queue was empty.
    void offer(const LogRecord& record);

    const LogLevel m_min_level;
    const std::size_t m_limit;
    std::function<void()> m_wake;
    std::mutex m_mutex;
    std::deque<LogRecord> m_queue;
    std::uint64_t m_dropped = 0;
    bool m_wake_pending = false;
};

/// Where the logger writes.
struct LoggerOptions {
    std::string file_path;  ///< empty = no file
    bool to_stderr = false;
    LogLevel min_level = LogLevel::kInfo;
    std::size_t ring_capacity = 4096;
    /// Longest message kept; longer ones are cut and end with "… (N bytes)".
    std::size_t max_message_bytes = 8u << 10;
    /// stderr goes to systemd's journal (JOURNAL_STREAM): each line starts with its syslog
    /// priority, "<3>" error ... "<7>" debug, so `journalctl -p warning` finds warnings.
    bool stderr_is_journal = false;
    std::size_t max_file_bytes = 0;  ///< the file is rotated past this size; 0 = never
    int file_backups = 5;            ///< rotated files kept: <file>.1 (newest) ... <file>.N
};

/// The syslog priority prefix sd-daemon(3) reads for `level` ("<4>" for a warning).
const char* journal_prefix(LogLevel level);

/// `message` made safe for a one-line record: control bytes (CR, LF, ESC, ...) written as
/// \n-style escapes, so no input can forge a record, and cut to `max_bytes` with an ellipsis
/// that names the original size. The cut backs up to a word boundary, so no half a secret
/// survives that redaction would then fail to recognise.
std::string log_safe_text(std::string_view message, std::size_t max_bytes);

/// The process-wide logger.
class Logger {
  public:
    /// The one instance.
    static Logger& instance();

    /// Replaces the sinks; opens (creating, mode 0600) the file for appending.
    /// Returns false with `error` set when the file cannot be opened (other sinks still work).
    bool configure(const LoggerOptions& options, std::string* error = nullptr);

    /// Records `message` (redacted here) at `level` for `component`.
    void log(LogLevel level, std::string_view component, std::string_view message);

    /// True when records at `level` are kept at all.
    bool enabled(LogLevel level) const {
        return static_cast<int>(level) >= m_min_level.load(std::memory_order_relaxed);
    }

    /// The last `n` records at or above `min_level`, oldest first.
    std::vector<LogRecord> tail(std::size_t n, LogLevel min_level) const;

    /// Ring capacity in records.
    std::size_t ring_capacity() const;

    /// Sets the longest message kept (general_settings.max_log_line_kb; changes at reload).
    void set_max_message_bytes(std::size_t bytes) {
        m_max_message.store(bytes, std::memory_order_relaxed);
    }

    /// Adds a follower; `wake` is called (from the logging thread) when its queue goes non-empty.
    std::shared_ptr<LogSubscriber> subscribe(LogLevel min_level, std::size_t limit,
                                             std::function<void()> wake);
    /// Removes a follower.
    void unsubscribe(const std::shared_ptr<LogSubscriber>& subscriber);

    /// Closes and reopens the log file (after rotation).
    void reopen();
    /// The options in force.
    LoggerOptions options() const;

    /// Flushes and closes the file; later records go to the other sinks only.
    void close();

    ~Logger();

  private:
    Logger() = default;
    /// Flushes the file shortly after info lines, in batches (see log()).
    void flusher();

    mutable std::mutex m_mutex;
    std::condition_variable m_flush_cv;
    std::thread m_flusher;
    bool m_dirty = false;  ///< lines written to the FILE buffer but not yet flushed
    bool m_stop_flusher = false;
    LoggerOptions m_options;
    std::atomic<int> m_min_level{static_cast<int>(LogLevel::kInfo)};
    std::atomic<std::size_t> m_max_message{8u << 10};
    std::FILE* m_file = nullptr;
    std::size_t m_file_bytes = 0;  ///< the file's size, for max_file_bytes
    /// Moves the file to <file>.1 (and older ones along) and opens a fresh one; m_mutex held.
    void rotate_locked();
    std::deque<LogRecord> m_ring;
    std::uint64_t m_next_seq = 1;
    std::vector<std::shared_ptr<LogSubscriber>> m_subscribers;
};

/// Formats with fmt and logs; the format work is skipped when the level is off.
template <typename... Args>
void log_at(LogLevel level, std::string_view component, fmt::format_string<Args...> format,
            Args&&... args) {
    Logger& logger = Logger::instance();
    if (!logger.enabled(level)) return;
    logger.log(level, component, fmt::format(format, std::forward<Args>(args)...));
}

template <typename... Args>
void log_debug(std::string_view component, fmt::format_string<Args...> f, Args&&... args) {
    log_at(LogLevel::kDebug, component, f, std::forward<Args>(args)...);
}
template <typename... Args>
void log_info(std::string_view component, fmt::format_string<Args...> f, Args&&... args) {
    log_at(LogLevel::kInfo, component, f, std::forward<Args>(args)...);
}
template <typename... Args>
void log_warn(std::string_view component, fmt::format_string<Args...> f, Args&&... args) {
    log_at(LogLevel::kWarn, component, f, std::forward<Args>(args)...);
}
template <typename... Args>
void log_error(std::string_view component, fmt::format_string<Args...> f, Args&&... args) {
    log_at(LogLevel::kError, component, f, std::forward<Args>(args)...);
}

}  // namespace litellm
