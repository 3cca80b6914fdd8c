#include "daemon/wire/openai_responses.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <utility>

#include "daemon/wire/events.hpp"
#include "daemon/wire/json_scan.hpp"
#include "daemon/wire/json_util.hpp"
#include "daemon/wire/normalize.hpp"
#include "daemon/wire/openai_common.hpp"
#include "daemon/wire/sse.hpp"

namespace litellm::wire::openai_responses {

namespace {

using openai_common::function_schema;
using openai_common::is_billing_header;
using openai_common::split_data_url;
using openai_common::write_data_url;

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

// The encrypted_content a Responses client carries for thinking another provider made:
// always marked with its origin ("litellm1:<family>:..."), so that it never reaches a Responses
// upstream, which would refuse content it cannot decrypt. Empty when there is nothing to carry.
std::string foreign_reasoning_content(const Block& b) {
    if (b.opaque) return opaque_signature(*b.opaque);
    if (b.signature.empty() || b.signature_origin.empty()) return {};
    if (parse_opaque_signature(b.signature)) return b.signature;
    return opaque_signature(Opaque{b.signature_origin, b.signature});
}

// The inverse of foreign_reasoning_content: an Anthropic signature becomes the block's own
// signature again; other families' state stays opaque.
void adopt_foreign(Block& b, Opaque foreign) {
    b.signature_origin = foreign.family;
    if (foreign.family == "anthropic") {
        b.signature = std::move(foreign.json);
    } else {
        b.opaque = std::move(foreign);
    }
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

class Decoder final : public SseEventDecoder {
  public:
    void finish(std::vector<StreamEvent>& out) override {
        m_emit.bind(&out);
        m_parser.finish();
        if (!m_failed && !m_stopped) {
            m_emit.error(ErrorKind::kApi, "upstream stream closed before response.completed");
            m_failed = true;
        }
        m_emit.bind(nullptr);
    }

    bool complete() const override { return m_stopped; }
    std::string take_quota_report() override { return std::exchange(m_quota_report, {}); }

  private:
    struct Item {
        std::string type;  ///< "message", "reasoning", "function_call"
        int block = -1;    ///< the canonical block it streams into, once open
        bool closed = false;
        std::string call_id, name, args;  ///< function_call
        bool got_text = false;            ///< message: a delta arrived
    };

    void on_data(std::string_view data) override {
        if (data == "[DONE]") return;
        // A quota report is kept even after the end (the backend may send it last).
        if (data.find("codex.rate_limits") != std::string_view::npos) {
            element doc;
            if (parse_json(data, doc, nullptr) &&
                get_string(doc, "type").value_or("") == "codex.rate_limits") {
                m_quota_report.assign(data);
                return;
            }
        }
        if (m_stopped || m_failed) return;
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
        if (m_emit.started()) return;
        m_message_id = std::string(get_string(response, "id").value_or(""));
        m_model = std::string(get_string(response, "model").value_or(""));
        start_if_needed();
    }

    void start_if_needed() { m_emit.start(m_message_id, m_model); }

    int open(BlockType type, const std::string& id, const std::string& name) {
        return m_emit.open(type, id, name);
    }
    void delta(int block, StreamEvent::DeltaType type, std::string_view text) {
        m_emit.delta(block, type, text);
    }

    void close(Item& it) {
        if (it.block < 0 || it.closed) return;
        it.closed = true;
        m_emit.close(it.block);
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
        StopReason said = stop_of(status, response);
        if (m_refused) said = StopReason::kRefusal;
        Usage usage;
        if (auto u = get_field(response, "usage"); u && u->is_object()) usage = decode_usage(*u);
        m_emit.end(normalize_stop_reason(said, m_saw_tool), usage);
        m_stopped = true;
    }

    void fail(Error error) {
        m_emit.error(std::move(error));
        m_failed = true;
    }

    StreamTextRepair m_repair;
    std::string m_quota_report;  ///< the latest codex.rate_limits event, not taken yet
    std::string m_message_id, m_model;
    std::map<int, Item> m_items;  ///< by output_index: parallel calls interleave
    std::map<int, std::string> m_done_items;
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
            write_raw(w, function_schema(t->schema_json, scratch));
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

// ---- the client side: POST /v1/responses ----------------------------------------------------

namespace {

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// A message item's content (a string, or parts) as blocks.
bool decode_content(element content, std::vector<Block>& out, std::string* error) {
    if (content.is_string()) {
        Block b;
        b.text = std::string(content.get_string().value_unsafe());
        if (!b.text.empty()) out.push_back(std::move(b));
        return true;
    }
    if (!content.is_array()) {
        if (error) *error = "input[].content: must be a string or an array of parts";
        return false;
    }
    for (element part : as_array(content)) {
        std::string_view type = get_string(part, "type").value_or("");
        if (type == "input_text" || type == "output_text" || type == "text") {
            Block b;
            b.text = std::string(get_string(part, "text").value_or(""));
            if (!b.text.empty()) out.push_back(std::move(b));
        } else if (type == "refusal") {
            Block b;
            b.text = std::string(get_string(part, "refusal").value_or(""));
            if (!b.text.empty()) out.push_back(std::move(b));
        } else if (type == "input_image") {
            Block b;
            b.type = BlockType::kImage;
            std::string url(get_string(part, "image_url").value_or(""));
            std::string media, data;
            if (split_data_url(url, media, data)) {
                b.media_type = media;
                b.data = data;
            } else if (!url.empty()) {
                b.source_is_url = true;
                b.data = url;
            } else {
                if (error) *error = "input_image: only image_url (a data: or https URL) is served";
                return false;
            }
            out.push_back(std::move(b));
        } else if (type == "input_file") {
            std::string url(get_string(part, "file_data").value_or(""));
            std::string media, data;
            if (!split_data_url(url, media, data)) {
                if (error) *error = "input_file: only file_data as a data: URL is served";
                return false;
            }
            Block b;
            b.type = BlockType::kDocument;
            b.media_type = media;
            b.data = data;
            out.push_back(std::move(b));
        } else {
            if (error)
                *error = "input content part type '" + std::string(type) + "' is not supported";
            return false;
        }
    }
    return true;
}

// The message that a new item of `role` joins: the last one when it has that role.
Message& message_for(Request& r, Role role) {
    if (r.messages.empty() || r.messages.back().role != role) {
        r.messages.push_back(Message{role, {}});
    }
    return r.messages.back();
}

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
    if (auto prev = get_string(doc, "previous_response_id"); prev && !prev->empty()) {
        if (error) {
            *error =
                "previous_response_id is not supported: litellmd keeps no response store; "
                "send the whole conversation in `input` (store: false)";
        }
        return false;
    }
    if (auto f = get_field(doc, "max_output_tokens"); f && !f->is_null()) {
        out.max_tokens = get_int(doc, "max_output_tokens");
        if (!out.max_tokens || *out.max_tokens < 1) {
            if (error) *error = "max_output_tokens: must be a whole number from 1 to 2^63-1";
            return false;
        }
    }
    out.temperature = get_double(doc, "temperature");
    out.top_p = get_double(doc, "top_p");
    out.stream = get_bool(doc, "stream").value_or(false);
    out.include_usage = true;
    out.user = std::string(get_string(doc, "user").value_or(""));
    if (auto instructions = get_string(doc, "instructions");
        instructions && !instructions->empty()) {
        Block b;
        b.text = std::string(*instructions);
        out.system.push_back(std::move(b));
    }
    if (auto reasoning = get_field(doc, "reasoning"); reasoning && reasoning->is_object()) {
        std::string_view effort = get_string(*reasoning, "effort").value_or("");
        if (effort == "none") {
            out.thinking.mode = Thinking::Mode::kDisabled;
        } else if (!effort.empty()) {
            out.thinking.mode = Thinking::Mode::kEnabled;
            out.thinking.effort = effort == "xhigh" ? "max" : std::string(effort);
            out.thinking.budget_tokens = effort == "minimal"  ? 1024
                                         : effort == "low"    ? 1024
                                         : effort == "medium" ? 8192
                                         : effort == "high"   ? 24576
                                                              : 32768;
        }
    }
    if (auto text = get_field(doc, "text"); text && text->is_object()) {
        if (auto format = get_field(*text, "format"); format && format->is_object()) {
            std::string_view type = get_string(*format, "type").value_or("text");
            if (type == "json_object") {
                out.output_format.kind = OutputFormat::Kind::kJsonObject;
            } else if (type == "json_schema") {
                auto schema = get_field(*format, "schema");
                if (!schema || !schema->is_object()) {
                    if (error) *error = "text.format.schema: must be a JSON Schema object";
                    return false;
                }
                out.output_format.kind = OutputFormat::Kind::kJsonSchema;
                out.output_format.name = std::string(get_string(*format, "name").value_or(""));
                out.output_format.schema_json = to_json_text(*schema);
                out.output_format.strict = get_bool(*format, "strict").value_or(false);
            }
        }
    }
    if (auto tools = get_field(doc, "tools"); tools && tools->is_array()) {
        for (element t : as_array(*tools)) {
            // Only function tools have a meaning for every upstream; the backend's own tools
            // (web_search, local_shell, ...) cannot be served by another model.
            if (get_string(t, "type").value_or("") != "function") continue;
            Tool tool;
            tool.name = std::string(get_string(t, "name").value_or(""));
            if (tool.name.empty()) {
                if (error) *error = "tools[]: a function tool needs a name";
                return false;
            }
            tool.description = std::string(get_string(t, "description").value_or(""));
            if (auto params = get_field(t, "parameters"); params && params->is_object()) {
                tool.schema_json = to_json_text(*params);
            }
            out.tools.push_back(std::move(tool));
        }
    }
    if (auto choice = get_field(doc, "tool_choice")) {
        if (choice->is_string()) {
            std::string_view c = choice->get_string().value_unsafe();
            out.tool_choice.kind = c == "required" ? ToolChoice::Kind::kAny
                                   : c == "none"   ? ToolChoice::Kind::kNone
                                                   : ToolChoice::Kind::kAuto;
        } else if (choice->is_object()) {
            out.tool_choice.kind = ToolChoice::Kind::kTool;
            out.tool_choice.name = std::string(get_string(*choice, "name").value_or(""));
        }
    }
    if (auto parallel = get_bool(doc, "parallel_tool_calls"); parallel && !*parallel) {
        out.tool_choice.disable_parallel = true;
        if (out.tool_choice.kind == ToolChoice::Kind::kUnset) {
            out.tool_choice.kind = ToolChoice::Kind::kAuto;
        }
    }
    auto input = get_field(doc, "input");
    if (!input) {
        if (error) *error = "you must provide input";
        return false;
    }
    if (input->is_string()) {
        Block b;
        b.text = std::string(input->get_string().value_unsafe());
        out.messages.push_back(Message{Role::kUser, {std::move(b)}});
        return true;
    }
    if (!input->is_array()) {
        if (error) *error = "input: must be a string or an array of items";
        return false;
    }
    for (element item : as_array(*input)) {
        std::string_view type = get_string(item, "type").value_or("message");
        if (type == "message") {
            std::string_view role = get_string(item, "role").value_or("user");
            Role r = role == "assistant"                         ? Role::kAssistant
                     : (role == "system" || role == "developer") ? Role::kSystem
                                                                 : Role::kUser;
            auto content = get_field(item, "content");
            if (!content) continue;
            std::vector<Block> blocks;
            if (!decode_content(*content, blocks, error)) return false;
            if (blocks.empty()) continue;
            if (r == Role::kSystem && out.messages.empty()) {
                for (auto& b : blocks)
                    out.system.push_back(std::move(b));
                continue;
            }
            Message& m = message_for(out, r);
            for (auto& b : blocks)
                m.blocks.push_back(std::move(b));
        } else if (type == "function_call") {
            Block b;
            b.type = BlockType::kToolUse;
            b.id = std::string(get_string(item, "call_id").value_or(""));
            b.name = std::string(get_string(item, "name").value_or(""));
            // Written raw by other formats' encoders: it must be an object.
            b.input_json = object_json_or_empty(get_string(item, "arguments").value_or(""));
            message_for(out, Role::kAssistant).blocks.push_back(std::move(b));
        } else if (type == "function_call_output") {
            Block b;
            b.type = BlockType::kToolResult;
            b.id = std::string(get_string(item, "call_id").value_or(""));
            if (auto o = get_field(item, "output")) {
                if (o->is_string()) {
                    Block t;
                    t.text = std::string(o->get_string().value_unsafe());
                    b.content.push_back(std::move(t));
                } else if (!decode_content(*o, b.content, error)) {
                    return false;
                }
            }
            // Tool results lead a user message (the encoders write them first); one that
            // follows the user's own content starts the next message, so the order survives.
            if (!out.messages.empty() && out.messages.back().role == Role::kUser) {
                const auto& prev = out.messages.back().blocks;
                if (std::any_of(prev.begin(), prev.end(),
                                [](const Block& x) { return x.type != BlockType::kToolResult; })) {
                    out.messages.push_back(Message{Role::kUser, {}});
                }
            }
            message_for(out, Role::kUser).blocks.push_back(std::move(b));
        } else if (type == "reasoning") {
            // Our own reasoning item coming back: it returns to a Responses upstream as it was
            // (opaque), and reads as thinking elsewhere.
            Block b;
            b.type = BlockType::kThinking;
            std::string summary;
            if (auto parts = get_field(item, "summary"); parts && parts->is_array()) {
                for (element p : as_array(*parts)) {
                    if (!summary.empty()) summary += "\n\n";
                    summary += std::string(get_string(p, "text").value_or(""));
                }
            }
            b.text = summary;
            if (auto enc = get_string(item, "encrypted_content")) {
                if (auto foreign = parse_opaque_signature(*enc)) {
                    // Another provider's thinking that this client was given to carry
                    // (foreign_reasoning_content): it returns to that provider only.
                    adopt_foreign(b, std::move(*foreign));
                } else {
                    b.opaque = Opaque{std::string(kFamily), reasoning_opaque_json(item)};
                    b.signature_origin = std::string(kFamily);
                }
            }
            message_for(out, Role::kAssistant).blocks.push_back(std::move(b));
        } else if (type == "item_reference") {
            if (error) {
                *error =
                    "item_reference is not supported: litellmd keeps no response store; send "
                    "the items themselves";
            }
            return false;
        } else {
            if (error) *error = "input item type '" + std::string(type) + "' is not supported";
            return false;
        }
    }
    return true;
}

namespace {

void write_usage(JsonWriter& w, const Usage& u) {
    std::int64_t input = u.input_tokens + u.cache_read_tokens + u.cache_creation_tokens;
    w.StartObject();
    w.Key("input_tokens");
    w.Int64(input);
    w.Key("input_tokens_details");
    w.StartObject();
    w.Key("cached_tokens");
    w.Int64(u.cache_read_tokens);
    w.EndObject();
    w.Key("output_tokens");
    w.Int64(u.output_tokens);
    w.Key("output_tokens_details");
    w.StartObject();
    w.Key("reasoning_tokens");
    w.Int64(u.reasoning_tokens);
    w.EndObject();
    w.Key("total_tokens");
    w.Int64(input + u.output_tokens);
    w.EndObject();
}

const char* status_of(StopReason r) {
    return r == StopReason::kMaxTokens || r == StopReason::kContextWindowExceeded ||
                   r == StopReason::kRefusal
               ? "incomplete"
               : "completed";
}

void write_incomplete_details(JsonWriter& w, StopReason r) {
    w.Key("incomplete_details");
    if (std::string_view(status_of(r)) != "incomplete") {
        w.Null();
        return;
    }
    w.StartObject();
    w.Key("reason");
    w.String(r == StopReason::kRefusal ? "content_filter" : "max_output_tokens");
    w.EndObject();
}

// One output item, whole (the Response object's and output_item.done's).
void write_item(JsonWriter& w, const Block& b, const std::string& id) {
    w.StartObject();
    if (b.type == BlockType::kToolUse) {
        w.Key("id");
        write_string(w, id);
        w.Key("type");
        w.String("function_call");
        w.Key("status");
        w.String("completed");
        w.Key("call_id");
        write_string(w, b.id);
        w.Key("name");
        write_string(w, b.name);
        w.Key("arguments");
        write_string(
            w, b.input_json.empty() ? std::string_view("{}") : std::string_view(b.input_json));
    } else if (b.type == BlockType::kThinking) {
        w.Key("id");
        write_string(w, id);
        w.Key("type");
        w.String("reasoning");
        w.Key("summary");
        w.StartArray();
        if (!b.text.empty()) {
            w.StartObject();
            w.Key("type");
            w.String("summary_text");
            w.Key("text");
            write_text(w, b.text);
            w.EndObject();
        }
        w.EndArray();
        // Reasoning a Responses upstream made goes back to the client as it came, so the next
        // turn can return it; other thinking carries its origin's signature.
        std::optional<Opaque> opaque = b.opaque;
        if (!opaque) opaque = parse_opaque_signature(b.signature);
        if (opaque && opaque->family == kFamily) {
            element item;
            std::string ignored;
            if (parse_json(opaque->json, item, &ignored)) {
                if (auto enc = get_string(item, "encrypted_content")) {
                    w.Key("encrypted_content");
                    write_string(w, *enc);
                }
            }
        } else if (std::string sig = foreign_reasoning_content(b); !sig.empty()) {
            w.Key("encrypted_content");
            write_string(w, sig);
        }
    } else {
        w.Key("id");
        write_string(w, id);
        w.Key("type");
        w.String("message");
        w.Key("status");
        w.String("completed");
        w.Key("role");
        w.String("assistant");
        w.Key("content");
        w.StartArray();
        w.StartObject();
        w.Key("type");
        w.String("output_text");
        w.Key("text");
        write_text(w, b.text);
        w.Key("annotations");
        w.StartArray();
        w.EndArray();
        w.EndObject();
        w.EndArray();
    }
    w.EndObject();
}

void write_response_head(JsonWriter& w, const std::string& id, std::string_view model,
                         std::int64_t created, const char* status) {
    w.Key("id");
    write_string(w, id);
    w.Key("object");
    w.String("response");
    w.Key("created_at");
    w.Int64(created);
    w.Key("status");
    w.String(status);
    w.Key("model");
    write_string(w, model);
}

// ---- stream encoding (canonical events -> Responses SSE) ------------------------------------

class Encoder final : public StreamEncoder {
  public:
    explicit Encoder(std::string model)
        : m_model(std::move(model)), m_id(random_id("resp_")), m_created(now_seconds()) {}

    void encode(const StreamEvent& e, std::string& out) override {
        if (m_done) return;
        switch (e.kind) {
            case StreamEvent::Kind::kMessageStart:
                start(out);
                break;
            case StreamEvent::Kind::kBlockStart:
                start(out);
                open(e, out);
                break;
            case StreamEvent::Kind::kDelta:
                delta(e, out);
                break;
            case StreamEvent::Kind::kBlockStop:
                close(e.index, out);
                break;
            case StreamEvent::Kind::kMessageDelta:
                if (e.stop_reason) m_stop = *e.stop_reason;
                m_usage = e.usage;
                break;
            case StreamEvent::Kind::kMessageStop:
                finish(out);
                break;
            case StreamEvent::Kind::kPing:
                break;
            case StreamEvent::Kind::kError:
                encode_error(e.error, out);
                break;
        }
    }

    void encode_error(const Error& error, std::string& out) override {
        if (m_done) return;
        start(out);
        JsonOut sb;
        JsonWriter w(sb);
        w.StartObject();
        w.Key("type");
        w.String("response.failed");
        w.Key("sequence_number");
        w.Int64(m_seq++);
        w.Key("response");
        w.StartObject();
        write_response_head(w, m_id, m_model, m_created, "failed");
        w.Key("error");
        w.StartObject();
        w.Key("code");
        w.String(error.kind == ErrorKind::kRateLimit       ? "rate_limit_exceeded"
                 : error.kind == ErrorKind::kOverloaded    ? "server_is_overloaded"
                 : error.kind == ErrorKind::kContextLength ? "context_length_exceeded"
                                                           : "server_error");
        w.Key("message");
        write_string(w, error.message);
        w.EndObject();
        w.Key("output");
        w.StartArray();
        w.EndArray();
        w.EndObject();
        w.EndObject();
        append_sse_event(out, "response.failed", sb.view());
        m_done = true;
    }

    bool done() const override { return m_done; }

  private:
    struct Item {
        Block block;  ///< what it holds so far (text, arguments, thinking)
        std::string id;
        int output_index = 0;
        bool closed = false;
    };

    void event(std::string& out, const char* type, const std::function<void(JsonWriter&)>& body) {
        JsonOut sb;
        JsonWriter w(sb);
        w.StartObject();
        w.Key("type");
        w.String(type);
        w.Key("sequence_number");
        w.Int64(m_seq++);
        body(w);
        w.EndObject();
        append_sse_event(out, type, sb.view());
    }

    void start(std::string& out) {
        if (m_started) return;
        m_started = true;
        for (const char* type : {"response.created", "response.in_progress"}) {
            event(out, type, [&](JsonWriter& w) {
                w.Key("response");
                w.StartObject();
                write_response_head(w, m_id, m_model, m_created, "in_progress");
                w.Key("output");
                w.StartArray();
                w.EndArray();
                w.EndObject();
            });
        }
    }

    void open(const StreamEvent& e, std::string& out) {
        Item& it = m_items[e.index];
        it.block.type = e.block_type;
        it.block.id = e.id;
        it.block.name = e.name;
        it.output_index = m_next_output++;
        const char* prefix = e.block_type == BlockType::kToolUse    ? "fc_"
                             : e.block_type == BlockType::kThinking ? "rs_"
                                                                    : "msg_";
        it.id = random_id(prefix);
        event(out, "response.output_item.added", [&](JsonWriter& w) {
            w.Key("output_index");
            w.Int(it.output_index);
            w.Key("item");
            w.StartObject();
            w.Key("id");
            write_string(w, it.id);
            if (e.block_type == BlockType::kToolUse) {
                w.Key("type");
                w.String("function_call");
                w.Key("status");
                w.String("in_progress");
                w.Key("call_id");
                write_string(w, e.id);
                w.Key("name");
                write_string(w, e.name);
                w.Key("arguments");
                w.String("");
            } else if (e.block_type == BlockType::kThinking) {
                w.Key("type");
                w.String("reasoning");
                w.Key("summary");
                w.StartArray();
                w.EndArray();
            } else {
                w.Key("type");
                w.String("message");
                w.Key("status");
                w.String("in_progress");
                w.Key("role");
                w.String("assistant");
                w.Key("content");
                w.StartArray();
                w.EndArray();
            }
            w.EndObject();
        });
        if (e.block_type == BlockType::kText) {
            event(out, "response.content_part.added", [&](JsonWriter& w) {
                item_keys(w, it);
                w.Key("content_index");
                w.Int(0);
                w.Key("part");
                w.StartObject();
                w.Key("type");
                w.String("output_text");
                w.Key("text");
                w.String("");
                w.Key("annotations");
                w.StartArray();
                w.EndArray();
                w.EndObject();
            });
        } else if (e.block_type == BlockType::kThinking) {
            event(out, "response.reasoning_summary_part.added", [&](JsonWriter& w) {
                item_keys(w, it);
                w.Key("summary_index");
                w.Int(0);
                w.Key("part");
                w.StartObject();
                w.Key("type");
                w.String("summary_text");
                w.Key("text");
                w.String("");
                w.EndObject();
            });
        }
    }

    void item_keys(JsonWriter& w, const Item& it) {
        w.Key("item_id");
        write_string(w, it.id);
        w.Key("output_index");
        w.Int(it.output_index);
    }

    void delta(const StreamEvent& e, std::string& out) {
        auto found = m_items.find(e.index);
        if (found == m_items.end()) return;
        Item& it = found->second;
        switch (e.delta_type) {
            case StreamEvent::DeltaType::kText:
                it.block.text.value().append(e.text);
                event(out, "response.output_text.delta", [&](JsonWriter& w) {
                    item_keys(w, it);
                    w.Key("content_index");
                    w.Int(0);
                    w.Key("delta");
                    write_string(w, e.text);
                });
                break;
            case StreamEvent::DeltaType::kThinking:
                it.block.text.value().append(e.text);
                event(out, "response.reasoning_summary_text.delta", [&](JsonWriter& w) {
                    item_keys(w, it);
                    w.Key("summary_index");
                    w.Int(0);
                    w.Key("delta");
                    write_string(w, e.text);
                });
                break;
            case StreamEvent::DeltaType::kSignature:
                it.block.signature += e.text;
                break;
            case StreamEvent::DeltaType::kInputJson:
                it.block.input_json += e.text;
                event(out, "response.function_call_arguments.delta", [&](JsonWriter& w) {
                    item_keys(w, it);
                    w.Key("delta");
                    write_string(w, e.text);
                });
                break;
        }
    }

    void close(int index, std::string& out) {
        auto found = m_items.find(index);
        if (found == m_items.end() || found->second.closed) return;
        Item& it = found->second;
        it.closed = true;
        if (it.block.type == BlockType::kText) {
            event(out, "response.output_text.done", [&](JsonWriter& w) {
                item_keys(w, it);
                w.Key("content_index");
                w.Int(0);
                w.Key("text");
                write_text(w, it.block.text);
            });
        } else if (it.block.type == BlockType::kToolUse) {
            event(out, "response.function_call_arguments.done", [&](JsonWriter& w) {
                item_keys(w, it);
                w.Key("arguments");
                write_string(w, it.block.input_json.empty()
                                    ? std::string_view("{}")
                                    : std::string_view(it.block.input_json));
            });
        }
        event(out, "response.output_item.done", [&](JsonWriter& w) {
            w.Key("output_index");
            w.Int(it.output_index);
            w.Key("item");
            write_item(w, it.block, it.id);
        });
    }

    void finish(std::string& out) {
        start(out);
        for (auto& [index, it] : m_items)
            close(index, out);
        const char* status = status_of(m_stop);
        const char* type =
            std::string_view(status) == "incomplete" ? "response.incomplete" : "response.completed";
        event(out, type, [&](JsonWriter& w) {
            w.Key("response");
            w.StartObject();
            write_response_head(w, m_id, m_model, m_created, status);
            write_incomplete_details(w, m_stop);
            w.Key("output");
            w.StartArray();
            std::vector<const Item*> items;
            for (const auto& [index, it] : m_items)
                items.push_back(&it);
            std::sort(items.begin(), items.end(), [](const Item* a, const Item* b) {
                return a->output_index < b->output_index;
            });
            for (const Item* it : items)
                write_item(w, it->block, it->id);
            w.EndArray();
            w.Key("usage");
            write_usage(w, m_usage);
            w.EndObject();
        });
        m_done = true;
    }

    std::string m_model;
    std::string m_id;
    std::int64_t m_created;
    std::map<int, Item> m_items;  ///< by canonical block index
    int m_next_output = 0;
    std::int64_t m_seq = 0;
    StopReason m_stop = StopReason::kEndTurn;
    Usage m_usage;
    bool m_started = false;
    bool m_done = false;
};

}  // namespace

std::string encode_response(const Response& response, std::string_view model) {
    JsonOut sb;
    JsonWriter w(sb);
    w.StartObject();
    const char* status = status_of(response.stop_reason);
    write_response_head(w, random_id("resp_"), model, now_seconds(), status);
    write_incomplete_details(w, response.stop_reason);
    w.Key("error");
    w.Null();
    w.Key("output");
    w.StartArray();
    for (const auto& b : response.content) {
        if (b.type != BlockType::kText && b.type != BlockType::kToolUse &&
            b.type != BlockType::kThinking) {
            continue;
        }
        if (b.type == BlockType::kText && b.text.empty()) continue;
        const char* prefix = b.type == BlockType::kToolUse    ? "fc_"
                             : b.type == BlockType::kThinking ? "rs_"
                                                              : "msg_";
        write_item(w, b, random_id(prefix));
    }
    w.EndArray();
    w.Key("parallel_tool_calls");
    w.Bool(true);
    w.Key("previous_response_id");
    w.Null();
    w.Key("store");
    w.Bool(false);
    w.Key("usage");
    write_usage(w, response.usage);
    w.EndObject();
    return sb.take();
}

std::unique_ptr<StreamEncoder> make_stream_encoder(std::string model) {
    return std::make_unique<Encoder>(std::move(model));
}

std::unique_ptr<StreamDecoder> make_stream_decoder() {
    return std::make_unique<Decoder>();
}

std::optional<std::string> strip_foreign_reasoning(std::string_view body) {
    constexpr std::string_view kMark = R"("litellm1:)";
    if (body.find(kMark) == std::string_view::npos) return std::nullopt;  // the common case
    auto input = find_top_level_value(body, "input");
    if (!input) return std::nullopt;
    std::string_view items_json = body.substr(input->begin, input->end - input->begin);
    auto items = array_elements(items_json);
    if (!items) return std::nullopt;
    std::string rebuilt = "[";
    bool changed = false;
    for (const ValueSpan& span : *items) {
        std::string_view item = items_json.substr(span.begin, span.end - span.begin);
        auto type = find_top_level_value(item, "type");
        auto enc = find_top_level_value(item, "encrypted_content");
        if (type && enc && item.substr(type->begin, type->end - type->begin) == R"("reasoning")" &&
            item.substr(enc->begin, enc->end - enc->begin).rfind(kMark, 0) == 0) {
            changed = true;
            continue;
        }
        if (rebuilt.size() > 1) rebuilt += ',';
        rebuilt.append(item);
    }
    if (!changed) return std::nullopt;
    rebuilt += ']';
    std::string out(body.substr(0, input->begin));
    out += rebuilt;
    out.append(body.substr(input->end));
    return out;
}

}  // namespace litellm::wire::openai_responses
