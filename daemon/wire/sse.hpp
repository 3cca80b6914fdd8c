#pragma once
// Incremental Server-Sent Events parser: bytes arrive in arbitrary pieces (TCP reads, chunked
// encoding), events come out whole. Handles \n and \r\n line ends, comments, multi-line data.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace litellm::wire {

class SseParser {
  public:
    /// Called per complete event: its `event:` name ("" when absent) and joined `data:` lines.
    using Handler = std::function<void(std::string_view event, std::string_view data)>;

    /// Lines and events longer than the limit set by set_sse_event_limit end the parse.
    explicit SseParser(Handler handler);

    /// Consumes `bytes`, calling the handler for every event completed by them.
    void feed(std::string_view bytes);

    /// Dispatches a final event that lacked its terminating blank line.
    void finish();

    /// True once a line or an event outgrew the limit: what it held is dropped, and nothing
    /// more is parsed (an upstream that never sends a newline cannot grow memory).
    bool overflowed() const { return m_overflowed; }

  private:
    void process_line(std::string_view line);
    void dispatch();
    bool overflow();

    Handler m_handler;
    std::size_t m_limit;
    bool m_overflowed = false;
    std::string m_partial;  ///< an incomplete line carried to the next feed
    std::string m_event;
    std::string m_data;
    bool m_has_data = false;
};

/// Sets the longest SSE line or event (data lines joined) a parser accepts
/// (general_settings.max_sse_line_kb); parsers made afterwards use it.
void set_sse_event_limit(std::size_t bytes);

/// Formats one SSE event: "event: <name>\ndata: <data>\n\n" (no event line when name is empty).
void append_sse_event(std::string& out, std::string_view name, std::string_view data);

}  // namespace litellm::wire
