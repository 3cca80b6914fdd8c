#pragma once
// Whole responses and streams, each told as the other: an upstream that ignores `stream:true`
// is re-told as events, and an upstream that always streams (Codex) is gathered into a whole
// response for a client that asked for one.

#include <vector>

#include "daemon/wire/model.hpp"

namespace litellm::wire {

/// The events a whole response would have streamed (dense block indexes from 0).
std::vector<StreamEvent> response_to_events(const Response& response);

/// Gathers a stream's events into the whole response they tell.
class EventAggregator {
  public:
    /// Takes the next event, in stream order.
    void add(const StreamEvent& event);
    /// True once the stream's message_stop arrived.
    bool complete() const { return m_complete; }
    /// The in-band error, when the stream carried one.
    const Error* error() const { return m_failed ? &m_error : nullptr; }
    /// The response so far (whole once complete()).
    const Response& response() const { return m_response; }

  private:
    Response m_response;
    std::vector<int> m_block_of_index;  ///< stream index -> position in content
    Error m_error;
    bool m_failed = false;
    bool m_complete = false;
};

}  // namespace litellm::wire
