#pragma once
// A scriptable fake LLM upstream for the functional tests: an HTTP server on 127.0.0.1 that
// records every request and answers with queued replies, plus builders that produce realistic
// Anthropic Messages and OpenAI Chat Completions wire data (whole bodies and SSE streams).
//
// Depends only on cpp-httplib and RapidJSON (not litellm_core), so the standalone
// `fake_upstream` program can reuse it.

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace httplib {
class Server;
}

namespace litellm::test {

/// A TCP port on 127.0.0.1 that is free now (bound and released; another process could take it
/// before the caller binds it, which is good enough for a test).
int free_port();

/// One request as the fake received it.
struct RecordedRequest {
    std::string method;
    std::string path;   ///< without the query string
    std::string query;  ///< raw query string without '?', empty when none
    std::string body;
    std::multimap<std::string, std::string> headers;  ///< names as sent by the client

    /// The first value of header `name` (case-insensitive), or "" when absent.
    std::string header(const std::string& name) const;
    /// Whether header `name` (case-insensitive) was sent.
    bool has_header(const std::string& name) const;
};

/// What the fake sends back for one request.
struct FakeReply {
    int status = 200;
    std::string content_type = "application/json";
    /// The whole body; used when `chunks` is empty.
    std::string body;
    /// When non-empty: sent with chunked transfer encoding, one write per chunk.
    std::vector<std::string> chunks;
    /// Extra response headers, e.g. retry-after.
    std::vector<std::pair<std::string, std::string>> headers;
    /// Wait before the response starts.
    int delay_before_ms = 0;
    int delay_between_chunks_ms = 0;
    /// >= 0: after this many chunks, drop the connection (no terminating chunk).
    int cut_after_chunks = -1;
};

/// An HTTP server on a background thread that answers any method and path as scripted.
class FakeUpstream {
  public:
    /// Binds 127.0.0.1:0 and serves; ready to accept when the constructor returns.
    FakeUpstream();
    /// Binds `host`:`port` (0 = any free port); throws std::runtime_error when it cannot.
    explicit FakeUpstream(int port, const std::string& host = "127.0.0.1");
    /// Stops the server (interrupting scripted delays) and joins its thread.
    ~FakeUpstream();

    FakeUpstream(const FakeUpstream&) = delete;
    FakeUpstream& operator=(const FakeUpstream&) = delete;

    /// The bound TCP port.
    int port() const { return m_port; }
    /// "http://127.0.0.1:<port>".
    std::string base_url() const;

    /// Queues a reply; each request takes the oldest queued one (FIFO).
    void push_reply(FakeReply reply);
    /// The reply used when the queue is empty and no responder is set (default: a 500 error).
    void set_default_reply(FakeReply reply);
    /// Computes replies when the queue is empty (before the default); may run concurrently.
    void set_responder(std::function<FakeReply(const RecordedRequest&)> fn);

    /// Everything received so far, in arrival order.
    std::vector<RecordedRequest> requests() const;
    /// How many requests arrived so far (counted even when history is off).
    size_t request_count() const;
    /// The latest request; an empty RecordedRequest when none arrived.
    RecordedRequest last_request() const;
    /// Forgets recorded requests and queued replies (the default reply and responder stay).
    void clear();

    /// Whether requests() keeps every request (default true); long-running users turn it off.
    void set_keep_history(bool keep);

    /// Blocks until at least `n` requests arrived or `timeout_ms` passed; true when they did.
    bool wait_for_requests(size_t n, int timeout_ms) const;

  private:
    // Records `req` and picks the reply for it (queue, then responder, then default).
    FakeReply take_reply(const RecordedRequest& req);
    // Sleeps `ms` unless the server is stopping; false when interrupted.
    bool pause(int ms);

    std::unique_ptr<httplib::Server> m_server;
    std::thread m_thread;
    int m_port = 0;
    std::string m_host;

    mutable std::mutex m_mutex;
    mutable std::condition_variable m_cv;  // request arrivals and stop
    std::deque<FakeReply> m_queue;
    FakeReply m_default;
    std::function<FakeReply(const RecordedRequest&)> m_responder;
    std::vector<RecordedRequest> m_requests;
    size_t m_received = 0;  // requests since construction or clear()
    bool m_keep_history = true;
    bool m_stopping = false;
};

// ---------------------------------------------------------------------------------------------
// Wire-data helpers shared by both formats.

/// Usage numbers and knobs for the reply builders. Token numbers go on the wire verbatim in each
/// format's own sense (Anthropic input_tokens excludes cache reads; OpenAI prompt_tokens
/// includes cached_tokens), so a test states exactly what the upstream claimed.
struct ReplyOptions {
    int input_tokens = 10;
    int output_tokens = 5;
    int cache_read = 0;            ///< Anthropic cache_read_input_tokens / OpenAI cached_tokens
    int cache_creation = 0;        ///< Anthropic cache_creation_input_tokens (OpenAI: none)
    int reasoning_tokens = 0;      ///< OpenAI completion_tokens_details.reasoning_tokens
    std::string model;             ///< "" = claude-fake-1 / gpt-fake-1
    std::string id;                ///< "" = msg_fake01 / chatcmpl-fake01
    bool include_usage = true;     ///< OpenAI streams: send the final `choices:[]` usage chunk
    size_t split_every_bytes = 0;  ///< streams: re-cut the bytes every N instead of per event
};

/// One tool call for the tool builders; the arguments are the concatenated fragments.
struct ToolCall {
    std::string id;
    std::string name;
    std::vector<std::string> argument_fragments;
};

/// One parsed Server-Sent Event.
struct SseEvent {
    std::string event;  ///< the `event:` field, "" when absent
    std::string data;   ///< `data:` lines joined with '\n'
};

/// Re-cuts a streamed reply's bytes into chunks of `every_bytes` (the last may be shorter), so
/// events straddle chunk boundaries at arbitrary offsets (even inside UTF-8 sequences).
FakeReply resplit(FakeReply reply, size_t every_bytes);

/// The body as the client sees it: `body`, or the chunks concatenated.
std::string full_body(const FakeReply& reply);

/// Parses SSE text (LF or CRLF line ends) into events; comments and empty events are skipped.
std::vector<SseEvent> parse_sse(const std::string& text);

/// `s` as a JSON string literal, quotes included.
std::string json_quote(const std::string& s);

/// Splits `text` into pieces of about `size` bytes without cutting a UTF-8 sequence.
std::vector<std::string> split_utf8(const std::string& text, size_t size);

// ---------------------------------------------------------------------------------------------
// Anthropic Messages wire data.
namespace anthropic_fake {

/// A whole `message` with one text block, stop_reason end_turn.
FakeReply text(const std::string& text, int input_tokens = 10, int output_tokens = 5,
               int cache_read = 0, int cache_creation = 0);
/// Same, with all options.
FakeReply text(const std::string& text, const ReplyOptions& opts);
/// A whole message with a signed thinking block then a text block.
FakeReply thinking_then_text(const std::string& thinking, const std::string& signature,
                             const std::string& text, const ReplyOptions& opts = {});
/// A whole message with one tool_use block (`input_json` must be a JSON object text).
FakeReply tool_use(const std::string& id, const std::string& name, const std::string& input_json,
                   const ReplyOptions& opts = {});
/// A whole message with one tool_use block per call, stop_reason tool_use.
FakeReply tool_calls(const std::vector<ToolCall>& calls, const ReplyOptions& opts = {});

/// SSE: message_start, ping, one text block (a text_delta per fragment), message_delta
/// (end_turn, cumulative usage), message_stop; one chunk per event.
FakeReply stream_text(const std::vector<std::string>& fragments, const ReplyOptions& opts = {});
/// SSE: a thinking block (thinking_delta per fragment, then signature_delta) then a text block.
FakeReply stream_thinking_then_text(const std::vector<std::string>& thinking_fragments,
                                    const std::string& signature,
                                    const std::vector<std::string>& text_fragments,
                                    const ReplyOptions& opts = {});
/// SSE: optional text block, then one tool_use block per call (input_json_delta per fragment),
/// stop_reason tool_use.
FakeReply stream_tool_calls(const std::vector<ToolCall>& calls, const ReplyOptions& opts = {},
                            const std::vector<std::string>& text_before = {});
/// SSE: message_start, then `event: error` with overloaded_error (after the 200).
FakeReply stream_error_after_start(const ReplyOptions& opts = {});

/// `{"type":"error","error":{"type","message"},"request_id"}` with `status`.
FakeReply error(int status, const std::string& type, const std::string& message);
/// 400 invalid_request_error "prompt is too long: 210000 tokens > 200000 maximum".
FakeReply context_length_error();
/// 429 rate_limit_error with a `retry-after` header.
FakeReply rate_limited(int retry_after_s);
/// 529 overloaded_error.
FakeReply overloaded();
/// A count_tokens answer `{"input_tokens":N}`.
FakeReply count_tokens(int input_tokens);

}  // namespace anthropic_fake

// ---------------------------------------------------------------------------------------------
// OpenAI Chat Completions wire data.
namespace openai_fake {

/// A whole chat.completion with text content, finish_reason stop. `cache_creation` is ignored
/// (OpenAI has no such field); `cache_read` becomes prompt_tokens_details.cached_tokens.
FakeReply text(const std::string& text, int input_tokens = 10, int output_tokens = 5,
               int cache_read = 0, int cache_creation = 0);
/// Same, with all options.
FakeReply text(const std::string& text, const ReplyOptions& opts);
/// A whole chat.completion with `reasoning_content` and content.
FakeReply thinking_then_text(const std::string& reasoning, const std::string& text,
                             const ReplyOptions& opts = {});
/// A whole chat.completion with one tool call (`arguments` = `input_json`), finish tool_calls.
FakeReply tool_use(const std::string& id, const std::string& name, const std::string& input_json,
                   const ReplyOptions& opts = {});
/// A whole chat.completion with one tool call per entry.
FakeReply tool_calls(const std::vector<ToolCall>& calls, const ReplyOptions& opts = {});

/// SSE: role chunk, a content chunk per fragment, a finish_reason chunk, a `choices:[]` usage
/// chunk (unless !include_usage), `data: [DONE]`; one chunk per event.
FakeReply stream_text(const std::vector<std::string>& fragments, const ReplyOptions& opts = {});
/// SSE: role chunk, `reasoning_content` deltas, then content deltas.
FakeReply stream_thinking_then_text(const std::vector<std::string>& thinking_fragments,
                                    const std::vector<std::string>& text_fragments,
                                    const ReplyOptions& opts = {});
/// SSE: role chunk, optional content, each call's first delta (index, id, type, name,
/// arguments ""), then argument fragments interleaved across calls (c0f0, c1f0, c0f1, ...),
/// finish_reason tool_calls.
FakeReply stream_tool_calls(const std::vector<ToolCall>& calls, const ReplyOptions& opts = {},
                            const std::vector<std::string>& text_before = {});
/// SSE: role chunk, one content chunk, then `data: {"error":{...}}` (server_error); no [DONE].
FakeReply stream_error_after_start(const ReplyOptions& opts = {});

/// `{"error":{"message","type","param":null,"code"}}` with `status` (code null when empty).
FakeReply error(int status, const std::string& type, const std::string& message,
                const std::string& code = "");
/// 400 invalid_request_error / context_length_exceeded ("This model's maximum context length
/// is 128000 tokens...").
FakeReply context_length_error();
/// 429 rate_limit_exceeded with a `retry-after` header.
FakeReply rate_limited(int retry_after_s);

}  // namespace openai_fake

}  // namespace litellm::test
