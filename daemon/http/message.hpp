#pragma once
// HTTP/1.1 messages for the proxy's listener: the request a handler reads, the response it
// fills (or streams), and the parsing and serialising around them. The parser works on a byte
// buffer and never blocks, so it is tested on its own; daemon/http/server.cpp owns the sockets.
//
// Why not cpp-httplib's server: its request path (byte-at-a-time line reading, regex routing,
// a poll() before every read) was most of what litellmd added to a request, and its streaming
// model needs a second thread per stream. Here a handler writes chunks straight to its socket.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace litellm::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

/// A growable byte window [start, end) over one allocation, for socket reads: no zero-filling
/// and no copy until the window must move.
struct Buffer {
    std::unique_ptr<char[]> data;
    std::size_t cap = 0, start = 0, end = 0;

    std::string_view view() const { return {data.get() + start, end - start}; }
    std::size_t size() const { return end - start; }
    /// Drops `n` bytes from the front.
    void consume(std::size_t n) {
        start += n;
        if (start == end) start = end = 0;
    }
    /// Makes room for at least `want` more bytes after `end`.
    void reserve_tail(std::size_t want);
    /// Frees an allocation larger than `keep` when empty, so one big body does not pin memory.
    void shrink(std::size_t keep) {
        if (cap > keep && size() == 0) {
            data.reset();
            cap = start = end = 0;
        }
    }
};

/// Case-insensitive ASCII comparison (header names).
bool iequals(std::string_view a, std::string_view b);

/// One parsed request. Header names keep the client's spelling; lookups ignore case.
struct Request {
    std::string method;  ///< "GET", "POST", ...
    std::string target;  ///< as sent: "/v1/messages?beta=true"
    std::string path;    ///< target before '?', percent-decoded
    std::string query;   ///< after '?', raw
    Headers headers;
    std::string body;
    int minor_version = 1;  ///< HTTP/1.x
    bool keep_alive = true;
    /// The connection's socket, for noticing a client that hangs up while its answer is
    /// pending (watched, never read or written by the handler); -1 when there is none.
    int peer_fd = -1;

    /// The first header named `name` (any case), or nullptr.
    const std::string* find_header(std::string_view name) const;
    bool has_header(std::string_view name) const { return find_header(name) != nullptr; }
    /// The first header named `name`, or "".
    std::string get_header_value(std::string_view name) const;
    /// True when the query has `name` (with or without a value).
    bool has_param(std::string_view name) const;
    /// The percent-decoded value of query parameter `name`, or "".
    std::string get_param_value(std::string_view name) const;
};

/// Where a streamed response's bytes go (the connection).
class ResponseSink {
  public:
    virtual ~ResponseSink() = default;
    /// Sends the status line and headers of a chunked response; false when the client is gone.
    virtual bool send_stream_head(const class Response& res) = 0;
    /// Sends one chunk; false when the client is gone.
    virtual bool send_chunk(std::string_view bytes) = 0;
};

/// What a handler answers: either a whole body (sent after the handler returns) or a chunked
/// stream written while the handler runs.
class Response {
  public:
    int status = 200;
    Headers headers;
    std::string body;

    /// Sets header `name`, replacing any of that name.
    void set_header(std::string_view name, std::string value);
    /// Removes every header named `name`.
    void erase_header(std::string_view name);
    /// The first header named `name`, or nullptr.
    const std::string* find_header(std::string_view name) const;
    /// Sets the whole body and its Content-Type.
    void set_content(std::string content, std::string_view content_type);

    /// Starts a chunked response now with `content_type` (status and headers as set); false
    /// when the client is gone or no sink is attached.
    bool begin_stream(std::string_view content_type);
    /// Writes one chunk of a started stream; false when the client is gone (stop producing).
    bool write(std::string_view bytes);
    /// True once begin_stream() was called.
    bool streaming() const { return m_streaming; }
    /// True when a stream write failed (the connection is unusable).
    bool broken() const { return m_broken; }

    /// Attaches the connection a stream writes to (done by the server).
    void attach(ResponseSink* sink) { m_sink = sink; }

  private:
    ResponseSink* m_sink = nullptr;
    bool m_streaming = false;
    bool m_broken = false;
};

/// Outcome of parsing a request head.
enum class ParseStatus {
    kOk,          ///< a complete head was parsed
    kIncomplete,  ///< more bytes are needed
    kBad,         ///< malformed: answer 400 and close
    kTooLarge,    ///< head over the limit: answer 431 and close
};

/// Largest request head (request line and headers) accepted.
inline constexpr std::size_t kMaxHeadBytes = 64 * 1024;
/// Spare capacity a request body keeps past its end, so a parser that reads ahead in blocks
/// (simdjson reads up to 64 bytes) can parse it where it lies instead of copying it.
constexpr std::size_t kBodyPadding = 64;
/// Most header lines accepted.
inline constexpr std::size_t kMaxHeaders = 128;

/// Parses the request line and headers at the start of `data` into `req` (method, target,
/// path, query, headers, version, keep_alive). On kOk, `head_len` is the head's size with its
/// blank line. On kBad, `error` says why.
ParseStatus parse_request_head(std::string_view data, Request& req, std::size_t& head_len,
                               std::string& error);

/// How the body of a parsed request is framed.
struct BodyFraming {
    bool chunked = false;
    std::uint64_t content_length = 0;
    bool expect_continue = false;  ///< the client waits for "100 Continue" before the body
};

/// Reads the framing headers of `req`; false with `error` set when they are contradictory or
/// malformed, or Host is given twice (which a proxy must refuse: request smuggling).
bool body_framing(const Request& req, BodyFraming& framing, std::string& error);

/// Parses a response head (status line and headers) at the start of `data`. Header names are
/// lowercased. On kOk, `head_len` is the head's size with its blank line.
ParseStatus parse_response_head(std::string_view data, int& status, int& minor_version,
                                Headers& headers, std::size_t& head_len, std::string& error);

/// Decodes a chunked body incrementally, as its bytes arrive (upstream responses and streams).
class ChunkedDecoder {
  public:
    enum class Status { kMore, kDone, kBad };

    /// Consumes `in`, passing each piece of payload to `on_data(std::string_view)` (which
    /// returns false to stop: feed then returns kMore with `consumed` short). After kDone,
    /// bytes past the end of the body are left unconsumed.
    template <typename Fn>
    Status feed(std::string_view in, std::size_t& consumed, Fn&& on_data);

  private:
    enum class State { kSize, kData, kDataEnd, kTrailer, kDone };
    /// Handles one byte of the non-data states; false on malformed framing.
    bool step(char c);

    /// Trailer fields are read and dropped; this bounds how much of them is accepted.
    static constexpr std::size_t kMaxTrailerBytes = 16 * 1024;

    State m_state = State::kSize;
    std::uint64_t m_remaining = 0;
    std::size_t m_trailer_bytes = 0;
    std::string m_line;
};

template <typename Fn>
ChunkedDecoder::Status ChunkedDecoder::feed(std::string_view in, std::size_t& consumed,
                                            Fn&& on_data) {
    std::size_t i = 0;
    while (i < in.size() && m_state != State::kDone) {
        if (m_state == State::kData) {
            std::size_t n =
                static_cast<std::size_t>(std::min<std::uint64_t>(m_remaining, in.size() - i));
            m_remaining -= n;
            if (m_remaining == 0) m_state = State::kDataEnd;
            i += n;
            if (!on_data(in.substr(i - n, n))) {
                consumed = i;
                return Status::kMore;
            }
            continue;
        }
        if (!step(in[i++])) {
            consumed = i;
            return Status::kBad;
        }
    }
    consumed = i;
    return m_state == State::kDone ? Status::kDone : Status::kMore;
}

/// The reason phrase for `status` ("OK", "Not Found", ...).
std::string_view reason_phrase(int status);

/// Serialises the head of a whole response with Content-Length `body_size` (Connection: close
/// when !keep_alive) into `out`.
void serialize_head(const Response& res, std::size_t body_size, bool keep_alive, std::string& out);

/// Serialises the head of a streamed response into `out`: chunked, or (for HTTP/1.0 clients)
/// ended by closing the connection.
void serialize_stream_head(const Response& res, bool keep_alive, std::string& out,
                           bool chunked = true);

/// Percent-decodes `s` ('+' stays '+' unless `plus_is_space`).
std::string percent_decode(std::string_view s, bool plus_is_space = false);

}  // namespace litellm::http
