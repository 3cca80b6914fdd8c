#pragma once
// The codec table: per wire format, one request decoder/encoder, one response decoder/encoder,
// one stream decoder (upstream bytes -> canonical events) and one stream encoder (canonical
// events -> client bytes). This is the one place that knows which wire formats have a codec;
// the proxy, the client APIs and the providers reach a format only through `find_codec`.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/providers.hpp"
#include "daemon/wire/model.hpp"

namespace litellm::wire {

/// How a canonical request is turned into an upstream body.
struct EncodeOptions {
    std::string model;  ///< upstream model id
    bool stream = false;
    std::size_t size_hint = 0;  ///< the client body's size, to size the output buffer once
    /// Deployment litellm_params to merge at the top level (key, JSON text), unless set already.
    std::vector<std::pair<std::string, std::string>> extra_params;
    /// Keep cache_control on text parts (DashScope-like OpenAI upstreams use it).
    bool keep_cache_control = false;
    /// OpenAI: send `reasoning_effort` for thinking (real OpenAI); else drop thinking.
    bool send_reasoning_effort = false;
    /// OpenAI: name of the output-limit field ("max_tokens" or "max_completion_tokens").
    std::string max_tokens_field = "max_tokens";
    /// OpenAI: fold system messages after the first into the leading one (strict chat
    /// templates refuse a later system message).
    bool fold_system_messages = false;
    /// Whether the upstream takes thinking blocks whose signature `family` minted (see
    /// Block::signature_origin); unset: it takes none.
    std::function<bool(std::string_view family)> accepts_signature;
    /// Anthropic: the upstream has structured output (output_config.format); without it a
    /// JSON schema is asked for with a forced tool.
    bool native_structured_output = false;
    /// Anthropic: max_tokens when the client gave none (the field is required there).
    std::int64_t default_max_tokens = 8192;
    /// Responses: the upstream takes only the Codex backend's fields (no output limit, no
    /// sampling settings, no stop sequences).
    bool responses_minimal = false;
    /// Responses: `prompt_cache_key`, the client's session (empty = none).
    std::string prompt_cache_key;
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
    /// The JSON of the latest in-stream quota report (Codex's `codex.rate_limits`) not taken
    /// yet, or empty; the provider reads it (Provider::quota_from_stream).
    virtual std::string take_quota_report() { return {}; }
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

/// What a stream encoder needs to know about the client's request.
struct StreamOptions {
    std::string model;  ///< the name the client asked for
    /// Where the upstream gives no usage (at the start of an OpenAI stream; at its end without
    /// include_usage), this estimate and one from the output stand in (Anthropic clients).
    std::int64_t input_tokens_estimate = 0;
    bool include_usage = false;  ///< OpenAI stream_options.include_usage
};

/// One wire format's functions. Every member is set for every row in the table.
struct Codec {
    WireFormat format;
    std::string_view name;
    /// A client's request body; false with a client-facing `error` when it is not valid.
    bool (*decode_request)(std::string_view body, Request& out, std::string* error);
    /// What of `request` this format cannot carry (n>1, logprobs, ...): a client-facing
    /// reason, or empty when it can carry all of it.
    std::string (*unsupported)(const Request& request);
    std::string (*encode_request)(const Request& request, const EncodeOptions& options);
    bool (*decode_response)(std::string_view body, Response& out, std::string* error);
    /// `client_model` is the name the client asked for.
    std::string (*encode_response)(const Response& response, std::string_view client_model);
    std::string (*encode_error)(const Error& error);
    /// The HTTP status a client of this format gets for `kind`.
    int (*http_status)(ErrorKind kind);
    std::unique_ptr<StreamDecoder> (*stream_decoder)();
    std::unique_ptr<StreamEncoder> (*stream_encoder)(const StreamOptions& options);
    /// Appends an in-band error and the stream's end to a stream whose bytes passed through
    /// untranslated (no encoder state to close).
    void (*append_stream_error)(const Error& error, std::string& out);
    /// A same-format body with what this format's upstreams refuse cut out (at byte level),
    /// or nullopt when the body goes as it is.
    std::optional<std::string> (*passthrough_fixup)(std::string_view body);
};

/// The codec for `format`, or nullptr while that format has none.
const Codec* find_codec(WireFormat format);

}  // namespace litellm::wire
