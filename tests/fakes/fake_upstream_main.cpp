// fake_upstream: a standalone fake LLM upstream for end-to-end tests with real clients.
//
//   fake_upstream [--port N] [--record FILE]
//
// Prints "PORT <n>" when ready and serves until SIGTERM/SIGINT. Speaks Anthropic Messages on
// /v1/messages, OpenAI Chat Completions on /v1/chat/completions and /chat/completions, and
// ChatGPT Codex (Responses, streamed) on /backend-api/codex/responses, the Gemini API on
// /v1beta/models/{model}:generateContent and :streamGenerateContent, and Google Code Assist
// (the same inside its envelope) on /v1internal:generateContent and :streamGenerateContent; what
// it answers is decided by markers in the last message ([[tool]], [[error429]], [[error500]],
// [[context]]) or by the last message being a tool result. Links only httplib and RapidJSON.

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "fakes/fake_upstream.hpp"

namespace {

using litellm::test::FakeReply;
using litellm::test::RecordedRequest;
using litellm::test::ReplyOptions;
using litellm::test::ToolCall;
namespace anthropic_fake = litellm::test::anthropic_fake;
namespace openai_fake = litellm::test::openai_fake;

enum class Format { Anthropic, OpenAI };

constexpr const char* kDefaultText = "Hello from the fake upstream.";
constexpr const char* kToolInput = R"({"city":"Paris"})";
// Streamed tool arguments: several fragments, cut inside keys and values on purpose.
const std::vector<std::string> kToolInputFragments = {R"({"ci)", R"(ty":"Pa)", R"(ris"})"};

std::atomic<unsigned> g_reply_counter{0};
// Requests that carried [[midstream-error-once]]: the 1st, 3rd, ... fail mid-stream.
std::atomic<unsigned> g_midstream_marked{0};

// What the last message of a request says.
struct LastMessage {
    std::string text;
    bool is_tool_result = false;
};

std::string lowercase(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::string compact_json(const rapidjson::Value& v) {
    rapidjson::StringBuffer sb;
    rapidjson::Writer<rapidjson::StringBuffer> w(sb);
    v.Accept(w);
    return {sb.GetString(), sb.GetSize()};
}

const rapidjson::Value* member(const rapidjson::Value& obj, const char* key) {
    if (!obj.IsObject()) return nullptr;
    auto it = obj.FindMember(key);
    return it == obj.MemberEnd() ? nullptr : &it->value;
}

std::string string_member(const rapidjson::Value& obj, const char* key) {
    const rapidjson::Value* v = member(obj, key);
    return v && v->IsString() ? std::string(v->GetString(), v->GetStringLength()) : std::string();
}

// Text of a string or of the text parts/blocks of an array ({type:"text"} in both chat formats,
// input_text / output_text in Responses).
std::string text_of(const rapidjson::Value& content) {
    if (content.IsString()) return {content.GetString(), content.GetStringLength()};
    std::string out;
    if (!content.IsArray()) return out;
    for (const auto& part : content.GetArray()) {
        std::string type = string_member(part, "type");
        if (type == "text" || type == "input_text" || type == "output_text") {
            if (!out.empty()) out += '\n';
            out += string_member(part, "text");
        }
    }
    return out;
}

LastMessage last_anthropic_message(const rapidjson::Value& msg) {
    LastMessage last;
    const rapidjson::Value* content = member(msg, "content");
    if (!content) return last;
    if (content->IsArray()) {
        std::string results;
        for (const auto& block : content->GetArray()) {
            if (string_member(block, "type") != "tool_result") continue;
            last.is_tool_result = true;
            if (const rapidjson::Value* c = member(block, "content")) {
                if (!results.empty()) results += '\n';
                results += text_of(*c);
            }
        }
        if (last.is_tool_result) {
            last.text = results;
            return last;
        }
    }
    last.text = text_of(*content);
    return last;
}

LastMessage last_openai_message(const rapidjson::Value& msg) {
    LastMessage last;
    last.is_tool_result = string_member(msg, "role") == "tool";
    if (const rapidjson::Value* content = member(msg, "content")) last.text = text_of(*content);
    return last;
}

// The first tool's name: Anthropic {name}, OpenAI {type:"function", function:{name}}.
std::string first_tool_name(const rapidjson::Value& body) {
    const rapidjson::Value* tools = member(body, "tools");
    if (!tools || !tools->IsArray() || tools->Empty()) return {};
    const rapidjson::Value& tool = (*tools)[0];
    if (const rapidjson::Value* fn = member(tool, "function")) return string_member(*fn, "name");
    return string_member(tool, "name");
}

FakeReply format_error(Format f, int status, const std::string& message) {
    if (f == Format::Anthropic) {
        const char* type = status >= 500   ? "api_error"
                           : status == 404 ? "not_found_error"
                                           : "invalid_request_error";
        return anthropic_fake::error(status, type, message);
    }
    return openai_fake::error(status, status >= 500 ? "server_error" : "invalid_request_error",
                              message);
}

// Parses the body as a JSON object with a non-empty `messages` array; else a 400 reply.
bool parse_chat_body(Format f, const std::string& body, rapidjson::Document& doc,
                     FakeReply& error) {
    doc.Parse(body.data(), body.size());
    if (doc.HasParseError()) {
        error = format_error(f, 400,
                             std::string("invalid JSON body: ") +
                                 rapidjson::GetParseError_En(doc.GetParseError()) + " at offset " +
                                 std::to_string(doc.GetErrorOffset()));
        return false;
    }
    const rapidjson::Value* messages = member(doc, "messages");
    if (!doc.IsObject() || !messages || !messages->IsArray() || messages->Empty()) {
        error = format_error(f, 400, "messages: a non-empty array is required");
        return false;
    }
    return true;
}

FakeReply chat_reply(Format f, const RecordedRequest& req) {
    rapidjson::Document doc;
    FakeReply error;
    if (!parse_chat_body(f, req.body, doc, error)) return error;

    const rapidjson::Value& messages = doc["messages"];
    // Claude Code ends `messages` with a system reminder after the user's turn: the turn that
    // decides the answer is the last non-system message.
    rapidjson::SizeType last_index = messages.Size() - 1;
    while (last_index > 0 && messages[last_index].IsObject() &&
           string_member(messages[last_index], "role") == "system") {
        --last_index;
    }
    const rapidjson::Value& msg = messages[last_index];
    LastMessage last =
        f == Format::Anthropic ? last_anthropic_message(msg) : last_openai_message(msg);
    const rapidjson::Value* stream_v = member(doc, "stream");
    const bool stream = stream_v && stream_v->IsBool() && stream_v->GetBool();
    const bool anthropic = f == Format::Anthropic;

    unsigned n = ++g_reply_counter;
    ReplyOptions opts;
    opts.model = string_member(doc, "model");
    opts.id = (anthropic ? "msg_fake" : "chatcmpl-fake") + std::to_string(n);
    opts.input_tokens = std::max<int>(1, static_cast<int>(req.body.size() / 4));
    if (!anthropic) {
        const rapidjson::Value* so = member(doc, "stream_options");
        const rapidjson::Value* iu = so ? member(*so, "include_usage") : nullptr;
        opts.include_usage = iu && iu->IsBool() && iu->GetBool();
    }

    auto answer_text = [&](const std::string& text) {
        opts.output_tokens = std::max<int>(1, static_cast<int>(text.size() / 4));
        if (stream) {
            auto fragments = litellm::test::split_utf8(text, 5);
            return anthropic ? anthropic_fake::stream_text(fragments, opts)
                             : openai_fake::stream_text(fragments, opts);
        }
        return anthropic ? anthropic_fake::text(text, opts) : openai_fake::text(text, opts);
    };

    if (last.is_tool_result) return answer_text("Tool said: " + last.text);
    const std::string& t = last.text;
    if (t.find("[[error429]]") != std::string::npos) {
        return anthropic ? anthropic_fake::rate_limited(1) : openai_fake::rate_limited(1);
    }
    if (t.find("[[error500]]") != std::string::npos) {
        return anthropic ? anthropic_fake::error(500, "api_error", "Internal server error")
                         : openai_fake::error(500, "server_error",
                                              "The server had an error while processing your "
                                              "request. Sorry about that!");
    }
    if (stream && t.find("[[midstream-error-once]]") != std::string::npos &&
        g_midstream_marked++ % 2 == 0) {
        // Some text, then an in-band error: the client must see the error inside the open
        // block and retry; the retry gets the normal answer.
        return anthropic ? anthropic_fake::stream_error_after_start(opts)
                         : openai_fake::stream_error_after_start(opts);
    }
    if (t.find("[[context]]") != std::string::npos) {
        return anthropic ? anthropic_fake::context_length_error()
                         : openai_fake::context_length_error();
    }
    if (t.find("[[tool]]") != std::string::npos) {
        std::string name = first_tool_name(doc);
        if (name.empty()) return answer_text("no tools given");
        opts.output_tokens = 20;
        const std::string id = anthropic ? "toolu_fake1" : "call_fake1";
        if (!stream) {
            return anthropic ? anthropic_fake::tool_use(id, name, kToolInput, opts)
                             : openai_fake::tool_use(id, name, kToolInput, opts);
        }
        std::vector<ToolCall> calls = {ToolCall{id, name, kToolInputFragments}};
        return anthropic ? anthropic_fake::stream_tool_calls(calls, opts)
                         : openai_fake::stream_tool_calls(calls, opts);
    }
    return answer_text(kDefaultText);
}

// ---- ChatGPT Codex (Responses API, streaming only) -------------------------------------------

std::string json_quoted(const std::string& s) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size()));
    return buf.GetString();
}

std::string sse_event(const std::string& type, const std::string& json) {
    return "event: " + type + "\ndata: " + json + "\n\n";
}

// The Codex backend's body rules, then the same markers as the chat formats: the last input
// item decides (a function_call_output is echoed; [[tool]] calls the first tool). Every answer
// starts with a reasoning item carrying encrypted content, as the backend's do.
FakeReply codex_reply(const RecordedRequest& req) {
    rapidjson::Document doc;
    doc.Parse(req.body.data(), req.body.size());
    auto refuse = [](const std::string& detail) {
        FakeReply r;
        r.status = 400;
        r.body = R"({"detail":)" + json_quoted(detail) + "}";
        return r;
    };
    if (doc.HasParseError() || !doc.IsObject()) return refuse("invalid JSON body");
    const rapidjson::Value* store = member(doc, "store");
    if (!store || !store->IsBool() || store->GetBool()) return refuse("Store must be set to false");
    const rapidjson::Value* stream = member(doc, "stream");
    if (!stream || !stream->IsBool() || !stream->GetBool())
        return refuse("Stream must be set to true");
    if (!member(doc, "instructions")) return refuse("Instructions are required");
    for (const char* key : {"max_output_tokens", "temperature", "top_p", "messages"}) {
        if (member(doc, key)) return refuse(std::string("Unsupported parameter: ") + key);
    }
    const rapidjson::Value* input = member(doc, "input");
    if (!input || !input->IsArray() || input->Empty())
        return refuse("input: a non-empty array is required");
    // The last item that is not a developer message decides.
    const rapidjson::Value* last = nullptr;
    for (const auto& item : input->GetArray()) {
        if (string_member(item, "role") == "developer") continue;
        last = &item;
    }
    std::string text = kDefaultText;
    std::string call_name;
    if (last && string_member(*last, "type") == "function_call_output") {
        const rapidjson::Value* out = member(*last, "output");
        text = "Tool said: " + (out ? text_of(*out) : std::string());
    } else if (last) {
        const rapidjson::Value* content = member(*last, "content");
        std::string said = content ? text_of(*content) : std::string();
        if (said.find("[[tool]]") != std::string::npos) {
            const rapidjson::Value* tools = member(doc, "tools");
            if (tools && tools->IsArray() && !tools->Empty())
                call_name = string_member((*tools)[0], "name");
            if (call_name.empty()) text = "no tools given";
        }
    }
    unsigned n = ++g_reply_counter;
    std::string id = "resp_fake" + std::to_string(n);
    std::string model = json_quoted(string_member(doc, "model"));
    std::vector<std::string> ev;
    ev.push_back(sse_event("response.created", R"({"type":"response.created","response":{"id":")" +
                                                   id + R"(","status":"in_progress","model":)" +
                                                   model + R"(,"output":[]}})"));
    ev.push_back(sse_event(
        "response.output_item.added",
        R"({"type":"response.output_item.added","output_index":0,"item":{"id":"rs_fake","type":"reasoning","summary":[]}})"));
    ev.push_back(sse_event(
        "response.reasoning_summary_text.delta",
        R"({"type":"response.reasoning_summary_text.delta","output_index":0,"summary_index":0,"delta":"Thinking it over."})"));
    ev.push_back(sse_event(
        "response.output_item.done",
        R"({"type":"response.output_item.done","output_index":0,"item":{"id":"rs_fake","type":"reasoning","summary":[{"type":"summary_text","text":"Thinking it over."}],"encrypted_content":"enc-fake-)" +
            std::to_string(n) + R"("}})"));
    if (!call_name.empty()) {
        std::string name = json_quoted(call_name);
        ev.push_back(sse_event(
            "response.output_item.added",
            R"({"type":"response.output_item.added","output_index":1,"item":{"id":"fc_fake","type":"function_call","call_id":"call_fake1","name":)" +
                name + R"(,"arguments":""}})"));
        for (const auto& fragment : kToolInputFragments) {
            ev.push_back(sse_event(
                "response.function_call_arguments.delta",
                R"({"type":"response.function_call_arguments.delta","output_index":1,"delta":)" +
                    json_quoted(fragment) + "}"));
        }
        ev.push_back(sse_event(
            "response.output_item.done",
            R"({"type":"response.output_item.done","output_index":1,"item":{"id":"fc_fake","type":"function_call","call_id":"call_fake1","name":)" +
                name + R"(,"arguments":)" + json_quoted(kToolInput) + "}}"));
    } else {
        ev.push_back(sse_event(
            "response.output_item.added",
            R"({"type":"response.output_item.added","output_index":1,"item":{"id":"msg_fake","type":"message","role":"assistant","content":[]}})"));
        for (const auto& fragment : litellm::test::split_utf8(text, 5)) {
            ev.push_back(sse_event(
                "response.output_text.delta",
                R"({"type":"response.output_text.delta","output_index":1,"content_index":0,"delta":)" +
                    json_quoted(fragment) + "}"));
        }
        ev.push_back(sse_event(
            "response.output_item.done",
            R"({"type":"response.output_item.done","output_index":1,"item":{"id":"msg_fake","type":"message","role":"assistant","content":[{"type":"output_text","text":)" +
                json_quoted(text) + "}]}}"));
    }
    int input_tokens = std::max<int>(1, static_cast<int>(req.body.size() / 4));
    // The usage as the backend sends it (the Codex CLI requires total_tokens).
    ev.push_back(sse_event("response.completed",
                           R"({"type":"response.completed","response":{"id":")" + id +
                               R"(","status":"completed","output":[],"usage":{"input_tokens":)" +
                               std::to_string(input_tokens) +
                               R"(,"input_tokens_details":{"cached_tokens":0},"output_tokens":12,)"
                               R"("output_tokens_details":{"reasoning_tokens":4},"total_tokens":)" +
                               std::to_string(input_tokens + 12) + "}}}"));
    FakeReply r;
    r.content_type = "text/event-stream";
    r.chunks = std::move(ev);
    return r;
}

// A schema keyword Gemini refuses in function declarations, anywhere in `schema` but in the
// names of `properties`; empty when there is none.
std::string refused_keyword(const rapidjson::Value& schema) {
    static const char* const kRefused[] = {"$schema",
                                           "additionalProperties",
                                           "propertyNames",
                                           "exclusiveMinimum",
                                           "exclusiveMaximum",
                                           "const",
                                           "examples",
                                           "$ref",
                                           "$defs",
                                           "patternProperties"};
    if (schema.IsArray()) {
        for (const auto& e : schema.GetArray())
            if (std::string k = refused_keyword(e); !k.empty()) return k;
        return {};
    }
    if (!schema.IsObject()) return {};
    for (const auto& m : schema.GetObject()) {
        std::string key = m.name.GetString();
        for (const char* r : kRefused)
            if (key == r) return key;
        if (key == "properties" && m.value.IsObject()) {
            for (const auto& p : m.value.GetObject())
                if (std::string k = refused_keyword(p.value); !k.empty()) return k;
        } else if (std::string k = refused_keyword(m.value); !k.empty()) {
            return k;
        }
    }
    return {};
}

// The Gemini API (/v1beta/models/{model}:generateContent | :streamGenerateContent): the key
// header, Gemini's schema rules, and thought signatures that must come back on replayed calls.
FakeReply gemini_reply(const RecordedRequest& req, bool code_assist = false) {
    auto refuse = [](int status, const std::string& message) {
        FakeReply r;
        r.status = status;
        r.body = R"({"error":{"code":)" + std::to_string(status) + R"(,"message":)" +
                 json_quoted(message) + R"(,"status":"INVALID_ARGUMENT"}})";
        return r;
    };
    rapidjson::Document envelope;
    rapidjson::Document doc;
    if (code_assist) {
        // Code Assist: a Google login's token, and the request inside the envelope.
        if (req.header("Authorization") != "Bearer e2e-gemini-cli-access") {
            return refuse(401, "Request had invalid authentication credentials.");
        }
        envelope.Parse(req.body.data(), req.body.size());
        if (envelope.HasParseError() || !envelope.IsObject() || !member(envelope, "request") ||
            string_member(envelope, "project") != "e2e-project" ||
            string_member(envelope, "model").empty()) {
            return refuse(400, "Invalid Code Assist envelope");
        }
        doc.CopyFrom(*member(envelope, "request"), doc.GetAllocator());
    } else {
        if (req.header("x-goog-api-key") != "AIza-e2e-gemini-key") {
            return refuse(400, "API key not valid.");
        }
        doc.Parse(req.body.data(), req.body.size());
        if (doc.HasParseError() || !doc.IsObject()) return refuse(400, "Invalid JSON payload");
    }
    const rapidjson::Value* contents = member(doc, "contents");
    if (!contents || !contents->IsArray() || contents->Empty())
        return refuse(400, "contents is not specified");
    std::string first_tool;
    if (const rapidjson::Value* tools = member(doc, "tools"); tools && tools->IsArray()) {
        for (const auto& t : tools->GetArray()) {
            const rapidjson::Value* decls = member(t, "functionDeclarations");
            if (!decls || !decls->IsArray()) continue;
            for (const auto& d : decls->GetArray()) {
                if (first_tool.empty()) first_tool = string_member(d, "name");
                const rapidjson::Value* schema = member(d, "parametersJsonSchema");
                if (!schema) schema = member(d, "parameters");
                if (!schema) continue;
                if (std::string k = refused_keyword(*schema); !k.empty()) {
                    return refuse(400,
                                  "Invalid JSON payload received. Unknown name \"" + k +
                                      "\" at 'tools[0].function_declarations': Cannot find field.");
                }
            }
        }
    }
    // Replayed calls must bring their signature back (Gemini 3).
    for (const auto& c : contents->GetArray()) {
        if (string_member(c, "role") != "model") continue;
        const rapidjson::Value* parts = member(c, "parts");
        if (!parts || !parts->IsArray()) continue;
        for (const auto& p : parts->GetArray()) {
            if (member(p, "functionCall") &&
                string_member(p, "thoughtSignature").rfind("sig-fake-", 0) != 0) {
                return refuse(
                    400, "Function call is missing a thought_signature in functionCall parts.");
            }
        }
    }
    const rapidjson::Value& last = (*contents)[contents->Size() - 1];
    std::string text = kDefaultText;
    bool call = false;
    if (const rapidjson::Value* parts = member(last, "parts"); parts && parts->IsArray()) {
        for (const auto& p : parts->GetArray()) {
            if (const rapidjson::Value* fr = member(p, "functionResponse")) {
                const rapidjson::Value* resp = member(*fr, "response");
                std::string out;
                if (resp && resp->IsObject()) {
                    for (const char* k : {"output", "error", "result"})
                        if (member(*resp, k)) out = text_of(*member(*resp, k));
                }
                text = "Tool said: " + out;
            } else if (string_member(p, "text").find("[[tool]]") != std::string::npos) {
                call = !first_tool.empty();
                if (!call) text = "no tools given";
            }
        }
    }
    unsigned n = ++g_reply_counter;
    int prompt = std::max<int>(1, static_cast<int>(req.body.size() / 4));
    std::string usage = R"("usageMetadata":{"promptTokenCount":)" + std::to_string(prompt) +
                        R"(,"candidatesTokenCount":12,"totalTokenCount":)" +
                        std::to_string(prompt + 12) + "}";
    std::vector<std::string> chunks;
    if (call) {
        chunks.push_back(
            R"({"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":)" +
            json_quoted(first_tool) + R"(,"args":)" + kToolInput +
            R"(},"thoughtSignature":"sig-fake-)" + std::to_string(n) +
            R"("}]},"finishReason":"STOP","index":0}],)" + usage +
            R"(,"modelVersion":"gemini-fake-1"})");
    } else {
        auto pieces = litellm::test::split_utf8(text, 5);
        for (std::size_t i = 0; i < pieces.size(); ++i) {
            bool end = i + 1 == pieces.size();
            chunks.push_back(R"({"candidates":[{"content":{"role":"model","parts":[{"text":)" +
                             json_quoted(pieces[i]) + "}]}" +
                             (end ? R"(,"finishReason":"STOP")" : "") + R"(,"index":0}])" +
                             (end ? "," + usage : std::string()) +
                             R"(,"modelVersion":"gemini-fake-1"})");
        }
    }
    auto wrap = [&](const std::string& c) {
        return code_assist ? R"({"response":)" + c + R"(,"traceId":"fake-trace"})" : c;
    };
    FakeReply r;
    if (req.path.find(":streamGenerateContent") != std::string::npos) {
        r.content_type = "text/event-stream";
        for (auto& c : chunks)
            r.chunks.push_back("data: " + wrap(c) + "\r\n\r\n");
        return r;
    }
    // Whole: the parts of every chunk in one candidate.
    std::string parts;
    for (const auto& c : chunks) {
        rapidjson::Document d;
        d.Parse(c.data(), c.size());
        for (const auto& p : d["candidates"][0]["content"]["parts"].GetArray()) {
            rapidjson::StringBuffer sb;
            rapidjson::Writer<rapidjson::StringBuffer> w(sb);
            p.Accept(w);
            if (!parts.empty()) parts += ',';
            parts += sb.GetString();
        }
    }
    r.body = wrap(R"({"candidates":[{"content":{"role":"model","parts":[)" + parts +
                  R"(]},"finishReason":"STOP","index":0}],)" + usage +
                  R"(,"modelVersion":"gemini-fake-1"})");
    return r;
}

FakeReply count_tokens_reply(const RecordedRequest& req) {
    rapidjson::Document doc;
    doc.Parse(req.body.data(), req.body.size());
    if (doc.HasParseError() || !doc.IsObject()) {
        return format_error(Format::Anthropic, 400, "invalid JSON body");
    }
    return anthropic_fake::count_tokens(static_cast<int>(req.body.size() / 4));
}

// One list readable as both Anthropic (type, display_name, created_at, has_more) and OpenAI
// (object, created, owned_by) model listings.
FakeReply models_reply() {
    FakeReply r;
    std::string data;
    for (const char* id : {"claude-fake-1", "gpt-fake-1"}) {
        if (!data.empty()) data += ',';
        data += std::string(R"({"type":"model","object":"model","id":")") + id +
                R"(","display_name":")" + id +
                R"(","created_at":"2025-01-01T00:00:00Z","created":1735689600,"owned_by":"fake"})";
    }
    r.body = R"({"object":"list","data":[)" + data +
             R"(],"has_more":false,"first_id":"claude-fake-1","last_id":"gpt-fake-1"})";
    return r;
}

FakeReply route(const RecordedRequest& req) {
    const std::string& p = req.path;
    if (req.method == "POST") {
        if (p == "/v1/messages") return chat_reply(Format::Anthropic, req);
        if (p == "/v1/chat/completions" || p == "/chat/completions") {
            return chat_reply(Format::OpenAI, req);
        }
        if (p == "/v1/messages/count_tokens") return count_tokens_reply(req);
        if (p == "/backend-api/codex/responses") return codex_reply(req);
        if (p.rfind("/v1beta/models/", 0) == 0 && p.find(":") != std::string::npos) {
            return gemini_reply(req);
        }
        if (p == "/v1internal:streamGenerateContent" || p == "/v1internal:generateContent") {
            return gemini_reply(req, /*code_assist=*/true);
        }
    }
    if ((req.method == "GET" || req.method == "HEAD") && (p == "/v1/models" || p == "/models")) {
        return models_reply();
    }
    Format f = p.rfind("/v1/messages", 0) == 0 ? Format::Anthropic : Format::OpenAI;
    return format_error(f, 404, "fake_upstream: no route for " + req.method + " " + p);
}

// Appends one JSON line per request to the --record file.
class Recorder {
  public:
    bool open(const std::string& path) {
        m_out.open(path, std::ios::app);
        return m_out.is_open();
    }
    void write(const RecordedRequest& req) {
        if (!m_out.is_open()) return;
        rapidjson::Document line(rapidjson::kObjectType);
        auto& a = line.GetAllocator();
        line.AddMember("method", rapidjson::Value(req.method.c_str(), a), a);
        line.AddMember("path", rapidjson::Value(req.path.c_str(), a), a);
        rapidjson::Value headers(rapidjson::kObjectType);
        for (const auto& [name, value] : req.headers) {
            std::string key = lowercase(name);
            auto it = headers.FindMember(key.c_str());
            if (it != headers.MemberEnd()) {
                // Repeated headers are joined as HTTP allows.
                std::string joined = std::string(it->value.GetString()) + ", " + value;
                it->value.SetString(joined.c_str(), static_cast<rapidjson::SizeType>(joined.size()),
                                    a);
            } else {
                headers.AddMember(rapidjson::Value(key.c_str(), a),
                                  rapidjson::Value(value.c_str(), a), a);
            }
        }
        line.AddMember("headers", headers, a);
        rapidjson::Document body(&a);
        body.Parse(req.body.data(), req.body.size());
        if (!req.body.empty() && !body.HasParseError()) {
            line.AddMember("body", rapidjson::Value(body, a), a);
        } else {
            line.AddMember("body",
                           rapidjson::Value(req.body.data(),
                                            static_cast<rapidjson::SizeType>(req.body.size()), a),
                           a);
        }
        std::string text = compact_json(line);
        std::lock_guard lock(m_mutex);
        m_out << text << '\n';
        m_out.flush();
    }

  private:
    std::mutex m_mutex;
    std::ofstream m_out;
};

void usage(FILE* to) {
    std::fprintf(to, "usage: fake_upstream [--port N] [--record FILE]\n");
}

}  // namespace

int main(int argc, char** argv) {
    int port = 0;
    std::string record_path;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--port" && i + 1 < argc) {
            char* end = nullptr;
            long v = std::strtol(argv[++i], &end, 10);
            if (!end || *end || v < 0 || v > 65535) {
                std::fprintf(stderr, "fake_upstream: bad port '%s'\n", argv[i]);
                return 2;
            }
            port = static_cast<int>(v);
        } else if (arg == "--record" && i + 1 < argc) {
            record_path = argv[++i];
        } else if (arg == "--help" || arg == "-h") {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }

    Recorder recorder;
    if (!record_path.empty() && !recorder.open(record_path)) {
        std::fprintf(stderr, "fake_upstream: cannot open %s\n", record_path.c_str());
        return 1;
    }

    // Block the signals before any thread starts so that only sigwait() below receives them.
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
    ::signal(SIGPIPE, SIG_IGN);

    try {
        litellm::test::FakeUpstream server(port);
        server.set_keep_history(false);  // runs for a whole e2e session; the file is the record
        server.set_responder([&recorder](const RecordedRequest& req) {
            recorder.write(req);
            try {
                return route(req);
            } catch (const std::exception& e) {
                return format_error(Format::OpenAI, 500,
                                    std::string("fake_upstream internal error: ") + e.what());
            }
        });
        std::printf("PORT %d\n", server.port());
        std::fflush(stdout);
        int sig = 0;
        sigwait(&sigs, &sig);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fake_upstream: %s\n", e.what());
        return 1;
    }
    return 0;
}
