#pragma once
// Incremental Server-Sent Events parser: bytes arrive in arbitrary pieces (TCP reads, chunked
// encoding), events come out whole. Handles \n and \r\n line ends, comments, multi-line data.

#include <functional>
#include <string>
#include <string_view>

namespace litellm::wire {

class SseParser {
  public:
    /// Called per complete event: its `event:` name ("" when absent) and joined `data:` lines.
    using Handler = std::function<void(std::string_view event, std::string_view data)>;

    explicit SseParser(Handler handler) : m_handler(std::move(handler)) {}

    /// Consumes `bytes`, calling the handler for every event completed by them.
    void feed(std::string_view bytes);

    /// Dispatches a final event that lacked its terminating blank line.
    void finish();

  private:
    void process_line(std::string_view line);
    void dispatch();

    Handler m_handler;
    std::string m_partial;  ///< an incomplete line carried to the next feed
    std::string m_event;
    std::string m_data;
    bool m_has_data = false;
};

/// Formats one SSE event: "event: <name>\ndata: <data>\n\n" (no event line when name is empty).
void append_sse_event(std::string& out, std::string_view name, std::string_view data);

}  // namespace litellm::wire
