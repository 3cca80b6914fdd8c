#include "daemon/wire/anthropic.hpp"

#include <string.h>

#include <algorithm>
#include <cmath>

#include "daemon/wire/json_scan.hpp"
#include "daemon/wire/json_util.hpp"
#include "daemon/wire/normalize.hpp"
#include "daemon/wire/sse.hpp"

namespace litellm::wire::anthropic {

namespace {

// ---- request encoding -----------------------------------------------------------------------

void write_block(JsonWriter& w, const Block& b);

void write_source(JsonWriter& w, const Block& b) {
    w.Key("source");
    w.StartObject();
    if (b.source_is_url) {
        w.Key("type");
        w.String("url");
        w.Key("url");
        write_text(w, b.data);
    } else if (b.type == BlockType::kDocument && !b.text.empty()) {
        w.Key("type");
        w.String("text");
        w.Key("media_type");
        write_string(w, b.media_type.empty() ? "text/plain" : b.media_type);
        w.Key("data");
        write_text(w, b.text);
    } else {
        w.Key("type");
        w.String("base64");
        w.Key("media_type");
        write_string(w, b.media_type);
        w.Key("data");
        write_text(w, b.data);
    }
    w.EndObject();
}

void write_cache_control(JsonWriter& w, const Block& b) {
    if (b.cache_control_json.empty()) return;
    w.Key("cache_control");
    write_raw(w, b.cache_control_json);
}

void write_block(JsonWriter& w, const Block& b) {
    w.StartObject();
    switch (b.type) {
        case BlockType::kText:
            w.Key("type");
            w.String("text");
            w.Key("text");
            write_text(w, b.text);
            if (!b.citations_json.empty()) {
                w.Key("citations");
                write_raw(w, b.citations_json);
            }
            break;
        case BlockType::kImage:
        case BlockType::kDocument:
            w.Key("type");
            w.String(b.type == BlockType::kImage ? "image" : "document");
            write_source(w, b);
            break;
        case BlockType::kToolUse:
            w.Key("type");
            w.String("tool_use");
            w.Key("id");
            write_string(w, b.id);
            w.Key("name");
            write_string(w, b.name);
            w.Key("input");
            write_raw(w, b.input_json);
            break;
        case BlockType::kToolResult:
            w.Key("type");
            w.String("tool_result");
            w.Key("tool_use_id");
            write_string(w, b.id);
            if (b.is_error) {
                w.Key("is_error");
                w.Bool(true);
            }
            w.Key("content");
            w.StartArray();
            for (const auto& c : b.content)
                write_block(w, c);
            w.EndArray();
            break;
        case BlockType::kThinking:
            w.Key("type");
            w.String("thinking");
            w.Key("thinking");
            write_text(w, b.text);
            w.Key("signature");
            write_string(w, client_signature(b));
            break;
        case BlockType::kRedactedThinking:
            w.Key("type");
            w.String("redacted_thinking");
            w.Key("data");
            write_string(w, b.signature);
            break;
    }
    write_cache_control(w, b);
    w.EndObject();
}

std::int64_t budget_for_effort(std::string_view effort) {
    if (effort == "minimal" || effort == "low") return 1024;
    if (effort == "medium") return 8192;
    if (effort == "high") return 24576;
    if (effort == "xhigh" || effort == "max") return 32768;
    return 8192;
}

bool has_top_level_key(const std::vector<std::string>& written, std::string_view key) {
    return std::find(written.begin(), written.end(), key) != written.end();
}

// ---- usage helpers --------------------------------------------------------------------------

Usage decode_usage(element u) {
    Usage out;
    out.input_tokens = get_int(u, "input_tokens").value_or(0);
    out.output_tokens = get_int(u, "output_tokens").value_or(0);
    out.cache_read_tokens = get_int(u, "cache_read_input_tokens").value_or(0);
    out.cache_creation_tokens = get_int(u, "cache_creation_input_tokens").value_or(0);
    return out;
}

void write_usage(JsonWriter& w, const Usage& u) {
    w.StartObject();
    w.Key("input_tokens");
    w.Int64(u.input_tokens);
    w.Key("cache_creation_input_tokens");
    w.Int64(u.cache_creation_tokens);
    w.Key("cache_read_input_tokens");
    w.Int64(u.cache_read_tokens);
    w.Key("output_tokens");
    w.Int64(u.output_tokens);
    w.EndObject();
}

std::string error_message_for(const Error& error) {
    if (error.kind != ErrorKind::kContextLength) return error.message;
    // Claude Code only compacts when it reads this phrase.
    if (error.message.find("prompt is too long") != std::string::npos) return error.message;
    return "prompt is too long: " + error.message;
}

// ---- stream decoding ------------------------------------------------------------------------

class Decoder final : public StreamDecoder {
  public:
    Decoder()
        : m_parser(
              [this](std::string_view event, std::string_view data) { on_event(event, data); }) {}

    void feed(std::string_view bytes, std::vector<StreamEvent>& out) override {
        m_out = &out;
        m_parser.feed(bytes);
        m_out = nullptr;
    }

    void finish(std::vector<StreamEvent>& out) override {
        m_out = &out;
        m_parser.finish();
        m_out = nullptr;
        if (m_complete || m_failed) return;
        StreamEvent e;
        e.kind = StreamEvent::Kind::kError;
        e.error.kind = ErrorKind::kApi;
        e.error.message = "upstream stream ended before message_stop";
        out.push_back(std::move(e));
        m_failed = true;
    }

    bool complete() const override { return m_complete; }
    bool overflowed() const override { return m_parser.overflowed(); }

  private:
    void on_event(std::string_view name, std::string_view data) {
        element doc;
        if (!parse_stream_event(data, doc, m_repair, "anthropic-stream")) return;  // logged
        std::string_view type = get_string(doc, "type").value_or(name);
        StreamEvent e;
        if (type == "message_start") {
            e.kind = StreamEvent::Kind::kMessageStart;
            if (auto msg = get_field(doc, "message")) {
                e.message_id = std::string(get_string(*msg, "id").value_or(""));
                e.model = std::string(get_string(*msg, "model").value_or(""));
                if (auto u = get_field(*msg, "usage")) e.usage = decode_usage(*u);
            }
            m_usage = e.usage;
        } else if (type == "content_block_start") {
            e.kind = StreamEvent::Kind::kBlockStart;
            e.index = static_cast<int>(get_int(doc, "index").value_or(0));
            auto block = get_field(doc, "content_block");
            std::string_view bt = block ? get_string(*block, "type").value_or("text") : "text";
            if (bt == "tool_use" || bt == "server_tool_use") {
                e.block_type = BlockType::kToolUse;
                e.id = std::string(get_string(*block, "id").value_or(""));
                e.name = std::string(get_string(*block, "name").value_or(""));
            } else if (bt == "thinking") {
                e.block_type = BlockType::kThinking;
            } else if (bt == "redacted_thinking") {
                e.block_type = BlockType::kRedactedThinking;
                e.text = std::string(get_string(*block, "data").value_or(""));
            } else {
                e.block_type = BlockType::kText;
                e.text = std::string(block ? get_string(*block, "text").value_or("") : "");
            }
        } else if (type == "content_block_delta") {
            e.kind = StreamEvent::Kind::kDelta;
            e.index = static_cast<int>(get_int(doc, "index").value_or(0));
            auto delta = get_field(doc, "delta");
            if (!delta) return;
            std::string_view dt = get_string(*delta, "type").value_or("");
            if (dt == "text_delta") {
                e.delta_type = StreamEvent::DeltaType::kText;
                e.text = std::string(get_string(*delta, "text").value_or(""));
            } else if (dt == "thinking_delta") {
                e.delta_type = StreamEvent::DeltaType::kThinking;
                e.text = std::string(get_string(*delta, "thinking").value_or(""));
            } else if (dt == "signature_delta") {
                e.delta_type = StreamEvent::DeltaType::kSignature;
                e.text = std::string(get_string(*delta, "signature").value_or(""));
            } else if (dt == "input_json_delta") {
                e.delta_type = StreamEvent::DeltaType::kInputJson;
                e.text = std::string(get_string(*delta, "partial_json").value_or(""));
            } else {
                return;  // citations_delta and future kinds: nothing to translate
            }
        } else if (type == "content_block_stop") {
            e.kind = StreamEvent::Kind::kBlockStop;
            e.index = static_cast<int>(get_int(doc, "index").value_or(0));
        } else if (type == "message_delta") {
            e.kind = StreamEvent::Kind::kMessageDelta;
            if (auto delta = get_field(doc, "delta")) {
                if (auto sr = get_string(*delta, "stop_reason")) {
                    e.stop_reason = parse_anthropic_stop_reason(*sr);
                }
                e.stop_sequence = std::string(get_string(*delta, "stop_sequence").value_or(""));
            }
            // message_delta usage is cumulative but may omit input; keep what start gave.
            if (auto u = get_field(doc, "usage")) {
                Usage du = decode_usage(*u);
                if (get_field(*u, "input_tokens")) m_usage.input_tokens = du.input_tokens;
                if (get_field(*u, "cache_read_input_tokens")) {
                    m_usage.cache_read_tokens = du.cache_read_tokens;
                }
                if (get_field(*u, "cache_creation_input_tokens")) {
                    m_usage.cache_creation_tokens = du.cache_creation_tokens;
                }
                m_usage.output_tokens = du.output_tokens;
            }
            e.usage = m_usage;
        } else if (type == "message_stop") {
            e.kind = StreamEvent::Kind::kMessageStop;
            m_complete = true;
        } else if (type == "ping") {
            e.kind = StreamEvent::Kind::kPing;
        } else if (type == "error") {
            e.kind = StreamEvent::Kind::kError;
            auto err = get_field(doc, "error");
            std::string_view et =
                err ? get_string(*err, "type").value_or("api_error") : "api_error";
            e.error.message = std::string(err ? get_string(*err, "message").value_or("") : "");
            e.error.kind = et == "overloaded_error"        ? ErrorKind::kOverloaded
                           : et == "rate_limit_error"      ? ErrorKind::kRateLimit
                           : et == "invalid_request_error" ? ErrorKind::kInvalidRequest
                                                           : ErrorKind::kApi;
            m_failed = true;
        } else {
            return;
        }
        m_out->push_back(std::move(e));
    }

    SseParser m_parser;
    StreamTextRepair m_repair;  ///< text cut between events
    std::vector<StreamEvent>* m_out = nullptr;
    Usage m_usage;
    bool m_complete = false;
    bool m_failed = false;
};

// ---- stream encoding ------------------------------------------------------------------------

class Encoder final : public StreamEncoder {
  public:
    Encoder(std::string model, std::int64_t input_estimate)
        : m_model(std::move(model)), m_input_estimate(input_estimate) {}

    void encode(const StreamEvent& e, std::string& out) override {
        if (m_done) return;
        switch (e.kind) {
            case StreamEvent::Kind::kMessageStart:
                start_message(e, out);
                break;
            case StreamEvent::Kind::kBlockStart: {
                start_message_if_needed(out);
                JsonOut sb;
                JsonWriter w(sb);
                w.StartObject();
                w.Key("type");
                w.String("content_block_start");
                w.Key("index");
                w.Int(e.index);
                w.Key("content_block");
                w.StartObject();
                switch (e.block_type) {
                    case BlockType::kToolUse:
                        w.Key("type");
                        w.String("tool_use");
                        w.Key("id");
                        write_string(w, e.id);
                        w.Key("name");
                        write_string(w, e.name);
                        w.Key("input");
                        w.StartObject();
                        w.EndObject();
                        break;
                    case BlockType::kThinking:
                        w.Key("type");
                        w.String("thinking");
                        w.Key("thinking");
                        w.String("");
                        w.Key("signature");
                        w.String("");
                        break;
                    case BlockType::kRedactedThinking:
                        w.Key("type");
                        w.String("redacted_thinking");
                        w.Key("data");
                        write_string(w, e.text);
                        break;
                    default:
                        w.Key("type");
                        w.String("text");
                        w.Key("text");
                        w.String("");
                }
                w.EndObject();
                w.EndObject();
                append_sse_event(out, "content_block_start", {sb.GetString(), sb.GetSize()});
                m_open.push_back(e.index);
                break;
            }
            case StreamEvent::Kind::kDelta: {
                if (e.delta_type != StreamEvent::DeltaType::kSignature) {
                    m_output_bytes += e.text.size();
                }
                JsonOut sb;
                JsonWriter w(sb);
                w.StartObject();
                w.Key("type");
                w.String("content_block_delta");
                w.Key("index");
                w.Int(e.index);
                w.Key("delta");
                w.StartObject();
                switch (e.delta_type) {
                    case StreamEvent::DeltaType::kText:
                        w.Key("type");
                        w.String("text_delta");
                        w.Key("text");
                        break;
                    case StreamEvent::DeltaType::kThinking:
                        w.Key("type");
                        w.String("thinking_delta");
                        w.Key("thinking");
                        break;
                    case StreamEvent::DeltaType::kSignature:
                        w.Key("type");
                        w.String("signature_delta");
                        w.Key("signature");
                        break;
                    case StreamEvent::DeltaType::kInputJson:
                        w.Key("type");
                        w.String("input_json_delta");
                        w.Key("partial_json");
                        break;
                }
                write_string(w, e.text);
                w.EndObject();
                w.EndObject();
                append_sse_event(out, "content_block_delta", {sb.GetString(), sb.GetSize()});
                break;
            }
            case StreamEvent::Kind::kBlockStop:
                stop_block(e.index, out);
                break;
            case StreamEvent::Kind::kMessageDelta: {
                start_message_if_needed(out);
                while (!m_open.empty())
                    stop_block(m_open.front(), out);
                JsonOut sb;
                JsonWriter w(sb);
                w.StartObject();
                w.Key("type");
                w.String("message_delta");
                w.Key("delta");
                w.StartObject();
                w.Key("stop_reason");
                w.String(stop_reason_anthropic(e.stop_reason.value_or(StopReason::kEndTurn)));
                w.Key("stop_sequence");
                if (e.stop_sequence.empty())
                    w.Null();
                else
                    write_string(w, e.stop_sequence);
                w.EndObject();
                w.Key("usage");
                Usage usage = e.usage;
                if (usage.input_tokens == 0 && usage.output_tokens == 0 &&
                    usage.cache_read_tokens == 0 && usage.cache_creation_tokens == 0) {
                    // The upstream sent no usage (an OpenAI stream without include_usage):
                    // estimates, since Claude Code's context meter and auto-compaction read
                    // these and all zeros would say the context is empty. About 3 bytes a
                    // token errs high, like the input estimate.
                    usage.input_tokens = m_input_estimate;
                    usage.output_tokens = static_cast<std::int64_t>((m_output_bytes + 2) / 3);
                }
                write_usage(w, usage);
                w.EndObject();
                append_sse_event(out, "message_delta", {sb.GetString(), sb.GetSize()});
                m_delta_sent = true;
                break;
            }
            case StreamEvent::Kind::kMessageStop:
                if (!m_delta_sent) {
                    StreamEvent d;
                    d.kind = StreamEvent::Kind::kMessageDelta;
                    d.stop_reason = StopReason::kEndTurn;
                    encode(d, out);
                }
                append_sse_event(out, "message_stop", R"({"type":"message_stop"})");
                m_done = true;
                break;
            case StreamEvent::Kind::kPing:
                if (m_started) append_sse_event(out, "ping", R"({"type":"ping"})");
                break;
            case StreamEvent::Kind::kError:
                encode_error(e.error, out);
                break;
        }
    }

    void encode_error(const Error& error, std::string& out) override {
        if (m_done) return;
        std::string body = anthropic::encode_error(error);
        append_sse_event(out, "error", body);
        m_done = true;
    }

    bool done() const override { return m_done; }

  private:
    void start_message(const StreamEvent& e, std::string& out) {
        if (m_started) return;
        m_started = true;
        JsonOut sb;
        JsonWriter w(sb);
        w.StartObject();
        w.Key("type");
        w.String("message_start");
        w.Key("message");
        w.StartObject();
        w.Key("id");
        // An id in Anthropic's shape, as encode_response gives: an OpenAI upstream's
        // "chatcmpl-..." is not one.
        write_string(w, e.message_id.rfind("msg_", 0) == 0 ? e.message_id : random_id("msg_"));
        w.Key("type");
        w.String("message");
        w.Key("role");
        w.String("assistant");
        w.Key("model");
        write_string(w, m_model);
        w.Key("content");
        w.StartArray();
        w.EndArray();
        w.Key("stop_reason");
        w.Null();
        w.Key("stop_sequence");
        w.Null();
        w.Key("usage");
        Usage usage = e.usage;
        // OpenAI streams tell usage only at their end: until then, the estimate.
        if (usage.input_tokens == 0 && usage.cache_read_tokens == 0) {
            usage.input_tokens = m_input_estimate;
        }
        write_usage(w, usage);
        w.EndObject();
        w.EndObject();
        append_sse_event(out, "message_start", {sb.GetString(), sb.GetSize()});
    }

    void start_message_if_needed(std::string& out) {
        if (!m_started) start_message(StreamEvent{}, out);
    }

    void stop_block(int index, std::string& out) {
        auto it = std::find(m_open.begin(), m_open.end(), index);
        if (it == m_open.end()) return;  // never stop a block twice or one never opened
        m_open.erase(it);
        std::string data = R"({"type":"content_block_stop","index":)" + std::to_string(index) + "}";
        append_sse_event(out, "content_block_stop", data);
    }

    std::string m_model;
    std::int64_t m_input_estimate = 0;
    std::size_t m_output_bytes = 0;  ///< text, thinking and tool input sent, for estimates
    std::vector<int> m_open;
    bool m_started = false;
    bool m_delta_sent = false;
    bool m_done = false;
};

// ---- request decoding (on demand: strings stay views into the body) -------------------------

namespace od = simdjson::ondemand;
using simdjson::error_code;

// What a reader returns when it has put the client-facing reason in `error` itself (a raw
// value nested too deep or with brackets that do not match).
constexpr error_code kExplained = simdjson::DEPTH_ERROR;

// A body error from simdjson in the words every decoder uses.
bool json_fail(error_code e, std::string* error) {
    if (error)
        *error = std::string("request body is not valid JSON: ") + simdjson::error_message(e);
    return false;
}

// A field's key as it is in the body (no unescaping copy): compared against the names the
// decoder looks for, which need no escapes. A key that has escapes matches none of them, as
// the client's own spelling of an unknown field would.
class RawKey {
  public:
    RawKey() = default;
    explicit RawKey(const char* p) : m_p(p) {}
    /// Whether the key is exactly `name` (reads at most sizeof name bytes: inside the padded
    /// body, which has a quote and a value after every key).
    template <std::size_t N>
    bool operator==(const char (&name)[N]) const {
        return std::memcmp(m_p, name, N - 1) == 0 && m_p[N - 1] == '"';
    }
    /// The key's bytes up to its closing quote.
    std::string_view view() const {
        const char* q = m_p;
        while (*q != '"')
            q += *q == '\\' ? 2 : 1;
        return std::string_view(m_p, static_cast<std::size_t>(q - m_p));
    }
    char first() const { return *m_p; }

  private:
    const char* m_p = "\"";
};

error_code raw_key(simdjson::simdjson_result<od::field>& field, RawKey& out) {
    od::raw_json_string k;
    if (auto err = field.key().get(k)) return err;
    out = RawKey(k.raw());
    return simdjson::SUCCESS;
}

// What a decode walk needs: whether Texts may view the body (a request) or must be decoded
// copies (an upstream answer, whose buffer goes away), and the document, for a value's end.
struct Walk {
    od::document* doc = nullptr;
    bool views = true;
};

// A string value as the walk keeps text: its escaped form in the body (views), or decoded
// into the parser's buffer (valid until the document is done).
error_code read_text_view(const Walk& walk, od::value v, std::string_view& out) {
    error_code err = walk.views ? escaped_string_of(v, out) : v.get_string().get(out);
    return err == simdjson::INCORRECT_TYPE ? simdjson::SUCCESS : err;  // not a string: none
}

// The Text a read_text_view result becomes.
Text make_text(const Walk& walk, std::string_view s) {
    return walk.views ? Text::json_view(s) : Text(std::string(s));
}

error_code read_text(const Walk& walk, od::value v, Text& out) {
    std::string_view s;
    if (auto err = read_text_view(walk, v, s)) return err;
    out = make_text(walk, s);
    return simdjson::SUCCESS;
}

// A string field's decoded value as a view into the parser's buffer, empty when it is not a
// string.
error_code read_string_view(od::value v, std::string_view& out) {
    // Asked straight away: a value of another type is left as it is (INCORRECT_TYPE does
    // not consume it), which saves a type() peek on every field.
    error_code err = v.get_string().get(out);
    return err == simdjson::INCORRECT_TYPE ? simdjson::SUCCESS : err;
}

// A string field's value (decoded), empty when it is not a string; only errors of the
// document itself fail.
error_code read_string(od::value v, std::string& out) {
    od::json_type type;
    if (auto err = v.type().get(type)) return err;
    if (type != od::json_type::string) return simdjson::SUCCESS;
    std::string_view s;
    if (auto err = v.get_string().get(s)) return err;
    out.assign(s);
    return simdjson::SUCCESS;
}

// Raw JSON that goes out again (schemas, inputs, cache_control): its nesting is checked here,
// because nothing else walks it.
error_code read_raw_view(od::value v, std::string_view& raw, std::string* error) {
    if (auto err = raw_json_of(v, raw)) return err;
    switch (check_raw_json(raw, json_depth_limit())) {
        case RawJsonCheck::kOk:
            return simdjson::SUCCESS;
        case RawJsonCheck::kTooDeep:
            if (error)
                *error = "request body is not valid JSON: JSON nested deeper than " +
                         std::to_string(json_depth_limit()) + " levels";
            return kExplained;
        case RawJsonCheck::kMalformed:
            break;
    }
    if (error) *error = "request body is not valid JSON: brackets do not match";
    return kExplained;
}

error_code read_raw(od::value v, std::string& out, std::string* error) {
    std::string_view raw;
    if (auto err = read_raw_view(v, raw, error)) return err;
    out.assign(raw);
    return simdjson::SUCCESS;
}

// The fields of a block that matter, read in whatever order they come (as views into the
// body or the parser's buffer, both alive until the walk ends); interpreted once the block's
// `type` is known.
struct BlockFields {
    std::string_view type, source_type, media_type;
    bool has_source = false, source_is_object = false, has_media_type = false;
    std::string_view text, thinking, data, source_data, source_url;
    std::string_view signature, id, name, tool_use_id, input, cache_control, citations;
    bool has_input = false, is_error = false;
};

bool decode_blocks(const Walk& walk, od::value content, std::vector<Block>& out, std::string* error,
                   int level);

error_code read_source(const Walk& walk, od::value v, BlockFields& f) {
    f.has_source = true;
    od::json_type type;
    if (auto err = v.type().get(type)) return err;
    if (type != od::json_type::object) return simdjson::SUCCESS;
    f.source_is_object = true;
    od::object obj;
    if (auto err = v.get_object().get(obj)) return err;
    for (auto field : obj) {
        RawKey key;
        if (auto err = raw_key(field, key)) return err;
        od::value fv;
        if (auto err = field.value().get(fv)) return err;
        error_code err = simdjson::SUCCESS;
        if (key == "type") {
            err = read_string_view(fv, f.source_type);
        } else if (key == "media_type") {
            f.has_media_type = true;
            err = read_string_view(fv, f.media_type);
        } else if (key == "data" || key == "url") {
            std::string_view& slot = key == "data" ? f.source_data : f.source_url;
            od::json_type t;
            if ((err = fv.type().get(t))) return err;
            if (t == od::json_type::string) err = read_text_view(walk, fv, slot);
        }
        if (err) return err;
    }
    return simdjson::SUCCESS;
}

// Decodes one block; false (with `error`) for a block the client must fix or a bad body.
// The block fields the decoder reads, found by length first (one compare per key).
enum class BlockKey {
    kOther,
    kType,
    kText,
    kThinking,
    kSignature,
    kData,
    kId,
    kName,
    kToolUseId,
    kIsError,
    kInput,
    kCacheControl,
    kCitations,
    kSource,
    kContent,
};

BlockKey block_key(RawKey k) {
    using K = BlockKey;
    switch (k.first()) {
        case 't':
            return k == "type"          ? K::kType
                   : k == "text"        ? K::kText
                   : k == "thinking"    ? K::kThinking
                   : k == "tool_use_id" ? K::kToolUseId
                                        : K::kOther;
        case 'i':
            return k == "id"         ? K::kId
                   : k == "input"    ? K::kInput
                   : k == "is_error" ? K::kIsError
                                     : K::kOther;
        case 'd':
            return k == "data" ? K::kData : K::kOther;
        case 'n':
            return k == "name" ? K::kName : K::kOther;
        case 's':
            return k == "signature" ? K::kSignature : k == "source" ? K::kSource : K::kOther;
        case 'c':
            return k == "content"         ? K::kContent
                   : k == "cache_control" ? K::kCacheControl
                   : k == "citations"     ? K::kCitations
                                          : K::kOther;
        default:
            return K::kOther;
    }
}

bool decode_block(const Walk& walk, od::value v, Block& b, std::string* error, int level) {
    od::object obj;
    if (auto err = v.get_object().get(obj)) {
        if (err != simdjson::INCORRECT_TYPE) return json_fail(err, error);
        if (error) *error = "each content block must be an object";
        return false;
    }
    BlockFields f;
    std::string content_error;  ///< a tool_result's content the client must fix
    for (auto field : obj) {
        RawKey key;
        if (auto err = raw_key(field, key)) return json_fail(err, error);
        od::value fv;
        if (auto err = field.value().get(fv)) return json_fail(err, error);
        error_code err = simdjson::SUCCESS;
        // Each reader leaves a value of another type alone (see read_string_view).
        switch (block_key(key)) {
            case BlockKey::kType:
                err = read_string_view(fv, f.type);
                break;
            case BlockKey::kText:
                err = read_text_view(walk, fv, f.text);
                break;
            case BlockKey::kThinking:
                err = read_text_view(walk, fv, f.thinking);
                break;
            case BlockKey::kSignature:
                err = read_string_view(fv, f.signature);
                break;
            case BlockKey::kData:
                err = read_text_view(walk, fv, f.data);
                break;
            case BlockKey::kId:
                err = read_string_view(fv, f.id);
                break;
            case BlockKey::kName:
                err = read_string_view(fv, f.name);
                break;
            case BlockKey::kToolUseId:
                err = read_string_view(fv, f.tool_use_id);
                break;
            case BlockKey::kIsError:
                err = fv.get_bool().get(f.is_error);
                if (err == simdjson::INCORRECT_TYPE) err = simdjson::SUCCESS;
                break;
            case BlockKey::kInput:
                f.has_input = true;
                err = read_raw_view(fv, f.input, error);
                break;
            case BlockKey::kCacheControl:
                err = read_raw_view(fv, f.cache_control, error);
                break;
            case BlockKey::kCitations:
                if (fv.raw_json_token().substr(0, 1) == "[")
                    err = read_raw_view(fv, f.citations, error);
                break;
            case BlockKey::kSource:
                err = read_source(walk, fv, f);
                break;
            case BlockKey::kContent: {
                // Only a tool_result's content is read, and only one level down: what else has
                // content (web_search_tool_result, search_result) has no canonical form. The
                // type may come later, so a content the client must fix is held until then.
                if (level > 0) break;
                std::string e;
                if (!decode_blocks(walk, fv, b.content, &e, level + 1)) {
                    if (e.rfind("request body is not valid JSON", 0) == 0) {
                        if (error) *error = std::move(e);
                        return false;
                    }
                    content_error = std::move(e);
                }
                break;
            }
            case BlockKey::kOther:
                break;
        }
        if (err == kExplained) return false;
        if (err) return json_fail(err, error);
    }
    if (!f.cache_control.empty()) b.cache_control_json.assign(f.cache_control);
    const std::string_view type = f.type;
    if (!b.content.empty() && type != "tool_result") b.content.clear();
    if (type == "text") {
        b.type = BlockType::kText;
        b.text = make_text(walk, f.text);
        if (!f.citations.empty()) b.citations_json.assign(f.citations);
    } else if (type == "image" || type == "document") {
        b.type = type == "image" ? BlockType::kImage : BlockType::kDocument;
        if (!f.has_source || !f.source_is_object) {
            if (error) *error = std::string(type) + " block needs a source";
            return false;
        }
        if (f.source_type == "base64") {
            b.data = make_text(walk, f.source_data);
        } else if (f.source_type == "url") {
            b.source_is_url = true;
            b.data = make_text(walk, f.source_url);
        } else if (f.source_type == "text") {
            if (!f.has_media_type) f.media_type = "text/plain";
            b.text = make_text(walk, f.source_data);
        } else {
            if (error) *error = "unsupported source type '" + std::string(f.source_type) + "'";
            return false;
        }
        b.media_type.assign(f.media_type);
    } else if (type == "tool_use") {
        b.type = BlockType::kToolUse;
        b.id.assign(f.id);
        b.name.assign(f.name);
        b.input_json.assign(f.has_input ? f.input : std::string_view("{}"));
    } else if (type == "tool_result") {
        if (!content_error.empty()) {
            if (error) *error = std::move(content_error);
            return false;
        }
        b.type = BlockType::kToolResult;
        b.id.assign(f.tool_use_id);
        b.is_error = f.is_error;
    } else if (type == "thinking") {
        b.type = BlockType::kThinking;
        b.text = make_text(walk, f.thinking);
        b.signature.assign(f.signature);
        // A signature in Anthropic's format was minted by Anthropic (a passthrough answer);
        // thinking litellmd made from another format's reasoning has none, or carries that
        // provider's own state (opaque_signature).
        adopt_client_signature(b);
    } else if (type == "redacted_thinking") {
        b.type = BlockType::kRedactedThinking;
        b.signature = make_text(walk, f.data).str();
        if (!b.signature.empty()) b.signature_origin = "anthropic";
    } else {
        b.type = BlockType::kText;  // unknown (e.g. web_search_tool_result): dropped by caller
    }
    return true;
}

bool decode_blocks(const Walk& walk, od::value content, std::vector<Block>& out, std::string* error,
                   int level) {
    od::json_type type;
    if (auto err = content.type().get(type)) return json_fail(err, error);
    if (type == od::json_type::string) {
        Block b;
        if (auto err = read_text(walk, content, b.text)) return json_fail(err, error);
        out.push_back(std::move(b));
        return true;
    }
    if (type != od::json_type::array) {
        if (error) *error = "content must be a string or an array of blocks";
        return false;
    }
    od::array items;
    if (auto err = content.get_array().get(items)) return json_fail(err, error);
    std::size_t count = 0;  // a Block is large: counted first, so none is moved by regrowth
    if (auto err = items.count_elements().get(count)) return json_fail(err, error);
    out.reserve(out.size() + count);
    for (auto item : items) {
        od::value v;
        if (auto err = item.get(v)) return json_fail(err, error);
        Block& b = out.emplace_back();
        if (!decode_block(walk, v, b, error, level)) return false;
        // Unknown block types decode to an empty text block; skip those.
        if (b.type == BlockType::kText && b.text.empty() && b.cache_control_json.empty()) {
            out.pop_back();
        }
    }
    return true;
}

// A number field: `out` set when it is one (an integer, or a float with no fraction).
error_code read_int(od::value v, std::optional<std::int64_t>& out, bool* is_number = nullptr) {
    od::json_type type;
    if (auto err = v.type().get(type)) return err;
    if (is_number) *is_number = type == od::json_type::number;
    if (type != od::json_type::number) return simdjson::SUCCESS;
    od::number n;
    if (auto err = v.get_number().get(n)) return err;
    if (n.is_int64()) {
        out = n.get_int64();
    } else if (n.is_double()) {
        double d = n.get_double();
        // In range before the cast (out of range is undefined behaviour), then whole.
        if (d >= -9.2e18 && d <= 9.2e18 && d == std::floor(d)) out = static_cast<std::int64_t>(d);
    }
    return simdjson::SUCCESS;
}

error_code read_double(od::value v, std::optional<double>& out) {
    od::json_type type;
    if (auto err = v.type().get(type)) return err;
    if (type != od::json_type::number) return simdjson::SUCCESS;
    double d;
    if (auto err = v.get_double().get(d)) return err;
    out = d;
    return simdjson::SUCCESS;
}

error_code read_bool(od::value v, std::optional<bool>& out) {
    od::json_type type;
    if (auto err = v.type().get(type)) return err;
    if (type != od::json_type::boolean) return simdjson::SUCCESS;
    bool b;
    if (auto err = v.get_bool().get(b)) return err;
    out = b;
    return simdjson::SUCCESS;
}

// Calls fn(key, value) for each field of `v` when it is an object (none otherwise); fn
// returns an error_code.
template <class Fn>
error_code for_each_field(od::value v, Fn&& fn) {
    od::json_type type;
    if (auto err = v.type().get(type)) return err;
    if (type != od::json_type::object) return simdjson::SUCCESS;
    od::object obj;
    if (auto err = v.get_object().get(obj)) return err;
    for (auto field : obj) {
        RawKey key;
        if (auto err = raw_key(field, key)) return err;
        od::value fv;
        if (auto err = field.value().get(fv)) return err;
        if (auto err = fn(key, fv)) return err;
    }
    return simdjson::SUCCESS;
}

// A structured-output format object ({"type":"json_schema","schema":{...}}), as found.
struct FormatFields {
    bool present = false, is_null = false;
    std::string type, schema;
    bool schema_is_object = false;
};

error_code read_format(od::value v, FormatFields& f, std::string* error) {
    f.present = true;
    od::json_type type;
    if (auto err = v.type().get(type)) return err;
    if (type == od::json_type::null) {
        f.is_null = true;
        return simdjson::SUCCESS;
    }
    return for_each_field(v, [&](RawKey key, od::value fv) -> error_code {
        if (key == "type") return read_string(fv, f.type);
        if (key == "schema") {
            od::json_type t;
            if (auto err = fv.type().get(t)) return err;
            f.schema_is_object = t == od::json_type::object;
            return read_raw(fv, f.schema, error);
        }
        return simdjson::SUCCESS;
    });
}

// One tool; `start` is where its object begins in the body (for a server tool's whole text).
bool decode_tool(const Walk& walk, od::value v, Tool& tool, std::string* error) {
    std::string_view start = v.raw_json_token();
    bool has_schema = false, has_type = false, is_object = false;
    error_code err = for_each_field(v, [&](RawKey key, od::value fv) -> error_code {
        is_object = true;
        if (key == "name") return read_string(fv, tool.name);
        if (key == "description") {
            od::json_type t;
            if (auto e = fv.type().get(t)) return e;
            return t == od::json_type::string ? read_text(walk, fv, tool.description)
                                              : simdjson::SUCCESS;
        }
        if (key == "cache_control") return read_raw(fv, tool.cache_control_json, error);
        if (key == "input_schema") {
            has_schema = true;
            return read_raw(fv, tool.schema_json, error);
        }
        if (key == "type") {
            od::json_type t;
            if (auto e = fv.type().get(t)) return e;
            has_type = t == od::json_type::string;
        }
        return simdjson::SUCCESS;
    });
    if (err == kExplained) return false;
    if (err) return json_fail(err, error);
    if (!has_schema && has_type && is_object) {
        // Only server tools are re-sent whole: from the object's '{' to where the walk is now.
        const char* end = nullptr;
        if ((err = walk.doc->current_location().get(end))) return json_fail(err, error);
        tool.is_server_tool = true;
        // (The walk stands on the token after the object's '}': a ',' or ']', not included.)
        tool.raw_json.assign(trim_json_right(std::string_view(start.data(), end - start.data())));
    }
    return true;
}

}  // namespace

bool decode_request(std::string_view body, Request& out, std::string* error) {
    od::document doc;
    od::object root;
    if (!iterate_request_body(body, doc, root, out.source, error)) return false;
    Walk walk{&doc, true};
    std::optional<std::string> model;
    bool max_tokens_seen = false, max_tokens_number = false, messages_seen = false;
    FormatFields config_format, top_format;
    bool has_output_config = false;
    std::optional<std::int64_t> max_tokens;
    std::vector<std::string_view> seen;  // views into the body
    seen.reserve(16);
    for (auto field : root) {
        RawKey key;
        if (auto err = raw_key(field, key)) return json_fail(err, error);
        od::value v;
        if (auto err = field.value().get(v)) return json_fail(err, error);
        error_code err = simdjson::SUCCESS;
        // A repeated top-level key is ignored: the proxy routes and streams by the first
        // `model` and `stream` (its byte scan stops there), so the first of each counts.
        std::string_view name = key.view();
        if (std::find(seen.begin(), seen.end(), name) != seen.end()) continue;
        seen.push_back(name);
        if (key == "model") {
            model.emplace();
            err = read_string(v, *model);
        } else if (key == "max_tokens") {
            max_tokens_seen = true;
            max_tokens.reset();
            err = read_int(v, max_tokens, &max_tokens_number);
        } else if (key == "temperature") {
            err = read_double(v, out.temperature);
        } else if (key == "top_p") {
            err = read_double(v, out.top_p);
        } else if (key == "top_k") {
            err = read_int(v, out.top_k);
        } else if (key == "stream") {
            std::optional<bool> stream;
            err = read_bool(v, stream);
            out.stream = stream.value_or(false);
        } else if (key == "stop_sequences") {
            od::json_type t;
            if ((err = v.type().get(t))) return json_fail(err, error);
            if (t == od::json_type::array) {
                out.stop.clear();
                od::array items;
                if ((err = v.get_array().get(items))) return json_fail(err, error);
                for (auto item : items) {
                    od::value s;
                    if ((err = item.get(s))) return json_fail(err, error);
                    std::string stop;
                    od::json_type st;
                    if ((err = s.type().get(st))) return json_fail(err, error);
                    if (st != od::json_type::string) continue;
                    if ((err = read_string(s, stop))) return json_fail(err, error);
                    out.stop.push_back(std::move(stop));
                }
            }
        } else if (key == "system") {
            out.system.clear();
            std::string e;
            if (!decode_blocks(walk, v, out.system, &e, 0)) {
                if (error) *error = e.rfind("request body", 0) == 0 ? e : "system: " + e;
                return false;
            }
        } else if (key == "messages") {
            messages_seen = true;
            out.messages.clear();
            od::json_type t;
            if ((err = v.type().get(t))) return json_fail(err, error);
            if (t != od::json_type::array) {
                messages_seen = false;
                continue;
            }
            od::array items;
            if ((err = v.get_array().get(items))) return json_fail(err, error);
            std::size_t i = 0;
            for (auto item : items) {
                od::value m;
                if ((err = item.get(m))) return json_fail(err, error);
                Message& msg = out.messages.emplace_back();
                std::string_view role;
                bool has_content = false;
                std::string e;
                bool content_ok = true;
                err = for_each_field(m, [&](RawKey k, od::value fv) -> error_code {
                    if (k == "role") return read_string_view(fv, role);
                    if (k == "content") {
                        has_content = true;
                        msg.blocks.clear();
                        content_ok = decode_blocks(walk, fv, msg.blocks, &e, 0);
                        if (!content_ok) return simdjson::INCORRECT_TYPE;  // e says why
                    }
                    return simdjson::SUCCESS;
                });
                if (!content_ok) {
                    if (error)
                        *error = e.rfind("request body", 0) == 0
                                     ? e
                                     : "messages." + std::to_string(i) + ".content: " + e;
                    return false;
                }
                if (err) return json_fail(err, error);
                if (role == "user")
                    msg.role = Role::kUser;
                else if (role == "assistant")
                    msg.role = Role::kAssistant;
                else if (role == "system")
                    msg.role = Role::kSystem;  // Claude Code's mid-conversation system
                else {
                    if (error)
                        *error =
                            "messages." + std::to_string(i) + ".role: must be user or assistant";
                    return false;
                }
                if (!has_content) {
                    if (error)
                        *error = "messages." + std::to_string(i) + ".content: field required";
                    return false;
                }
                ++i;
            }
        } else if (key == "tools") {
            od::json_type t;
            if ((err = v.type().get(t))) return json_fail(err, error);
            if (t != od::json_type::array) continue;
            out.tools.clear();
            od::array items;
            if ((err = v.get_array().get(items))) return json_fail(err, error);
            std::size_t count = 0;
            if ((err = items.count_elements().get(count))) return json_fail(err, error);
            out.tools.reserve(count);
            for (auto item : items) {
                od::value tv;
                if ((err = item.get(tv))) return json_fail(err, error);
                if (!decode_tool(walk, tv, out.tools.emplace_back(), error)) return false;
            }
        } else if (key == "tool_choice") {
            ToolChoice choice;
            std::string type;
            bool is_object = false;
            std::optional<bool> disable;
            err = for_each_field(v, [&](RawKey k, od::value fv) -> error_code {
                is_object = true;
                if (k == "type") return read_string(fv, type);
                if (k == "name") return read_string(fv, choice.name);
                if (k == "disable_parallel_tool_use") return read_bool(fv, disable);
                return simdjson::SUCCESS;
            });
            if (err) return json_fail(err, error);
            if (!is_object) {
                od::json_type t;  // an empty object is still an object
                is_object = !v.type().get(t) && t == od::json_type::object;
            }
            if (is_object) {
                using K = ToolChoice::Kind;
                if (type.empty()) type = "auto";
                choice.kind = type == "any"    ? K::kAny
                              : type == "tool" ? K::kTool
                              : type == "none" ? K::kNone
                                               : K::kAuto;
                choice.disable_parallel = disable.value_or(false);
                out.tool_choice = std::move(choice);
            }
        } else if (key == "thinking") {
            std::string type;
            std::optional<std::int64_t> budget;
            bool is_object = false;
            err = for_each_field(v, [&](RawKey k, od::value fv) -> error_code {
                is_object = true;
                if (k == "type") return read_string(fv, type);
                if (k == "budget_tokens") return read_int(fv, budget);
                return simdjson::SUCCESS;
            });
            if (err) return json_fail(err, error);
            using M = Thinking::Mode;
            out.thinking.mode = type == "enabled"    ? M::kEnabled
                                : type == "disabled" ? M::kDisabled
                                : type == "adaptive" ? M::kAdaptive
                                                     : M::kUnset;
            out.thinking.budget_tokens = budget.value_or(0);
        } else if (key == "output_config") {
            has_output_config = true;
            config_format = FormatFields{};
            out.thinking.effort.clear();
            err = for_each_field(v, [&](RawKey k, od::value fv) -> error_code {
                if (k == "effort") return read_string(fv, out.thinking.effort);
                if (k == "format") return read_format(fv, config_format, error);
                return simdjson::SUCCESS;
            });
        } else if (key == "output_format") {
            top_format = FormatFields{};
            err = read_format(v, top_format, error);
        } else if (key == "metadata") {
            out.user.clear();
            err = for_each_field(v, [&](RawKey k, od::value fv) -> error_code {
                return k == "user_id" ? read_string(fv, out.user) : simdjson::SUCCESS;
            });
        }
        if (err == kExplained) return false;
        if (err) return json_fail(err, error);
    }
    // Anything after the object is an error (current_location fails only at the end).
    if (const char* rest = nullptr; !doc.current_location().get(rest)) {
        return json_fail(simdjson::TRAILING_CONTENT, error);
    }
    if (!model || model->empty()) {
        if (error) *error = "model: field required";
        return false;
    }
    out.model = std::move(*model);
    if (max_tokens_seen) {
        if (!max_tokens_number) {
            if (error) *error = "max_tokens: must be an integer";
            return false;
        }
        if (!max_tokens || *max_tokens < 1) {
            if (error) *error = "max_tokens: must be a whole number from 1 to 2^63-1";
            return false;
        }
        out.max_tokens = max_tokens;
    }
    if (!messages_seen) {
        if (error) *error = "messages: field required (an array)";
        return false;
    }
    // Structured output: output_config.format (GA) or output_format (the beta's spelling).
    const FormatFields& format =
        has_output_config && config_format.present ? config_format : top_format;
    if (format.present && !format.is_null) {
        if (format.type != "json_schema" || !format.schema_is_object) {
            if (error)
                *error = "output format: must be {\"type\":\"json_schema\",\"schema\":{...}}";
            return false;
        }
        out.output_format.kind = OutputFormat::Kind::kJsonSchema;
        out.output_format.schema_json = format.schema;
        out.output_format.strict = true;  // Anthropic's structured output always is
    }
    return true;
}

std::string encode_request(const Request& request, const EncodeOptions& options) {
    JsonOut sb(nullptr, encode_capacity(options.size_hint));
    JsonWriter w(sb);
    std::vector<std::string> written;
    auto key = [&](const char* k) {
        w.Key(k);
        written.emplace_back(k);
    };
    w.StartObject();
    key("model");
    write_string(w, options.model);
    // Anthropic refuses thinking together with a forced tool choice; the client's explicit
    // tool choice wins over a translated effort hint.
    // Structured output: Anthropic's own where the upstream has it, else a forced tool whose
    // input is the answer (unwrapped back into text by StructuredOutputUnwrap).
    const OutputFormat& of = request.output_format;
    bool native_format =
        of.kind == OutputFormat::Kind::kJsonSchema && options.native_structured_output;
    bool format_tool = of.kind != OutputFormat::Kind::kText && !native_format;
    bool forced_tool = request.tool_choice.kind == ToolChoice::Kind::kAny ||
                       request.tool_choice.kind == ToolChoice::Kind::kTool || format_tool;
    bool thinking_on = (request.thinking.mode == Thinking::Mode::kEnabled ||
                        request.thinking.mode == Thinking::Mode::kAdaptive) &&
                       !forced_tool;
    // Thinking goes back only to an upstream that takes its signature (Anthropic rejects
    // empty and foreign ones); the rest is dropped from the history.
    auto kept = [&](const Block& b) {
        if (b.type != BlockType::kThinking && b.type != BlockType::kRedactedThinking) {
            return !(b.type == BlockType::kText && b.text.empty());
        }
        return !b.signature.empty() && !b.signature_origin.empty() && options.accepts_signature &&
               options.accepts_signature(b.signature_origin);
    };
    if (thinking_on) {
        // With thinking on, Anthropic requires the assistant turn that made the pending tool
        // calls to start with its thinking block; when that block was not kept (or never
        // existed: the turn came from another format), this request goes without thinking.
        // The turn is the last one written: a run of assistant messages (merged below), past
        // messages that write nothing.
        bool tool_use = false, thinking = false, in_turn = false;
        for (auto m = request.messages.rbegin(); m != request.messages.rend(); ++m) {
            if (m->role == Role::kSystem || std::none_of(m->blocks.begin(), m->blocks.end(), kept))
                continue;
            if (m->role != Role::kAssistant) {
                if (in_turn) break;
                continue;
            }
            in_turn = true;
            for (const auto& b : m->blocks) {
                tool_use |= b.type == BlockType::kToolUse;
                thinking |=
                    (b.type == BlockType::kThinking || b.type == BlockType::kRedactedThinking) &&
                    kept(b);
            }
        }
        if (tool_use && !thinking) thinking_on = false;
    }
    std::int64_t budget = request.thinking.budget_tokens;
    if (thinking_on && budget <= 0) budget = budget_for_effort(request.thinking.effort);
    if (thinking_on) budget = std::max<std::int64_t>(budget, 1024);
    std::int64_t max_tokens = request.max_tokens.value_or(options.default_max_tokens);
    if (thinking_on && max_tokens <= budget) max_tokens = budget + 4096;  // budget < max_tokens
    key("max_tokens");
    w.Int64(max_tokens);

    // System: top-level blocks plus any system-role messages (Anthropic wants them on top).
    std::vector<const Block*> system;
    for (const auto& b : request.system)
        system.push_back(&b);
    for (const auto& m : request.messages) {
        if (m.role != Role::kSystem) continue;
        for (const auto& b : m.blocks)
            system.push_back(&b);
    }
    if (!system.empty()) {
        key("system");
        w.StartArray();
        for (const Block* b : system) {
            if (b->type == BlockType::kText && !b->text.empty()) write_block(w, *b);
        }
        w.EndArray();
    }
    // Messages: merge same-role runs; tool results first in a user turn, tool uses last in an
    // assistant turn; no empty text blocks (Anthropic rejects them).
    key("messages");
    w.StartArray();
    size_t i = 0;
    const auto& msgs = request.messages;
    // System messages are hoisted and all-empty messages write nothing; neither may split a
    // same-role run (user, <empty assistant>, user must become one user turn).
    auto skipped = [&](const Message& m) {
        return m.role == Role::kSystem || std::none_of(m.blocks.begin(), m.blocks.end(),
                                                       [&](const Block& b) { return kept(b); });
    };
    while (i < msgs.size()) {
        if (skipped(msgs[i])) {
            ++i;
            continue;
        }
        Role role = msgs[i].role;
        std::vector<const Block*> first, rest;
        size_t j = i;
        for (; j < msgs.size() && (msgs[j].role == role || skipped(msgs[j])); ++j) {
            if (msgs[j].role == Role::kSystem) continue;
            for (const auto& b : msgs[j].blocks) {
                if (!kept(b)) continue;
                bool goes_first = role == Role::kUser ? b.type == BlockType::kToolResult
                                                      : b.type != BlockType::kToolUse;
                (goes_first ? first : rest).push_back(&b);
            }
        }
        i = j;
        if (first.empty() && rest.empty()) continue;
        w.StartObject();
        w.Key("role");
        w.String(role == Role::kUser ? "user" : "assistant");
        w.Key("content");
        w.StartArray();
        for (const Block* b : first)
            write_block(w, *b);
        for (const Block* b : rest)
            write_block(w, *b);
        w.EndArray();
        w.EndObject();
    }
    w.EndArray();
    if (!request.tools.empty() || format_tool) {
        key("tools");
        w.StartArray();
        if (format_tool) {
            w.StartObject();
            w.Key("name");
            w.String(kStructuredOutputTool);
            w.Key("description");
            w.String("Give the answer by calling this tool; its input is the whole answer.");
            w.Key("input_schema");
            write_raw(w, of.kind == OutputFormat::Kind::kJsonSchema ? of.schema_json
                                                                    : R"({"type":"object"})");
            w.EndObject();
        }
        for (const auto& t : request.tools) {
            if (t.is_server_tool) {
                write_raw(w, t.raw_json);
                continue;
            }
            w.StartObject();
            w.Key("name");
            write_string(w, t.name);
            if (!t.description.empty()) {
                w.Key("description");
                write_text(w, t.description);
            }
            w.Key("input_schema");
            write_raw(
                w, t.schema_json.empty() ? R"({"type":"object","properties":{}})" : t.schema_json);
            // The cache breakpoint Claude Code sets on its last tool: without it the
            // tool list is re-billed in full on every turn.
            if (!t.cache_control_json.empty()) {
                w.Key("cache_control");
                write_raw(w, t.cache_control_json);
            }
            w.EndObject();
        }
        w.EndArray();
    }
    if (format_tool) {
        key("tool_choice");
        w.StartObject();
        w.Key("type");
        w.String("tool");
        w.Key("name");
        w.String(kStructuredOutputTool);
        w.EndObject();
    } else if (request.tool_choice.kind != ToolChoice::Kind::kUnset && !request.tools.empty()) {
        // Anthropic rejects tool_choice without tools (OpenAI clients send "none"/"auto"
        // alone).
        key("tool_choice");
        w.StartObject();
        w.Key("type");
        switch (request.tool_choice.kind) {
            case ToolChoice::Kind::kAny:
                w.String("any");
                break;
            case ToolChoice::Kind::kTool:
                w.String("tool");
                break;
            case ToolChoice::Kind::kNone:
                w.String("none");
                break;
            default:
                w.String("auto");
        }
        if (request.tool_choice.kind == ToolChoice::Kind::kTool) {
            w.Key("name");
            write_string(w, request.tool_choice.name);
        }
        if (request.tool_choice.disable_parallel) {
            w.Key("disable_parallel_tool_use");
            w.Bool(true);
        }
        w.EndObject();
    }
    if (!request.stop.empty()) {
        key("stop_sequences");
        w.StartArray();
        for (const auto& s : request.stop)
            write_string(w, s);
        w.EndArray();
    }
    // With thinking on Anthropic rejects temperature and top_k.
    if (request.temperature && !thinking_on) {
        key("temperature");
        w.Double(*request.temperature);
    }
    if (request.top_p) {
        key("top_p");
        w.Double(*request.top_p);
    }
    if (request.top_k && !thinking_on) {
        key("top_k");
        w.Int64(*request.top_k);
    }
    if (thinking_on) {
        key("thinking");
        w.StartObject();
        w.Key("type");
        w.String("enabled");
        w.Key("budget_tokens");
        w.Int64(budget);
        w.EndObject();
    } else if (request.thinking.mode == Thinking::Mode::kDisabled) {
        key("thinking");
        w.StartObject();
        w.Key("type");
        w.String("disabled");
        w.EndObject();
    }
    if (native_format) {
        key("output_config");
        w.StartObject();
        w.Key("format");
        w.StartObject();
        w.Key("type");
        w.String("json_schema");
        w.Key("schema");
        write_raw(w, of.schema_json);
        w.EndObject();
        w.EndObject();
    }
    if (!request.user.empty()) {
        key("metadata");
        w.StartObject();
        w.Key("user_id");
        write_string(w, request.user);
        w.EndObject();
    }
    key("stream");
    w.Bool(options.stream);
    for (const auto& [k, v] : options.extra_params) {
        if (has_top_level_key(written, k)) continue;
        write_key(w, k);
        write_raw(w, v);
    }
    w.EndObject();
    return sb.take();
}

bool decode_response(std::string_view body, Response& out, std::string* error) {
    od::document doc;
    od::object root;
    std::shared_ptr<const std::string> copy;  // the answer's buffer is not padded
    if (!iterate_request_body(body, doc, root, copy, error, "the upstream's answer")) {
        return false;
    }
    Walk walk{&doc, false};  // decoded copies: the answer's buffer goes away
    bool has_content = false;
    for (auto field : root) {
        RawKey key;
        if (auto err = raw_key(field, key)) return json_fail(err, error);
        od::value v;
        if (auto err = field.value().get(v)) return json_fail(err, error);
        error_code err = simdjson::SUCCESS;
        if (key == "id") {
            err = read_string(v, out.id);
        } else if (key == "model") {
            err = read_string(v, out.model);
        } else if (key == "content") {
            has_content = true;
            out.content.clear();
            if (!decode_blocks(walk, v, out.content, error, 0)) return false;
        } else if (key == "stop_reason") {
            std::string reason;
            err = read_string(v, reason);
            out.stop_reason = parse_anthropic_stop_reason(reason);
        } else if (key == "stop_sequence") {
            err = read_string(v, out.stop_sequence);
        } else if (key == "usage") {
            std::optional<std::int64_t> in, outp, cache_read, cache_write;
            err = for_each_field(v, [&](RawKey k, od::value fv) -> error_code {
                if (k == "input_tokens") return read_int(fv, in);
                if (k == "output_tokens") return read_int(fv, outp);
                if (k == "cache_read_input_tokens") return read_int(fv, cache_read);
                if (k == "cache_creation_input_tokens") return read_int(fv, cache_write);
                return simdjson::SUCCESS;
            });
            out.usage.input_tokens = in.value_or(0);
            out.usage.output_tokens = outp.value_or(0);
            out.usage.cache_read_tokens = cache_read.value_or(0);
            out.usage.cache_creation_tokens = cache_write.value_or(0);
        }
        if (err == kExplained) return false;
        if (err) return json_fail(err, error);
    }
    if (!has_content) {
        if (error) *error = "upstream response is not an Anthropic message";
        return false;
    }
    return true;
}

std::string encode_response(const Response& response, std::string_view model) {
    JsonOut sb;
    JsonWriter w(sb);
    w.StartObject();
    w.Key("id");
    write_string(w, response.id.rfind("msg_", 0) == 0 ? response.id : random_id("msg_"));
    w.Key("type");
    w.String("message");
    w.Key("role");
    w.String("assistant");
    w.Key("model");
    write_string(w, model);
    w.Key("content");
    w.StartArray();
    bool saw_tool = false;
    for (const auto& b : response.content) {
        if (b.type == BlockType::kText && b.text.empty()) continue;
        saw_tool |= b.type == BlockType::kToolUse;
        write_block(w, b);
    }
    w.EndArray();
    StopReason stop = normalize_stop_reason(response.stop_reason, saw_tool);
    w.Key("stop_reason");
    w.String(stop_reason_anthropic(stop));
    w.Key("stop_sequence");
    if (response.stop_sequence.empty())
        w.Null();
    else
        write_string(w, response.stop_sequence);
    w.Key("usage");
    write_usage(w, response.usage);
    w.EndObject();
    return sb.take();
}

std::string encode_error(const Error& error) {
    JsonOut sb;
    JsonWriter w(sb);
    w.StartObject();
    w.Key("type");
    w.String("error");
    w.Key("error");
    w.StartObject();
    w.Key("type");
    w.String(error_type_anthropic(error.kind));
    w.Key("message");
    write_string(w, error_message_for(error));
    w.EndObject();
    w.EndObject();
    return sb.take();
}

std::optional<std::string> strip_unsigned_thinking(std::string_view body) {
    // One pass over the body's "signature" keys settles most bodies: only an empty one or
    // another provider's state (opaque_signature) needs the walk below.
    {
        constexpr std::string_view kKey = R"("signature")";
        bool suspect = false;
        for (const char* at = body.data(); !suspect;) {
            std::size_t left = body.size() - static_cast<std::size_t>(at - body.data());
            const void* hit = ::memmem(at, left, kKey.data(), kKey.size());
            if (!hit) break;
            std::string_view rest =
                body.substr(static_cast<std::size_t>(static_cast<const char*>(hit) - body.data()) +
                            kKey.size());
            std::size_t v = rest.find_first_not_of(" \t\r\n:");
            if (v != std::string_view::npos) {
                std::string_view value = rest.substr(v);
                suspect = value.rfind(R"("")", 0) == 0 || value.rfind(R"("litellm1:)", 0) == 0;
            }
            at = static_cast<const char*>(hit) + kKey.size();
        }
        if (!suspect) return std::nullopt;
    }

    auto text_of = [](std::string_view json, const ValueSpan& v) {
        return json.substr(v.begin, v.end - v.begin);
    };
    auto messages = find_top_level_value(body, "messages");
    if (!messages) return std::nullopt;
    std::string_view msgs = text_of(body, *messages);
    auto items = array_elements(msgs);
    if (!items) return std::nullopt;

    // The messages array rebuilt from byte slices: unchanged messages as they are, changed
    // ones with the unsigned thinking blocks left out of their content array.
    std::string rebuilt = "[";
    bool changed = false, first = true;
    bool last_assistant_tool_use = false, last_assistant_thinking = false;
    for (const ValueSpan& item : *items) {
        std::string_view m = text_of(msgs, item);
        std::string_view out = m;
        std::string edited;
        auto role = find_top_level_value(m, "role");
        auto content = find_top_level_value(m, "content");
        bool assistant = role && text_of(m, *role) == R"("assistant")";
        if (assistant && content && m[content->begin] == '[') {
            std::string_view c = text_of(m, *content);
            auto blocks = array_elements(c);
            bool tool_use = false, thinking = false;
            std::string kept = "[";
            bool dropped = false, any_kept = false;
            for (const ValueSpan& bs : blocks ? *blocks : std::vector<ValueSpan>{}) {
                std::string_view b = text_of(c, bs);
                auto type = find_top_level_value(b, "type");
                std::string_view t = type ? text_of(b, *type) : std::string_view();
                tool_use |= t == R"("tool_use")";
                if (t == R"("thinking")") {
                    // No signature, or another provider's state (opaque_signature):
                    // Anthropic refuses both.
                    auto sig = find_top_level_value(b, "signature");
                    std::string_view sv = sig ? text_of(b, *sig) : std::string_view();
                    if (!sig || sv == R"("")" || sv.rfind(R"("litellm1:)", 0) == 0) {
                        dropped = true;
                        continue;
                    }
                    thinking = true;
                }
                thinking |= t == R"("redacted_thinking")";
                if (any_kept) kept += ',';
                kept.append(b);
                any_kept = true;
            }
            kept += ']';
            if (dropped) {
                changed = true;
                // Nothing left of the turn: it goes, and the turn before it stays the last.
                if (!any_kept) continue;
                edited.reserve(m.size());
                edited.append(m.substr(0, content->begin))
                    .append(kept)
                    .append(m.substr(content->end));
                out = edited;
            }
            last_assistant_tool_use = tool_use;
            last_assistant_thinking = thinking;
        } else if (assistant) {
            last_assistant_tool_use = last_assistant_thinking = false;  // text content
        }
        if (!first) rebuilt += ',';
        rebuilt.append(out);
        first = false;
    }
    if (!changed) return std::nullopt;
    rebuilt += ']';
    std::string result;
    result.reserve(body.size());
    result.append(body.substr(0, messages->begin))
        .append(rebuilt)
        .append(body.substr(messages->end));
    // With thinking on, the turn whose tool calls are pending must start with its thinking
    // block; without one left, this request goes without thinking.
    if (last_assistant_tool_use && !last_assistant_thinking) {
        if (auto th = find_top_level_value(result, "thinking")) {
            std::string_view v = text_of(result, *th);
            if (v.find(R"("enabled")") != std::string_view::npos ||
                v.find(R"("adaptive")") != std::string_view::npos) {
                result = replace_top_level_value(result, "thinking", R"({"type":"disabled"})");
            }
        }
    }
    return result;
}

std::unique_ptr<StreamDecoder> make_stream_decoder() {
    return std::make_unique<Decoder>();
}

std::unique_ptr<StreamEncoder> make_stream_encoder(std::string model,
                                                   std::int64_t input_tokens_estimate) {
    return std::make_unique<Encoder>(std::move(model), input_tokens_estimate);
}

}  // namespace litellm::wire::anthropic
