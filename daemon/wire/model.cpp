#include "daemon/wire/model.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace litellm::wire {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

void unescape_into(std::string_view s, std::string& out) {
    out.reserve(out.size() + s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        std::size_t bs = s.find('\\', i);
        if (bs == std::string_view::npos) {
            out.append(s.substr(i));
            return;
        }
        out.append(s.substr(i, bs - i));
        if (bs + 1 >= s.size()) {  // a lone trailing backslash
            append_utf8(out, 0xFFFD);
            return;
        }
        char c = s[bs + 1];
        i = bs + 2;
        switch (c) {
            case '"':
                out += '"';
                break;
            case '\\':
                out += '\\';
                break;
            case '/':
                out += '/';
                break;
            case 'b':
                out += '\b';
                break;
            case 'f':
                out += '\f';
                break;
            case 'n':
                out += '\n';
                break;
            case 'r':
                out += '\r';
                break;
            case 't':
                out += '\t';
                break;
            case 'u': {
                long unit = json_escape_unit(s, bs);
                if (unit < 0) {
                    append_utf8(out, 0xFFFD);
                    break;
                }
                i = bs + 6;
                if (unit >= 0xD800 && unit <= 0xDBFF) {
                    long low = json_escape_unit(s, i);
                    if (low >= 0xDC00 && low <= 0xDFFF) {
                        append_utf8(out, 0x10000 +
                                             ((static_cast<std::uint32_t>(unit) - 0xD800) << 10) +
                                             (static_cast<std::uint32_t>(low) - 0xDC00));
                        i += 6;
                    } else {
                        append_utf8(out, 0xFFFD);
                    }
                } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
                    append_utf8(out, 0xFFFD);
                } else {
                    append_utf8(out, static_cast<std::uint32_t>(unit));
                }
                break;
            }
            default:
                append_utf8(out, 0xFFFD);
        }
    }
}

}  // namespace

long json_escape_unit(std::string_view s, std::size_t i) {
    if (i + 6 > s.size() || s[i] != '\\' || s[i + 1] != 'u') return -1;
    long unit = 0;
    for (std::size_t k = i + 2; k < i + 6; ++k) {
        int h = hex_value(s[k]);
        if (h < 0) return -1;
        unit = unit * 16 + h;
    }
    return unit;
}

std::string unescape_json(std::string_view escaped) {
    std::string out;
    unescape_into(escaped, out);
    return out;
}

std::string Text::str() const {
    if (!m_is_json) return m_value;
    return unescape_json(m_json);
}

void Text::append_to(std::string& out) const {
    if (m_is_json)
        unescape_into(m_json, out);
    else
        out.append(m_value);
}

std::string& Text::value() {
    if (m_is_json) {
        m_value = unescape_json(m_json);
        m_json = {};
        m_is_json = false;
    }
    return m_value;
}

std::string opaque_signature(const Opaque& opaque) {
    std::string out(kOpaqueSignaturePrefix);
    out.append(opaque.family).append(":").append(opaque.json);
    return out;
}

std::optional<Opaque> parse_opaque_signature(std::string_view signature) {
    if (signature.substr(0, kOpaqueSignaturePrefix.size()) != kOpaqueSignaturePrefix) {
        return std::nullopt;
    }
    signature.remove_prefix(kOpaqueSignaturePrefix.size());
    std::size_t colon = signature.find(':');
    if (colon == 0 || colon == std::string_view::npos || colon + 1 >= signature.size()) {
        return std::nullopt;
    }
    return Opaque{std::string(signature.substr(0, colon)),
                  std::string(signature.substr(colon + 1))};
}

std::string client_signature(const Block& block) {
    if (!block.signature.empty() || !block.opaque) return block.signature;
    return opaque_signature(*block.opaque);
}

void adopt_client_signature(Block& block) {
    if (auto opaque = parse_opaque_signature(block.signature)) {
        block.signature_origin = opaque->family;
        block.opaque = std::move(*opaque);
    } else if (!block.signature.empty()) {
        block.signature_origin = "anthropic";
    }
}

const char* stop_reason_anthropic(StopReason reason) {
    switch (reason) {
        case StopReason::kEndTurn:
            return "end_turn";
        case StopReason::kMaxTokens:
            return "max_tokens";
        case StopReason::kStopSequence:
            return "stop_sequence";
        case StopReason::kToolUse:
            return "tool_use";
        case StopReason::kRefusal:
            return "refusal";
        case StopReason::kPauseTurn:
            return "pause_turn";
        case StopReason::kContextWindowExceeded:
            return "model_context_window_exceeded";
    }
    return "end_turn";
}

const char* stop_reason_openai(StopReason reason) {
    switch (reason) {
        case StopReason::kMaxTokens:
        case StopReason::kContextWindowExceeded:
            return "length";
        case StopReason::kToolUse:
            return "tool_calls";
        case StopReason::kRefusal:
            return "content_filter";
        default:
            return "stop";
    }
}

StopReason parse_anthropic_stop_reason(std::string_view s) {
    if (s == "max_tokens") return StopReason::kMaxTokens;
    if (s == "stop_sequence") return StopReason::kStopSequence;
    if (s == "tool_use") return StopReason::kToolUse;
    if (s == "refusal") return StopReason::kRefusal;
    if (s == "pause_turn") return StopReason::kPauseTurn;
    if (s == "model_context_window_exceeded") return StopReason::kContextWindowExceeded;
    return StopReason::kEndTurn;
}

StopReason parse_openai_finish_reason(std::string_view s) {
    if (s == "length") return StopReason::kMaxTokens;
    if (s == "tool_calls" || s == "function_call") return StopReason::kToolUse;
    if (s == "content_filter") return StopReason::kRefusal;
    return StopReason::kEndTurn;
}

int error_http_status(ErrorKind kind, bool anthropic_client) {
    switch (kind) {
        case ErrorKind::kInvalidRequest:
        case ErrorKind::kContextLength:
            return 400;
        case ErrorKind::kAuthentication:
            return 401;
        case ErrorKind::kPermission:
            return 403;
        case ErrorKind::kNotFound:
        case ErrorKind::kNoRoute:
            return 404;
        case ErrorKind::kRequestTooLarge:
            return 413;
        case ErrorKind::kRateLimit:
            return 429;
        case ErrorKind::kOverloaded:
            return anthropic_client ? 529 : 503;
        case ErrorKind::kTimeout:
            return 504;
        case ErrorKind::kApi:
            return 502;
    }
    return 500;
}

const char* error_type_anthropic(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::kInvalidRequest:
        case ErrorKind::kContextLength:
            return "invalid_request_error";
        case ErrorKind::kAuthentication:
            return "authentication_error";
        case ErrorKind::kPermission:
            return "permission_error";
        case ErrorKind::kNotFound:
        case ErrorKind::kNoRoute:
            return "not_found_error";
        case ErrorKind::kRequestTooLarge:
            return "request_too_large";
        case ErrorKind::kRateLimit:
            return "rate_limit_error";
        case ErrorKind::kOverloaded:
            return "overloaded_error";
        case ErrorKind::kApi:
        case ErrorKind::kTimeout:
            return "api_error";
    }
    return "api_error";
}

const char* error_type_openai(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::kInvalidRequest:
        case ErrorKind::kContextLength:
        case ErrorKind::kAuthentication:
        case ErrorKind::kNotFound:
        case ErrorKind::kNoRoute:
        case ErrorKind::kRequestTooLarge:
            return "invalid_request_error";
        case ErrorKind::kPermission:
            return "permission_error";
        case ErrorKind::kRateLimit:
            return "rate_limit_error";
        default:
            return "server_error";
    }
}

const char* error_code_openai(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::kContextLength:
            return "context_length_exceeded";
        case ErrorKind::kAuthentication:
            return "invalid_api_key";
        case ErrorKind::kNotFound:
            return "model_not_found";
        case ErrorKind::kRateLimit:
            return "rate_limit_exceeded";
        case ErrorKind::kRequestTooLarge:
            return "request_too_large";
        case ErrorKind::kTimeout:
            return "timeout";
        default:
            return nullptr;
    }
}

namespace {

bool contains_ci(std::string_view hay, std::string_view needle) {
    auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) ==
               std::tolower(static_cast<unsigned char>(b));
    });
    return it != hay.end();
}

// Pulls a human message out of the common error envelopes without a full parse: the first
// "message" string value, else "detail", else the body itself (shortened).
std::string extract_message(std::string_view body) {
    for (std::string_view key : {"\"message\"", "\"detail\""}) {
        size_t k = body.find(key);
        if (k == std::string_view::npos) continue;
        size_t colon = body.find(':', k + key.size());
        if (colon == std::string_view::npos) continue;
        size_t q = body.find_first_not_of(" \t\r\n", colon + 1);
        if (q == std::string_view::npos || body[q] != '"') continue;
        std::string out;
        for (size_t i = q + 1; i < body.size(); ++i) {
            char c = body[i];
            if (c == '\\' && i + 1 < body.size()) {
                char n = body[++i];
                out += n == 'n' ? '\n' : n == 't' ? '\t' : n;
            } else if (c == '"') {
                return out;
            } else {
                out += c;
            }
        }
    }
    std::string text(body.substr(0, 500));
    return text.empty() ? std::string("upstream returned no body") : text;
}

}  // namespace

Error classify_upstream_error(int status, std::string_view body) {
    Error e;
    e.upstream_status = status;
    e.message = extract_message(body);
    bool context =
        contains_ci(body, "context_length_exceeded") || contains_ci(body, "prompt is too long") ||
        contains_ci(body, "maximum context length") || contains_ci(body, "context window") ||
        contains_ci(body, "too many tokens") || contains_ci(body, "input token count") ||
        contains_ci(body, "exceeds the context") ||
        contains_ci(body, "input length and `max_tokens` exceed");
    if ((status == 400 || status == 413 || status == 422) && context) {
        e.kind = ErrorKind::kContextLength;
        return e;
    }
    switch (status) {
        case 400:
        case 422:
            e.kind = ErrorKind::kInvalidRequest;
            break;
        case 401:
            e.kind = ErrorKind::kAuthentication;
            break;
        case 402:
        case 429:
            e.kind = ErrorKind::kRateLimit;
            break;
        case 403:
            e.kind = ErrorKind::kPermission;
            break;
        case 404:
            e.kind = ErrorKind::kNotFound;
            break;
        case 408:
        case 504:
            e.kind = ErrorKind::kTimeout;
            break;
        case 413:
            e.kind = ErrorKind::kRequestTooLarge;
            break;
        case 503:
        case 529:
            e.kind = ErrorKind::kOverloaded;
            break;
        default:
            e.kind = status >= 400 && status < 500 ? ErrorKind::kInvalidRequest : ErrorKind::kApi;
    }
    // Providers report quota exhaustion and overload under assorted statuses (402, 403, 500,
    // 503); the words decide there. A 400/401/404/413/422 keeps its status class.
    bool status_decides =
        status == 400 || status == 401 || status == 404 || status == 413 || status == 422;
    if (!status_decides) {
        if (contains_ci(body, "insufficient_quota") || contains_ci(body, "usage_limit_reached") ||
            contains_ci(body, "resource_exhausted") || contains_ci(body, "rate_limit")) {
            e.kind = ErrorKind::kRateLimit;
        }
        if (contains_ci(body, "overloaded")) e.kind = ErrorKind::kOverloaded;
    }
    return e;
}

}  // namespace litellm::wire
