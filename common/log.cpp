#include "common/log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

#include "common/redact.hpp"

namespace litellm {

std::string_view log_level_name(LogLevel level) {
    switch (level) {
        case LogLevel::kDebug:
            return "debug";
        case LogLevel::kInfo:
            return "info";
        case LogLevel::kWarn:
            return "warn";
        case LogLevel::kError:
            return "error";
    }
    return "info";
}

std::optional<LogLevel> parse_log_level(std::string_view name) {
    if (name == "debug") return LogLevel::kDebug;
    if (name == "info") return LogLevel::kInfo;
    if (name == "warn" || name == "warning") return LogLevel::kWarn;
    if (name == "error") return LogLevel::kError;
    return std::nullopt;
}

std::string format_timestamp(std::int64_t epoch_ms) {
    std::time_t secs = static_cast<std::time_t>(epoch_ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900,
                       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                       static_cast<int>(epoch_ms % 1000));
}

std::string format_log_line(const LogRecord& record) {
    static constexpr std::string_view kNames[] = {"DEBUG", "INFO ", "WARN ", "ERROR"};
    return fmt::format("{} {} {}: {}", format_timestamp(record.ts_ms),
                       kNames[static_cast<int>(record.level)], record.component, record.message);
}

std::optional<ParsedLogLine> parse_log_line(std::string_view line) {
    // "2026-11-24T05:30:00.123Z INFO  component: message"
    constexpr std::size_t kTs = 24;
    if (line.size() < kTs + 7 || line[kTs] != ' ' || line[kTs - 1] != 'Z' || line[4] != '-' ||
        line[10] != 'T') {
        return std::nullopt;
    }
    static constexpr std::pair<std::string_view, LogLevel> kNames[] = {
        {"DEBUG ", LogLevel::kDebug},
        {"INFO  ", LogLevel::kInfo},
        {"WARN  ", LogLevel::kWarn},
        {"ERROR ", LogLevel::kError}};
    std::string_view rest = line.substr(kTs + 1);
    for (const auto& [name, level] : kNames) {
        if (rest.substr(0, name.size()) != name) continue;
        rest.remove_prefix(name.size());
        std::size_t colon = rest.find(": ");
        if (colon == std::string_view::npos || rest.substr(0, colon).find(' ') != rest.npos) {
            return std::nullopt;
        }
        ParsedLogLine p;
        p.ts = std::string(line.substr(0, kTs));
        p.level = level;
        p.component = std::string(rest.substr(0, colon));
        p.message = std::string(rest.substr(colon + 2));
        return p;
    }
    return std::nullopt;
}

std::string log_safe_text(std::string_view message, std::size_t max_bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(std::min(message.size(), max_bytes) + 32);
    bool cut = false;
    for (char ch : message) {
        // The cap applies to the escaped text, and no more input is looked at past it.
        if (out.size() >= max_bytes) {
            cut = true;
            break;
        }
        auto c = static_cast<unsigned char>(ch);
        if (c >= 0x20 && c != 0x7f) {
            out.push_back(ch);
        } else if (c == '\n') {
            out.append("\\n");
        } else if (c == '\r') {
            out.append("\\r");
        } else if (c == '\t') {
            out.push_back('\t');
        } else {
            out.append("\\x");
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 15]);
        }
    }
    if (!cut) return out;
    // Back up to the last word boundary (within 512 bytes), so a secret straddling the cut is
    // dropped whole rather than kept as a prefix the redactor no longer recognises.
    std::size_t floor = out.size() > 512 ? out.size() - 512 : 0;
    std::size_t end = out.size();
    while (end > floor) {
        char c = out[end - 1];
        if (c == ' ' || c == ',' || c == ';' || c == '\t' || c == '"' || c == '\'') break;
        --end;
    }
    out.resize(end > floor ? end : floor);
    out.append(fmt::format("… ({} bytes)", message.size()));
    return out;
}

std::vector<LogRecord> LogSubscriber::drain(std::uint64_t* dropped) {
    std::lock_guard lock(m_mutex);
    std::vector<LogRecord> out(std::make_move_iterator(m_queue.begin()),
                               std::make_move_iterator(m_queue.end()));
    m_queue.clear();
    if (dropped) *dropped = m_dropped;
    m_dropped = 0;
    m_wake_pending = false;
    return out;
}

void LogSubscriber::offer(const LogRecord& record) {
    if (record.level < m_min_level) return;
    bool wake = false;
    {
        std::lock_guard lock(m_mutex);
        if (m_queue.size() >= m_limit) {
            ++m_dropped;
        } else {
            m_queue.push_back(record);
        }
        if (!m_wake_pending) {
            m_wake_pending = true;
            wake = true;
        }
    }
    if (wake && m_wake) m_wake();
}

Logger& Logger::instance() {
    static Logger logger;
    return logger;
}

bool Logger::configure(const LoggerOptions& options, std::string* error) {
    std::lock_guard lock(m_mutex);
    if (m_file) {
        std::fclose(m_file);
        m_file = nullptr;
    }
    m_options = options;
    m_min_level.store(static_cast<int>(options.min_level), std::memory_order_relaxed);
    m_max_message.store(options.max_message_bytes, std::memory_order_relaxed);
    while (m_ring.size() > options.ring_capacity)
        m_ring.pop_front();
    if (options.file_path.empty()) return true;
    // O_APPEND so several writers (e.g. a restart overlapping) never clobber each other.
    int fd = ::open(options.file_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (error) *error = options.file_path + ": " + std::strerror(errno);
        return false;
    }
    m_file = ::fdopen(fd, "a");
    struct stat st {};
    m_file_bytes = ::fstat(fd, &st) == 0 ? static_cast<std::size_t>(st.st_size) : 0;
    if (m_file && !m_flusher.joinable()) m_flusher = std::thread([this] { flusher(); });
    return m_file != nullptr;
}

void Logger::rotate_locked() {
    // <file>.N-1 -> <file>.N, ..., <file> -> <file>.1, then a fresh <file>: what logrotate
    // does, for users without it. The oldest beyond file_backups is dropped.
    std::fflush(m_file);
    std::fclose(m_file);
    m_file = nullptr;
    const std::string& path = m_options.file_path;
    int keep = std::max(1, m_options.file_backups);
    std::remove((path + "." + std::to_string(keep)).c_str());
    for (int k = keep - 1; k >= 1; --k) {
        std::rename((path + "." + std::to_string(k)).c_str(),
                    (path + "." + std::to_string(k + 1)).c_str());
    }
    std::rename(path.c_str(), (path + ".1").c_str());
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd >= 0) m_file = ::fdopen(fd, "a");
    m_file_bytes = 0;
}

const char* journal_prefix(LogLevel level) {
    switch (level) {
        case LogLevel::kDebug:
            return "<7>";
        case LogLevel::kInfo:
            return "<6>";
        case LogLevel::kWarn:
            return "<4>";
        default:
            return "<3>";
    }
}

LoggerOptions Logger::options() const {
    std::lock_guard lock(m_mutex);
    return m_options;
}

Logger::~Logger() {
    {
        std::lock_guard lock(m_mutex);
        m_stop_flusher = true;
    }
    m_flush_cv.notify_all();
    if (m_flusher.joinable()) m_flusher.join();
    close();
}

void Logger::flusher() {
    std::unique_lock lock(m_mutex);
    while (!m_stop_flusher) {
        m_flush_cv.wait(lock, [&] { return m_dirty || m_stop_flusher; });
        // Gather a batch: one write() for every line of the next 50 ms, instead of one per
        // line taken under this lock on every request's path.
        m_flush_cv.wait_for(lock, std::chrono::milliseconds(50), [&] { return m_stop_flusher; });
        if (m_file) std::fflush(m_file);
        m_dirty = false;
    }
}

void Logger::log(LogLevel level, std::string_view component, std::string_view message) {
    if (!enabled(level)) return;
    LogRecord record;
    record.ts_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
    record.level = level;
    std::size_t max = m_max_message.load(std::memory_order_relaxed);
    record.component = log_safe_text(component, 64);
    record.message = redact(log_safe_text(message, max));
    std::vector<std::shared_ptr<LogSubscriber>> subscribers;
    {
        std::lock_guard lock(m_mutex);
        record.seq = m_next_seq++;
        std::string line = format_log_line(record);
        line.push_back('\n');
        // Past the size asked for, a line starts the next file (one is never split).
        if (m_file && m_options.max_file_bytes > 0 && m_file_bytes > 0 &&
            m_file_bytes + line.size() > m_options.max_file_bytes) {
            rotate_locked();
        }
        if (m_file) {
            std::fwrite(line.data(), 1, line.size(), m_file);
            m_file_bytes += line.size();
            if (static_cast<int>(level) >= static_cast<int>(LogLevel::kWarn)) {
                // Warnings and errors reach the disk at once (a crash may follow them).
                std::fflush(m_file);
                m_dirty = false;
            } else if (!m_dirty) {
                m_dirty = true;
                m_flush_cv.notify_one();
            }
        }
        if (m_options.to_stderr) {
            if (m_options.stderr_is_journal) std::fputs(journal_prefix(level), stderr);
            std::fwrite(line.data(), 1, line.size(), stderr);
        }
        if (m_options.ring_capacity > 0) {
            if (m_ring.size() >= m_options.ring_capacity) m_ring.pop_front();
            m_ring.push_back(record);
        }
        subscribers = m_subscribers;
    }
    // Outside the logger lock: a subscriber's wake function may post to an event loop.
    for (const auto& s : subscribers)
        s->offer(record);
}

std::vector<LogRecord> Logger::tail(std::size_t n, LogLevel min_level) const {
    std::lock_guard lock(m_mutex);
    std::vector<LogRecord> out;
    for (auto it = m_ring.rbegin(); it != m_ring.rend() && out.size() < n; ++it) {
        if (it->level >= min_level) out.push_back(*it);
    }
    std::reverse(out.begin(), out.end());
    return out;
}

std::size_t Logger::ring_capacity() const {
    std::lock_guard lock(m_mutex);
    return m_options.ring_capacity;
}

std::shared_ptr<LogSubscriber> Logger::subscribe(LogLevel min_level, std::size_t limit,
                                                 std::function<void()> wake) {
    auto sub = std::make_shared<LogSubscriber>(min_level, limit, std::move(wake));
    std::lock_guard lock(m_mutex);
    m_subscribers.push_back(sub);
    return sub;
}

void Logger::unsubscribe(const std::shared_ptr<LogSubscriber>& subscriber) {
    std::lock_guard lock(m_mutex);
    std::erase(m_subscribers, subscriber);
}

void Logger::reopen() {
    LoggerOptions options;
    {
        std::lock_guard lock(m_mutex);
        options = m_options;
    }
    configure(options);
}

void Logger::close() {
    std::lock_guard lock(m_mutex);
    if (m_file) {
        std::fclose(m_file);
        m_file = nullptr;
    }
}

}  // namespace litellm
