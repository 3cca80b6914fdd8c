#include "daemon/wire/sse.hpp"

namespace litellm::wire {

void SseParser::feed(std::string_view bytes) {
    size_t start = 0;
    while (start < bytes.size()) {
        size_t nl = bytes.find('\n', start);
        if (nl == std::string_view::npos) {
            m_partial.append(bytes.substr(start));
            return;
        }
        std::string_view piece = bytes.substr(start, nl - start);
        if (!m_partial.empty()) {
            m_partial.append(piece);
            std::string line = std::move(m_partial);
            m_partial.clear();
            if (!line.empty() && line.back() == '\r') line.pop_back();
            process_line(line);
        } else {
            if (!piece.empty() && piece.back() == '\r') piece.remove_suffix(1);
            process_line(piece);
        }
        start = nl + 1;
    }
}

void SseParser::finish() {
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
