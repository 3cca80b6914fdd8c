#include "daemon/wire/sse.hpp"

#include <atomic>

namespace litellm::wire {

namespace {
std::atomic<std::size_t> g_event_limit{8u << 20};
}  // namespace

void set_sse_event_limit(std::size_t bytes) {
    g_event_limit.store(bytes, std::memory_order_relaxed);
}

SseParser::SseParser(Handler handler)
    : m_handler(std::move(handler)), m_limit(g_event_limit.load(std::memory_order_relaxed)) {}

bool SseParser::overflow() {
    m_overflowed = true;
    std::string().swap(m_partial);
    std::string().swap(m_data);
    m_has_data = false;
    return false;
}

void SseParser::feed(std::string_view bytes) {
    if (m_overflowed) return;
    size_t start = 0;
    while (start < bytes.size()) {
        size_t nl = bytes.find('\n', start);
        if (nl == std::string_view::npos) {
            if (m_partial.size() + (bytes.size() - start) > m_limit) {
                overflow();
                return;
            }
            m_partial.append(bytes.substr(start));
            return;
        }
        std::string_view piece = bytes.substr(start, nl - start);
        if (!m_partial.empty()) {
            if (m_partial.size() + piece.size() > m_limit) {
                overflow();
                return;
            }
            m_partial.append(piece);
            std::string line = std::move(m_partial);
            m_partial.clear();
            if (!line.empty() && line.back() == '\r') line.pop_back();
            process_line(line);
        } else {
            if (!piece.empty() && piece.back() == '\r') piece.remove_suffix(1);
            if (piece.size() > m_limit) {
                overflow();
                return;
            }
            process_line(piece);
        }
        if (m_overflowed) return;
        start = nl + 1;
    }
}

void SseParser::finish() {
    if (m_overflowed) return;
    if (!m_partial.empty()) {
        std::string line = std::move(m_partial);
        m_partial.clear();
        if (!line.empty() && line.back() == '\r') line.pop_back();
        process_line(line);
    }
    dispatch();
}

void SseParser::process_line(std::string_view line) {
    if (line.empty()) {
        dispatch();
        return;
    }
    if (line.front() == ':') return;  // comment / keep-alive
    size_t colon = line.find(':');
    std::string_view field = line.substr(0, colon);
    std::string_view value =
        colon == std::string_view::npos ? std::string_view{} : line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (field == "data") {
        if (m_data.size() + value.size() + 1 > m_limit) {
            overflow();
            return;
        }
        if (m_has_data) m_data.push_back('\n');
        m_data.append(value);
        m_has_data = true;
    } else if (field == "event") {
        m_event.assign(value);
    }
}

void SseParser::dispatch() {
    if (m_has_data) m_handler(m_event, m_data);
    m_event.clear();
    m_data.clear();
    m_has_data = false;
}

void append_sse_event(std::string& out, std::string_view name, std::string_view data) {
    if (!name.empty()) {
        out.append("event: ");
        out.append(name);
        out.push_back('\n');
    }
    out.append("data: ");
    out.append(data);
    out.append("\n\n");
}

}  // namespace litellm::wire
