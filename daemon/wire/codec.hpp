#pragma once
// The codec interface: per wire format, one request decoder/encoder, one response
// decoder/encoder, one stream decoder (upstream bytes -> canonical events) and one stream
// encoder (canonical events -> client bytes). anthropic.hpp and openai_chat.hpp implement it.

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/wire/model.hpp"

namespace litellm::wire {

/// How a canonical request is turned into an upstream body.
struct EncodeOptions {
    std::string model;  ///< upstream model id
    bool stream = false;
    /// Deployment litellm_params to merge at the top level (key, JSON text), unless set already.
    std::vector<std::pair<std::string, std::string>> extra_params;
    /// Keep cache_control on text parts (DashScope-like OpenAI upstreams use it).
    bool keep_cache_control = false;
    /// OpenAI: send `reasoning_effort` for thinking (real OpenAI); else drop thinking.
    bool send_reasoning_effort = false;
    /// OpenAI: name of the output-limit field ("max_tokens" or "max_completion_tokens").
    std::string max_tokens_field = "max_tokens";
    /// Anthropic: max_tokens when the client gave none (the field is required there).
    std::int64_t default_max_tokens = 8192;
};

/// Upstream stream bytes -> canonical events.
class StreamDecoder {
  public:
    virtual ~StreamDecoder() = default;
    /// Consumes raw bytes (any split) and appends the events they complete.
    virtual void feed(std::string_view bytes, std::vector<StreamEvent>& out) = 0;
    /// The upstream closed: appends whatever closes the stream properly (block stops, a
    /// message delta and stop, or an error when it ended early).
    virtual void finish(std::vector<StreamEvent>& out) = 0;
    /// True once the upstream signalled a complete message.
    virtual bool complete() const = 0;
    /// True once an SSE line or event outgrew its limit: the stream cannot go on.
    virtual bool overflowed() const = 0;
};

/// Canonical events -> client stream bytes.
class StreamEncoder {
  public:
    virtual ~StreamEncoder() = default;
    /// Appends the bytes for `event` to `out`.
    virtual void encode(const StreamEvent& event, std::string& out) = 0;
    /// Appends an error event and the stream's end marker (after bytes were already sent).
    virtual void encode_error(const Error& error, std::string& out) = 0;
    /// True once the stream's end marker was written.
    virtual bool done() const = 0;
};

}  // namespace litellm::wire
