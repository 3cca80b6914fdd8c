#include "daemon/wire/anthropic.hpp"

#include <string.h>

#include <algorithm>

#include "daemon/wire/json_scan.hpp"
#include "daemon/wire/json_util.hpp"
#include "daemon/wire/normalize.hpp"
#include "daemon/wire/sse.hpp"

namespace litellm::wire::anthropic {

namespace {

// ---- request decoding -----------------------------------------------------------------------

bool decode_source(element src, Block& b, std::string* error) {
    auto type = get_string(src, "type").value_or("");
    if (type == "base64") {
        b.media_type = std::string(get_string(src, "media_type").value_or(""));
        b.data = std::string(get_string(src, "data").value_or(""));
    } else if (type == "url") {
        b.source_is_url = true;
        b.data = std::string(get_string(src, "url").value_or(""));
    } else if (type == "text") {
        b.media_type = std::string(get_string(src, "media_type").value_or("text/plain"));
        b.text = std::string(get_string(src, "data").value_or(""));
    } else {
        if (error) *error = "unsupported source type '" + std::string(type) + "'";
        return false;
    }
    return true;
}

bool decode_block(element e, Block& b, std::string* error);

bool decode_blocks(element content, std::vector<Block>& out, std::string* error) {
    if (content.is_string()) {
        Block b;
        b.text = std::string(content.get_string().value_unsafe());
        out.push_back(std::move(b));
        return true;
    }
    if (!content.is_array()) {
        if (error) *error = "content must be a string or an array of blocks";
        return false;
    }
    simdjson::dom::array items = as_array(content);
    out.reserve(out.size() + items.size());  // a Block is large: no regrowth moves
    for (element item : items) {
        Block& b = out.emplace_back();
        if (!decode_block(item, b, error)) return false;
        // Unknown block types decode to an empty text block; skip those.
        if (b.type == BlockType::kText && b.text.empty() && b.cache_control_json.empty()) {
            out.pop_back();
        }
    }
    return true;
}

bool decode_block(element e, Block& b, std::string* error) {
    if (!e.is_object()) {
        if (error) *error = "each content block must be an object";
        return false;
    }
    auto type = get_string(e, "type").value_or("");
    if (auto cc = get_field(e, "cache_control")) b.cache_control_json = to_json_text(*cc);
    if (type == "text") {
        b.type = BlockType::kText;
        b.text = std::string(get_string(e, "text").value_or(""));
        if (auto c = get_field(e, "citations"); c && c->is_array()) {
            b.citations_json = to_json_text(*c);
        }
    } else if (type == "image" || type == "document") {
        b.type = type == "image" ? BlockType::kImage : BlockType::kDocument;
        auto src = get_field(e, "source");
        if (!src || !decode_source(*src, b, error)) {
            if (error && error->empty()) *error = std::string(type) + " block needs a source";
            return false;
        }
    } else if (type == "tool_use") {
        b.type = BlockType::kToolUse;
        b.id = std::string(get_string(e, "id").value_or(""));
        b.name = std::string(get_string(e, "name").value_or(""));
        auto input = get_field(e, "input");
        b.input_json = input ? to_json_text(*input) : "{}";
    } else if (type == "tool_result") {
        b.type = BlockType::kToolResult;
        b.id = std::string(get_string(e, "tool_use_id").value_or(""));
        b.is_error = get_bool(e, "is_error").value_or(false);
        if (auto content = get_field(e, "content")) {
            if (!decode_blocks(*content, b.content, error)) return false;
        }
    } else if (type == "thinking") {
        b.type = BlockType::kThinking;
        b.text = std::string(get_string(e, "thinking").value_or(""));
        b.signature = std::string(get_string(e, "signature").value_or(""));
        // A signature in Anthropic's format was minted by Anthropic (a passthrough answer);
        // thinking litellmd made from another format's reasoning has none, or carries that
        // provider's own state (opaque_signature).
        if (auto opaque = parse_opaque_signature(b.signature)) {
            b.signature_origin = opaque->family;
            b.opaque = std::move(*opaque);
        } else if (!b.signature.empty()) {
            b.signature_origin = "anthropic";
        }
    } else if (type == "redacted_thinking") {
        b.type = BlockType::kRedactedThinking;
        b.signature = std::string(get_string(e, "data").value_or(""));
        if (!b.signature.empty()) b.signature_origin = "anthropic";
    } else {
        b.type = BlockType::kText;  // unknown (e.g. web_search_tool_result): dropped by caller
    }
    return true;
}

// ---- request encoding -----------------------------------------------------------------------

void write_block(JsonWriter& w, const Block& b);

void write_source(JsonWriter& w, const Block& b) {
    w.Key("source");
    w.StartObject();
    if (b.source_is_url) {
        w.Key("type");
        w.String("url");
        w.Key("url");
        write_string(w, b.data);
    } else if (b.type == BlockType::kDocument && !b.text.empty()) {
        w.Key("type");
        w.String("text");
        w.Key("media_type");
        write_string(w, b.media_type.empty() ? "text/plain" : b.media_type);
        w.Key("data");
        write_string(w, b.text);
    } else {
        w.Key("type");
        w.String("base64");
        w.Key("media_type");
        write_string(w, b.media_type);
        w.Key("data");
        write_string(w, b.data);
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
            write_string(w, b.text);
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
            write_string(w, b.text);
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
                rapidjson::StringBuffer sb;
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
                rapidjson::StringBuffer sb;
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
                rapidjson::StringBuffer sb;
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
        rapidjson::StringBuffer sb;
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

}  // namespace

bool decode_request(std::string_view body, Request& out, std::string* error) {
    element doc;
    if (!parse_request_body(body, doc, error)) return false;
    auto model = get_string(doc, "model");
    if (!model || model->empty()) {
        if (error) *error = "model: field required";
        return false;
    }
    out.model = std::string(*model);
    if (auto f = get_field(doc, "max_tokens")) {
        if (!f->is_number()) {
            if (error) *error = "max_tokens: must be an integer";
            return false;
        }
        out.max_tokens = get_int(doc, "max_tokens");
        if (!out.max_tokens || *out.max_tokens < 1) {
            if (error) *error = "max_tokens: must be a whole number from 1 to 2^63-1";
            return false;
        }
    }
    out.temperature = get_double(doc, "temperature");
    out.top_p = get_double(doc, "top_p");
    out.top_k = get_int(doc, "top_k");
    out.stream = get_bool(doc, "stream").value_or(false);
    if (auto stops = get_field(doc, "stop_sequences"); stops && stops->is_array()) {
        for (element s : as_array(*stops)) {
            if (s.is_string()) out.stop.emplace_back(s.get_string().value_unsafe());
        }
    }
    if (auto sys = get_field(doc, "system")) {
        std::string err;
        if (!decode_blocks(*sys, out.system, &err)) {
            if (error) *error = "system: " + err;
            return false;
        }
    }
    auto messages = get_field(doc, "messages");
    if (!messages || !messages->is_array()) {
        if (error) *error = "messages: field required (an array)";
        return false;
    }
    size_t i = 0;
    simdjson::dom::array message_items = as_array(*messages);
    out.messages.reserve(message_items.size());
    for (element m : message_items) {
        Message msg;
        auto role = get_string(m, "role").value_or("");
        if (role == "user")
            msg.role = Role::kUser;
        else if (role == "assistant")
            msg.role = Role::kAssistant;
        else if (role == "system")
            msg.role = Role::kSystem;  // Claude Code's mid-conversation system
        else {
            if (error)
                *error = "messages." + std::to_string(i) + ".role: must be user or assistant";
            return false;
        }
        auto content = get_field(m, "content");
        std::string err;
        if (!content || !decode_blocks(*content, msg.blocks, &err)) {
            if (error)
                *error = "messages." + std::to_string(i) +
                         ".content: " + (err.empty() ? "field required" : err);
            return false;
        }
        out.messages.push_back(std::move(msg));
        ++i;
    }
    if (auto tools = get_field(doc, "tools"); tools && tools->is_array()) {
        for (element t : as_array(*tools)) {
            Tool tool;
            tool.name = std::string(get_string(t, "name").value_or(""));
            tool.description = std::string(get_string(t, "description").value_or(""));
            if (auto cc = get_field(t, "cache_control"))
                tool.cache_control_json = to_json_text(*cc);
            if (auto schema = get_field(t, "input_schema")) {
                tool.schema_json = to_json_text(*schema);
            } else if (get_string(t, "type")) {
                tool.is_server_tool = true;
                tool.raw_json = to_json_text(t);  // only server tools are re-sent whole
            }
            out.tools.push_back(std::move(tool));
        }
    }
    if (auto tc = get_field(doc, "tool_choice"); tc && tc->is_object()) {
        auto type = get_string(*tc, "type").value_or("auto");
        using K = ToolChoice::Kind;
        out.tool_choice.kind = type == "any"    ? K::kAny
                               : type == "tool" ? K::kTool
                               : type == "none" ? K::kNone
                                                : K::kAuto;
        out.tool_choice.name = std::string(get_string(*tc, "name").value_or(""));
        out.tool_choice.disable_parallel =
            get_bool(*tc, "disable_parallel_tool_use").value_or(false);
    }
    if (auto th = get_field(doc, "thinking"); th && th->is_object()) {
        auto type = get_string(*th, "type").value_or("");
        using M = Thinking::Mode;
        out.thinking.mode = type == "enabled"    ? M::kEnabled
                            : type == "disabled" ? M::kDisabled
                            : type == "adaptive" ? M::kAdaptive
                                                 : M::kUnset;
        out.thinking.budget_tokens = get_int(*th, "budget_tokens").value_or(0);
    }
    // Structured output: output_config.format (GA) or output_format (the beta's spelling).
    std::optional<element> format;
    if (auto oc = get_field(doc, "output_config")) {
        out.thinking.effort = std::string(get_string(*oc, "effort").value_or(""));
        format = get_field(*oc, "format");
    }
    if (!format) format = get_field(doc, "output_format");
    if (format && !format->is_null()) {
        auto schema = get_field(*format, "schema");
        if (get_string(*format, "type").value_or("") != "json_schema" || !schema ||
            !schema->is_object()) {
            if (error)
                *error = "output format: must be {\"type\":\"json_schema\",\"schema\":{...}}";
            return false;
        }
        out.output_format.kind = OutputFormat::Kind::kJsonSchema;
        out.output_format.schema_json = to_json_text(*schema);
        out.output_format.strict = true;  // Anthropic's structured output always is
    }
    if (auto md = get_field(doc, "metadata")) {
        out.user = std::string(get_string(*md, "user_id").value_or(""));
    }
    return true;
}

std::string encode_request(const Request& request, const EncodeOptions& options) {
    rapidjson::StringBuffer sb(nullptr, encode_capacity(options.size_hint));
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
        for (auto m = request.messages.rbegin(); m != request.messages.rend(); ++m) {
            if (m->role != Role::kAssistant) continue;
            bool tool_use = false, thinking = false;
            for (const auto& b : m->blocks) {
                tool_use |= b.type == BlockType::kToolUse;
                thinking |=
                    (b.type == BlockType::kThinking || b.type == BlockType::kRedactedThinking) &&
                    kept(b);
            }
            if (tool_use && !thinking) thinking_on = false;
            break;
        }
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
                write_string(w, t.description);
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
    return std::string(sb.GetString(), sb.GetSize());
}

bool decode_response(std::string_view body, Response& out, std::string* error) {
    element doc;
    if (!parse_json(body, doc, error)) return false;
    if (!doc.is_object() || !get_field(doc, "content")) {
        if (error) *error = "upstream response is not an Anthropic message";
        return false;
    }
    out.id = std::string(get_string(doc, "id").value_or(""));
    out.model = std::string(get_string(doc, "model").value_or(""));
    std::string err;
    if (!decode_blocks(*get_field(doc, "content"), out.content, &err)) {
        if (error) *error = err;
        return false;
    }
    out.stop_reason = parse_anthropic_stop_reason(get_string(doc, "stop_reason").value_or(""));
    out.stop_sequence = std::string(get_string(doc, "stop_sequence").value_or(""));
    if (auto u = get_field(doc, "usage")) out.usage = decode_usage(*u);
    return true;
}

std::string encode_response(const Response& response, std::string_view model) {
    rapidjson::StringBuffer sb;
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
    return std::string(sb.GetString(), sb.GetSize());
}

std::string encode_error(const Error& error) {
    rapidjson::StringBuffer sb;
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
    return std::string(sb.GetString(), sb.GetSize());
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
            last_assistant_tool_use = tool_use;
            last_assistant_thinking = thinking;
            if (dropped) {
                changed = true;
                if (!any_kept) continue;  // nothing left of the turn: it goes
                edited.reserve(m.size());
                edited.append(m.substr(0, content->begin))
                    .append(kept)
                    .append(m.substr(content->end));
                out = edited;
            }
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
