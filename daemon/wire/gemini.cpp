#include "daemon/wire/gemini.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

#include "common/json.hpp"
#include "daemon/wire/events.hpp"
#include "daemon/wire/json_util.hpp"
#include "daemon/wire/normalize.hpp"
#include "daemon/wire/openai_common.hpp"
#include "daemon/wire/sse.hpp"

namespace litellm::wire::gemini {

namespace {

using openai_common::is_billing_header;

// ---- the schema cleaner ---------------------------------------------------------------------

// Keywords Gemini's function schemas refuse or do not know (the OpenAPI subset of
// `parameters`, and what `parametersJsonSchema` still rejects in practice).
bool dropped_keyword(std::string_view k) {
    static constexpr std::string_view kDropped[] = {
        "$schema",
        "$id",
        "$defs",
        "definitions",
        "$comment",
        "$anchor",
        "additionalProperties",
        "propertyNames",
        "patternProperties",
        "unevaluatedProperties",
        "unevaluatedItems",
        "if",
        "then",
        "else",
        "not",
        "examples",
        "default",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "pattern",
        "format",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minProperties",
        "maxProperties",
        "title",
        "contentEncoding",
        "contentMediaType",
        "readOnly",
        "writeOnly",
        "deprecated",
        "dependentRequired",
        "dependentSchemas",
        "contains",
        "minContains",
        "maxContains",
        "prefixItems",
        "multipleOf",
        "strict",
        "$ref",
        "nullable",
    };
    if (k.rfind("x-", 0) == 0) return true;
    for (std::string_view d : kDropped)
        if (k == d) return true;
    return false;
}

void clean_node(rapidjson::Value& v, rapidjson::Document::AllocatorType& a, int depth);

// anyOf / oneOf / allOf become one schema: allOf merged, the others their first alternative
// that is not `null` (Gemini's function schemas take no unions).
void flatten_union(rapidjson::Value& v, rapidjson::Document::AllocatorType& a) {
    for (const char* key : {"anyOf", "oneOf", "allOf"}) {
        auto it = v.FindMember(key);
        if (it == v.MemberEnd()) continue;
        rapidjson::Value alts;
        alts.CopyFrom(it->value, a);
        v.RemoveMember(key);
        if (!alts.IsArray()) continue;
        bool all = std::string_view(key) == "allOf";
        for (auto& alt : alts.GetArray()) {
            if (!alt.IsObject()) continue;
            auto t = alt.FindMember("type");
            if (!all && t != alt.MemberEnd() && t->value.IsString() &&
                std::string_view(t->value.GetString()) == "null") {
                continue;
            }
            for (auto& m : alt.GetObject()) {
                std::string_view name(m.name.GetString(), m.name.GetStringLength());
                auto mine = v.FindMember(m.name);
                if (mine == v.MemberEnd()) {
                    rapidjson::Value k(m.name, a), val(m.value, a);
                    v.AddMember(k, val, a);
                } else if (name == "properties" && mine->value.IsObject() && m.value.IsObject()) {
                    for (auto& p : m.value.GetObject()) {
                        if (mine->value.HasMember(p.name)) continue;
                        rapidjson::Value k(p.name, a), val(p.value, a);
                        mine->value.AddMember(k, val, a);
                    }
                }
            }
            if (!all) break;
        }
    }
}

// A key given twice means its last value (as JSON.parse reads it): the earlier copies go, or
// each cleaning step would act on whichever copy it finds first and a second cleaning would
// differ from the first. One pass with a set; the object is rebuilt only when it has copies.
void drop_duplicate_keys(rapidjson::Value& v, rapidjson::Document::AllocatorType& a) {
    std::unordered_set<std::string_view> seen;
    std::vector<bool> keep(v.MemberCount(), true);
    bool any = false;
    for (rapidjson::SizeType i = v.MemberCount(); i-- > 0;) {
        const auto& name = v.MemberBegin()[i].name;
        if (!seen.insert(std::string_view(name.GetString(), name.GetStringLength())).second) {
            keep[i] = false;
            any = true;
        }
    }
    if (!any) return;
    rapidjson::Value out(rapidjson::kObjectType);
    for (rapidjson::SizeType i = 0; i < keep.size(); ++i) {
        if (keep[i]) out.AddMember(v.MemberBegin()[i].name, v.MemberBegin()[i].value, a);
    }
    v = out;
}

void clean_node(rapidjson::Value& v, rapidjson::Document::AllocatorType& a, int depth) {
    if (!v.IsObject() || depth > 64) return;
    drop_duplicate_keys(v, a);
    flatten_union(v, a);
    // const -> a one-value enum.
    if (auto c = v.FindMember("const"); c != v.MemberEnd()) {
        rapidjson::Value one(rapidjson::kArrayType);
        rapidjson::Value copy(c->value, a);
        one.PushBack(copy, a);
        v.RemoveMember("const");
        if (!v.HasMember("enum")) v.AddMember("enum", one, a);
    }
    for (auto m = v.MemberBegin(); m != v.MemberEnd();) {
        std::string_view k(m->name.GetString(), m->name.GetStringLength());
        if (dropped_keyword(k)) {
            m = v.EraseMember(m);
        } else {
            ++m;
        }
    }
    // A type list ("string", "null") is its first type that is not null; types are lower case
    // JSON Schema names (the OpenAPI form writes them upper case).
    if (auto t = v.FindMember("type"); t != v.MemberEnd()) {
        if (t->value.IsArray()) {
            std::string first = "string";
            for (auto& e : t->value.GetArray()) {
                if (e.IsString() && std::string_view(e.GetString()) != "null") {
                    first = e.GetString();
                    break;
                }
            }
            t->value.SetString(first.c_str(), static_cast<rapidjson::SizeType>(first.size()), a);
        }
        if (t->value.IsString()) {
            std::string lower = t->value.GetString();
            for (char& ch : lower)
                ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            t->value.SetString(lower.c_str(), static_cast<rapidjson::SizeType>(lower.size()), a);
        }
    }
    // Enum values are strings to Gemini, and an enum is a string's.
    if (auto e = v.FindMember("enum"); e != v.MemberEnd()) {
        if (!e->value.IsArray()) {
            v.RemoveMember("enum");
        } else {
            rapidjson::Value strings(rapidjson::kArrayType);
            for (auto& x : e->value.GetArray()) {
                if (x.IsNull()) continue;
                std::string s = x.IsString() ? std::string(x.GetString()) : json_stringify(x);
                strings.PushBack(rapidjson::Value(s.c_str(), a), a);
            }
            e->value = strings;
            if (auto t = v.FindMember("type"); t != v.MemberEnd()) {
                t->value.SetString("string", a);
            } else {
                v.AddMember("type", "string", a);
            }
        }
    }
    if (auto p = v.FindMember("properties"); p != v.MemberEnd()) {
        if (!p->value.IsObject()) {
            v.RemoveMember("properties");
        } else {
            for (auto& prop : p->value.GetObject())
                clean_node(prop.value, a, depth + 1);  // names stay; values are schemas
        }
    }
    if (auto items = v.FindMember("items"); items != v.MemberEnd()) {
        if (items->value.IsArray()) {
            // Tuple form: the first item's schema stands for all.
            rapidjson::Value first(rapidjson::kObjectType);
            if (!items->value.Empty()) first.CopyFrom(items->value[0], a);
            items->value = first;
        }
        clean_node(items->value, a, depth + 1);
    }
    // `required` may name only properties that exist.
    if (auto r = v.FindMember("required"); r != v.MemberEnd()) {
        auto p = v.FindMember("properties");
        if (!r->value.IsArray() || p == v.MemberEnd()) {
            v.RemoveMember("required");
        } else {
            rapidjson::Value kept(rapidjson::kArrayType);
            for (auto& n : r->value.GetArray()) {
                if (n.IsString() && p->value.HasMember(n.GetString())) {
                    rapidjson::Value copy(n, a);
                    kept.PushBack(copy, a);
                }
            }
            if (kept.Empty()) {
                v.RemoveMember("required");
            } else {
                r->value = kept;
            }
        }
    }
}

// ---- shared bits ----------------------------------------------------------------------------

Usage decode_usage(element u) {
    Usage out;
    std::int64_t prompt = get_int(u, "promptTokenCount").value_or(0) +
                          get_int(u, "toolUsePromptTokenCount").value_or(0);
    std::int64_t cached = get_int(u, "cachedContentTokenCount").value_or(0);
    std::int64_t thoughts = get_int(u, "thoughtsTokenCount").value_or(0);
    out.input_tokens = std::max<std::int64_t>(0, prompt - cached);
    out.cache_read_tokens = cached;
    out.output_tokens = get_int(u, "candidatesTokenCount").value_or(0) + thoughts;
    out.reasoning_tokens = thoughts;
    return out;
}

void write_usage(JsonWriter& w, const Usage& u) {
    std::int64_t prompt = u.input_tokens + u.cache_read_tokens + u.cache_creation_tokens;
    w.Key("usageMetadata");
    w.StartObject();
    w.Key("promptTokenCount");
    w.Int64(prompt);
    w.Key("candidatesTokenCount");
    w.Int64(std::max<std::int64_t>(0, u.output_tokens - u.reasoning_tokens));
    if (u.reasoning_tokens > 0) {
        w.Key("thoughtsTokenCount");
        w.Int64(u.reasoning_tokens);
    }
    if (u.cache_read_tokens > 0) {
        w.Key("cachedContentTokenCount");
        w.Int64(u.cache_read_tokens);
    }
    w.Key("totalTokenCount");
    w.Int64(prompt + u.output_tokens);
    w.EndObject();
}

StopReason parse_finish_reason(std::string_view r) {
    if (r == "MAX_TOKENS") return StopReason::kMaxTokens;
    if (r == "SAFETY" || r == "RECITATION" || r == "BLOCKLIST" || r == "PROHIBITED_CONTENT" ||
        r == "SPII" || r == "IMAGE_SAFETY" || r == "LANGUAGE") {
        return StopReason::kRefusal;
    }
    return StopReason::kEndTurn;  // STOP (also after function calls), OTHER, ...
}

const char* finish_reason_of(StopReason r) {
    switch (r) {
        case StopReason::kMaxTokens:
        case StopReason::kContextWindowExceeded:
            return "MAX_TOKENS";
        case StopReason::kRefusal:
            return "SAFETY";
        default:
            return "STOP";
    }
}

// The opaque text of a thought signature this format made.
std::string signature_opaque(std::string_view signature) {
    JsonOut sb(nullptr, signature.size() + 32);
    JsonWriter w(sb);
    w.StartObject();
    w.Key("thoughtSignature");
    write_string(w, signature);
    w.EndObject();
    return sb.take();
}

// The thought signature a Gemini upstream minted, from a block's opaque state; empty when the
// block carries none of ours.
std::string own_signature(const Block& b) {
    std::optional<Opaque> o = b.opaque;
    if (!o) o = parse_opaque_signature(b.signature);
    if (!o || o->family != kFamily) return {};
    element doc;
    std::string ignored;
    if (!parse_json(o->json, doc, &ignored, 1)) return {};
    return std::string(get_string(doc, "thoughtSignature").value_or(""));
}

// What a Gemini client holds as a part's thoughtSignature for a thinking block: Gemini's own
// as it came, another provider's marked with its origin ("litellm1:<family>:...") so that it
// returns to that provider only.
std::string client_thought_signature(const Block& b) {
    if (std::string own = own_signature(b); !own.empty()) return own;
    if (b.opaque) return opaque_signature(*b.opaque);
    if (b.signature.empty()) return {};
    if (parse_opaque_signature(b.signature)) return b.signature;
    std::string origin = b.signature_origin.empty() ? "anthropic" : b.signature_origin;
    return opaque_signature(Opaque{origin, b.signature});
}

// A thoughtSignature a Gemini client sent back, set on `b` with its origin.
void adopt_thought_signature(Block& b, std::string_view signature) {
    if (auto foreign = parse_opaque_signature(signature)) {
        b.signature_origin = foreign->family;
        if (foreign->family == "anthropic") {
            b.signature = std::move(foreign->json);
        } else {
            b.opaque = std::move(*foreign);
        }
        return;
    }
    b.opaque = Opaque{std::string(kFamily), signature_opaque(signature)};
    b.signature_origin = std::string(kFamily);
}

// Most OpenAI-chat clients drop what they do not know, a call's thought signature too, yet
// Gemini 3 wants it back on the call. The signatures of the calls Gemini made are remembered by
// call id (ids litellmd mints when Gemini gives none, so they do not collide), a bounded number.
class SignatureMemory {
  public:
    static constexpr std::size_t kMaxRemembered = 4096;

    void remember(const std::string& call_id, std::string signature) {
        std::lock_guard lock(m_mutex);
        if (m_by_id.count(call_id)) return;
        if (m_order.size() >= kMaxRemembered) {
            m_by_id.erase(m_order.front());
            m_order.pop_front();
        }
        m_by_id.emplace(call_id, std::move(signature));
        m_order.push_back(call_id);
    }
    std::string recall(const std::string& call_id) const {
        std::lock_guard lock(m_mutex);
        auto it = m_by_id.find(call_id);
        return it == m_by_id.end() ? std::string() : it->second;
    }

  private:
    mutable std::mutex m_mutex;
    std::map<std::string, std::string> m_by_id;
    std::deque<std::string> m_order;
};

SignatureMemory& signature_memory() {
    static SignatureMemory memory;
    return memory;
}

// ---- request encoding (canonical -> Gemini upstream) ----------------------------------------

void write_inline(JsonWriter& w, const Block& b) {
    if (b.source_is_url) {
        w.Key("fileData");
        w.StartObject();
        w.Key("mimeType");
        write_string(w, b.media_type.empty() ? "image/png" : b.media_type);
        w.Key("fileUri");
        write_text(w, b.data);
        w.EndObject();
        return;
    }
    w.Key("inlineData");
    w.StartObject();
    w.Key("mimeType");
    write_string(w, b.media_type);
    w.Key("data");
    write_text(w, b.data);
    w.EndObject();
}

bool is_gemini3(std::string_view model) {
    return model.find("gemini-3") != std::string_view::npos;
}

class RequestWriter {
  public:
    RequestWriter(const Request& r, const EncodeOptions& o) : m_r(r), m_o(o) {}

    std::string write() {
        JsonOut sb(nullptr, encode_capacity(m_o.size_hint));
        JsonWriter w(sb);
        w.StartObject();
        collect_names();
        write_contents(w);
        write_system(w);
        write_tools(w);
        write_generation_config(w);
        for (const auto& [k, v] : m_o.extra_params) {
            if (k == "contents" || k == "systemInstruction" || k == "tools" || k == "toolConfig" ||
                k == "generationConfig") {
                continue;
            }
            write_key(w, k);
            write_raw(w, v);
        }
        w.EndObject();
        return sb.take();
    }

  private:
    // functionResponse needs the call's name; a tool_result has only the id.
    void collect_names() {
        for (const auto& m : m_r.messages)
            for (const auto& b : m.blocks)
                if (b.type == BlockType::kToolUse) m_names[b.id] = b.name;
    }

    // The messages that become contents: a last model turn (a prefill, or calls nobody
    // answered) is not sent, nor is one that a last user message writing no part would leave
    // in the middle; system messages go to systemInstruction.
    std::size_t content_end() const {
        std::size_t end = m_r.messages.size();
        while (end > 0 &&
               (m_r.messages[end - 1].role != Role::kUser || !has_parts(m_r.messages[end - 1])))
            --end;
        return end == 0 ? m_r.messages.size() : end;
    }

    void write_contents(JsonWriter& w) {
        w.Key("contents");
        w.StartArray();
        std::size_t end = content_end();
        int open_role = -1;  // 0 user, 1 model: consecutive same-role messages share a content
        for (std::size_t i = 0; i < end; ++i) {
            const Message& m = m_r.messages[i];
            if (m.role == Role::kSystem) continue;
            int role = m.role == Role::kAssistant ? 1 : 0;
            if (!has_parts(m)) continue;
            if (role != open_role) {
                if (open_role >= 0) {
                    w.EndArray();
                    w.EndObject();
                }
                w.StartObject();
                w.Key("role");
                w.String(role ? "model" : "user");
                w.Key("parts");
                w.StartArray();
                open_role = role;
            }
            write_parts(w, m);
        }
        if (open_role >= 0) {
            w.EndArray();
            w.EndObject();
        }
        w.EndArray();
    }

    bool has_parts(const Message& m) const {
        for (const auto& b : m.blocks) {
            if (b.type == BlockType::kText && b.text.empty()) continue;
            if (b.type == BlockType::kThinking && own_signature(b).empty()) continue;
            if (b.type == BlockType::kRedactedThinking) continue;
            return true;
        }
        return false;
    }

    void write_parts(JsonWriter& w, const Message& m) {
        std::string pending;  // a signature that rides on the next part (a call's)
        for (const auto& b : m.blocks) {
            switch (b.type) {
                case BlockType::kText:
                    if (b.text.empty()) break;
                    w.StartObject();
                    w.Key("text");
                    write_text(w, b.text);
                    w.EndObject();
                    break;
                case BlockType::kImage:
                case BlockType::kDocument:
                    w.StartObject();
                    write_inline(w, b);
                    w.EndObject();
                    break;
                case BlockType::kThinking: {
                    // Only Gemini's own thoughts come back (their signature is bound to them);
                    // a signature without text belongs to the call that follows.
                    std::string sig = own_signature(b);
                    if (sig.empty()) break;
                    if (b.text.empty()) {
                        pending = std::move(sig);
                        break;
                    }
                    w.StartObject();
                    w.Key("text");
                    write_text(w, b.text);
                    w.Key("thought");
                    w.Bool(true);
                    w.Key("thoughtSignature");
                    write_string(w, sig);
                    w.EndObject();
                    break;
                }
                case BlockType::kRedactedThinking:
                    break;
                case BlockType::kToolUse:
                    w.StartObject();
                    w.Key("functionCall");
                    w.StartObject();
                    w.Key("name");
                    write_string(w, b.name);
                    w.Key("args");
                    write_raw(w, b.input_json.empty() ? std::string_view("{}") : b.input_json);
                    w.EndObject();
                    // Gemini 3 refuses a replayed call without one; the CLI's fallback value
                    // stands in when the call came from elsewhere.
                    if (pending.empty()) pending = signature_memory().recall(b.id);
                    w.Key("thoughtSignature");
                    write_string(w, pending.empty() ? kSyntheticSignature : pending);
                    pending.clear();
                    w.EndObject();
                    break;
                case BlockType::kToolResult:
                    write_result(w, b);
                    break;
            }
        }
    }

    void write_result(JsonWriter& w, const Block& b) {
        std::string text;
        std::vector<const Block*> media;
        for (const auto& c : b.content) {
            if (c.type == BlockType::kText) {
                if (!text.empty()) text += "\n";
                c.text.append_to(text);
            } else if (c.type == BlockType::kImage || c.type == BlockType::kDocument) {
                media.push_back(&c);
            }
        }
        auto name = m_names.find(b.id);
        w.StartObject();
        w.Key("functionResponse");
        w.StartObject();
        w.Key("name");
        write_string(w, name != m_names.end() ? name->second : !b.name.empty() ? b.name : b.id);
        w.Key("response");
        w.StartObject();
        w.Key(b.is_error ? "error" : "output");
        write_string(w, text);
        w.EndObject();
        w.EndObject();
        w.EndObject();
        // Images of a result go beside it (older models take no nested parts).
        for (const Block* m : media) {
            w.StartObject();
            write_inline(w, *m);
            w.EndObject();
        }
    }

    void write_system(JsonWriter& w) {
        std::vector<const Block*> parts;
        for (const auto& b : m_r.system)
            if (b.type == BlockType::kText && !b.text.empty() && !is_billing_header(b))
                parts.push_back(&b);
        for (const auto& m : m_r.messages)
            if (m.role == Role::kSystem)
                for (const auto& b : m.blocks)
                    if (b.type == BlockType::kText && !b.text.empty()) parts.push_back(&b);
        if (parts.empty()) return;
        w.Key("systemInstruction");
        w.StartObject();
        w.Key("role");
        w.String("user");
        w.Key("parts");
        w.StartArray();
        for (const Block* b : parts) {
            w.StartObject();
            w.Key("text");
            write_text(w, b->text);
            w.EndObject();
        }
        w.EndArray();
        w.EndObject();
    }

    void write_tools(JsonWriter& w) {
        bool any = false;
        for (const auto& t : m_r.tools)
            if (!t.is_server_tool) any = true;
        if (!any) return;
        w.Key("tools");
        w.StartArray();
        w.StartObject();
        w.Key("functionDeclarations");
        w.StartArray();
        for (const auto& t : m_r.tools) {
            if (t.is_server_tool) continue;
            w.StartObject();
            w.Key("name");
            write_string(w, t.name);
            if (!t.description.empty()) {
                w.Key("description");
                write_text(w, t.description);
            }
            w.Key("parametersJsonSchema");
            write_raw(w, t.schema_json.empty() ? std::string("{\"type\":\"object\"}")
                                               : clean_schema(t.schema_json));
            w.EndObject();
        }
        w.EndArray();
        w.EndObject();
        w.EndArray();
        write_tool_config(w);
    }

    void write_tool_config(JsonWriter& w) {
        const ToolChoice& c = m_r.tool_choice;
        if (c.kind == ToolChoice::Kind::kUnset) return;
        w.Key("toolConfig");
        w.StartObject();
        w.Key("functionCallingConfig");
        w.StartObject();
        w.Key("mode");
        w.String(c.kind == ToolChoice::Kind::kNone   ? "NONE"
                 : c.kind == ToolChoice::Kind::kAuto ? "AUTO"
                                                     : "ANY");
        if (c.kind == ToolChoice::Kind::kTool) {
            w.Key("allowedFunctionNames");
            w.StartArray();
            write_string(w, c.name);
            w.EndArray();
        }
        w.EndObject();
        w.EndObject();
    }

    void write_generation_config(JsonWriter& w) {
        w.Key("generationConfig");
        w.StartObject();
        if (m_r.max_tokens) {
            w.Key("maxOutputTokens");
            w.Int64(*m_r.max_tokens);
        }
        if (m_r.temperature) {
            w.Key("temperature");
            w.Double(*m_r.temperature);
        }
        if (m_r.top_p) {
            w.Key("topP");
            w.Double(*m_r.top_p);
        }
        if (m_r.top_k) {
            w.Key("topK");
            w.Int64(*m_r.top_k);
        }
        if (!m_r.stop.empty()) {
            w.Key("stopSequences");
            w.StartArray();
            for (const auto& s : m_r.stop)
                write_string(w, s);
            w.EndArray();
        }
        if (m_r.n > 1) {
            w.Key("candidateCount");
            w.Int64(m_r.n);
        }
        const OutputFormat& f = m_r.output_format;
        if (f.kind != OutputFormat::Kind::kText) {
            w.Key("responseMimeType");
            w.String("application/json");
            if (f.kind == OutputFormat::Kind::kJsonSchema && !f.schema_json.empty()) {
                w.Key("responseJsonSchema");
                write_raw(w, clean_schema(f.schema_json));
            }
        }
        write_thinking(w);
        w.EndObject();
    }

    // 2.5 models take a budget, Gemini 3 a level; both at once is refused.
    void write_thinking(JsonWriter& w) {
        const Thinking& t = m_r.thinking;
        if (t.mode == Thinking::Mode::kUnset || t.mode == Thinking::Mode::kDisabled) return;
        w.Key("thinkingConfig");
        w.StartObject();
        if (is_gemini3(m_o.model)) {
            std::string level = t.effort;
            if (level.empty())
                level = t.budget_tokens > 0 && t.budget_tokens <= 8192 ? "low" : "high";
            if (level != "low" && level != "high" && level != "minimal" && level != "medium") {
                level = level == "none" ? "low" : "high";
            }
            w.Key("thinkingLevel");
            write_string(w, level);
        } else {
            std::int64_t budget = -1;  // dynamic
            if (t.mode == Thinking::Mode::kEnabled && t.budget_tokens > 0) {
                budget = std::clamp<std::int64_t>(t.budget_tokens, 128, 32768);
            } else if (!t.effort.empty()) {
                budget = t.effort == "low" || t.effort == "minimal" ? 2048
                         : t.effort == "medium"                     ? 8192
                                                                    : 24576;
            }
            w.Key("thinkingBudget");
            w.Int64(budget);
        }
        w.Key("includeThoughts");
        w.Bool(true);
        w.EndObject();
    }

    const Request& m_r;
    const EncodeOptions& m_o;
    std::map<std::string, std::string> m_names;  ///< tool_use id -> name
};

// ---- stream decoding (upstream chunks -> canonical events) ----------------------------------

class Decoder final : public SseEventDecoder {
  public:
    void finish(std::vector<StreamEvent>& out) override {
        m_emit.bind(&out);
        m_parser.finish();
        if (!m_failed && !m_stopped) {
            if (m_emit.started()) {
                // No end marker in this format: a stream that closed after content without a
                // finish reason ends as it is.
                stop(std::nullopt);
            } else {
                m_emit.error(ErrorKind::kApi, "upstream stream closed before any candidate");
                m_failed = true;
            }
        }
        m_emit.bind(nullptr);
    }

    bool complete() const override { return m_stopped; }

    /// Where on_chunk's events go (a whole answer decoded without the SSE parser).
    void begin(std::vector<StreamEvent>& out) { m_emit.bind(&out); }

    /// One GenerateContentResponse (a chunk, or the whole answer).
    void on_chunk(element doc) {
        if (m_stopped || m_failed) return;
        if (auto err = get_field(doc, "error"); err && err->is_object()) {
            fail(parse_error(static_cast<int>(get_int(*err, "code").value_or(500)),
                             to_json_text(doc)));
            return;
        }
        if (!m_emit.started()) {
            m_message_id = std::string(get_string(doc, "responseId").value_or(""));
            m_model = std::string(get_string(doc, "modelVersion").value_or(""));
        }
        if (auto u = get_field(doc, "usageMetadata"); u && u->is_object()) {
            m_usage = decode_usage(*u);
        }
        std::optional<std::string_view> finish;
        auto candidates = get_field(doc, "candidates");
        if (candidates && candidates->is_array()) {
            for (element c : as_array(*candidates)) {
                if (get_int(c, "index").value_or(0) != 0) continue;  // candidate 0 only
                start_if_needed();
                if (auto content = get_field(c, "content")) {
                    if (auto parts = get_field(*content, "parts"); parts && parts->is_array()) {
                        for (element p : as_array(*parts))
                            on_part(p);
                    }
                }
                if (auto f = get_string(c, "finishReason"); f && !f->empty()) finish = f;
            }
        } else if (auto fb = get_field(doc, "promptFeedback")) {
            if (get_string(*fb, "blockReason")) {
                start_if_needed();
                m_refused = true;
                finish = "SAFETY";
            }
        }
        start_if_needed();
        if (finish) stop(*finish);
    }

  private:
    void on_data(std::string_view data) override {
        if (m_stopped || m_failed) return;
        element doc;
        if (!parse_stream_event(data, doc, m_repair, "gemini-stream")) return;  // logged
        if (doc.is_array()) {
            for (element e : as_array(doc))
                on_chunk(e);
            return;
        }
        on_chunk(doc);
    }

    void on_part(element p) {
        std::string_view sig = get_string(p, "thoughtSignature").value_or("");
        if (auto call = get_field(p, "functionCall"); call && call->is_object()) {
            close_open();
            if (!sig.empty()) {
                // The call's signature returns on it next turn: it rides in an empty thinking
                // block just before the call.
                int t = open(BlockType::kThinking, {}, {});
                delta(t, StreamEvent::DeltaType::kSignature,
                      opaque_signature(Opaque{std::string(kFamily), signature_opaque(sig)}));
                close(t);
            }
            std::string id(get_string(*call, "id").value_or(""));
            if (id.empty()) id = random_id("toolu_");
            if (!sig.empty()) signature_memory().remember(id, std::string(sig));
            std::string name(get_string(*call, "name").value_or(""));
            if (name.empty()) name = "tool_" + std::to_string(m_emit.blocks());
            int b = open(BlockType::kToolUse, id, name);
            auto args = get_field(*call, "args");
            delta(b, StreamEvent::DeltaType::kInputJson,
                  args && args->is_object() ? to_json_text(*args) : std::string("{}"));
            close(b);
            m_saw_tool = true;
            return;
        }
        auto text = get_string(p, "text");
        bool thought = get_bool(p, "thought").value_or(false);
        if (thought) {
            if (m_text >= 0) close_open();
            if (m_thinking < 0) m_thinking = open(BlockType::kThinking, {}, {});
            if (text && !text->empty()) delta(m_thinking, StreamEvent::DeltaType::kThinking, *text);
            if (!sig.empty()) {
                delta(m_thinking, StreamEvent::DeltaType::kSignature,
                      opaque_signature(Opaque{std::string(kFamily), signature_opaque(sig)}));
                close(m_thinking);
                m_thinking = -1;
            }
            return;
        }
        if (text && !text->empty()) {
            if (m_thinking >= 0) close_open();
            if (m_text < 0) m_text = open(BlockType::kText, {}, {});
            delta(m_text, StreamEvent::DeltaType::kText, *text);
        }
        // A signature on plain text is not required back (only calls' are): not carried.
        if (auto data = get_field(p, "inlineData"); data && data->is_object()) {
            // Generated media has no place in the canonical answer; said as text.
            if (m_thinking >= 0) close_open();
            if (m_text < 0) m_text = open(BlockType::kText, {}, {});
            delta(m_text, StreamEvent::DeltaType::kText,
                  "[" + std::string(get_string(*data, "mimeType").value_or("media")) +
                      " output omitted]");
        }
    }

    void start_if_needed() {
        m_emit.start(m_message_id.empty() ? random_id("msg_") : m_message_id, m_model);
    }

    int open(BlockType type, const std::string& id, const std::string& name) {
        return m_emit.open(type, id, name);
    }
    void delta(int block, StreamEvent::DeltaType type, std::string_view text) {
        m_emit.delta(block, type, text);
    }
    void close(int block) { m_emit.close(block); }

    void close_open() {
        if (m_text >= 0) close(m_text);
        if (m_thinking >= 0) close(m_thinking);
        m_text = m_thinking = -1;
    }

    void stop(std::optional<std::string_view> finish) {
        close_open();
        StopReason said = finish ? parse_finish_reason(*finish) : StopReason::kEndTurn;
        if (m_refused) said = StopReason::kRefusal;
        m_emit.end(normalize_stop_reason(said, m_saw_tool), m_usage);
        m_stopped = true;
    }

    void fail(Error error) {
        m_emit.error(std::move(error));
        m_failed = true;
    }

    StreamTextRepair m_repair;
    std::string m_message_id, m_model;
    Usage m_usage;
    int m_text = -1;
    int m_thinking = -1;
    bool m_saw_tool = false;
    bool m_refused = false;
    bool m_stopped = false;
    bool m_failed = false;
};

// ---- client side: request decoding ----------------------------------------------------------

bool decode_inline(element p, Block& b) {
    auto data = get_field(p, "inlineData");
    bool file = false;
    if (!data || !data->is_object()) {
        data = get_field(p, "fileData");
        file = true;
    }
    if (!data || !data->is_object()) return false;
    b.media_type = std::string(get_string(*data, "mimeType").value_or(""));
    b.type = b.media_type.rfind("image/", 0) == 0 ? BlockType::kImage : BlockType::kDocument;
    if (file) {
        b.source_is_url = true;
        b.data = std::string(get_string(*data, "fileUri").value_or(""));
    } else {
        b.data = std::string(get_string(*data, "data").value_or(""));
    }
    return true;
}

// A functionResponse's result as text: its output / result / error value, or the whole object.
std::string response_text(element fr) {
    auto r = get_field(fr, "response");
    if (!r) return {};
    if (r->is_object()) {
        for (const char* k : {"output", "result", "error", "content"}) {
            if (auto v = get_field(*r, k)) {
                if (v->is_string()) return std::string(v->get_string().value_unsafe());
                return to_json_text(*v);
            }
        }
    }
    if (r->is_string()) return std::string(r->get_string().value_unsafe());
    return to_json_text(*r);
}

struct PendingCalls {
    // Calls of the previous model turn without ids: a functionResponse takes the oldest call
    // of its name.
    std::map<std::string, std::deque<std::string>> by_name;
};

bool decode_contents(element contents, Request& out, std::string* error) {
    if (!contents.is_array()) {
        if (error) *error = "contents: must be an array of Content objects";
        return false;
    }
    PendingCalls pending;
    int turn = 0;
    std::size_t i = 0;
    for (element c : as_array(contents)) {
        std::string_view role = get_string(c, "role").value_or("user");
        Message m;
        m.role = role == "model" ? Role::kAssistant : Role::kUser;
        auto parts = get_field(c, "parts");
        if (!parts || !parts->is_array()) {
            if (error) *error = "contents[" + std::to_string(i) + "].parts: must be an array";
            return false;
        }
        int k = 0;
        for (element p : as_array(*parts)) {
            std::string_view sig = get_string(p, "thoughtSignature").value_or("");
            Block b;
            if (auto call = get_field(p, "functionCall"); call && call->is_object()) {
                if (!sig.empty() && sig != kSyntheticSignature) {
                    Block t;
                    t.type = BlockType::kThinking;
                    adopt_thought_signature(t, sig);
                    m.blocks.push_back(std::move(t));
                }
                b.type = BlockType::kToolUse;
                b.name = std::string(get_string(*call, "name").value_or(""));
                b.id = std::string(get_string(*call, "id").value_or(""));
                if (b.id.empty()) {
                    b.id = "call_" + std::to_string(turn) + "_" + std::to_string(k);
                }
                pending.by_name[b.name].push_back(b.id);
                auto args = get_field(*call, "args");
                b.input_json = args && args->is_object() ? to_json_text(*args) : "{}";
            } else if (auto fr = get_field(p, "functionResponse"); fr && fr->is_object()) {
                b.type = BlockType::kToolResult;
                std::string name(get_string(*fr, "name").value_or(""));
                b.name = name;  // kept for an answer to a call the history no longer has
                b.id = std::string(get_string(*fr, "id").value_or(""));
                auto& queue = pending.by_name[name];
                if (b.id.empty() && !queue.empty()) b.id = queue.front();
                if (!queue.empty()) queue.pop_front();
                if (b.id.empty()) b.id = "call_unmatched_" + std::to_string(k);
                if (auto r = get_field(*fr, "response");
                    r && r->is_object() && get_field(*r, "error"))
                    b.is_error = true;
                Block t;
                t.text = response_text(*fr);
                b.content.push_back(std::move(t));
            } else if (auto text = get_string(p, "text")) {
                if (get_bool(p, "thought").value_or(false)) {
                    b.type = BlockType::kThinking;
                    b.text = std::string(*text);
                    if (!sig.empty()) adopt_thought_signature(b, sig);
                } else {
                    if (text->empty()) continue;
                    b.text = std::string(*text);
                }
            } else if (!decode_inline(p, b)) {
                continue;  // executableCode, videoMetadata, ...: nothing to carry
            }
            m.blocks.push_back(std::move(b));
            ++k;
        }
        if (m.role == Role::kAssistant) ++turn;
        if (!m.blocks.empty()) {
            // Gemini clients may split one turn's parts over several contents.
            if (!out.messages.empty() && out.messages.back().role == m.role) {
                auto& into = out.messages.back().blocks;
                into.insert(into.end(), std::make_move_iterator(m.blocks.begin()),
                            std::make_move_iterator(m.blocks.end()));
            } else {
                out.messages.push_back(std::move(m));
            }
        }
        ++i;
    }
    return true;
}

void decode_tools(element doc, Request& out) {
    auto tools = get_field(doc, "tools");
    if (!tools || !tools->is_array()) return;
    for (element t : as_array(*tools)) {
        auto decls = get_field(t, "functionDeclarations");
        if (!decls || !decls->is_array()) continue;  // googleSearch, codeExecution: not carried
        for (element d : as_array(*decls)) {
            Tool tool;
            tool.name = std::string(get_string(d, "name").value_or(""));
            if (auto desc = get_string(d, "description")) tool.description = std::string(*desc);
            auto schema = get_field(d, "parametersJsonSchema");
            if (!schema) schema = get_field(d, "parameters");
            if (schema && schema->is_object()) {
                // The OpenAPI form writes types in capitals; every other format wants JSON
                // Schema's names.
                tool.schema_json = clean_schema(to_json_text(*schema));
            } else {
                tool.schema_json = R"({"type":"object","properties":{}})";
            }
            out.tools.push_back(std::move(tool));
        }
    }
    if (auto cfg = get_field(doc, "toolConfig")) {
        if (auto fc = get_field(*cfg, "functionCallingConfig")) {
            std::string_view mode = get_string(*fc, "mode").value_or("");
            if (mode == "AUTO" || mode == "VALIDATED")
                out.tool_choice.kind = ToolChoice::Kind::kAuto;
            if (mode == "NONE") out.tool_choice.kind = ToolChoice::Kind::kNone;
            if (mode == "ANY") {
                out.tool_choice.kind = ToolChoice::Kind::kAny;
                auto names = get_field(*fc, "allowedFunctionNames");
                if (names && names->is_array() && as_array(*names).size() == 1) {
                    out.tool_choice.kind = ToolChoice::Kind::kTool;
                    auto first = as_array(*names).at(0);
                    if (first.is_string()) {
                        out.tool_choice.name = std::string(first.get_string().value_unsafe());
                    }
                }
            }
        }
    }
}

bool decode_generation_config(element doc, Request& out, std::string* error) {
    auto g = get_field(doc, "generationConfig");
    if (!g) return true;
    if (!g->is_object()) {
        if (error) *error = "generationConfig: must be an object";
        return false;
    }
    if (auto f = get_field(*g, "maxOutputTokens"); f && !f->is_null()) {
        out.max_tokens = get_int(*g, "maxOutputTokens");
        if (!out.max_tokens || *out.max_tokens < 1) {
            if (error) *error = "generationConfig.maxOutputTokens: must be a positive integer";
            return false;
        }
    }
    out.temperature = get_double(*g, "temperature");
    out.top_p = get_double(*g, "topP");
    out.top_k = get_int(*g, "topK");
    if (auto stops = get_field(*g, "stopSequences"); stops && stops->is_array()) {
        for (element s : as_array(*stops))
            if (s.is_string()) out.stop.emplace_back(s.get_string().value_unsafe());
    }
    out.n = get_int(*g, "candidateCount").value_or(1);
    if (auto t = get_field(*g, "thinkingConfig"); t && t->is_object()) {
        if (auto budget = get_int(*t, "thinkingBudget")) {
            if (*budget == 0) {
                out.thinking.mode = Thinking::Mode::kDisabled;
            } else if (*budget < 0) {
                out.thinking.mode = Thinking::Mode::kAdaptive;
            } else {
                out.thinking.mode = Thinking::Mode::kEnabled;
                out.thinking.budget_tokens = *budget;
            }
        }
        if (auto level = get_string(*t, "thinkingLevel")) {
            std::string l(*level);
            for (char& ch : l)
                ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            out.thinking.effort = l;
            if (out.thinking.mode == Thinking::Mode::kUnset) {
                out.thinking.mode = Thinking::Mode::kAdaptive;
            }
        }
    }
    std::string_view mime = get_string(*g, "responseMimeType").value_or("");
    if (mime == "application/json") {
        auto schema = get_field(*g, "responseJsonSchema");
        if (!schema) schema = get_field(*g, "responseSchema");
        if (schema && schema->is_object()) {
            out.output_format.kind = OutputFormat::Kind::kJsonSchema;
            out.output_format.name = "response";
            out.output_format.schema_json = clean_schema(to_json_text(*schema));
        } else {
            out.output_format.kind = OutputFormat::Kind::kJsonObject;
        }
    }
    return true;
}

// ---- client side: response and stream encoding ----------------------------------------------

// One part list from blocks: what a Gemini client reads back next turn as it was.
class PartWriter {
  public:
    explicit PartWriter(JsonWriter& w) : m_w(w) {}

    void thinking(const Text& text, const std::string& signature) {
        m_w.StartObject();
        m_w.Key("text");
        write_text(m_w, text);
        m_w.Key("thought");
        m_w.Bool(true);
        if (!signature.empty()) {
            m_w.Key("thoughtSignature");
            write_string(m_w, signature);
        }
        m_w.EndObject();
    }

    void text(const Text& text) {
        m_w.StartObject();
        m_w.Key("text");
        write_text(m_w, text);
        m_w.EndObject();
    }

    void call(const std::string& id, const std::string& name, std::string_view args,
              const std::string& signature) {
        m_w.StartObject();
        m_w.Key("functionCall");
        m_w.StartObject();
        m_w.Key("id");
        write_string(m_w, id);
        m_w.Key("name");
        write_string(m_w, name);
        m_w.Key("args");
        element parsed;
        std::string ignored;
        if (!args.empty() && parse_json(args, parsed, &ignored, 1) && parsed.is_object()) {
            write_raw(m_w, args);
        } else {
            write_raw(m_w, "{}");
        }
        m_w.EndObject();
        if (!signature.empty()) {
            m_w.Key("thoughtSignature");
            write_string(m_w, signature);
        }
        m_w.EndObject();
    }

  private:
    JsonWriter& m_w;
};

void write_chunk_head(JsonWriter& w) {
    w.StartObject();
    w.Key("candidates");
    w.StartArray();
    w.StartObject();
    w.Key("content");
    w.StartObject();
    w.Key("role");
    w.String("model");
    w.Key("parts");
    w.StartArray();
}

void write_chunk_tail(JsonWriter& w, std::string_view model, std::string_view id,
                      const char* finish, const Usage* usage) {
    w.EndArray();
    w.EndObject();
    if (finish) {
        w.Key("finishReason");
        w.String(finish);
    }
    w.Key("index");
    w.Int(0);
    w.EndObject();
    w.EndArray();
    if (usage) write_usage(w, *usage);
    w.Key("modelVersion");
    write_string(w, model);
    w.Key("responseId");
    write_string(w, id);
    w.EndObject();
}

class Encoder final : public StreamEncoder {
  public:
    explicit Encoder(std::string model) : m_model(std::move(model)), m_id(random_id("resp_")) {}

    void encode(const StreamEvent& e, std::string& out) override {
        if (m_done) return;
        using K = StreamEvent::Kind;
        using D = StreamEvent::DeltaType;
        switch (e.kind) {
            case K::kMessageStart:
                if (!e.message_id.empty()) m_id = e.message_id;
                break;
            case K::kBlockStart: {
                Block& b = m_blocks[e.index];
                b.type = e.block_type;
                b.id = e.id;
                b.name = e.name;
                break;
            }
            case K::kDelta: {
                auto it = m_blocks.find(e.index);
                if (it == m_blocks.end()) break;
                Block& b = it->second;
                if (e.delta_type == D::kText) {
                    chunk(out, [&](PartWriter& p) { p.text(Text(std::string_view(e.text))); });
                } else if (e.delta_type == D::kThinking) {
                    b.text.value().append(e.text);
                    chunk(out, [&](PartWriter& p) {
                        p.thinking(Text(std::string_view(e.text)), std::string());
                    });
                } else if (e.delta_type == D::kSignature) {
                    b.signature = e.text;
                    adopt_client_signature(b);
                } else if (e.delta_type == D::kInputJson) {
                    b.input_json.append(e.text);
                }
                break;
            }
            case K::kBlockStop: {
                auto it = m_blocks.find(e.index);
                if (it == m_blocks.end()) break;
                Block b = std::move(it->second);
                m_blocks.erase(it);
                if (b.type == BlockType::kThinking) {
                    std::string sig = client_thought_signature(b);
                    if (sig.empty()) break;
                    if (b.text.empty()) {
                        m_pending_signature = std::move(sig);  // rides on the next call
                    } else {
                        chunk(out, [&](PartWriter& p) { p.thinking(Text(""), sig); });
                    }
                } else if (b.type == BlockType::kToolUse) {
                    std::string sig = std::exchange(m_pending_signature, {});
                    chunk(out, [&](PartWriter& p) { p.call(b.id, b.name, b.input_json, sig); });
                }
                break;
            }
            case K::kMessageDelta:
                m_stop = e.stop_reason.value_or(StopReason::kEndTurn);
                m_usage = e.usage;
                break;
            case K::kMessageStop: {
                JsonOut sb;
                JsonWriter w(sb);
                write_chunk_head(w);
                write_chunk_tail(w, m_model, m_id, finish_reason_of(m_stop), &m_usage);
                append_sse_event(out, {}, sb.view());
                m_done = true;
                break;
            }
            case K::kPing:
                break;
            case K::kError:
                encode_error(e.error, out);
                break;
        }
    }

    void encode_error(const Error& error, std::string& out) override {
        if (m_done) return;
        append_sse_event(out, {}, gemini::encode_error(error));
        m_done = true;
    }

    bool done() const override { return m_done; }

  private:
    template <typename Fn>
    void chunk(std::string& out, Fn&& parts) {
        JsonOut sb;
        JsonWriter w(sb);
        write_chunk_head(w);
        PartWriter p(w);
        parts(p);
        write_chunk_tail(w, m_model, m_id, nullptr, nullptr);
        append_sse_event(out, {}, sb.view());
    }

    std::string m_model;
    std::string m_id;
    std::map<int, Block> m_blocks;  ///< open blocks by index
    std::string m_pending_signature;
    StopReason m_stop = StopReason::kEndTurn;
    Usage m_usage;
    bool m_done = false;
};

const char* status_name(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::kInvalidRequest:
        case ErrorKind::kContextLength:
        case ErrorKind::kRequestTooLarge:
            return "INVALID_ARGUMENT";
        case ErrorKind::kAuthentication:
            return "UNAUTHENTICATED";
        case ErrorKind::kPermission:
            return "PERMISSION_DENIED";
        case ErrorKind::kNotFound:
        case ErrorKind::kNoRoute:
            return "NOT_FOUND";
        case ErrorKind::kRateLimit:
            return "RESOURCE_EXHAUSTED";
        case ErrorKind::kOverloaded:
            return "UNAVAILABLE";
        case ErrorKind::kTimeout:
            return "DEADLINE_EXCEEDED";
        case ErrorKind::kApi:
            return "INTERNAL";
    }
    return "INTERNAL";
}

}  // namespace

// ---- public functions -----------------------------------------------------------------------

std::string clean_schema(std::string_view schema_json) {
    rapidjson::Document d;
    if (!json_parse(schema_json, d) || !d.IsObject()) return R"({"type":"object"})";
    clean_node(d, d.GetAllocator(), 0);
    return json_stringify(d);
}

std::string encode_request(const Request& request, const EncodeOptions& options) {
    return RequestWriter(request, options).write();
}

std::unique_ptr<StreamDecoder> make_stream_decoder() {
    return std::make_unique<Decoder>();
}

bool decode_response(std::string_view body, Response& out, std::string* error) {
    element doc;
    if (!parse_json(body, doc, error)) return false;
    auto has_candidates = [](element e) {
        return e.is_object() && (get_field(e, "candidates") || get_field(e, "promptFeedback"));
    };
    if (!(doc.is_array() ? as_array(doc).size() > 0 : has_candidates(doc))) {
        if (error) *error = "not a GenerateContentResponse (no candidates)";
        return false;
    }
    Decoder decoder;
    std::vector<StreamEvent> events;
    decoder.begin(events);
    if (doc.is_array()) {
        for (element e : as_array(doc))
            decoder.on_chunk(e);
    } else {
        decoder.on_chunk(doc);
    }
    decoder.finish(events);
    EventAggregator agg;
    for (const auto& e : events)
        agg.add(e);
    if (agg.error()) {
        if (error) *error = agg.error()->message;
        return false;
    }
    out = agg.response();
    return true;
}

std::string encode_error(const Error& error) {
    JsonOut sb;
    JsonWriter w(sb);
    w.StartObject();
    w.Key("error");
    w.StartObject();
    w.Key("code");
    w.Int(error_http_status(error.kind, false));
    w.Key("message");
    write_string(w, error.message);
    w.Key("status");
    w.String(status_name(error.kind));
    if (error.retry_after_s) {
        w.Key("details");
        w.StartArray();
        w.StartObject();
        w.Key("@type");
        w.String("type.googleapis.com/google.rpc.RetryInfo");
        w.Key("retryDelay");
        write_string(w,
                     std::to_string(static_cast<long long>(std::ceil(*error.retry_after_s))) + "s");
        w.EndObject();
        w.EndArray();
    }
    w.EndObject();
    w.EndObject();
    return sb.take();
}

Error parse_error(int http_status, std::string_view body) {
    Error e = classify_upstream_error(http_status, body);
    element doc;
    std::string ignored;
    if (!parse_json(body, doc, &ignored, 1)) return e;
    if (doc.is_array() && as_array(doc).size() > 0) doc = as_array(doc).at(0).value_unsafe();
    auto err = get_field(doc, "error");
    if (!err || !err->is_object()) return e;
    std::string_view status = get_string(*err, "status").value_or("");
    std::string_view message = get_string(*err, "message").value_or("");
    if (!message.empty())
        e.message = std::string(message) + (status.empty() ? "" : " (" + std::string(status) + ")");
    if (status == "RESOURCE_EXHAUSTED") e.kind = ErrorKind::kRateLimit;
    if (status == "UNAVAILABLE") e.kind = ErrorKind::kOverloaded;
    if (status == "UNAUTHENTICATED") e.kind = ErrorKind::kAuthentication;
    if (status == "PERMISSION_DENIED") e.kind = ErrorKind::kPermission;
    if (status == "NOT_FOUND") e.kind = ErrorKind::kNotFound;
    if (status == "DEADLINE_EXCEEDED") e.kind = ErrorKind::kTimeout;
    if (status == "INVALID_ARGUMENT") {
        bool overflow =
            message.find("input token count") != std::string_view::npos ||
            message.find("exceeds the maximum number of tokens") != std::string_view::npos;
        e.kind = overflow ? ErrorKind::kContextLength : ErrorKind::kInvalidRequest;
    }
    if (auto details = get_field(*err, "details"); details && details->is_array()) {
        for (element d : as_array(*details)) {
            std::string_view type = get_string(d, "@type").value_or("");
            if (type.find("RetryInfo") == std::string_view::npos) continue;
            std::string_view delay = get_string(d, "retryDelay").value_or("");
            if (!delay.empty() && delay.back() == 's') {
                double s =
                    std::strtod(std::string(delay.substr(0, delay.size() - 1)).c_str(), nullptr);
                if (s > 0) e.retry_after_s = s;
            }
        }
    }
    return e;
}

bool decode_request(std::string_view body, Request& out, std::string* error) {
    element doc;
    if (!parse_request_body(body, doc, error)) return false;
    auto contents = get_field(doc, "contents");
    if (!contents) {
        if (error) *error = "contents: field required";
        return false;
    }
    if (!decode_contents(*contents, out, error)) return false;
    if (auto sys = get_field(doc, "systemInstruction"); sys && sys->is_object()) {
        if (auto parts = get_field(*sys, "parts"); parts && parts->is_array()) {
            for (element p : as_array(*parts)) {
                if (auto t = get_string(p, "text"); t && !t->empty()) {
                    Block b;
                    b.text = std::string(*t);
                    out.system.push_back(std::move(b));
                }
            }
        }
    } else if (sys && sys->is_string()) {
        Block b;
        b.text = std::string(sys->get_string().value_unsafe());
        out.system.push_back(std::move(b));
    }
    decode_tools(doc, out);
    return decode_generation_config(doc, out, error);
}

std::string encode_response(const Response& response, std::string_view model) {
    JsonOut sb;
    JsonWriter w(sb);
    write_chunk_head(w);
    PartWriter p(w);
    std::string pending;
    for (const auto& b : response.content) {
        if (b.type == BlockType::kText) {
            if (!b.text.empty()) p.text(b.text);
        } else if (b.type == BlockType::kThinking) {
            std::string sig = client_thought_signature(b);
            if (b.text.empty()) {
                pending = std::move(sig);
            } else {
                p.thinking(b.text, sig);
            }
        } else if (b.type == BlockType::kToolUse) {
            p.call(b.id, b.name, b.input_json, std::exchange(pending, {}));
        }
    }
    write_chunk_tail(w, model, response.id.empty() ? random_id("resp_") : response.id,
                     finish_reason_of(response.stop_reason), &response.usage);
    return sb.take();
}

std::unique_ptr<StreamEncoder> make_stream_encoder(std::string model) {
    return std::make_unique<Encoder>(std::move(model));
}

}  // namespace litellm::wire::gemini
