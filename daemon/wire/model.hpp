#pragma once
// The canonical request / response / stream-event model. Every inbound wire format is decoded
// into these types and every outbound format is encoded from them: one decoder and one encoder
// per format, never a translator per pair. Same-format routes skip this model entirely and pass
// bytes through (see daemon/proxy/passthrough.hpp).
//
// Tool inputs, schemas and other free-form JSON stay as JSON text: they are copied between
// formats, never interpreted, and keeping the text avoids a parse/serialize round trip.

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace litellm::wire {

/// Free text the model carries (a text block, a tool's description, an image's base64): either
/// decoded, or still in the JSON-escaped form it had in a client's body (the characters between
/// the quotes), as a view into that body. Text that crosses formats unchanged is then copied
/// into the next body as it is, never unescaped and escaped again: most of what a translated
/// request costs. A view is valid as long as the body it points into (see Request::source).
class Text {
  public:
    Text() = default;
    Text(std::string decoded) : m_value(std::move(decoded)) {}
    Text(std::string_view decoded) : m_value(decoded) {}
    Text(const char* decoded) : m_value(decoded) {}

    /// Text that is `escaped` (valid between a JSON string's quotes), viewed, not copied.
    static Text json_view(std::string_view escaped) {
        Text t;
        t.m_json = escaped;
        t.m_is_json = true;
        return t;
    }

    bool empty() const { return m_is_json ? m_json.empty() : m_value.empty(); }
    /// Whether this is a view of escaped JSON (json()) rather than decoded (value()).
    bool is_json() const { return m_is_json; }
    /// The escaped form; meaningful only when is_json().
    std::string_view json() const { return m_json; }
    /// The decoded text, without a copy; meaningful only when !is_json().
    std::string_view decoded() const { return m_value; }
    /// The decoded text (a copy; decodes a view).
    std::string str() const;
    /// Appends the decoded text to `out`.
    void append_to(std::string& out) const;
    /// The decoded text to change in place (a view is decoded into an owned copy first).
    std::string& value();
    /// Bytes in the form held: exact when decoded, an upper bound for a view.
    std::size_t size() const { return m_is_json ? m_json.size() : m_value.size(); }
    /// Whether the decoded text starts with `prefix` (which must need no escaping).
    bool starts_with(std::string_view prefix) const {
        std::string_view held = m_is_json ? m_json : std::string_view(m_value);
        return held.substr(0, prefix.size()) == prefix;
    }

    friend bool operator==(const Text& a, std::string_view b) {
        return a.m_is_json ? a.str() == b : std::string_view(a.m_value) == b;
    }
    friend bool operator==(const Text& a, const char* b) { return a == std::string_view(b); }
    friend bool operator==(const Text& a, const std::string& b) { return a == std::string_view(b); }
    friend bool operator==(const Text& a, const Text& b) { return a.str() == b.str(); }
    friend std::ostream& operator<<(std::ostream& os, const Text& t) { return os << t.str(); }

  private:
    std::string m_value;
    std::string_view m_json;
    bool m_is_json = false;
};

/// The UTF-16 code unit of the `\uXXXX` escape at `s[i]` (the backslash), or -1.
long json_escape_unit(std::string_view s, std::size_t i);

/// The text of a JSON string's `escaped` contents (between its quotes), decoded leniently:
/// an invalid escape or a lone surrogate becomes U+FFFD.
std::string unescape_json(std::string_view escaped);

/// Kinds of content block (Anthropic's vocabulary, the richest of the formats).
enum class BlockType {
    kText,
    kImage,
    kDocument,  ///< PDF or plain-text document
    kToolUse,
    kToolResult,
    kThinking,
    kRedactedThinking,
};

/// A provider's own state that must come back to it with the next turn (a Responses
/// reasoning item's encrypted_content, a Gemini thoughtSignature), carried through clients of
/// other formats untouched: toward an Anthropic client it rides in the thinking block's
/// signature (see opaque_signature), and only the family that made it is sent it again.
struct Opaque {
    std::string family;  ///< the provider family that made it ("chatgpt", "gemini")
    std::string json;    ///< its JSON text, as that family's codec wrote it
};

/// The signature an Anthropic client stores for `opaque`: "litellm1:<family>:<json>".
std::string opaque_signature(const Opaque& opaque);
/// The Opaque a signature made by opaque_signature carries; nullopt for any other signature.
std::optional<Opaque> parse_opaque_signature(std::string_view signature);
/// The prefix of every signature opaque_signature makes (never one a provider mints).
inline constexpr std::string_view kOpaqueSignaturePrefix = "litellm1:";

/// One content block. Only the fields of its type are meaningful.
struct Block {
    BlockType type = BlockType::kText;
    Text text;              ///< text; thinking text; tool_result plain-text content
    std::string signature;  ///< thinking signature; redacted_thinking data
    /// The provider family that minted `signature` ("anthropic"), empty when none did (a
    /// thinking block litellmd made from another format's reasoning). A thinking block goes
    /// only to an upstream that accepts its family (EncodeOptions::accepts_signature).
    std::string signature_origin;
    /// Thinking: another provider's state for the next turn (its family is signature_origin).
    std::optional<Opaque> opaque;
    // Image / document source.
    bool source_is_url = false;
    std::string media_type;  ///< "image/png", "application/pdf", "text/plain"
    Text data;               ///< base64 payload, or the URL when source_is_url
    // Tool use / result.
    std::string id;              ///< tool_use id, or tool_result's tool_use_id
    std::string name;            ///< tool name (tool_use; a tool_result's when its format names it)
    std::string input_json;      ///< tool_use input, a JSON object as text
    std::vector<Block> content;  ///< tool_result content blocks (text, image)
    bool is_error = false;
    std::string cache_control_json;  ///< raw cache_control object, kept for Anthropic upstreams
    std::string citations_json;      ///< a text block's citations array (Anthropic), as text
};

/// The signature a client is given for a thinking block: its own, or its opaque state's.
std::string client_signature(const Block& block);
/// Sets the origin of a signature a client sent back (block.signature): another provider's
/// state made by opaque_signature becomes block.opaque; any other was minted by Anthropic (the
/// only provider whose signatures clients hold as they are).
void adopt_client_signature(Block& block);

enum class Role { kUser, kAssistant, kSystem };

struct Message {
    Role role = Role::kUser;
    std::vector<Block> blocks;
};

struct Tool {
    std::string name;
    Text description;
    std::string schema_json;         ///< JSON Schema object as text ("" = none)
    std::string cache_control_json;  ///< raw cache_control of the tool, for Anthropic upstreams
    std::string raw_json;            ///< the whole tool as sent, for server tools (web_search, ...)
    bool is_server_tool = false;     ///< Anthropic server tool: has `type`, no input_schema
};

struct ToolChoice {
    enum class Kind { kUnset, kAuto, kAny, kTool, kNone };
    Kind kind = Kind::kUnset;
    std::string name;  ///< for kTool
    bool disable_parallel = false;
};

struct Thinking {
    enum class Mode { kUnset, kDisabled, kEnabled, kAdaptive };
    Mode mode = Mode::kUnset;
    std::int64_t budget_tokens = 0;
    std::string
        effort;  ///< "low".."max" (Anthropic output_config.effort / OpenAI reasoning_effort)
};

/// What shape the answer must take (OpenAI response_format, Anthropic output_format).
struct OutputFormat {
    enum class Kind { kText, kJsonObject, kJsonSchema };
    Kind kind = Kind::kText;
    std::string name;         ///< json_schema's name (OpenAI requires one)
    std::string schema_json;  ///< the JSON Schema, as text
    bool strict = false;
};

/// A chat request in canonical form. Its Text views point into the body it was decoded from:
/// the caller's, when that body was marked padded (PaddedInput) and so outlives the request
/// (the proxy's case), else `source`, the decoder's own copy.
struct Request {
    std::shared_ptr<const std::string> source;
    std::string model;
    std::vector<Block> system;      ///< top-level system text blocks
    std::vector<Message> messages;  ///< may contain Role::kSystem messages mid-conversation
    std::vector<Tool> tools;
    ToolChoice tool_choice;
    std::optional<std::int64_t> max_tokens;
    std::optional<double> temperature;
    std::optional<double> top_p;
    std::optional<std::int64_t> top_k;
    std::vector<std::string> stop;
    bool stream = false;
    bool include_usage = false;  ///< OpenAI stream_options.include_usage
    Thinking thinking;
    std::string user;  ///< Anthropic metadata.user_id / OpenAI user
    OutputFormat output_format;
    std::int64_t n = 1;     ///< OpenAI: choices per request
    bool logprobs = false;  ///< OpenAI: logprobs or top_logprobs asked for
};

enum class StopReason {
    kEndTurn,
    kMaxTokens,
    kStopSequence,
    kToolUse,
    kRefusal,
    kPauseTurn,
    kContextWindowExceeded,
};

/// Token usage in Anthropic's accounting: input excludes cache reads and writes.
struct Usage {
    std::int64_t input_tokens = 0;
    std::int64_t output_tokens = 0;
    std::int64_t cache_read_tokens = 0;
    std::int64_t cache_creation_tokens = 0;
    std::int64_t reasoning_tokens = 0;  ///< part of output_tokens, when known
};

/// A whole (non-streamed) response.
struct Response {
    std::string id;
    std::string model;
    std::vector<Block> content;
    StopReason stop_reason = StopReason::kEndTurn;
    std::string stop_sequence;
    Usage usage;
};

/// The error classes shared by all formats (see wire-formats §3.2).
enum class ErrorKind {
    kInvalidRequest,
    kContextLength,  ///< Anthropic clients must see "prompt is too long"
    kAuthentication,
    kPermission,
    kNotFound,  ///< an unknown model
    kNoRoute,   ///< an unknown path (OpenAI's own 404 for it carries no code)
    kRequestTooLarge,
    kRateLimit,
    kOverloaded,
    kApi,  ///< upstream 5xx, timeout, broken stream
    kTimeout,
};

/// An error to report to a client, in canonical form.
struct Error {
    ErrorKind kind = ErrorKind::kApi;
    std::string message;
    int upstream_status = 0;  ///< 0 when not from an upstream
    std::optional<double> retry_after_s;
    /// A plan's usage quota is spent (not a per-minute limit): the cooldown may end early when
    /// the quota source says there is room again.
    bool quota_exhausted = false;
    /// The upstream took the OAuth token but will not serve its account (Code Assist's
    /// ineligible tier): a new login is needed, not a retry.
    bool login_refused = false;
};

/// One canonical stream event. Block indexes are dense from 0 in the order blocks open.
struct StreamEvent {
    enum class Kind {
        kMessageStart,  ///< message_id, model, usage (initial)
        kBlockStart,    ///< index, block_type, id + name for tool_use
        kDelta,         ///< index, delta_type, text
        kBlockStop,     ///< index
        kMessageDelta,  ///< stop_reason, stop_sequence, usage (cumulative)
        kMessageStop,
        kPing,
        kError,  ///< error
    };
    enum class DeltaType { kText, kThinking, kSignature, kInputJson };

    Kind kind = Kind::kPing;
    int index = 0;
    BlockType block_type = BlockType::kText;
    DeltaType delta_type = DeltaType::kText;
    std::string text;  ///< delta payload; for kBlockStart of redacted_thinking, its data
    std::string id;
    std::string name;
    std::string message_id;
    std::string model;
    Usage usage;
    std::optional<StopReason> stop_reason;
    std::string stop_sequence;
    Error error;
};

/// "end_turn", "tool_use", ... (Anthropic names).
const char* stop_reason_anthropic(StopReason reason);
/// "stop", "length", "tool_calls", "content_filter" (OpenAI names).
const char* stop_reason_openai(StopReason reason);
/// Parses an Anthropic stop_reason; unknown values map to kEndTurn.
StopReason parse_anthropic_stop_reason(std::string_view s);
/// Parses an OpenAI finish_reason; unknown values map to kEndTurn.
StopReason parse_openai_finish_reason(std::string_view s);

/// HTTP status a client gets for an error of `kind`.
int error_http_status(ErrorKind kind, bool anthropic_client);
/// Anthropic error.type for `kind` ("invalid_request_error", ...).
const char* error_type_anthropic(ErrorKind kind);
/// OpenAI error.type for `kind`.
const char* error_type_openai(ErrorKind kind);
/// OpenAI error.code for `kind`, or nullptr.
const char* error_code_openai(ErrorKind kind);

/// Classifies an upstream failure from its HTTP status and body text (any format).
Error classify_upstream_error(int status, std::string_view body);

}  // namespace litellm::wire
