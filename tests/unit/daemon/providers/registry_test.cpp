#include "daemon/providers/provider.hpp"

#include <gtest/gtest.h>

namespace litellm::providers {
namespace {

TEST(RetryHintInBody, WordsAndFields) {
    EXPECT_EQ(retry_hint_in_body(
                  R"({"error":{"message":"Rate limit reached. Please try again in 20s."}})"),
              20.0);
    EXPECT_DOUBLE_EQ(*retry_hint_in_body("Please try again in 1.5s"), 1.5);
    EXPECT_DOUBLE_EQ(*retry_hint_in_body("try again in 350ms"), 0.35);
    EXPECT_EQ(retry_hint_in_body("Retry after 30 seconds"), 30.0);
    EXPECT_EQ(
        retry_hint_in_body(R"({"error":{"type":"usage_limit_reached","resets_in_seconds": 9}})"),
        9.0);
    EXPECT_EQ(retry_hint_in_body(R"({"retry_after":12})"), 12.0);
    EXPECT_EQ(retry_hint_in_body(R"({"error":{"message":"slow down"}})"), std::nullopt);
    EXPECT_EQ(retry_hint_in_body("try again in a while"), std::nullopt);
}

TEST(Registry, BuiltInFamiliesAreRegistered) {
    for (const char* prefix : {"anthropic", "openai", "zai", "dashscope", "qwen_portal", "chatgpt",
                               "gemini", "gemini_cli"}) {
        const Provider* p = find(prefix);
        ASSERT_NE(p, nullptr) << prefix;
    }
    EXPECT_EQ(find("anthropic")->format(), WireFormat::kAnthropicMessages);
    EXPECT_EQ(find("dashscope")->format(), WireFormat::kOpenAIChat);
    EXPECT_TRUE(find("anthropic")->accepts_signature("anthropic"));
    EXPECT_FALSE(find("anthropic")->accepts_signature(""));
    EXPECT_FALSE(find("openai")->accepts_signature("anthropic"));
    EXPECT_EQ(find("chatgpt")->format(), WireFormat::kOpenAIResponses);
    EXPECT_TRUE(find("chatgpt")->always_streams());
    EXPECT_TRUE(find("chatgpt")->accepts_signature("chatgpt"));
    EXPECT_FALSE(find("chatgpt")->accepts_signature("anthropic"));
    for (const char* gemini : {"gemini", "gemini_cli"}) {
        EXPECT_EQ(find(gemini)->format(), WireFormat::kGemini);
        EXPECT_TRUE(find(gemini)->accepts_signature("gemini"));
        EXPECT_FALSE(find(gemini)->accepts_signature("chatgpt"));
    }
    EXPECT_EQ(find("nonsense"), nullptr);
}

TEST(Classify, A429WithoutRetryAfterUsesTheHintInItsBody) {
    const Provider* p = find("openai");
    ASSERT_NE(p, nullptr);
    wire::Error e = p->classify(
        429,
        R"({"error":{"message":"Rate limit reached for gpt-4o. Please try again in 7s.","type":"requests","code":"rate_limit_exceeded"}})",
        {});
    EXPECT_EQ(e.kind, wire::ErrorKind::kRateLimit);
    ASSERT_TRUE(e.retry_after_s);
    EXPECT_EQ(*e.retry_after_s, 7.0);
    // The header wins over the body.
    e = p->classify(429, "try again in 7s", {{"retry-after", "3"}});
    EXPECT_EQ(*e.retry_after_s, 3.0);
}

}  // namespace
}  // namespace litellm::providers
