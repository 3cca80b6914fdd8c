#include "daemon/wire/openai_chat.hpp"

#include <algorithm>
#include <chrono>
#include <map>

#include "daemon/wire/events.hpp"
#include "daemon/wire/json_scan.hpp"
#include "daemon/wire/json_util.hpp"
#include "daemon/wire/normalize.hpp"
#include "daemon/wire/openai_common.hpp"
#include "daemon/wire/sse.hpp"

namespace litellm::wire::openai_chat {

namespace {

// LiteLLM's `thinking_blocks` (message or delta): thinking with the signature the client
// must send back for the provider that made it ({text, signature} each).
void write_thinking_blocks(JsonWriter& w,
                           const std::vector<std::pair<std::string, std::string>>& blocks) {
    w.Key("thinking_blocks");
    w.StartArray();
    for (const auto& [text, signature] : blocks) {
        w.StartObject();
        w.Key("type");
        w.String("thinking");
        w.Key("thinking");
        write_string(w, text);
        w.Key("signature");
        write_string(w, signature);
        w.EndObject();
    }
    w.EndArray();
}

using openai_common::function_schema;
using openai_common::is_billing_header;
using openai_common::split_data_url;
using openai_common::write_data_url;

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// ---- request decoding -----------------------------------------------------------------------

bool decode_parts(element content, std::vector<Block>& out, std::string* error) {
    if (content.is_null()) return true;
    if (content.is_string()) {
        Block b;
        b.text = std::string(content.get_string().value_unsafe());
        if (!b.text.empty()) out.push_back(std::move(b));
        return true;
    }
    if (!content.is_array()) {
        if (error) *error = "content must be a string or an array of parts";
        return false;
    }
    for (element part : as_array(content)) {
        auto type = get_string(part, "type").value_or("");
        Block b;
        if (auto cc = get_field(part, "cache_control")) b.cache_control_json = to_json_text(*cc);
        if (type == "text") {
            b.text = std::string(get_string(part, "text").value_or(""));
            if (b.text.empty()) continue;
        } else if (type == "image_url") {
            b.type = BlockType::kImage;
            auto iu = get_field(part, "image_url");
            std::string_view url =
                iu ? (iu->is_string() ? std::string_view(iu->get_string().value_unsafe())
                                      : get_string(*iu, "url").value_or(""))
                   : "";
            if (!split_data_url(url, b.media_type, b.data.value())) {
                b.source_is_url = true;
                b.data = std::string(url);
            }
        } else if (type == "file") {
            b.type = BlockType::kDocument;
            auto file = get_field(part, "file");
            std::string_view fd = file ? get_string(*file, "file_data").value_or("") : "";
            if (!split_data_url(fd, b.media_type, b.data.value())) continue;
        } else {
            continue;  // input_audio etc.: nothing to carry
        }
        out.push_back(std::move(b));
    }
    return true;
}

std::string effort_from_budget(std::int64_t budget) {
    if (budget <= 0) return "none";
    if (budget <= 512) return "minimal";
    if (budget <= 1024) return "low";
    if (budget <= 8192) return "medium";
    if (budget <= 24576) return "high";
    return "xhigh";
}

// ---- usage ----------------------------------------------------------------------------------

Usage decode_usage(element u) {
    Usage out;
    std::int64_t prompt = get_int(u, "prompt_tokens").value_or(0);
    std::int64_t cached = 0;
    if (auto d = get_field(u, "prompt_tokens_details")) {
        cached = get_int(*d, "cached_tokens").value_or(0);
    }
    out.cache_read_tokens = cached;
    out.input_tokens = std::max<std::int64_t>(0, prompt - cached);  // count each token once
    out.output_tokens = get_int(u, "completion_tokens").value_or(0);
    if (auto d = get_field(u, "completion_tokens_details")) {
        out.reasoning_tokens = get_int(*d, "reasoning_tokens").value_or(0);
    }
    return out;
}

void write_usage(JsonWriter& w, const Usage& u) {
    std::int64_t prompt = u.input_tokens + u.cache_read_tokens + u.cache_creation_tokens;
    w.StartObject();
    w.Key("prompt_tokens");
    w.Int64(prompt);
    w.Key("completion_tokens");
    w.Int64(u.output_tokens);
    w.Key("total_tokens");
    w.Int64(prompt + u.output_tokens);
    w.Key("prompt_tokens_details");
    w.StartObject();
    w.Key("cached_tokens");
    w.Int64(u.cache_read_tokens);
    w.EndObject();
    w.Key("completion_tokens_details");
    w.StartObject();
    w.Key("reasoning_tokens");
    w.Int64(u.reasoning_tokens);
    w.EndObject();
    w.EndObject();
}

// ---- request encoding helpers ----------------------------------------------------------------

const Block& deref(const Block& b) {
    return b;
}
const Block& deref(const Block* b) {
    return *b;
}

// Appends the text blocks among `blocks` to the string begun in `w`, a newline between
// them (once anything was written); returns whether anything was.
template <class BlockPtrs>
bool append_joined_text(JsonWriter& w, const BlockPtrs& blocks, bool wrote) {
    for (const auto& item : blocks) {
        const Block& b = deref(item);
        if (b.type != BlockType::kText) continue;
        if (wrote) w.append(std::string_view("\n"));
        w.append(b.text);
        wrote |= !b.text.empty();
    }
    return wrote;
}

// An image part of a user message ({"type":"image_url","image_url":{"url"}}).
void write_image_part(JsonWriter& w, const Block& b) {
    w.StartObject();
    w.Key("type");
    w.String("image_url");
    w.Key("image_url");
    w.StartObject();
    w.Key("url");
    write_data_url(w, b);
    w.EndObject();
    w.EndObject();
}

// Writes user-side content: a plain string when it is all text (the most compatible form),
// else an array of parts.
void write_user_content(JsonWriter& w, const std::vector<const Block*>& blocks,
                        bool keep_cache_control) {
    bool only_text = std::all_of(blocks.begin(), blocks.end(), [&](const Block* b) {
        return b->type == BlockType::kText &&
               (!keep_cache_control || b->cache_control_json.empty());
    });
    if (only_text) {
        w.begin_string();
        append_joined_text(w, blocks, false);
        w.end_string();
        return;
    }
    w.StartArray();
    for (const Block* b : blocks) {
        if (b->type == BlockType::kText) {
            w.StartObject();
            w.Key("type");
            w.String("text");
            w.Key("text");
            write_text(w, b->text);
            if (keep_cache_control && !b->cache_control_json.empty()) {
                w.Key("cache_control");
                write_raw(w, b->cache_control_json);
            }
            w.EndObject();
        } else if (b->type == BlockType::kImage) {
            write_image_part(w, *b);
        } else if (b->type == BlockType::kDocument) {
            if (!b->text.empty()) {
                w.StartObject();
                w.Key("type");
                w.String("text");
                w.Key("text");
                write_text(w, b->text);
                w.EndObject();
            } else if (!b->source_is_url) {
                w.StartObject();
                w.Key("type");
                w.String("file");
                w.Key("file");
                w.StartObject();
                w.Key("filename");
                w.String("document.pdf");
                w.Key("file_data");
                write_data_url(w, *b);
                w.EndObject();
                w.EndObject();
            }
        }
    }
    w.EndArray();
}

// ---- stream decoding (chunks -> canonical events) -------------------------------------------

class Decoder final : public SseEventDecoder {
  public:
    void finish(std::vector<StreamEvent>& out) override {
        m_emit.bind(&out);
        m_parser.finish();
        if (!m_failed && !m_stopped) {
            if (m_finish_reason || m_done_marker) {
                finalize();
            } else {
                m_emit.error(ErrorKind::kApi, "upstream stream ended before finish_reason");
                m_failed = true;
            }
        }
        m_emit.bind(nullptr);
    }

    bool complete() const override { return m_stopped; }

  private:
    struct ToolState {
        std::string id;
        std::string name;
        std::string pending_args;  ///< arguments received before the block could open
        int block = -1;            ///< canonical block index once opened
    };

    void on_data(std::string_view data) override {
        if (m_stopped || m_failed) return;
        if (data == "[DONE]") {
            m_done_marker = true;
            finalize();
            return;
        }
        element doc;
        if (!parse_stream_event(data, doc, m_repair, "openai-stream")) return;  // logged
        if (auto err = get_field(doc, "error")) {
            std::string text = to_json_text(doc);
            // A request-class error in the stream (e.g. context_length_exceeded) keeps its class,
            // so an Anthropic client still reads "prompt is too long".
            std::string_view etype = get_string(*err, "type").value_or("");
            std::string_view ecode = get_string(*err, "code").value_or("");
            bool request_error = etype.find("invalid_request") != std::string_view::npos ||
                                 ecode == "context_length_exceeded";
            // The open block stays open, as Anthropic sends it: Claude Code retries a turn
            // whose stream errs inside a block, but keeps the partial text (and fails the turn)
            // when the block was stopped first.
            m_emit.error(classify_upstream_error(request_error ? 400 : 500, text));
            m_failed = true;
            return;
        }
        if (!m_emit.started()) {
            m_message_id = std::string(get_string(doc, "id").value_or(""));
            m_model = std::string(get_string(doc, "model").value_or(""));
        }
        if (auto u = get_field(doc, "usage"); u && u->is_object()) {
            m_usage = decode_usage(*u);
            m_have_usage = true;
        }
        auto choices = get_field(doc, "choices");
        if (!choices || !choices->is_array()) return;
        for (element choice : as_array(*choices)) {
            if (get_int(choice, "index").value_or(0) != 0) continue;  // n>1 is not carried
            ensure_started();
            if (auto delta = get_field(choice, "delta"); delta && delta->is_object()) {
                on_delta(*delta);
            }
            // Content and finish_reason may share a chunk: the delta was handled first.
            if (auto fr = get_string(choice, "finish_reason")) {
                m_finish_reason = parse_openai_finish_reason(*fr);
            }
        }
    }

    void ensure_started() { m_emit.start(m_message_id, m_model); }

    void on_delta(element delta) {
        auto reasoning = get_string(delta, "reasoning_content");
        if (!reasoning) reasoning = get_string(delta, "reasoning");
        if (reasoning && !reasoning->empty()) {
            if (m_text_block >= 0) close_block(m_text_block);
            if (m_thinking_block < 0) m_thinking_block = open_block(BlockType::kThinking);
            emit_delta(m_thinking_block, StreamEvent::DeltaType::kThinking, *reasoning);
        }
        // A refusal streams as text (what Anthropic clients show) and ends as a refusal.
        for (const char* field : {"content", "refusal"}) {
            auto content = get_string(delta, field);
            if (!content || content->empty()) continue;
            if (field[0] == 'r') m_refused = true;
            if (m_thinking_block >= 0) close_block(m_thinking_block);
            if (m_text_block < 0) m_text_block = open_block(BlockType::kText);
            emit_delta(m_text_block, StreamEvent::DeltaType::kText, *content);
        }
        auto calls = get_field(delta, "tool_calls");
        if (!calls || !calls->is_array()) return;
        for (element call : as_array(*calls)) {
            int idx = static_cast<int>(get_int(call, "index").value_or(0));
            ToolState& st = m_tools[idx];
            if (auto id = get_string(call, "id"); id && !id->empty()) st.id = std::string(*id);
            std::string_view args;
            if (auto fn = get_field(call, "function")) {
                if (auto name = get_string(*fn, "name"); name && !name->empty()) {
                    st.name = std::string(*name);
                }
                args = get_string(*fn, "arguments").value_or("");
            }
            if (st.block < 0 && !st.id.empty() && !st.name.empty()) open_tool(st);
            if (args.empty()) continue;
            // Each call streams into its own block: parallel calls interleave by index.
            if (st.block >= 0)
                emit_delta(st.block, StreamEvent::DeltaType::kInputJson, args);
            else
                st.pending_args.append(args);
        }
    }

    void open_tool(ToolState& st) {
        // A text or thinking block in progress ends where a tool call begins.
        if (m_text_block >= 0) close_block(m_text_block);
        if (m_thinking_block >= 0) close_block(m_thinking_block);
        st.block = m_emit.open(BlockType::kToolUse, st.id, st.name);
        m_open.push_back(st.block);
        m_saw_tool = true;
        if (!st.pending_args.empty()) {
            emit_delta(st.block, StreamEvent::DeltaType::kInputJson, st.pending_args);
            st.pending_args.clear();
        }
    }

    int open_block(BlockType type) {
        int block = m_emit.open(type);
        m_open.push_back(block);
        return block;
    }

    void emit_delta(int block, StreamEvent::DeltaType type, std::string_view text) {
        m_emit.delta(block, type, text);
    }

    void close_block(int block) {
        auto it = std::find(m_open.begin(), m_open.end(), block);
        if (it != m_open.end()) {
            m_open.erase(it);
            m_emit.close(block);
        }
        if (block == m_text_block) m_text_block = -1;
        if (block == m_thinking_block) m_thinking_block = -1;
    }

    void close_blocks() {
        std::vector<int> open = m_open;
        std::sort(open.begin(), open.end());
        for (int b : open)
            close_block(b);
    }

    void finalize() {
        if (m_stopped) return;
        ensure_started();
        // Calls whose id or name never arrived still get a block: dropping them made clients
        // loop (wire-formats §4 #9).
        for (auto& [idx, st] : m_tools) {
            if (st.block >= 0) continue;
            if (st.id.empty()) st.id = "call_" + std::to_string(idx);
            if (st.name.empty()) st.name = "tool_" + std::to_string(idx);
            open_tool(st);
        }
        close_blocks();
        StopReason said = m_finish_reason.value_or(StopReason::kEndTurn);
        // A refusal stays one even when the upstream ends it with a plain "stop".
        if (m_refused) said = StopReason::kRefusal;
        m_emit.end(normalize_stop_reason(said, m_saw_tool), m_usage);
        m_stopped = true;
    }

    StreamTextRepair m_repair;  ///< text cut between events
    std::string m_message_id;
    std::string m_model;
    std::map<int, ToolState> m_tools;
    std::vector<int> m_open;
    int m_text_block = -1;
    int m_thinking_block = -1;
    std::optional<StopReason> m_finish_reason;
    Usage m_usage;
    bool m_have_usage = false;
    bool m_saw_tool = false;
    bool m_refused = false;  ///< a `refusal` delta arrived
    bool m_done_marker = false;
    bool m_stopped = false;
    bool m_failed = false;
};

// ---- stream encoding (canonical events -> chunks) -------------------------------------------

class Encoder final : public StreamEncoder {
  public:
    Encoder(std::string model, bool include_usage)
        : m_model(std::move(model)),
          m_include_usage(include_usage),
          m_id(random_id("chatcmpl-")),
          m_created(now_seconds()) {}

    void encode(const StreamEvent& e, std::string& out) override {
        if (m_done) return;
        switch (e.kind) {
            case StreamEvent::Kind::kMessageStart:
                if (!m_started) {
                    m_started = true;
                    chunk(out, [](JsonWriter& w) {
                        w.Key("role");
                        w.String("assistant");
                        w.Key("content");
                        w.String("");
                    });
                }
                break;
            case StreamEvent::Kind::kBlockStart:
                start_if_needed(out);
                if (e.block_type == BlockType::kToolUse) {
                    // OpenAI tool_calls indexes count calls from 0, not content blocks.
                    int k = m_next_tool++;
                    m_tool_index[e.index] = k;
                    chunk(out, [&](JsonWriter& w) {
                        w.Key("tool_calls");
                        w.StartArray();
                        w.StartObject();
                        w.Key("index");
                        w.Int(k);
                        w.Key("id");
                        write_string(w, e.id);
                        w.Key("type");
                        w.String("function");
                        w.Key("function");
                        w.StartObject();
                        w.Key("name");
                        write_string(w, e.name);
                        w.Key("arguments");
                        w.String("");
                        w.EndObject();
                        w.EndObject();
                        w.EndArray();
                    });
                }
                break;
            case StreamEvent::Kind::kDelta:
                start_if_needed(out);
                switch (e.delta_type) {
                    case StreamEvent::DeltaType::kText:
                        chunk(out, [&](JsonWriter& w) {
                            w.Key("content");
                            write_string(w, e.text);
                        });
                        break;
                    case StreamEvent::DeltaType::kThinking:
                        m_thinking += e.text;
                        chunk(out, [&](JsonWriter& w) {
                            w.Key("reasoning_content");
                            write_string(w, e.text);
                        });
                        break;
                    case StreamEvent::DeltaType::kSignature:
                        // LiteLLM's thinking_blocks: the whole block with its signature, so
                        // a client that sends it back gets the provider's state to it again.
                        chunk(out, [&](JsonWriter& w) {
                            write_thinking_blocks(w, {{m_thinking, e.text}});
                        });
                        m_thinking.clear();
                        break;
                    case StreamEvent::DeltaType::kInputJson: {
                        auto it = m_tool_index.find(e.index);
                        if (it == m_tool_index.end()) break;
                        int k = it->second;
                        chunk(out, [&](JsonWriter& w) {
                            w.Key("tool_calls");
                            w.StartArray();
                            w.StartObject();
                            w.Key("index");
                            w.Int(k);
                            w.Key("function");
                            w.StartObject();
                            w.Key("arguments");
                            write_string(w, e.text);
                            w.EndObject();
                            w.EndObject();
                            w.EndArray();
                        });
                        break;
                    }
                }
                break;
            case StreamEvent::Kind::kBlockStop:
            case StreamEvent::Kind::kPing:
                break;
            case StreamEvent::Kind::kMessageDelta: {
                start_if_needed(out);
                // Anthropic may send several message_delta events (cumulative usage); an
                // OpenAI stream has one finish_reason, so later ones only update the usage.
                if (m_finished) {
                    m_usage = e.usage;
                    break;
                }
                StopReason stop = normalize_stop_reason(
                    e.stop_reason.value_or(StopReason::kEndTurn), m_next_tool > 0);
                m_usage = e.usage;
                chunk(
                    out, [](JsonWriter&) {}, stop_reason_openai(stop));
                m_finished = true;
                break;
            }
            case StreamEvent::Kind::kMessageStop:
                if (!m_finished) {
                    StreamEvent d;
                    d.kind = StreamEvent::Kind::kMessageDelta;
                    encode(d, out);
                }
                if (m_include_usage) usage_chunk(out);
                append_sse_event(out, {}, "[DONE]");
                m_done = true;
                break;
            case StreamEvent::Kind::kError:
                encode_error(e.error, out);
                break;
        }
    }

    void encode_error(const Error& error, std::string& out) override {
        if (m_done) return;
        append_sse_event(out, {}, openai_chat::encode_error(error));
        append_sse_event(out, {}, "[DONE]");
        m_done = true;
    }

    bool done() const override { return m_done; }

  private:
    std::string m_thinking;  ///< the open thinking block's text, for its thinking_blocks entry

    template <typename Fn>
    void chunk(std::string& out, Fn&& delta_body, const char* finish_reason = nullptr) {
        JsonOut sb;
        JsonWriter w(sb);
        w.StartObject();
        w.Key("id");
        write_string(w, m_id);
        w.Key("object");
        w.String("chat.completion.chunk");
        w.Key("created");
        w.Int64(m_created);
        w.Key("model");
        write_string(w, m_model);
        w.Key("choices");
        w.StartArray();
        w.StartObject();
        w.Key("index");
        w.Int(0);
        w.Key("delta");
        w.StartObject();
        delta_body(w);
        w.EndObject();
        w.Key("finish_reason");
        if (finish_reason)
            w.String(finish_reason);
        else
            w.Null();
        w.EndObject();
        w.EndArray();
        w.EndObject();
        append_sse_event(out, {}, {sb.GetString(), sb.GetSize()});
    }

    void usage_chunk(std::string& out) {
        JsonOut sb;
        JsonWriter w(sb);
        w.StartObject();
        w.Key("id");
        write_string(w, m_id);
        w.Key("object");
        w.String("chat.completion.chunk");
        w.Key("created");
        w.Int64(m_created);
        w.Key("model");
        write_string(w, m_model);
        w.Key("choices");
        w.StartArray();
        w.EndArray();
        w.Key("usage");
        write_usage(w, m_usage);
        w.EndObject();
        append_sse_event(out, {}, {sb.GetString(), sb.GetSize()});
    }

    void start_if_needed(std::string& out) {
        if (m_started) return;
        StreamEvent start;
        start.kind = StreamEvent::Kind::kMessageStart;
        encode(start, out);
    }

    std::string m_model;
    bool m_include_usage;
    std::string m_id;
    std::int64_t m_created;
    std::map<int, int> m_tool_index;
    int m_next_tool = 0;
    Usage m_usage;
    bool m_started = false;
    bool m_finished = false;
    bool m_done = false;
};

}  // namespace

bool decode_request(std::string_view body, Request& out, std::string* error) {
    element doc;
    if (!parse_request_body(body, doc, error)) return false;
    auto model = get_string(doc, "model");
    if (!model || model->empty()) {
        if (error) *error = "you must provide a model parameter";
        return false;
    }
    out.model = std::string(*model);
    for (const char* field : {"max_completion_tokens", "max_tokens"}) {
        auto f = get_field(doc, field);
        if (!f || f->is_null() || out.max_tokens) continue;
        out.max_tokens = get_int(doc, field);
        if (!out.max_tokens || *out.max_tokens < 1) {
            if (error) *error = std::string(field) + ": must be a whole number from 1 to 2^63-1";
            return false;
        }
    }
    out.temperature = get_double(doc, "temperature");
    out.top_p = get_double(doc, "top_p");
    out.stream = get_bool(doc, "stream").value_or(false);
    if (auto so = get_field(doc, "stream_options")) {
        out.include_usage = get_bool(*so, "include_usage").value_or(false);
    }
    if (auto stop = get_field(doc, "stop")) {
        if (stop->is_string())
            out.stop.emplace_back(stop->get_string().value_unsafe());
        else if (stop->is_array()) {
            for (element s : as_array(*stop)) {
                if (s.is_string()) out.stop.emplace_back(s.get_string().value_unsafe());
            }
        }
    }
    out.user = std::string(get_string(doc, "user").value_or(""));
    if (auto rf = get_field(doc, "response_format"); rf && rf->is_object()) {
        std::string_view type = get_string(*rf, "type").value_or("text");
        if (type == "json_object") {
            out.output_format.kind = OutputFormat::Kind::kJsonObject;
        } else if (type == "json_schema") {
            auto js = get_field(*rf, "json_schema");
            auto schema = js ? get_field(*js, "schema") : std::nullopt;
            if (!schema || !schema->is_object()) {
                if (error)
                    *error = "response_format.json_schema.schema: must be a JSON Schema object";
                return false;
            }
            out.output_format.kind = OutputFormat::Kind::kJsonSchema;
            out.output_format.name = std::string(get_string(*js, "name").value_or(""));
            out.output_format.schema_json = to_json_text(*schema);
            out.output_format.strict = get_bool(*js, "strict").value_or(false);
        } else if (type != "text") {
            if (error) *error = "response_format.type: must be text, json_object or json_schema";
            return false;
        }
    }
    if (auto n = get_field(doc, "n"); n && !n->is_null()) {
        auto v = get_int(doc, "n");
        if (!v || *v < 1 || *v > 128) {
            if (error) *error = "n: must be a whole number from 1 to 128";
            return false;
        }
        out.n = *v;
    }
    out.logprobs =
        get_bool(doc, "logprobs").value_or(false) || get_int(doc, "top_logprobs").value_or(0) > 0;
    if (auto effort = get_string(doc, "reasoning_effort")) {
        out.thinking.effort = std::string(*effort);
        out.thinking.mode =
            *effort == "none" ? Thinking::Mode::kDisabled : Thinking::Mode::kEnabled;
    }
    auto messages = get_field(doc, "messages");
    if (!messages || !messages->is_array()) {
        if (error) *error = "messages: field required (an array)";
        return false;
    }
    size_t i = 0;
    for (element m : as_array(*messages)) {
        auto role = get_string(m, "role").value_or("");
        Message msg;
        std::string err;
        auto content = get_field(m, "content");
        if (role == "system" || role == "developer" || role == "user") {
            msg.role = role == "user" ? Role::kUser : Role::kSystem;
            if (content && !decode_parts(*content, msg.blocks, &err)) {
                if (error) *error = "messages[" + std::to_string(i) + "].content: " + err;
                return false;
            }
        } else if (role == "assistant") {
            msg.role = Role::kAssistant;
            if (content && !decode_parts(*content, msg.blocks, &err)) {
                if (error) *error = "messages[" + std::to_string(i) + "].content: " + err;
                return false;
            }
            // reasoning_content has no valid signature for any other upstream: dropped.
            // LiteLLM's thinking_blocks carry one (a provider's, or the opaque state of
            // another): they come first, as the provider wrote them.
            if (auto blocks = get_field(m, "thinking_blocks"); blocks && blocks->is_array()) {
                std::vector<Block> thinking;
                for (element t : as_array(*blocks)) {
                    std::string_view type = get_string(t, "type").value_or("");
                    Block b;
                    if (type == "thinking") {
                        b.type = BlockType::kThinking;
                        b.text = std::string(get_string(t, "thinking").value_or(""));
                        b.signature = std::string(get_string(t, "signature").value_or(""));
                    } else if (type == "redacted_thinking") {
                        b.type = BlockType::kRedactedThinking;
                        b.signature = std::string(get_string(t, "data").value_or(""));
                    } else {
                        continue;
                    }
                    if (b.signature.empty()) continue;  // nothing to give back to anyone
                    adopt_client_signature(b);
                    thinking.push_back(std::move(b));
                }
                msg.blocks.insert(msg.blocks.begin(), std::make_move_iterator(thinking.begin()),
                                  std::make_move_iterator(thinking.end()));
            }
            if (auto calls = get_field(m, "tool_calls"); calls && calls->is_array()) {
                for (element c : as_array(*calls)) {
                    Block b;
                    b.type = BlockType::kToolUse;
                    b.id = std::string(get_string(c, "id").value_or(""));
                    if (auto fn = get_field(c, "function")) {
                        b.name = std::string(get_string(*fn, "name").value_or(""));
                        // Arguments must be an object for Anthropic; repair to {} otherwise.
                        b.input_json =
                            object_json_or_empty(get_string(*fn, "arguments").value_or(""));
                    }
                    msg.blocks.push_back(std::move(b));
                }
            }
        } else if (role == "tool") {
            msg.role = Role::kUser;
            Block b;
            b.type = BlockType::kToolResult;
            b.id = std::string(get_string(m, "tool_call_id").value_or(""));
            if (content && !decode_parts(*content, b.content, &err)) {
                if (error) *error = "messages[" + std::to_string(i) + "].content: " + err;
                return false;
            }
            msg.blocks.push_back(std::move(b));
        } else {
            if (error) {
                *error = "messages[" + std::to_string(i) + "].role: '" + std::string(role) +
                         "' is not one of system, developer, user, assistant, tool";
            }
            return false;
        }
        out.messages.push_back(std::move(msg));
        ++i;
    }
    if (auto tools = get_field(doc, "tools"); tools && tools->is_array()) {
        for (element t : as_array(*tools)) {
            auto fn = get_field(t, "function");
            if (!fn) continue;
            Tool tool;
            tool.name = std::string(get_string(*fn, "name").value_or(""));
            tool.description = std::string(get_string(*fn, "description").value_or(""));
            if (auto p = get_field(*fn, "parameters")) tool.schema_json = to_json_text(*p);
            out.tools.push_back(std::move(tool));
        }
    }
    if (auto tc = get_field(doc, "tool_choice")) {
        using K = ToolChoice::Kind;
        if (tc->is_string()) {
            std::string_view s = tc->get_string().value_unsafe();
            out.tool_choice.kind = s == "required" ? K::kAny : s == "none" ? K::kNone : K::kAuto;
        } else if (auto fn = get_field(*tc, "function")) {
            out.tool_choice.kind = K::kTool;
            out.tool_choice.name = std::string(get_string(*fn, "name").value_or(""));
        }
    }
    if (get_bool(doc, "parallel_tool_calls") == false) {
        if (out.tool_choice.kind == ToolChoice::Kind::kUnset) {
            out.tool_choice.kind = ToolChoice::Kind::kAuto;
        }
        out.tool_choice.disable_parallel = true;
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
    key("messages");
    w.StartArray();
    std::vector<const Block*> system;
    for (const auto& b : request.system) {
        if (!is_billing_header(b) && b.type == BlockType::kText) system.push_back(&b);
    }
    if (options.fold_system_messages) {
        // Later system messages join the leading one, in order: a strict chat template
        // takes one system message, first.
        for (const auto& m : request.messages) {
            if (m.role != Role::kSystem) continue;
            for (const auto& b : m.blocks) {
                if (b.type == BlockType::kText && !is_billing_header(b)) system.push_back(&b);
            }
        }
    }
    if (!system.empty()) {
        w.StartObject();
        w.Key("role");
        w.String("system");
        w.Key("content");
        write_user_content(w, system, options.keep_cache_control);
        w.EndObject();
    }
    // One set of scratch lists for every message (cleared, not reallocated, per message).
    std::vector<const Block*> texts, calls, rest, result_images;
    for (const auto& m : request.messages) {
        if (m.role == Role::kSystem) {
            if (options.fold_system_messages) continue;  // written with the leading one
            std::vector<const Block*>& parts = rest;
            parts.clear();
            for (const auto& b : m.blocks) {
                if (b.type == BlockType::kText && !is_billing_header(b)) parts.push_back(&b);
            }
            if (parts.empty()) continue;
            w.StartObject();
            w.Key("role");
            w.String("system");
            w.Key("content");
            write_user_content(w, parts, options.keep_cache_control);
            w.EndObject();
        } else if (m.role == Role::kAssistant) {
            texts.clear();
            calls.clear();
            bool has_text = false;
            for (const auto& b : m.blocks) {
                if (b.type == BlockType::kText) {
                    texts.push_back(&b);
                    has_text |= !b.text.empty();
                } else if (b.type == BlockType::kToolUse) {
                    calls.push_back(&b);
                }
            }
            if (!has_text && calls.empty()) continue;
            w.StartObject();
            w.Key("role");
            w.String("assistant");
            w.Key("content");
            if (!has_text) {
                w.Null();
            } else {
                w.begin_string();  // an assistant's text blocks, joined as they were
                for (const Block* b : texts)
                    w.append(b->text);
                w.end_string();
            }
            if (!calls.empty()) {
                w.Key("tool_calls");
                w.StartArray();
                for (const Block* c : calls) {
                    w.StartObject();
                    w.Key("id");
                    write_string(w, c->id);
                    w.Key("type");
                    w.String("function");
                    w.Key("function");
                    w.StartObject();
                    w.Key("name");
                    write_string(w, c->name);
                    w.Key("arguments");
                    write_string(w, c->input_json.empty() ? std::string_view("{}")
                                                          : std::string_view(c->input_json));
                    w.EndObject();
                    w.EndObject();
                }
                w.EndArray();
            }
            w.EndObject();
        } else {
            // Tool results become `tool` messages, which must directly follow the assistant's
            // tool_calls: they go before this turn's other content. Images in results are not
            // allowed in `tool` messages, so they move to a user message after them.
            rest.clear();
            result_images.clear();
            for (const auto& b : m.blocks) {
                if (b.type != BlockType::kToolResult) {
                    if (b.type != BlockType::kThinking && b.type != BlockType::kRedactedThinking &&
                        b.type != BlockType::kToolUse) {
                        rest.push_back(&b);
                    }
                    continue;
                }
                bool has_image = false;
                for (const auto& c : b.content) {
                    if (c.type == BlockType::kImage) {
                        result_images.push_back(&c);
                        has_image = true;
                    }
                }
                w.StartObject();
                w.Key("role");
                w.String("tool");
                w.Key("tool_call_id");
                write_string(w, b.id);
                w.Key("content");
                w.begin_string();
                if (b.is_error) w.append(std::string_view("Error: "));
                bool wrote = append_joined_text(w, b.content, false);
                if (has_image)
                    w.append(std::string_view(wrote ? "\n[image attached below]"
                                                    : "[image attached below]"));
                w.end_string();
                w.EndObject();
            }
            rest.insert(rest.begin(), result_images.begin(), result_images.end());
            if (rest.empty()) continue;
            w.StartObject();
            w.Key("role");
            w.String("user");
            w.Key("content");
            write_user_content(w, rest, options.keep_cache_control);
            w.EndObject();
        }
    }
    w.EndArray();
    std::vector<const Tool*> tools;
    for (const auto& t : request.tools) {
        if (!t.is_server_tool) tools.push_back(&t);
    }
    if (!tools.empty()) {
        key("tools");
        w.StartArray();
        for (const Tool* t : tools) {
            w.StartObject();
            w.Key("type");
            w.String("function");
            w.Key("function");
            w.StartObject();
            w.Key("name");
            write_string(w, t->name);
            if (!t->description.empty()) {
                w.Key("description");
                write_text(w, t->description);
            }
            w.Key("parameters");
            std::string scratch;
            write_raw(w, function_schema(t->schema_json, scratch));
            w.EndObject();
            w.EndObject();
        }
        w.EndArray();
        if (request.tool_choice.kind != ToolChoice::Kind::kUnset) {
            key("tool_choice");
            switch (request.tool_choice.kind) {
                case ToolChoice::Kind::kAny:
                    w.String("required");
                    break;
                case ToolChoice::Kind::kNone:
                    w.String("none");
                    break;
                case ToolChoice::Kind::kTool:
                    w.StartObject();
                    w.Key("type");
                    w.String("function");
                    w.Key("function");
                    w.StartObject();
                    w.Key("name");
                    write_string(w, request.tool_choice.name);
                    w.EndObject();
                    w.EndObject();
                    break;
                default:
                    w.String("auto");
            }
            if (request.tool_choice.disable_parallel) {
                key("parallel_tool_calls");
                w.Bool(false);
            }
        }
    }
    if (request.max_tokens) {
        key(options.max_tokens_field.c_str());
        w.Int64(*request.max_tokens);
    }
    if (request.temperature) {
        key("temperature");
        w.Double(*request.temperature);
    }
    if (request.top_p) {
        key("top_p");
        w.Double(*request.top_p);
    }
    if (!request.stop.empty()) {
        key("stop");
        w.StartArray();
        for (const auto& s : request.stop)
            write_string(w, s);
        w.EndArray();
    }
    if (options.send_reasoning_effort && request.thinking.mode != Thinking::Mode::kUnset) {
        std::string effort = request.thinking.effort;
        if (request.thinking.mode == Thinking::Mode::kDisabled)
            effort = "none";
        else if (effort.empty())
            effort = effort_from_budget(request.thinking.budget_tokens);
        else if (effort == "max")
            effort = "xhigh";
        key("reasoning_effort");
        write_string(w, effort);
    }
    if (request.output_format.kind != OutputFormat::Kind::kText) {
        key("response_format");
        w.StartObject();
        w.Key("type");
        if (request.output_format.kind == OutputFormat::Kind::kJsonObject) {
            w.String("json_object");
        } else {
            w.String("json_schema");
            w.Key("json_schema");
            w.StartObject();
            w.Key("name");
            // OpenAI requires a name; Anthropic's output format has none.
            write_string(w, request.output_format.name.empty() ? std::string("response")
                                                               : request.output_format.name);
            w.Key("schema");
            write_raw(w, request.output_format.schema_json);
            if (request.output_format.strict) {
                w.Key("strict");
                w.Bool(true);
            }
            w.EndObject();
        }
        w.EndObject();
    }
    key("stream");
    w.Bool(options.stream);
    if (options.stream) {
        key("stream_options");
        w.StartObject();
        w.Key("include_usage");
        w.Bool(true);
        w.EndObject();
    }
    for (const auto& [k, v] : options.extra_params) {
        if (std::find(written.begin(), written.end(), k) != written.end()) continue;
        write_key(w, k);
        write_raw(w, v);
    }
    w.EndObject();
    return sb.take();
}

bool decode_response(std::string_view body, Response& out, std::string* error) {
    element doc;
    if (!parse_json(body, doc, error)) return false;
    auto choices = get_field(doc, "choices");
    if (!doc.is_object() || !choices || !choices->is_array()) {
        if (error) *error = "upstream response is not a chat.completion";
        return false;
    }
    out.id = std::string(get_string(doc, "id").value_or(""));
    out.model = std::string(get_string(doc, "model").value_or(""));
    if (auto u = get_field(doc, "usage"); u && u->is_object()) out.usage = decode_usage(*u);
    auto arr = as_array(*choices);
    if (arr.size() == 0) return true;
    element choice = arr.at(0).value_unsafe();
    out.stop_reason = parse_openai_finish_reason(get_string(choice, "finish_reason").value_or(""));
    auto message = get_field(choice, "message");
    if (!message) return true;
    auto reasoning = get_string(*message, "reasoning_content");
    if (!reasoning) reasoning = get_string(*message, "reasoning");
    if (reasoning && !reasoning->empty()) {
        Block b;
        b.type = BlockType::kThinking;
        b.text = std::string(*reasoning);
        out.content.push_back(std::move(b));
    }
    if (auto content = get_field(*message, "content")) {
        std::string err;
        decode_parts(*content, out.content, &err);
    }
    if (auto refusal = get_string(*message, "refusal"); refusal && !refusal->empty()) {
        Block b;
        b.text = std::string(*refusal);
        out.content.push_back(std::move(b));
        out.stop_reason = StopReason::kRefusal;
    }
    if (auto calls = get_field(*message, "tool_calls"); calls && calls->is_array()) {
        int n = 0;
        for (element c : as_array(*calls)) {
            Block b;
            b.type = BlockType::kToolUse;
            b.id = std::string(get_string(c, "id").value_or(""));
            if (b.id.empty()) b.id = "call_" + std::to_string(n);
            if (auto fn = get_field(c, "function")) {
                b.name = std::string(get_string(*fn, "name").value_or(""));
                b.input_json = object_json_or_empty(get_string(*fn, "arguments").value_or(""));
            }
            out.content.push_back(std::move(b));
            ++n;
        }
    }
    normalize(out);
    return true;
}

std::string encode_response(const Response& response, std::string_view model) {
    JsonOut sb;
    JsonWriter w(sb);
    w.StartObject();
    w.Key("id");
    write_string(w, random_id("chatcmpl-"));
    w.Key("object");
    w.String("chat.completion");
    w.Key("created");
    w.Int64(now_seconds());
    w.Key("model");
    write_string(w, model);
    w.Key("choices");
    w.StartArray();
    w.StartObject();
    w.Key("index");
    w.Int(0);
    w.Key("message");
    w.StartObject();
    w.Key("role");
    w.String("assistant");
    std::string text, reasoning;
    std::vector<const Block*> calls;
    std::vector<std::pair<std::string, std::string>> signed_thinking;  // text, signature
    for (const auto& b : response.content) {
        if (b.type == BlockType::kText) {
            b.text.append_to(text);
        } else if (b.type == BlockType::kThinking) {
            b.text.append_to(reasoning);
            if (std::string sig = client_signature(b); !sig.empty()) {
                signed_thinking.emplace_back(b.text.str(), std::move(sig));
            }
        } else if (b.type == BlockType::kToolUse) {
            calls.push_back(&b);
        }
    }
    w.Key("content");
    // A refusal is OpenAI's own field (what the SDKs' parse helpers read), content null.
    bool refusal = response.stop_reason == StopReason::kRefusal && calls.empty();
    if ((text.empty() && !calls.empty()) || refusal)
        w.Null();
    else
        write_string(w, text);
    if (refusal) {
        w.Key("refusal");
        write_string(w, text);
    }
    if (!reasoning.empty()) {
        w.Key("reasoning_content");
        write_string(w, reasoning);
    }
    if (!signed_thinking.empty()) write_thinking_blocks(w, signed_thinking);
    if (!calls.empty()) {
        w.Key("tool_calls");
        w.StartArray();
        for (const Block* c : calls) {
            w.StartObject();
            w.Key("id");
            write_string(w, c->id);
            w.Key("type");
            w.String("function");
            w.Key("function");
            w.StartObject();
            w.Key("name");
            write_string(w, c->name);
            w.Key("arguments");
            write_string(w, c->input_json.empty() ? std::string_view("{}")
                                                  : std::string_view(c->input_json));
            w.EndObject();
            w.EndObject();
        }
        w.EndArray();
    }
    w.EndObject();
    StopReason stop = normalize_stop_reason(response.stop_reason, !calls.empty());
    w.Key("finish_reason");
    w.String(stop_reason_openai(stop));
    w.EndObject();
    w.EndArray();
    w.Key("usage");
    write_usage(w, response.usage);
    w.EndObject();
    return sb.take();
}

std::string encode_error(const Error& error) {
    JsonOut sb;
    JsonWriter w(sb);
    w.StartObject();
    w.Key("error");
    w.StartObject();
    w.Key("message");
    write_string(w, error.message);
    w.Key("type");
    w.String(error_type_openai(error.kind));
    w.Key("param");
    w.Null();
    w.Key("code");
    if (const char* code = error_code_openai(error.kind))
        w.String(code);
    else
        w.Null();
    w.EndObject();
    w.EndObject();
    return sb.take();
}

std::unique_ptr<StreamDecoder> make_stream_decoder() {
    return std::make_unique<Decoder>();
}

std::unique_ptr<StreamEncoder> make_stream_encoder(std::string model, bool include_usage) {
    return std::make_unique<Encoder>(std::move(model), include_usage);
}

std::optional<std::string> strip_thinking_blocks(std::string_view body) {
    if (body.find(R"("thinking_blocks")") == std::string_view::npos) return std::nullopt;
    auto messages = find_top_level_value(body, "messages");
    if (!messages) return std::nullopt;
    std::string_view list = body.substr(messages->begin, messages->end - messages->begin);
    auto items = array_elements(list);
    if (!items) return std::nullopt;
    std::string rebuilt = "[";
    for (const ValueSpan& span : *items) {
        std::string_view m = list.substr(span.begin, span.end - span.begin);
        if (rebuilt.size() > 1) rebuilt += ',';
        if (m.find(R"("thinking_blocks")") == std::string_view::npos) {
            rebuilt.append(m);
        } else {
            rebuilt += remove_top_level_if(
                m, [](std::string_view k, std::string_view) { return k == "thinking_blocks"; });
        }
    }
    rebuilt += ']';
    std::string out(body.substr(0, messages->begin));
    out += rebuilt;
    out.append(body.substr(messages->end));
    return out;
}

}  // namespace litellm::wire::openai_chat
