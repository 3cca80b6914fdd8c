#pragma once
// Whole responses and streams, each told as the other: an upstream that ignores `stream:true`
// is re-told as events, and an upstream that always streams (Codex) is gathered into a whole
// response for a client that asked for one.

#include <string>
#include <string_view>
#include <vector>

#include "daemon/wire/codec.hpp"
#include "daemon/wire/model.hpp"
#include "daemon/wire/sse.hpp"

namespace litellm::wire {

/// The events a whole response would have streamed (dense block indexes from 0).
std::vector<StreamEvent> response_to_events(const Response& response);

/// What a stream decoder appends canonical events with: one message_start, blocks with dense
/// indexes from 0, deltas, and the closing message_delta + message_stop. The decoder points it
/// at the output of each feed (bind), and at nothing between feeds.
class EventEmitter {
  public:
    void bind(std::vector<StreamEvent>* out) { m_out = out; }
    /// message_start, once: later calls do nothing.
    void start(const std::string& message_id, const std::string& model);
    bool started() const { return m_started; }
    /// Opens a block; returns its index.
    int open(BlockType type, const std::string& id = {}, const std::string& name = {});
    void delta(int block, StreamEvent::DeltaType type, std::string_view text);
    void close(int block);
    /// message_delta with `stop` and `usage`, then message_stop.
    void end(StopReason stop, const Usage& usage);
    /// An in-band error event.
    void error(Error error);
    /// An in-band error event of `kind` saying `message`.
    void error(ErrorKind kind, std::string message);
    /// How many blocks were opened.
    int blocks() const { return m_next_block; }

  private:
    std::vector<StreamEvent>* m_out = nullptr;
    int m_next_block = 0;
    bool m_started = false;
};

/// The shared half of a decoder of an SSE stream: the parser, fed in pieces, with the emitter
/// bound to each feed's output. A format's decoder reads each event's data (on_data) and
/// closes the stream in finish().
class SseEventDecoder : public StreamDecoder {
  public:
    void feed(std::string_view bytes, std::vector<StreamEvent>& out) final;
    bool overflowed() const final { return m_parser.overflowed(); }

  protected:
    SseEventDecoder();
    /// One complete event's data (these formats tell events apart by their data alone).
    virtual void on_data(std::string_view data) = 0;

    SseParser m_parser;
    EventEmitter m_emit;
};

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
