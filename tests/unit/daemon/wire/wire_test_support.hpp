#pragma once
// Helpers shared by the codec tests (anthropic_test.cpp, openai_chat_test.cpp): JSON access,
// event descriptions, feeding streams in random pieces, and the Anthropic stream checker.

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <rapidjson/pointer.h>

#include "common/json.hpp"
#include "daemon/wire/codec.hpp"
#include "daemon/wire/model.hpp"
#include "daemon/wire/sse.hpp"

namespace litellm::wire::test_support {

// ---- helpers --------------------------------------------------------------------------------

inline rapidjson::Document parse(std::string_view text) {
    rapidjson::Document d;
    std::string err;
    EXPECT_TRUE(json_parse(text, d, &err)) << err << "\n" << text;
    return d;
}

// JSON-pointer accessors: a missing member reads as null instead of tripping RapidJSON's
// assert, so a wrong encoder output fails one expectation rather than aborting the binary.
inline const rapidjson::Value& at(const rapidjson::Value& root, const std::string& pointer) {
    static const rapidjson::Value kMissing;
    const rapidjson::Value* v = rapidjson::Pointer(pointer.c_str()).Get(root);
    return v ? *v : kMissing;
}
inline bool has(const rapidjson::Value& root, const std::string& pointer) {
    return rapidjson::Pointer(pointer.c_str()).Get(root) != nullptr;
}
inline std::string str_at(const rapidjson::Value& root, const std::string& pointer) {
    const auto& v = at(root, pointer);
    if (!v.IsString()) return "<not a string at " + pointer + ": " + json_stringify(v) + ">";
    return {v.GetString(), v.GetStringLength()};
}
inline std::int64_t int_at(const rapidjson::Value& root, const std::string& pointer) {
    const auto& v = at(root, pointer);
    return v.IsInt64() ? v.GetInt64() : std::numeric_limits<std::int64_t>::min();
}
inline double dbl_at(const rapidjson::Value& root, const std::string& pointer) {
    const auto& v = at(root, pointer);
    return v.IsNumber() ? v.GetDouble() : std::numeric_limits<double>::quiet_NaN();
}
inline bool bool_at(const rapidjson::Value& root, const std::string& pointer) {
    const auto& v = at(root, pointer);
    return v.IsBool() && v.GetBool();
}
inline size_t size_at(const rapidjson::Value& root, const std::string& pointer) {
    const auto& v = at(root, pointer);
    return v.IsArray() ? v.Size() : static_cast<size_t>(-1);
}

// Events of an SSE byte string as (event name, data) pairs.
inline std::vector<std::pair<std::string, std::string>> sse_events(std::string_view sse) {
    std::vector<std::pair<std::string, std::string>> out;
    SseParser parser([&](std::string_view ev, std::string_view data) {
        out.emplace_back(std::string(ev), std::string(data));
    });
    parser.feed(sse);
    parser.finish();
    return out;
}

inline const char* block_name(BlockType t) {
    switch (t) {
        case BlockType::kText:
            return "text";
        case BlockType::kImage:
            return "image";
        case BlockType::kDocument:
            return "document";
        case BlockType::kToolUse:
            return "tool_use";
        case BlockType::kToolResult:
            return "tool_result";
        case BlockType::kThinking:
            return "thinking";
        case BlockType::kRedactedThinking:
            return "redacted_thinking";
    }
    return "?";
}

inline const char* delta_name(StreamEvent::DeltaType t) {
    switch (t) {
        case StreamEvent::DeltaType::kText:
            return "text";
        case StreamEvent::DeltaType::kThinking:
            return "thinking";
        case StreamEvent::DeltaType::kSignature:
            return "signature";
        case StreamEvent::DeltaType::kInputJson:
            return "json";
    }
    return "?";
}

// One line per canonical event, so whole sequences compare (and print) readably.
inline std::string describe(const StreamEvent& e) {
    using K = StreamEvent::Kind;
    switch (e.kind) {
        case K::kMessageStart:
            return "message_start " + e.message_id;
        case K::kBlockStart: {
            std::string s = "start " + std::to_string(e.index) + " " + block_name(e.block_type);
            if (e.block_type == BlockType::kToolUse) s += " " + e.id + " " + e.name;
            return s;
        }
        case K::kDelta:
            return "delta " + std::to_string(e.index) + " " + delta_name(e.delta_type) + " " +
                   e.text;
        case K::kBlockStop:
            return "stop " + std::to_string(e.index);
        case K::kMessageDelta:
            return std::string("message_delta ") +
                   (e.stop_reason ? stop_reason_anthropic(*e.stop_reason) : "none") +
                   " in=" + std::to_string(e.usage.input_tokens) +
                   " out=" + std::to_string(e.usage.output_tokens) +
                   " cache_read=" + std::to_string(e.usage.cache_read_tokens);
        case K::kMessageStop:
            return "message_stop";
        case K::kPing:
            return "ping";
        case K::kError:
            return std::string("error ") + error_type_anthropic(e.error.kind) + " " +
                   e.error.message;
    }
    return "?";
}

inline std::vector<std::string> describe_all(const std::vector<StreamEvent>& events) {
    std::vector<std::string> out;
    for (const auto& e : events)
        out.push_back(describe(e));
    return out;
}

// Feeds `bytes` in random-sized pieces (1..max_piece bytes), then finish() when asked.
inline std::vector<StreamEvent> feed_in_pieces(StreamDecoder& decoder, std::string_view bytes,
                                               unsigned seed, size_t max_piece = 17,
                                               bool finish = true) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<size_t> len(1, max_piece);
    std::vector<StreamEvent> out;
    size_t pos = 0;
    while (pos < bytes.size()) {
        size_t n = std::min(len(rng), bytes.size() - pos);
        decoder.feed(bytes.substr(pos, n), out);
        pos += n;
    }
    if (finish) decoder.finish(out);
    return out;
}

/// Decodes a whole stream with the decoder `make` creates.
inline std::vector<StreamEvent> decode_whole_with(std::unique_ptr<StreamDecoder> (*make)(),
                                                  std::string_view bytes) {
    auto d = make();
    std::vector<StreamEvent> out;
    d->feed(bytes, out);
    d->finish(out);
    return out;
}

inline std::string encode_all(StreamEncoder& enc, const std::vector<StreamEvent>& events) {
    std::string out;
    for (const auto& e : events)
        enc.encode(e, out);
    return out;
}

// What an Anthropic SDK would rebuild from a stream, plus the checks it relies on.
struct AnthropicStream {
    std::vector<std::string> types;          // event types in order
    std::map<int, std::string> block_types;  // index -> content_block.type
    std::map<int, std::string> block_text;   // index -> concatenated deltas
    std::map<int, std::string> tool_ids;     // index -> tool_use id
    std::string stop_reason;
    rapidjson::Document last_usage;
    std::string error_type, error_message;
};

// Checks the Anthropic streaming invariants (wire-formats §1.1, §4 #6): event name = data.type;
// message_start first; block starts 0,1,2...; deltas only to started, unstopped blocks of the
// right kind; each block stopped exactly once; all blocks stopped before the one message_delta;
// message_stop exactly once and last; an error event ends the stream.
inline ::testing::AssertionResult check_anthropic_stream(const std::string& sse,
                                                         AnthropicStream* out) {
    auto events = sse_events(sse);
    if (events.empty()) return ::testing::AssertionFailure() << "no events";
    std::set<int> open, stopped;
    int next_index = 0, deltas = 0, stops = 0;
    bool ended = false;
    for (size_t i = 0; i < events.size(); ++i) {
        const auto& [name, data] = events[i];
        auto fail = [&]() {
            return ::testing::AssertionFailure()
                   << "event " << i << " (" << name << " " << data << "): ";
        };
        if (ended) return fail() << "event after the stream ended";
        rapidjson::Document d;
        if (!json_parse(data, d) || !d.IsObject()) return fail() << "data is not a JSON object";
        std::string type = std::string(json_get_string(d, "type"));
        if (type != name) return fail() << "event name differs from data.type";
        out->types.push_back(type);
        if (i == 0 && type != "message_start" && type != "error") {
            return fail() << "first event must be message_start";
        }
        if (i > 0 && type == "message_start") return fail() << "second message_start";
        int index = static_cast<int>(json_get_int(d, "index", -1));
        if (type == "content_block_start") {
            if (index != next_index) return fail() << "expected index " << next_index;
            ++next_index;
            open.insert(index);
            out->block_types[index] = std::string(json_get_string(at(d, "/content_block"), "type"));
            out->tool_ids[index] = std::string(json_get_string(at(d, "/content_block"), "id"));
        } else if (type == "content_block_delta") {
            if (!open.count(index)) return fail() << "delta to a block that is not open";
            const auto& delta = at(d, "/delta");
            std::string dt(json_get_string(delta, "type"));
            const std::string& bt = out->block_types[index];
            bool ok = (dt == "text_delta" && bt == "text") ||
                      ((dt == "thinking_delta" || dt == "signature_delta") && bt == "thinking") ||
                      (dt == "input_json_delta" && bt == "tool_use");
            if (!ok) return fail() << dt << " on a " << bt << " block";
            const char* field = dt == "text_delta"        ? "text"
                                : dt == "thinking_delta"  ? "thinking"
                                : dt == "signature_delta" ? "signature"
                                                          : "partial_json";
            if (dt != "signature_delta") out->block_text[index] += json_get_string(delta, field);
        } else if (type == "content_block_stop") {
            if (!open.count(index)) return fail() << "stop of a block that is not open";
            open.erase(index);
            stopped.insert(index);
        } else if (type == "message_delta") {
            if (!open.empty()) return fail() << open.size() << " block(s) still open";
            if (++deltas > 1) return fail() << "second message_delta";
            out->stop_reason = std::string(json_get_string(at(d, "/delta"), "stop_reason"));
            out->last_usage.CopyFrom(at(d, "/usage"), out->last_usage.GetAllocator());
        } else if (type == "message_stop") {
            if (deltas != 1) return fail() << "message_stop without a message_delta";
            ++stops;
            ended = true;
        } else if (type == "error") {
            out->error_type = std::string(json_get_string(at(d, "/error"), "type"));
            out->error_message = std::string(json_get_string(at(d, "/error"), "message"));
            ended = true;
        } else if (type != "ping" && type != "message_start") {
            return fail() << "unknown event type";
        }
    }
    if (!ended) return ::testing::AssertionFailure() << "stream ends without message_stop/error";
    if (out->error_type.empty() && stops != 1) {
        return ::testing::AssertionFailure() << "message_stop count " << stops;
    }
    if (out->error_type.empty() && static_cast<int>(stopped.size()) != next_index) {
        return ::testing::AssertionFailure() << "not every block was stopped";
    }
    return ::testing::AssertionSuccess();
}

}  // namespace litellm::wire::test_support
