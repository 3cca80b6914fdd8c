// estimate_input_tokens: the local count_tokens answer for non-Anthropic upstreams. Claude Code
// sizes auto-compaction from it, so it must grow with everything that is sent and err high.

#include <gtest/gtest.h>

#include <string>

#include "daemon/proxy/proxy.hpp"
#include "daemon/wire/anthropic.hpp"

namespace litellm::proxy {
namespace {

using wire::Block;
using wire::BlockType;
using wire::Message;
using wire::Request;
using wire::Role;

Block text_block(std::string text) {
    Block b;
    b.text = std::move(text);
    return b;
}

Request one_user_message(std::string text) {
    Request r;
    r.model = "m";
    Message m;
    m.role = Role::kUser;
    m.blocks.push_back(text_block(std::move(text)));
    r.messages.push_back(std::move(m));
    return r;
}

// Plain English prose, ~4.5 bytes per token with real tokenizers.
std::string english(size_t min_bytes) {
    static const std::string kSentence =
        "The quick brown fox jumps over the lazy dog while the committee reviews the quarterly "
        "budget and discusses how the new gateway should translate streaming responses. ";
    std::string out;
    while (out.size() < min_bytes)
        out += kSentence;
    return out;
}

TEST(EstimateInputTokens, GrowsWithMessageText) {
    std::int64_t small = estimate_input_tokens(one_user_message(english(100)));
    std::int64_t large = estimate_input_tokens(one_user_message(english(10000)));
    EXPECT_GT(small, 0);
    EXPECT_GT(large, small + 2000);  // ~10 KB of text is thousands of tokens, not a rounding
}

TEST(EstimateInputTokens, ErrsHighForEnglish) {
    for (size_t n : {200u, 4000u, 100000u}) {
        std::string text = english(n);
        std::int64_t est = estimate_input_tokens(one_user_message(text));
        EXPECT_GE(est, static_cast<std::int64_t>(text.size() / 4)) << n << " bytes";
        // ...but not absurdly high (that would compact far too early).
        EXPECT_LE(est, static_cast<std::int64_t>(text.size() / 2) + 64) << n << " bytes";
    }
}

TEST(EstimateInputTokens, CountsSystem) {
    Request base = one_user_message("hi");
    Request with_system = base;
    with_system.system.push_back(text_block(english(4000)));
    EXPECT_GE(estimate_input_tokens(with_system) - estimate_input_tokens(base), 1000);
}

TEST(EstimateInputTokens, CountsSystemRoleMessages) {
    Request base = one_user_message("hi");
    Request with_system = base;
    Message sys;
    sys.role = Role::kSystem;
    sys.blocks.push_back(text_block(english(4000)));
    with_system.messages.push_back(sys);
    EXPECT_GE(estimate_input_tokens(with_system) - estimate_input_tokens(base), 1000);
}

TEST(EstimateInputTokens, CountsToolDefinitions) {
    Request base = one_user_message("hi");
    Request with_tools = base;
    wire::Tool t;
    t.name = "get_weather";
    t.description = english(2000);
    t.schema_json =
        R"({"type":"object","properties":{"city":{"type":"string","description":"City name"}},"required":["city"]})";
    with_tools.tools.push_back(t);
    std::int64_t one = estimate_input_tokens(with_tools);
    EXPECT_GE(one - estimate_input_tokens(base), 500);
    with_tools.tools.push_back(t);
    EXPECT_GE(estimate_input_tokens(with_tools) - one, 500);  // each tool counts
}

TEST(EstimateInputTokens, CountsImagesAsHundredsOfTokens) {
    Request base = one_user_message("what is in this picture?");
    Request with_image = base;
    Block img;
    img.type = BlockType::kImage;
    img.media_type = "image/png";
    img.data = "iVBORw0KGgo=";  // tiny payload: the cost is per image, not per byte
    with_image.messages[0].blocks.push_back(img);
    std::int64_t one = estimate_input_tokens(with_image);
    EXPECT_GE(one - estimate_input_tokens(base), 1000);
    with_image.messages[0].blocks.push_back(img);
    EXPECT_GE(estimate_input_tokens(with_image) - one, 1000);
}

TEST(EstimateInputTokens, CountsToolUseAndToolResultContent) {
    Request base = one_user_message("hi");
    Request with_tools = base;
    Message asst;
    asst.role = Role::kAssistant;
    Block use;
    use.type = BlockType::kToolUse;
    use.id = "toolu_1";
    use.name = "read_file";
    use.input_json = R"({"path":")" + std::string(3000, 'a') + R"("})";
    asst.blocks.push_back(use);
    Message user;
    user.role = Role::kUser;
    Block result;
    result.type = BlockType::kToolResult;
    result.id = "toolu_1";
    result.content.push_back(text_block(english(6000)));
    user.blocks.push_back(result);
    with_tools.messages.push_back(asst);
    std::int64_t after_use = estimate_input_tokens(with_tools);
    EXPECT_GE(after_use - estimate_input_tokens(base), 750);
    with_tools.messages.push_back(user);
    EXPECT_GE(estimate_input_tokens(with_tools) - after_use, 1500);
}

TEST(EstimateInputTokens, FromADecodedClaudeCodeBody) {
    // The path count_tokens takes: decode the body, then estimate.
    std::string big = english(8000);
    std::string body =
        R"({"model":"claude-sonnet-4-5","system":[{"type":"text","text":")" + big +
        R"("}],"messages":[{"role":"user","content":"hello"}],"tools":[{"name":"Bash","description":"Run a command","input_schema":{"type":"object","properties":{"command":{"type":"string"}}}}]})";
    Request r;
    std::string error;
    ASSERT_TRUE(wire::anthropic::decode_request(body, r, &error)) << error;
    EXPECT_GE(estimate_input_tokens(r), static_cast<std::int64_t>(body.size() / 4));
}

}  // namespace
}  // namespace litellm::proxy
