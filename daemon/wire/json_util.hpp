#pragma once
// simdjson (parsing, on the hot path) and RapidJSON (writing) helpers for the codecs.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <simdjson.h>

#include "daemon/wire/model.hpp"

namespace litellm::wire {

/// The stream JsonWriter writes into: a std::string grown in place, so a finished body is
/// moved out (take), not copied out of a RapidJSON buffer. The string's size runs ahead of
/// what was written in steps under glibc's `rep stosb` threshold (growing a std::string
/// zero-fills it), and long runs are appended straight (no fill at all).
class JsonOut {
  public:
    using Ch = char;
    JsonOut() = default;
    /// Starts with room for `capacity` bytes (encode_capacity of the body it replaces).
    JsonOut(std::nullptr_t, std::size_t capacity) { m_buf.reserve(capacity); }

    void Put(char c) {
        if (m_len == m_buf.size()) grow(1);
        m_buf[m_len++] = c;
    }
    void Flush() {}
    /// Room for `n` more bytes at the end, returned for writing.
    char* Push(std::size_t n) {
        if (m_buf.size() - m_len < n) grow(n);
        char* p = m_buf.data() + m_len;
        m_len += n;
        return p;
    }
    /// Gives back the last `n` bytes.
    void Pop(std::size_t n) { m_len -= n; }
    /// Appends `n` bytes.
    void append(const char* data, std::size_t n) {
        if (n == 0) return;  // an empty view may have no data pointer (memcpy wants one)
        if (n >= kStep) {    // long: straight after what was written, never zero-filled first
            m_buf.resize(m_len);
            m_buf.append(data, n);
            m_len = m_buf.size();
            return;
        }
        std::memcpy(Push(n), data, n);
    }
    /// Appends `n` bytes between quotes.
    void append_quoted(const char* data, std::size_t n) {
        char* p = Push(n + 2);
        p[0] = '"';
        if (n > 0) std::memcpy(p + 1, data, n);
        p[n + 1] = '"';
    }
    /// The bytes written (not NUL-terminated).
    const char* GetString() const { return m_buf.data(); }
    std::size_t GetSize() const { return m_len; }
    std::string_view view() const { return std::string_view(m_buf.data(), m_len); }
    void Clear() { m_len = 0; }
    void ShrinkToFit() {
        m_buf.resize(m_len);
        m_buf.shrink_to_fit();
    }
    /// The text written, moved out; the stream is empty after.
    std::string take() {
        m_buf.resize(m_len);
        m_len = 0;
        return std::move(m_buf);
    }

  private:
    static constexpr std::size_t kStep = 1536;
    void grow(std::size_t n) { m_buf.resize(m_len + std::max(n, kStep)); }

    std::string m_buf;
    std::size_t m_len = 0;  ///< bytes written; m_buf.size() may run ahead
};

/// RapidJSON's writer with two faster paths the codecs use for every string they copy: a
/// table-driven escaper that copies unescaped runs with memcpy (RapidJSON's own falls back to
/// one character at a time after the first escape, and Claude Code's texts are full of
/// newlines), and raw JSON appended in one copy.
class JsonWriter : public rapidjson::Writer<JsonOut> {
  public:
    explicit JsonWriter(JsonOut& sb) : Writer(sb) {}

    /// Writes a string value or key, escaped as RFC 8259 asks: every byte below 0x20 too
    /// (RapidJSON 1.1.0's SSE2 scan lets some of them through raw, which is invalid JSON).
    void fast_string(std::string_view s);

    /// Writes a Text as a string value: a view of escaped JSON is copied as it is.
    void text(const Text& t);

    /// One string value written in pieces: begin_string, any number of append, end_string.
    void begin_string();
    /// Appends `plain` (decoded text), escaped, to the string begun.
    void append(std::string_view plain);
    /// Appends a Text to the string begun.
    void append(const Text& t);
    void end_string();

    /// Writes already-serialized JSON text of `type` as the next value.
    void raw_json(std::string_view json, rapidjson::Type type);

    /// Keys and string values go through fast_string too (RapidJSON's own writes a byte at
    /// a time); these hide the base class's overloads, so every call site takes them.
    bool Key(std::string_view k) {
        fast_string(k);
        return true;
    }
    bool String(std::string_view s) {
        fast_string(s);
        return true;
    }
    /// String literals (every constant key and value the codecs write) need no escaping:
    /// copied with their quotes in one store. Only for literals without '"', '\\' or
    /// control characters.
    template <std::size_t N>
    bool Key(const char (&literal)[N]) {
        write_literal(literal, N - 1);
        return true;
    }
    template <std::size_t N>
    bool String(const char (&literal)[N]) {
        write_literal(literal, N - 1);
        return true;
    }

  private:
    void write_literal(const char* s, std::size_t n) {
        Prefix(rapidjson::kStringType);
        os_->append_quoted(s, n);
    }

  public:
};

/// The initial capacity of a buffer that will hold a body re-encoded from one of `hint`
/// bytes: room for the body and for fast_string's worst-case reservation of its longer
/// strings, so the buffer is not regrown (and copied) on the way.
inline std::size_t encode_capacity(std::size_t hint) {
    return hint == 0 ? 4096 : hint + hint / 2 + 64 * 1024;
}

/// Marks `body` (which must have at least simdjson::SIMDJSON_PADDING bytes of capacity past
/// its end) as safe for simdjson to read in place, for this thread, while the guard lives:
/// parse_json then skips its padded copy of the text.
class PaddedInput {
  public:
    explicit PaddedInput(std::string& body);
    ~PaddedInput();
    PaddedInput(const PaddedInput&) = delete;
    PaddedInput& operator=(const PaddedInput&) = delete;
};
using simdjson::dom::element;

/// Sets the deepest nesting parse_json accepts (general_settings.max_json_depth).
void set_json_depth_limit(std::size_t depth);

/// Frees this thread's parser memory when one large body grew it (called after a request).
void trim_thread_parsers();

/// Parses `text` with the thread's parser; the element lives until that parser's next parse.
/// A second parser is available for nested use (`slot` 1). Nesting deeper than the depth
/// limit is an error.
bool parse_json(std::string_view text, element& out, std::string* error, int slot = 0);

/// Parses a client request body that must be a JSON object; false with a client-facing
/// `error` ("request body is not valid JSON: ...") otherwise.
bool parse_request_body(std::string_view body, element& out, std::string* error);

/// The deepest nesting accepted (general_settings.max_json_depth).
std::size_t json_depth_limit();

/// Starts on-demand iteration of a client request body, which must be a JSON object: read in
/// place when PaddedInput vouches for it, else from a copy put in `copy` (views taken from
/// the iteration then point into it). false with a client-facing `error` (naming the text
/// `what`) otherwise. The
/// document lives until this thread's next call.
bool iterate_request_body(std::string_view body, simdjson::ondemand::document& doc,
                          simdjson::ondemand::object& root,
                          std::shared_ptr<const std::string>& copy, std::string* error,
                          std::string_view what = "request body");
/// `raw` without trailing JSON whitespace.
std::string_view trim_json_right(std::string_view raw);
/// The JSON text of any value, as it is in the body (consumes the value).
simdjson::error_code raw_json_of(simdjson::ondemand::value v, std::string_view& out);
/// A string value's escaped contents (between its quotes), as they are in the body.
simdjson::error_code escaped_string_of(simdjson::ondemand::value v, std::string_view& out);
enum class RawJsonCheck { kOk, kTooDeep, kMalformed };
/// Whether a value's text from an on-demand walk (which checks only what it reads) nests
/// properly and no deeper than `limit`.
RawJsonCheck check_raw_json(std::string_view json, std::size_t limit);

/// `obj[key]` as a string_view, or nullopt when absent or not a string.
std::optional<std::string_view> get_string(element obj, std::string_view key);
/// `obj[key]` as an integer (also from a float with no fraction), or nullopt.
std::optional<std::int64_t> get_int(element obj, std::string_view key);
/// `obj[key]` as a number, or nullopt.
std::optional<double> get_double(element obj, std::string_view key);
/// `obj[key]` as a bool, or nullopt.
std::optional<bool> get_bool(element obj, std::string_view key);
/// `obj[key]` when present (any type).
std::optional<element> get_field(element obj, std::string_view key);

/// The element as an array handle (empty when it is not an array). Returned by value: binding
/// a range-for to simdjson's temporary result would dangle.
simdjson::dom::array as_array(element e);

/// Minified JSON text of an element.
std::string to_json_text(element e);

/// The JSON object `text` holds, minified; "{}" when it holds none. Tool arguments travel as
/// text in some formats and as raw JSON in others, so text from a client or an upstream is
/// checked here before any encoder writes it raw. Uses parser slot 1.
std::string object_json_or_empty(std::string_view text);

/// Writes a string value.
inline void write_string(JsonWriter& w, std::string_view s) {
    w.fast_string(s);
}
/// Writes a Text value.
inline void write_text(JsonWriter& w, const Text& t) {
    w.text(t);
}
/// Writes a key.
inline void write_key(JsonWriter& w, std::string_view k) {
    w.fast_string(k);
}
/// Writes already-serialized JSON text as a value ("{}" when empty).
void write_raw(JsonWriter& w, std::string_view json_text);

/// A random id with `prefix`, e.g. "msg_01AbC..." (24 base62 characters).
std::string random_id(std::string_view prefix);

/// Makes an upstream stream event's JSON parseable when it was not: upstreams cut a stream
/// into events by bytes or UTF-16 units, so a UTF-8 sequence or a surrogate pair may end one
/// event's string and begin the next one's. Such a cut part is carried to the next string
/// that starts with its other half; any other invalid byte or lone surrogate becomes U+FFFD.
/// One per stream (it carries state between events).
class StreamTextRepair {
  public:
    /// `data` repaired; `changed` (optional) tells whether anything was.
    std::string repair(std::string_view data, bool* changed = nullptr);

  private:
    std::string m_carry_utf8;    ///< the first bytes of a sequence cut at a string's end
    std::string m_carry_escape;  ///< a high-surrogate escape cut at a string's end
};

/// Parses one stream event, repairing it (see StreamTextRepair) when it does not parse as it
/// is; false, after logging what was dropped under `component`, when even that fails.
bool parse_stream_event(std::string_view data, element& out, StreamTextRepair& repair,
                        const char* component);

}  // namespace litellm::wire
