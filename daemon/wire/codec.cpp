#include "daemon/wire/codec.hpp"

#include <array>

#include "daemon/wire/anthropic.hpp"
#include "daemon/wire/gemini.hpp"
#include "daemon/wire/openai_chat.hpp"
#include "daemon/wire/openai_responses.hpp"
#include "daemon/wire/sse.hpp"

namespace litellm::wire {

namespace {

// Nothing of a canonical request is beyond the Anthropic format but what OpenAI clients alone
// can ask for; a client of that API gets a 400 naming it rather than a silently different
// answer.
std::string anthropic_unsupported(const Request& r) {
    if (r.n > 1) {
        return "n > 1 (several choices per request) is not supported by this model's "
               "Anthropic-format upstream; send n=1 or pick an OpenAI model";
    }
    if (r.logprobs) {
        return "logprobs are not supported by this model's Anthropic-format upstream; drop "
               "logprobs/top_logprobs or pick an OpenAI model";
    }
    return {};
}

std::string openai_unsupported(const Request&) {
    return {};
}

const Codec kAnthropic{
    WireFormat::kAnthropicMessages,
    "anthropic",
    anthropic::decode_request,
    anthropic_unsupported,
    anthropic::encode_request,
    anthropic::decode_response,
    anthropic::encode_response,
    anthropic::encode_error,
    [](ErrorKind kind) { return error_http_status(kind, true); },
    anthropic::make_stream_decoder,
    [](const StreamOptions& o) {
        return anthropic::make_stream_encoder(o.model, o.input_tokens_estimate);
    },
    [](const Error& e, std::string& out) {
        append_sse_event(out, "error", anthropic::encode_error(e));
    },
    anthropic::strip_unsigned_thinking,
};

const Codec kOpenAIChat{
    WireFormat::kOpenAIChat,
    "openai-chat",
    openai_chat::decode_request,
    openai_unsupported,
    openai_chat::encode_request,
    openai_chat::decode_response,
    openai_chat::encode_response,
    openai_chat::encode_error,
    [](ErrorKind kind) { return error_http_status(kind, false); },
    openai_chat::make_stream_decoder,
    [](const StreamOptions& o) {
        return openai_chat::make_stream_encoder(o.model, o.include_usage);
    },
    [](const Error& e, std::string& out) {
        append_sse_event(out, {}, openai_chat::encode_error(e));
        append_sse_event(out, {}, "[DONE]");
    },
    openai_chat::strip_thinking_blocks,
};

const Codec kOpenAIResponses{
    WireFormat::kOpenAIResponses,
    "openai-responses",
    openai_responses::decode_request,
    [](const Request& r) -> std::string {
        if (r.n > 1) return "n > 1 is not supported by the Responses API; send n=1";
        if (r.logprobs) return "logprobs are not supported by this model's Responses upstream";
        return {};
    },
    openai_responses::encode_request,
    openai_responses::decode_response,
    openai_responses::encode_response,
    openai_responses::encode_error,
    [](ErrorKind kind) { return error_http_status(kind, false); },
    openai_responses::make_stream_decoder,
    [](const StreamOptions& o) { return openai_responses::make_stream_encoder(o.model); },
    [](const Error& e, std::string& out) {
        append_sse_event(out, "error", openai_responses::encode_error(e));
    },
    openai_responses::strip_foreign_reasoning,
};

const Codec kGemini{
    WireFormat::kGemini,
    "gemini",
    gemini::decode_request,
    [](const Request& r) -> std::string {
        if (r.logprobs) return "logprobs are not supported by this model's Gemini upstream";
        return {};
    },
    gemini::encode_request,
    gemini::decode_response,
    gemini::encode_response,
    gemini::encode_error,
    [](ErrorKind kind) { return error_http_status(kind, false); },
    gemini::make_stream_decoder,
    [](const StreamOptions& o) { return gemini::make_stream_encoder(o.model); },
    [](const Error& e, std::string& out) { append_sse_event(out, {}, gemini::encode_error(e)); },
    // Gemini clients are always decoded (their model is in the path), so no bytes pass.
    [](std::string_view) -> std::optional<std::string> { return std::nullopt; },
};

// Indexed by WireFormat; a format without a codec yet has nullptr.
constexpr std::size_t kFormats = static_cast<std::size_t>(WireFormat::kGemini) + 1;
const std::array<const Codec*, kFormats> kCodecs = {&kAnthropic, &kOpenAIChat, &kOpenAIResponses,
                                                    &kGemini};
static_assert(static_cast<int>(WireFormat::kAnthropicMessages) == 0 &&
                  static_cast<int>(WireFormat::kOpenAIChat) == 1 &&
                  static_cast<int>(WireFormat::kOpenAIResponses) == 2 &&
                  static_cast<int>(WireFormat::kGemini) == 3,
              "kCodecs is indexed by WireFormat");

}  // namespace

const Codec* find_codec(WireFormat format) {
    auto i = static_cast<std::size_t>(format);
    return i < kCodecs.size() ? kCodecs[i] : nullptr;
}

}  // namespace litellm::wire
