#include "daemon/wire/openai_responses.hpp"

#include <algorithm>
#include <map>

#include "daemon/wire/events.hpp"
#include "daemon/wire/json_util.hpp"
#include "daemon/wire/normalize.hpp"
#include "daemon/wire/sse.hpp"

namespace litellm::wire::openai_responses {

namespace {

// Claude Code puts a per-request billing line in the system prompt; it defeats caching.
bool is_billing_header(const Block& b) {
    return b.type == BlockType::kText && b.text.starts_with("x-anthropic-billing-header:");
}

void write_data_url(JsonWriter& w, const Block& b) {
    if (b.source_is_url) {
        w.text(b.data);
        return;
    }
    w.begin_string();
    w.append(std::string_view("data:"));
    w.append(std::string_view(b.media_type));
    w.append(std::string_view(";base64,"));
    w.append(b.data);
    w.end_string();
}

// A schema as Responses function tools take it: an object schema has `properties`.
std::string_view tool_schema(std::string_view schema, std::string& scratch) {
    if (schema.empty()) return R"({"type":"object","properties":{}})";
    if (schema.find("\"properties\"") != std::string_view::npos) return schema;
    if (schema.find("\"object\"") == std::string_view::npos || schema.back() != '}') return schema;
    std::string_view inside = trim_json_right(schema.substr(0, schema.size() - 1));
    bool empty = !inside.empty() && inside.back() == '{';
    scratch.assign(schema);
    scratch.insert(scratch.size() - 1, empty ? R"("properties":{})" : R"(,"properties":{})");
    return scratch;
}

// One input message item: {"type":"message","role":R,"content":[parts]}.
void write_message(JsonWriter& w, const char* role, const std::vector<const Block*>& parts,
                   bool assistant) {
    w.StartObject();
    w.Key("type");
    w.String("message");
    w.Key("role");
    w.String(role);
    w.Key("content");
    w.StartArray();
    for (const Block* b : parts) {
        w.StartObject();
        if (b->type == BlockType::kImage) {
            w.Key("type");
            w.String("input_image");
            w.Key("image_url");
            write_data_url(w, *b);
        } else if (b->type == BlockType::kDocument && b->media_type == "application/pdf") {
            w.Key("type");
            w.String("input_file");
            w.Key("filename");
            w.String("document.pdf");
            w.Key("file_data");
            write_data_url(w, *b);
        } else {
            w.Key("type");
            w.String(assistant ? "output_text" : "input_text");
            w.Key("text");
            write_text(w, b->type == BlockType::kDocument ? b->data : b->text);
        }
        w.EndObject();
    }
    w.EndArray();
    w.EndObject();
}

// A tool result's output: its text blocks joined (images follow in a user message).
void write_call_output(JsonWriter& w, const Block& result) {
    w.StartObject();
    w.Key("type");
    w.String("function_call_output");
    w.Key("call_id");
    write_string(w, result.id);
    w.Key("output");
    w.begin_string();
    if (result.is_error) w.append(std::string_view("Error: "));
    bool wrote = false;
    bool image = false;
    for (const Block& c : result.content) {
        if (c.type == BlockType::kImage) {
            image = true;
            continue;
        }
        if (c.type != BlockType::kText) continue;
        if (wrote) w.append(std::string_view("\n"));
        w.append(c.text);
        wrote = true;
    }
    if (!result.text.empty()) {
        if (wrote) w.append(std::string_view("\n"));
        w.append(result.text);
        wrote = true;
    }
    if (image)
        w.append(std::string_view(wrote ? "\n[image attached below]" : "[image attached below]"));
    w.end_string();
    w.EndObject();
}

Usage decode_usage(element u) {
    Usage out;
    std::int64_t input = get_int(u, "input_tokens").value_or(0);
    std::int64_t cached = 0;
    if (auto d = get_field(u, "input_tokens_details")) {
        cached = get_int(*d, "cached_tokens").value_or(0);
    }
    out.cache_read_tokens = cached;
    out.input_tokens = std::max<std::int64_t>(0, input - cached);  // each token counted once
    out.output_tokens = get_int(u, "output_tokens").value_or(0);
    if (auto d = get_field(u, "output_tokens_details")) {
        out.reasoning_tokens = get_int(*d, "reasoning_tokens").value_or(0);
    }
    return out;
}

// A reasoning item as it must come back: everything but its id (with store:false, an item id
// the backend never kept is refused as unknown).
std::string reasoning_opaque_json(element item) {
    JsonOut sb(nullptr, 256);
    JsonWriter w(sb);
    w.StartObject();
    simdjson::dom::object obj;
    if (item.get_object().get(obj) == simdjson::SUCCESS) {
        for (auto field : obj) {
            if (field.key == "id" || field.key == "status") continue;
            write_key(w, field.key);
            write_raw(w, to_json_text(field.value));
        }
    }
    w.EndObject();
    return sb.take();
}

StopReason stop_of(std::string_view status, element response) {
    if (status == "incomplete") {
        std::string_view reason;
        if (auto d = get_field(response, "incomplete_details")) {
            reason = get_string(*d, "reason").value_or("");
        }
        return reason == "content_filter" ? StopReason::kRefusal : StopReason::kMaxTokens;
    }
    return StopReason::kEndTurn;
}

// The upstream's in-band failure as a canonical error.
Error failure_of(element doc, element err) {
    std::string text = to_json_text(doc);
    std::string_view code = get_string(err, "code").value_or("");
    int status = 500;
    if (code == "context_length_exceeded" || code == "invalid_prompt") status = 400;
    if (code == "rate_limit_exceeded" || code == "usage_limit_reached" ||
        code == "insufficient_quota") {
        status = 429;
    }
    if (code == "server_is_overloaded" || code == "slow_down") status = 503;
    Error e = classify_upstream_error(status, text);
    if (auto m = get_string(err, "message"); m && !m->empty()) {
        e.message = std::string(*m) + (code.empty() ? "" : " (" + std::string(code) + ")");
    }
    return e;
}

// ---- stream decoding ------------------------------------------------------------------------

class Decoder final : public StreamDecoder {
  public:
    Decoder() : m_parser([this](std::string_view, std::string_view data) { on_data(data); }) {}

    void feed(std::string_view bytes, std::vector<StreamEvent>& out) override {
        m_out = &out;
        m_parser.feed(bytes);
        m_out = nullptr;
    }

    void finish(std::vector<StreamEvent>& out) override {
        m_out = &out;
        m_parser.finish();
        if (!m_failed && !m_stopped) {
            StreamEvent e;
            e.kind = StreamEvent::Kind::kError;
            e.error.kind = ErrorKind::kApi;
            e.error.message = "upstream stream closed before response.completed";
            m_out->push_back(std::move(e));
            m_failed = true;
        }
        m_out = nullptr;
    }

    bool complete() const override { return m_stopped; }
    bool overflowed() const override { return m_parser.overflowed(); }

  private:
    struct Item {
        std::string type;  ///< "message", "reasoning", "function_call"
        int block = -1;    ///< the canonical block it streams into, once open
        bool closed = false;
        std::string call_id, name, args;  ///< function_call
        bool got_text = false;            ///< message: a delta arrived
    };

    void on_data(std::string_view data) {
        if (m_stopped || m_failed || data == "[DONE]") return;
        element doc;
        if (!parse_stream_event(data, doc, m_repair, "responses-stream")) return;  // logged
        std::string_view type = get_string(doc, "type").value_or("");
        if (type == "response.created" || type == "response.in_progress") {
            if (auto r = get_field(doc, "response")) start(*r);
            return;
        }
        if (type == "error") {
            fail(failure_of(doc, doc));
            return;
        }
        if (type == "response.failed") {
            element r = get_field(doc, "response").value_or(doc);
            element err = get_field(r, "error").value_or(r);
            fail(failure_of(doc, err));
            return;
        }
        if (type == "response.completed" || type == "response.incomplete") {
            element r = get_field(doc, "response").value_or(doc);
            complete_with(r, type == "response.incomplete" ? "incomplete" : "completed");
            return;
        }
        auto output_index = get_int(doc, "output_index");
        if (!output_index) return;  // codex.rate_limits and other events without an item
        start_if_needed();
        int oi = static_cast<int>(*output_index);
        if (type == "response.output_item.added") {
            element item = get_field(doc, "item").value_or(doc);
            Item& it = m_items[oi];
            it.type = std::string(get_string(item, "type").value_or(""));
            if (it.type == "function_call") {
                it.call_id = std::string(get_string(item, "call_id").value_or(""));
                it.name = std::string(get_string(item, "name").value_or(""));
                if (it.call_id.empty()) it.call_id = "call_" + std::to_string(oi);
                if (it.name.empty()) it.name = "tool_" + std::to_string(oi);
                it.block = open(BlockType::kToolUse, it.call_id, it.name);
                m_saw_tool = true;
            }
            return;
        }
        Item& it = m_items[oi];
        if (type == "response.reasoning_summary_part.added" ||
            type == "response.reasoning_summary_text.delta" ||
            type == "response.reasoning_text.delta") {
            bool new_part = type == "response.reasoning_summary_part.added";
            if (it.block < 0) {
                it.type = "reasoning";
                it.block = open(BlockType::kThinking, {}, {});
            } else if (new_part && it.got_text) {
                delta(it.block, StreamEvent::DeltaType::kThinking, "\n\n");
            }
            std::string_view d = get_string(doc, "delta").value_or("");
            if (!d.empty()) {
                delta(it.block, StreamEvent::DeltaType::kThinking, d);
                it.got_text = true;
            }
            return;
        }
        if (type == "response.content_part.added" || type == "response.output_text.delta" ||
            type == "response.refusal.delta") {
            if (it.block < 0) {
                it.type = "message";
                it.block = open(BlockType::kText, {}, {});
            }
            if (type == "response.refusal.delta") m_refused = true;
            std::string_view d = get_string(doc, "delta").value_or("");
            if (!d.empty()) {
                delta(it.block, StreamEvent::DeltaType::kText, d);
                it.got_text = true;
            }
            return;
        }
        if (type == "response.function_call_arguments.delta") {
            std::string_view d = get_string(doc, "delta").value_or("");
            if (it.block >= 0 && !d.empty()) {
                delta(it.block, StreamEvent::DeltaType::kInputJson, d);
                it.args.append(d);
            }
            return;
        }
        if (type == "response.function_call_arguments.done") {
            send_missing_args(it, get_string(doc, "arguments").value_or(""));
            return;
        }
        if (type == "response.output_item.done") {
            element item = get_field(doc, "item").value_or(doc);
            item_done(oi, it, item);
            return;
        }
    }

    void start(element response) {
        if (m_started) return;
        m_message_id = std::string(get_string(response, "id").value_or(""));
        m_model = std::string(get_string(response, "model").value_or(""));
        start_if_needed();
    }

    void start_if_needed() {
        if (m_started) return;
        m_started = true;
        StreamEvent e;
        e.kind = StreamEvent::Kind::kMessageStart;
        e.message_id = m_message_id;
        e.model = m_model;
        m_out->push_back(std::move(e));
    }

    int open(BlockType type, const std::string& id, const std::string& name) {
        StreamEvent e;
        e.kind = StreamEvent::Kind::kBlockStart;
        e.block_type = type;
        e.index = m_next_block++;
        e.id = id;
        e.name = name;
        m_out->push_back(std::move(e));
        return m_next_block - 1;
    }

    void delta(int block, StreamEvent::DeltaType type, std::string_view text) {
        StreamEvent e;
        e.kind = StreamEvent::Kind::kDelta;
        e.index = block;
        e.delta_type = type;
        e.text = std::string(text);
        m_out->push_back(std::move(e));
    }

    void close(Item& it) {
        if (it.block < 0 || it.closed) return;
        it.closed = true;
        StreamEvent e;
        e.kind = StreamEvent::Kind::kBlockStop;
        e.index = it.block;
        m_out->push_back(std::move(e));
    }

    // The done event has the whole arguments: send what the deltas did not.
    void send_missing_args(Item& it, std::string_view full) {
        if (it.block < 0 || it.closed) return;
        if (full.size() > it.args.size() && full.compare(0, it.args.size(), it.args) == 0) {
            delta(it.block, StreamEvent::DeltaType::kInputJson, full.substr(it.args.size()));
            it.args = std::string(full);
        }
    }

    void item_done(int oi, Item& it, element item) {
        std::string_view type = get_string(item, "type").value_or(it.type);
        m_done_items[oi] = to_json_text(item);
        if (type == "reasoning") {
            // The item goes back to the backend on the next turn (encrypted_content): it rides
            // in the thinking block's signature.
            if (it.block < 0) it.block = open(BlockType::kThinking, {}, {});
            Opaque o{std::string(kFamily), reasoning_opaque_json(item)};
            delta(it.block, StreamEvent::DeltaType::kSignature, opaque_signature(o));
            close(it);
        } else if (type == "function_call") {
            if (it.block < 0) {
                it.call_id = std::string(get_string(item, "call_id").value_or(""));
                it.name = std::string(get_string(item, "name").value_or(""));
                if (it.call_id.empty()) it.call_id = "call_" + std::to_string(oi);
                if (it.name.empty()) it.name = "tool_" + std::to_string(oi);
                it.block = open(BlockType::kToolUse, it.call_id, it.name);
                m_saw_tool = true;
            }
            send_missing_args(it, get_string(item, "arguments").value_or(""));
            close(it);
        } else if (type == "message") {
            if (!it.got_text) {
                // No deltas came: the text is in the finished item.
                std::string text;
                if (auto content = get_field(item, "content"); content && content->is_array()) {
                    for (element part : as_array(*content)) {
                        auto t = get_string(part, "text");
                        if (!t) t = get_string(part, "refusal");
                        if (t) text.append(*t);
                    }
                }
                if (!text.empty()) {
                    if (it.block < 0) it.block = open(BlockType::kText, {}, {});
                    delta(it.block, StreamEvent::DeltaType::kText, text);
                    it.got_text = true;
                }
            }
            close(it);
        } else {
            close(it);
        }
    }

    void complete_with(element response, std::string_view status) {
        start(response);
        // An empty `output` in response.completed is common: what the item events gave stands.
        // When items arrived only there (no item events), they are replayed from it.
        if (m_items.empty()) {
            if (auto output = get_field(response, "output"); output && output->is_array()) {
                int oi = 0;
                for (element item : as_array(*output)) {
                    Item& it = m_items[oi];
                    it.type = std::string(get_string(item, "type").value_or(""));
                    if (it.type == "function_call") {
                        std::string args(get_string(item, "arguments").value_or(""));
                        item_done(oi, it, item);
                        (void)args;
                    } else {
                        item_done(oi, it, item);
                    }
                    ++oi;
                }
            }
        }
        for (auto& [oi, it] : m_items)
            close(it);
        StreamEvent d;
        d.kind = StreamEvent::Kind::kMessageDelta;
        StopReason said = stop_of(status, response);
        if (m_refused) said = StopReason::kRefusal;
        d.stop_reason = normalize_stop_reason(said, m_saw_tool);
        if (auto u = get_field(response, "usage"); u && u->is_object()) d.usage = decode_usage(*u);
        m_out->push_back(std::move(d));
        StreamEvent s;
        s.kind = StreamEvent::Kind::kMessageStop;
        m_out->push_back(std::move(s));
        m_stopped = true;
    }

    void fail(Error error) {
        StreamEvent e;
        e.kind = StreamEvent::Kind::kError;
        e.error = std::move(error);
        m_out->push_back(std::move(e));
        m_failed = true;
    }

    SseParser m_parser;
    StreamTextRepair m_repair;
    std::vector<StreamEvent>* m_out = nullptr;
    std::string m_message_id, m_model;
    std::map<int, Item> m_items;  ///< by output_index: parallel calls interleave
    std::map<int, std::string> m_done_items;
    int m_next_block = 0;
    bool m_started = false;
    bool m_saw_tool = false;
    bool m_refused = false;
    bool m_stopped = false;
    bool m_failed = false;
};

}  // namespace

std::string effort_from_budget(std::int64_t budget) {
    if (budget <= 0) return "medium";
    if (budget <= 512) return "minimal";
    if (budget <= 1024) return "low";
    if (budget <= 8192) return "medium";
    if (budget <= 24576) return "high";
    return "xhigh";
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
    // Instructions must be present; the system prompt goes in as a developer message, which
    // every Responses backend takes (the Codex backend checks `instructions` against its own).
    key("instructions");
    w.String("");
    key("input");
    w.StartArray();
    std::vector<const Block*> parts;
    for (const auto& b : request.system) {
        if (b.type == BlockType::kText && !is_billing_header(b)) parts.push_back(&b);
    }
    if (!parts.empty()) write_message(w, "developer", parts, false);
    std::vector<const Block*> images;
    for (const auto& m : request.messages) {
        parts.clear();
        if (m.role == Role::kSystem) {
            for (const auto& b : m.blocks) {
                if (b.type == BlockType::kText && !is_billing_header(b)) parts.push_back(&b);
            }
            if (!parts.empty()) write_message(w, "developer", parts, false);
            continue;
        }
        if (m.role == Role::kAssistant) {
            // Items in the order the blocks came: reasoning, text, calls.
            auto flush_text = [&] {
                if (!parts.empty()) write_message(w, "assistant", parts, true);
                parts.clear();
            };
            for (const auto& b : m.blocks) {
                if (b.type == BlockType::kText) {
                    if (!b.text.empty()) parts.push_back(&b);
                } else if (b.type == BlockType::kThinking) {
                    // Only reasoning this family made goes back (with its encrypted content).
                    if (!b.opaque || b.opaque->family != kFamily) continue;
                    if (options.accepts_signature && !options.accepts_signature(kFamily)) continue;
                    flush_text();
                    write_raw(w, b.opaque->json);
                } else if (b.type == BlockType::kToolUse) {
                    flush_text();
                    w.StartObject();
                    w.Key("type");
                    w.String("function_call");
                    w.Key("call_id");
                    write_string(w, b.id);
                    w.Key("name");
                    write_string(w, b.name);
                    w.Key("arguments");
                    write_string(w, b.input_json.empty() ? std::string_view("{}")
                                                         : std::string_view(b.input_json));
                    w.EndObject();
                }
            }
            flush_text();
            continue;
        }
        // A user turn: tool results first (they answer the calls just before), then the rest.
        images.clear();
        for (const auto& b : m.blocks) {
            if (b.type != BlockType::kToolResult) continue;
            write_call_output(w, b);
            for (const auto& c : b.content)
                if (c.type == BlockType::kImage) images.push_back(&c);
        }
        for (const Block* img : images)
            parts.push_back(img);
        for (const auto& b : m.blocks) {
            if (b.type == BlockType::kText || b.type == BlockType::kImage ||
                b.type == BlockType::kDocument) {
                if (b.type == BlockType::kText && b.text.empty()) continue;
                parts.push_back(&b);
            }
        }
        if (!parts.empty()) write_message(w, "user", parts, false);
    }
    w.EndArray();
    std::vector<const Tool*> tools;
    for (const auto& t : request.tools)
        if (!t.is_server_tool) tools.push_back(&t);
    if (!tools.empty()) {
        key("tools");
        w.StartArray();
        for (const Tool* t : tools) {
            w.StartObject();
            w.Key("type");
            w.String("function");
            w.Key("name");
            write_string(w, t->name);
            if (!t->description.empty()) {
                w.Key("description");
                write_text(w, t->description);
            }
            w.Key("parameters");
            std::string scratch;
            write_raw(w, tool_schema(t->schema_json, scratch));
            w.Key("strict");
            w.Bool(false);
            w.EndObject();
        }
        w.EndArray();
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
                w.Key("name");
                write_string(w, request.tool_choice.name);
                w.EndObject();
                break;
            default:
                w.String("auto");
        }
        key("parallel_tool_calls");
        w.Bool(!request.tool_choice.disable_parallel);
    }
    key("reasoning");
    w.StartObject();
    w.Key("effort");
    std::string effort = request.thinking.effort;
    if (request.thinking.mode == Thinking::Mode::kDisabled) {
        effort = "low";  // every Codex model takes it; "none" is not universal
    } else if (effort.empty()) {
        effort = effort_from_budget(request.thinking.budget_tokens);
    } else if (effort == "max") {
        effort = "xhigh";
    }
    write_string(w, effort);
    w.Key("summary");
    w.String("auto");  // what makes the reasoning readable as thinking text
    w.EndObject();
    if (request.output_format.kind != OutputFormat::Kind::kText) {
        key("text");
        w.StartObject();
        w.Key("format");
        w.StartObject();
        w.Key("type");
        if (request.output_format.kind == OutputFormat::Kind::kJsonObject) {
            w.String("json_object");
        } else {
            w.String("json_schema");
            w.Key("name");
            write_string(w, request.output_format.name.empty() ? std::string("response")
                                                               : request.output_format.name);
            w.Key("schema");
            write_raw(w, request.output_format.schema_json);
            w.Key("strict");
            w.Bool(request.output_format.strict);
        }
        w.EndObject();
        w.EndObject();
    }
    if (!options.responses_minimal) {
        if (request.max_tokens) {
            key("max_output_tokens");
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
    }
    // litellmd keeps no response store; reasoning returns as encrypted content instead.
    key("store");
    w.Bool(false);
    key("include");
    w.StartArray();
    w.String("reasoning.encrypted_content");
    w.EndArray();
    if (!options.prompt_cache_key.empty()) {
        key("prompt_cache_key");
        write_string(w, options.prompt_cache_key);
    }
    key("stream");
    w.Bool(options.stream);
    if (!options.responses_minimal) {
        for (const auto& [k, v] : options.extra_params) {
            if (std::find(written.begin(), written.end(), k) != written.end()) continue;
            write_key(w, k);
            write_raw(w, v);
        }
    }
    w.EndObject();
    return sb.take();
}

bool decode_response(std::string_view body, Response& out, std::string* error) {
    // A whole Response is the stream's last event's `response`: decode it through the same
    // state machine, so both paths agree.
    element doc;
    if (!parse_json(body, doc, error)) return false;
    if (!doc.is_object() || !get_field(doc, "output")) {
        if (error) *error = "the upstream's answer is not a Response object";
        return false;
    }
    std::string event =
        "data: {\"type\":\"response.completed\",\"response\":" + std::string(body) + "}\n\n";
    Decoder d;
    std::vector<StreamEvent> events;
    d.feed(event, events);
    d.finish(events);
    EventAggregator agg;
    for (const auto& e : events) {
        if (e.kind == StreamEvent::Kind::kError) {
            if (error) *error = e.error.message;
            return false;
        }
        agg.add(e);
    }
    out = agg.response();
    return true;
}

std::string encode_error(const Error& error) {
    JsonOut sb(nullptr, 256);
    JsonWriter w(sb);
    w.StartObject();
    w.Key("error");
    w.StartObject();
    w.Key("message");
    write_string(w, error.message);
    w.Key("type");
    switch (error.kind) {
        case ErrorKind::kInvalidRequest:
        case ErrorKind::kContextLength:
        case ErrorKind::kRequestTooLarge:
        case ErrorKind::kNoRoute:
        case ErrorKind::kNotFound:
            w.String("invalid_request_error");
            break;
        case ErrorKind::kAuthentication:
            w.String("authentication_error");
            break;
        case ErrorKind::kPermission:
            w.String("permission_error");
            break;
        case ErrorKind::kRateLimit:
            w.String("rate_limit_error");
            break;
        default:
            w.String("api_error");
    }
    w.Key("code");
    if (error.kind == ErrorKind::kContextLength) {
        w.String("context_length_exceeded");
    } else {
        w.Null();
    }
    w.EndObject();
    w.EndObject();
    return sb.take();
}

std::unique_ptr<StreamDecoder> make_stream_decoder() {
    return std::make_unique<Decoder>();
}

}  // namespace litellm::wire::openai_responses
