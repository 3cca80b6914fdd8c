#include "common/redact.hpp"

#include <gtest/gtest.h>

namespace litellm {
namespace {

void expect_hidden(const std::string& input, const std::string& secret) {
    std::string out = redact(input);
    EXPECT_EQ(out.find(secret), std::string::npos) << input << " -> " << out;
    EXPECT_NE(out.find(kRedacted), std::string::npos) << input << " -> " << out;
}

TEST(Redact, HeaderValues) {
    expect_hidden("Authorization: Bearer abcdef123456", "abcdef123456");
    expect_hidden("authorization: Basic dXNlcjpwYXNz", "dXNlcjpwYXNz");
    expect_hidden("x-api-key: plainkey99", "plainkey99");
    expect_hidden("X-Goog-Api-Key: AIzaFoo", "AIzaFoo");
}

TEST(Redact, KeepsSchemeWord) {
    EXPECT_EQ(redact("Authorization: Bearer abcdef123456"), "Authorization: Bearer [REDACTED]");
}

TEST(Redact, JsonFields) {
    expect_hidden(R"({"access_token":"tok-123","other":1})", "tok-123");
    expect_hidden(R"({"refresh_token": "r-456"})", "r-456");
    expect_hidden(R"({"api_key":"k\"with\"quotes","x":2})", "with");
    EXPECT_EQ(redact(R"({"id_token":"abc","n":1})"), R"({"id_token":"[REDACTED]","n":1})");
}

TEST(Redact, QueryAndFormValues) {
    expect_hidden("POST /token refresh_token=rt-1&client_id=app", "rt-1");
    expect_hidden("https://x.example/v1?key=AIzaSecret&alt=sse", "AIzaSecret");
    EXPECT_NE(redact("client_id=app").find("app"), std::string::npos);
}

TEST(Redact, TokenShapedWords) {
    expect_hidden("using sk-ant-api03-abcdefghijklmnop for the call", "abcdefghijklmnop");
    expect_hidden("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig", "eyJhbGciOiJIUzI1NiJ9");
    expect_hidden("google ya29.a0AfB_byC-token-value", "a0AfB_byC");
    expect_hidden("secret GOCSPX-abcdef123", "abcdef123");
}

TEST(Redact, LeavesOrdinaryTextAlone) {
    const std::string plain =
        "listening on http://127.0.0.1:4000 (35 models); max_tokens=100 input_tokens: 5 "
        "task-list sk-short";
    EXPECT_EQ(redact(plain), plain);
}

TEST(Redact, SecretHint) {
    EXPECT_EQ(secret_hint(""), "(empty)");
    EXPECT_EQ(secret_hint("short"), "…(5 chars)");
    EXPECT_EQ(secret_hint("sk-ant-0123456789"), "sk-a…(17 chars)");
}

TEST(Redact, UrlUserinfo) {
    EXPECT_EQ(redact("cannot reach https://alice:pw-s3cret@gw.corp:8443/v1 now"),
              "cannot reach https://[REDACTED]@gw.corp:8443/v1 now");
    EXPECT_EQ(redact("base http://tok@h/x"), "base http://[REDACTED]@h/x");
    EXPECT_EQ(redact("see https://example.com/a@b"), "see https://example.com/a@b");
}

}  // namespace
}  // namespace litellm
