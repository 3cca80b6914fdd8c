#include "common/text.hpp"

#include <gtest/gtest.h>

namespace litellm {
namespace {

TEST(EditDistance, CountsInsertsDeletesAndSubstitutions) {
    EXPECT_EQ(edit_distance("", ""), 0u);
    EXPECT_EQ(edit_distance("status", "status"), 0u);
    EXPECT_EQ(edit_distance("stauts", "status"), 2u);  // a swap is two edits
    EXPECT_EQ(edit_distance("log", "logs"), 1u);
    EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
    EXPECT_EQ(edit_distance("", "abc"), 3u);
}

TEST(ClosestMatch, SuggestsOnlyNearNames) {
    std::vector<std::string> commands = {"status", "start", "stop", "restart", "logs"};
    EXPECT_EQ(closest_match("stauts", commands), "status");
    EXPECT_EQ(closest_match("restrat", commands), "restart");
    EXPECT_EQ(closest_match("log", commands), "logs");
    EXPECT_EQ(closest_match("frobnicate", commands), "");
    EXPECT_EQ(closest_match("stop", commands), "stop");
    EXPECT_EQ(closest_match("x", {}), "");
}

TEST(WildcardMatch, StarsMatchAnyRun) {
    EXPECT_TRUE(wildcard_match("*", "anything/at-all"));
    EXPECT_TRUE(wildcard_match("*", ""));
    EXPECT_TRUE(wildcard_match("anthropic/*", "anthropic/claude-x"));
    EXPECT_FALSE(wildcard_match("anthropic/*", "openai/gpt"));
    EXPECT_TRUE(wildcard_match("claude-*-4-5", "claude-sonnet-4-5"));
    EXPECT_FALSE(wildcard_match("claude-*-4-5", "claude-sonnet-4-6"));
    EXPECT_TRUE(wildcard_match("exact", "exact"));
    EXPECT_FALSE(wildcard_match("exact", "exact2"));
    EXPECT_TRUE(wildcard_match("a*b*c", "aXXbYYc"));
    EXPECT_FALSE(wildcard_match("a*b*c", "aXXcYYb"));
}

}  // namespace
}  // namespace litellm
