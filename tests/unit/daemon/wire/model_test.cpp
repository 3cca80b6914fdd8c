#include "daemon/wire/model.hpp"

#include <gtest/gtest.h>

#include <string>

namespace litellm::wire {
namespace {

// ---- Text -----------------------------------------------------------------------------------

TEST(Text, AViewIsDecodedOnlyWhenAsked) {
    Text view = Text::json_view(R"(line\none \"q\" \u00e9\ud83d\ude00)");
    EXPECT_TRUE(view.is_json());
    EXPECT_EQ(view.str(), "line\none \"q\" \xc3\xa9\xf0\x9f\x98\x80");
    EXPECT_EQ(view, "line\none \"q\" \xc3\xa9\xf0\x9f\x98\x80");
    EXPECT_FALSE(view.empty());
    std::string out = "> ";
    view.append_to(out);
    EXPECT_EQ(out, "> " + view.str());
    // Changing it in place turns it into owned, decoded text.
    view.value() += "!";
    EXPECT_FALSE(view.is_json());
    EXPECT_EQ(view.decoded(), view.str());
    EXPECT_EQ(view.str().back(), '!');
}

TEST(Text, EmptinessAndPrefixInBothForms) {
    EXPECT_TRUE(Text().empty());
    EXPECT_TRUE(Text::json_view("").empty());
    EXPECT_TRUE(Text("x-anthropic-billing-header: a").starts_with("x-anthropic-billing-header:"));
    EXPECT_TRUE(Text::json_view("x-anthropic-billing-header: a\\n")
                    .starts_with("x-anthropic-billing-header:"));
    EXPECT_FALSE(Text::json_view("x").starts_with("xy"));
    EXPECT_EQ(Text("a\"b"), Text::json_view(R"(a\"b)"));
}

TEST(UnescapeJson, BrokenEscapesBecomeReplacementCharacters) {
    const std::string fffd = "\xef\xbf\xbd";
    EXPECT_EQ(unescape_json(R"(\ud83d)"), fffd);         // a lone high surrogate
    EXPECT_EQ(unescape_json(R"(\ude00x)"), fffd + "x");  // a lone low surrogate
    EXPECT_EQ(unescape_json(R"(\ud83dA)"), fffd + "A");  // high, then no low
    EXPECT_EQ(unescape_json(R"(\q)"), fffd);             // not an escape
    EXPECT_EQ(unescape_json(R"(\u12)"), fffd + "12");    // too short
    EXPECT_EQ(unescape_json(R"(a\)"), "a" + fffd);       // a trailing backslash
    EXPECT_EQ(unescape_json(R"(\/\b\f\r\t\\)"), "/\b\f\r\t\\");
    EXPECT_EQ(unescape_json(R"(\u0041\u00DF\u20AC)"), "A\xc3\x9f\xe2\x82\xac");
}

// ---- stop reasons ---------------------------------------------------------------------------

TEST(StopReason, AnthropicNamesRoundTrip) {
    const StopReason all[] = {StopReason::kEndTurn,
                              StopReason::kMaxTokens,
                              StopReason::kStopSequence,
                              StopReason::kToolUse,
                              StopReason::kRefusal,
                              StopReason::kPauseTurn,
                              StopReason::kContextWindowExceeded};
    for (StopReason r : all) {
        EXPECT_EQ(parse_anthropic_stop_reason(stop_reason_anthropic(r)), r)
            << stop_reason_anthropic(r);
    }
    EXPECT_STREQ(stop_reason_anthropic(StopReason::kEndTurn), "end_turn");
    EXPECT_STREQ(stop_reason_anthropic(StopReason::kMaxTokens), "max_tokens");
    EXPECT_STREQ(stop_reason_anthropic(StopReason::kStopSequence), "stop_sequence");
    EXPECT_STREQ(stop_reason_anthropic(StopReason::kToolUse), "tool_use");
    EXPECT_STREQ(stop_reason_anthropic(StopReason::kRefusal), "refusal");
    EXPECT_STREQ(stop_reason_anthropic(StopReason::kPauseTurn), "pause_turn");
    EXPECT_STREQ(stop_reason_anthropic(StopReason::kContextWindowExceeded),
                 "model_context_window_exceeded");
}

TEST(StopReason, AnthropicToOpenAiTable) {
    // wire-formats §3.1.
    EXPECT_STREQ(stop_reason_openai(StopReason::kEndTurn), "stop");
    EXPECT_STREQ(stop_reason_openai(StopReason::kToolUse), "tool_calls");
    EXPECT_STREQ(stop_reason_openai(StopReason::kMaxTokens), "length");
    EXPECT_STREQ(stop_reason_openai(StopReason::kStopSequence), "stop");
    EXPECT_STREQ(stop_reason_openai(StopReason::kRefusal), "content_filter");
    EXPECT_STREQ(stop_reason_openai(StopReason::kPauseTurn), "stop");
    EXPECT_STREQ(stop_reason_openai(StopReason::kContextWindowExceeded), "length");
}

TEST(StopReason, OpenAiToAnthropicTable) {
    EXPECT_EQ(parse_openai_finish_reason("stop"), StopReason::kEndTurn);
    EXPECT_EQ(parse_openai_finish_reason("length"), StopReason::kMaxTokens);
    EXPECT_EQ(parse_openai_finish_reason("tool_calls"), StopReason::kToolUse);
    EXPECT_EQ(parse_openai_finish_reason("function_call"), StopReason::kToolUse);  // legacy
    EXPECT_EQ(parse_openai_finish_reason("content_filter"), StopReason::kRefusal);
    EXPECT_EQ(parse_openai_finish_reason("something_new"), StopReason::kEndTurn);
    EXPECT_EQ(parse_openai_finish_reason(""), StopReason::kEndTurn);
}

TEST(StopReason, UnknownAnthropicStopReasonIsEndTurn) {
    EXPECT_EQ(parse_anthropic_stop_reason("brand_new_reason"), StopReason::kEndTurn);
    EXPECT_EQ(parse_anthropic_stop_reason(""), StopReason::kEndTurn);
}

// ---- error tables ---------------------------------------------------------------------------

struct ErrorRow {
    ErrorKind kind;
    int anthropic_status;
    int openai_status;
    const char* anthropic_type;
    const char* openai_type;
    const char* openai_code;  // nullptr = no code
};

TEST(ErrorTables, StatusTypeAndCodePerKind) {
    // wire-formats §3.2.
    const ErrorRow rows[] = {
        {ErrorKind::kInvalidRequest, 400, 400, "invalid_request_error", "invalid_request_error",
         nullptr},
        {ErrorKind::kContextLength, 400, 400, "invalid_request_error", "invalid_request_error",
         "context_length_exceeded"},
        {ErrorKind::kAuthentication, 401, 401, "authentication_error", "invalid_request_error",
         "invalid_api_key"},
        {ErrorKind::kPermission, 403, 403, "permission_error", "permission_error", nullptr},
        {ErrorKind::kNotFound, 404, 404, "not_found_error", "invalid_request_error",
         "model_not_found"},
        {ErrorKind::kRequestTooLarge, 413, 413, "request_too_large", "invalid_request_error",
         "request_too_large"},
        {ErrorKind::kRateLimit, 429, 429, "rate_limit_error", "rate_limit_error",
         "rate_limit_exceeded"},
        {ErrorKind::kOverloaded, 529, 503, "overloaded_error", "server_error", nullptr},
        {ErrorKind::kApi, 502, 502, "api_error", "server_error", nullptr},
        {ErrorKind::kTimeout, 504, 504, "api_error", "server_error", "timeout"},
    };
    for (const auto& r : rows) {
        SCOPED_TRACE(r.anthropic_type);
        EXPECT_EQ(error_http_status(r.kind, true), r.anthropic_status);
        EXPECT_EQ(error_http_status(r.kind, false), r.openai_status);
        EXPECT_STREQ(error_type_anthropic(r.kind), r.anthropic_type);
        EXPECT_STREQ(error_type_openai(r.kind), r.openai_type);
        if (r.openai_code) {
            ASSERT_NE(error_code_openai(r.kind), nullptr);
            EXPECT_STREQ(error_code_openai(r.kind), r.openai_code);
        } else {
            EXPECT_EQ(error_code_openai(r.kind), nullptr);
        }
    }
}

// ---- classify_upstream_error ----------------------------------------------------------------

TEST(ClassifyUpstreamError, OpenAiContextLengthExceeded) {
    const char* body = R"({
  "error": {
    "message": "This model's maximum context length is 128000 tokens. However, your messages resulted in 130512 tokens. Please reduce the length of the messages.",
    "type": "invalid_request_error",
    "param": "messages",
    "code": "context_length_exceeded"
  }
})";
    Error e = classify_upstream_error(400, body);
    EXPECT_EQ(e.kind, ErrorKind::kContextLength);
    EXPECT_EQ(e.upstream_status, 400);
    EXPECT_EQ(e.message.rfind("This model's maximum context length is 128000 tokens.", 0), 0u)
        << e.message;
}

TEST(ClassifyUpstreamError, OpenAiInsufficientQuota) {
    const char* body =
        R"({"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}})";
    Error e = classify_upstream_error(429, body);
    EXPECT_EQ(e.kind, ErrorKind::kRateLimit);
    EXPECT_EQ(e.message,
              "You exceeded your current quota, please check your plan and billing details.");
}

TEST(ClassifyUpstreamError, OpenAiRateLimit) {
    const char* body =
        R"({"error":{"message":"Rate limit reached for gpt-4o in organization org-x on tokens per min (TPM): Limit 30000, Used 29000, Requested 2000. Please try again in 2s.","type":"tokens","param":null,"code":"rate_limit_exceeded"}})";
    Error e = classify_upstream_error(429, body);
    EXPECT_EQ(e.kind, ErrorKind::kRateLimit);
    EXPECT_NE(e.message.find("Please try again in 2s."), std::string::npos);
}

TEST(ClassifyUpstreamError, AnthropicOverloaded529) {
    const char* body =
        R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"})";
    Error e = classify_upstream_error(529, body);
    EXPECT_EQ(e.kind, ErrorKind::kOverloaded);
    EXPECT_EQ(e.message, "Overloaded");
    EXPECT_EQ(e.upstream_status, 529);
}

TEST(ClassifyUpstreamError, AnthropicPromptTooLong) {
    const char* body =
        R"({"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 210000 tokens > 200000 maximum"}})";
    Error e = classify_upstream_error(400, body);
    EXPECT_EQ(e.kind, ErrorKind::kContextLength);
    EXPECT_EQ(e.message, "prompt is too long: 210000 tokens > 200000 maximum");
}

TEST(ClassifyUpstreamError, AnthropicPlainInvalidRequest) {
    const char* body =
        R"({"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: Field required"}})";
    Error e = classify_upstream_error(400, body);
    EXPECT_EQ(e.kind, ErrorKind::kInvalidRequest);
    EXPECT_EQ(e.message, "max_tokens: Field required");
}

TEST(ClassifyUpstreamError, CodexDetailBody) {
    Error e = classify_upstream_error(400, R"({"detail":"Store must be set to false"})");
    EXPECT_EQ(e.kind, ErrorKind::kInvalidRequest);
    EXPECT_EQ(e.message, "Store must be set to false");
}

TEST(ClassifyUpstreamError, CodexUsageLimitReached) {
    const char* body =
        R"({"error":{"type":"usage_limit_reached","message":"The usage limit has been reached","plan_type":"plus","resets_in_seconds":3600}})";
    Error e = classify_upstream_error(429, body);
    EXPECT_EQ(e.kind, ErrorKind::kRateLimit);
    EXPECT_EQ(e.message, "The usage limit has been reached");
}

TEST(ClassifyUpstreamError, GeminiResourceExhaustedWrappedInArray) {
    // Code Assist wraps the Google error in a JSON array.
    const char* body = R"([{
  "error": {
    "code": 429,
    "message": "Resource has been exhausted (e.g. check quota).",
    "status": "RESOURCE_EXHAUSTED",
    "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0.8s"}]
  }
}])";
    Error e = classify_upstream_error(429, body);
    EXPECT_EQ(e.kind, ErrorKind::kRateLimit);
    EXPECT_EQ(e.message, "Resource has been exhausted (e.g. check quota).");
}

TEST(ClassifyUpstreamError, GeminiResourceExhaustedEvenWithOddStatus) {
    // The status word decides even when a proxy in between rewrote the HTTP status.
    const char* body =
        R"({"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED"}})";
    EXPECT_EQ(classify_upstream_error(500, body).kind, ErrorKind::kRateLimit);
}

TEST(ClassifyUpstreamError, GeminiInputTokenCountExceeds) {
    const char* body =
        R"({"error":{"code":400,"message":"The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).","status":"INVALID_ARGUMENT"}})";
    Error e = classify_upstream_error(400, body);
    EXPECT_EQ(e.kind, ErrorKind::kContextLength);
    EXPECT_NE(e.message.find("1048576"), std::string::npos);
}

TEST(ClassifyUpstreamError, GeminiUnavailableIsOverloaded) {
    const char* body =
        R"({"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}})";
    Error e = classify_upstream_error(503, body);
    EXPECT_EQ(e.kind, ErrorKind::kOverloaded);
}

TEST(ClassifyUpstreamError, NonJsonBodies) {
    Error e = classify_upstream_error(502, "<html><body><h1>502 Bad Gateway</h1></body></html>");
    EXPECT_EQ(e.kind, ErrorKind::kApi);
    EXPECT_EQ(e.message, "<html><body><h1>502 Bad Gateway</h1></body></html>");

    e = classify_upstream_error(503, "upstream connect error or disconnect/reset before headers");
    EXPECT_EQ(e.kind, ErrorKind::kOverloaded);

    e = classify_upstream_error(500, "");
    EXPECT_EQ(e.kind, ErrorKind::kApi);
    EXPECT_EQ(e.message, "upstream returned no body");

    // A huge body is shortened rather than copied whole into the client's error.
    e = classify_upstream_error(500, std::string(5000, 'x'));
    EXPECT_EQ(e.message.size(), 500u);
}

TEST(ClassifyUpstreamError, StatusFallbacks) {
    EXPECT_EQ(classify_upstream_error(401, "{}").kind, ErrorKind::kAuthentication);
    EXPECT_EQ(classify_upstream_error(403, "{}").kind, ErrorKind::kPermission);
    EXPECT_EQ(classify_upstream_error(404, "{}").kind, ErrorKind::kNotFound);
    EXPECT_EQ(classify_upstream_error(408, "{}").kind, ErrorKind::kTimeout);
    EXPECT_EQ(classify_upstream_error(413, "{}").kind, ErrorKind::kRequestTooLarge);
    EXPECT_EQ(classify_upstream_error(418, "{}").kind, ErrorKind::kInvalidRequest);
    EXPECT_EQ(classify_upstream_error(422, "{}").kind, ErrorKind::kInvalidRequest);
    EXPECT_EQ(classify_upstream_error(429, "{}").kind, ErrorKind::kRateLimit);
    EXPECT_EQ(classify_upstream_error(500, "{}").kind, ErrorKind::kApi);
    EXPECT_EQ(classify_upstream_error(504, "{}").kind, ErrorKind::kTimeout);
    EXPECT_EQ(classify_upstream_error(529, "{}").kind, ErrorKind::kOverloaded);
}

TEST(ClassifyUpstreamError, ContextWordsOnlyCountOnRequestErrors) {
    // A 500 that happens to mention the context window is not the client's overflow.
    Error e =
        classify_upstream_error(500, R"({"error":{"message":"context window cache failed"}})");
    EXPECT_EQ(e.kind, ErrorKind::kApi);
}

TEST(ClassifyUpstreamError, MessageUnescapesQuotesAndNewlines) {
    Error e = classify_upstream_error(400, R"({"error":{"message":"bad \"tool\"\nname"}})");
    EXPECT_EQ(e.message, "bad \"tool\"\nname");
}

}  // namespace
}  // namespace litellm::wire
