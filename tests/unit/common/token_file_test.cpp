#include "common/token_file.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "common/fs.hpp"
#include "common/json.hpp"
#include "common/providers.hpp"

namespace litellm {
namespace {

TEST(TokenFile, ReadsOurShapeInSeconds) {
    auto p = parse_token_file(R"({"access_token":"a","refresh_token":"r","expires_at":1767225600,
        "resource_url":"portal.qwen.ai","token_type":"Bearer"})");
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_EQ(p.record.access_token, "a");
    EXPECT_EQ(p.record.refresh_token, "r");
    EXPECT_EQ(*p.record.expires_at, 1767225600);
    EXPECT_EQ(p.record.resource_url, "portal.qwen.ai");
}

TEST(TokenFile, ReadsTheOfficialClisShapes) {
    // Qwen Code and Gemini CLI: expiry_date in milliseconds.
    auto qwen = parse_token_file(R"({"access_token":"a","refresh_token":"r",
        "expiry_date":1767225600123})");
    ASSERT_TRUE(qwen.ok);
    EXPECT_EQ(*qwen.record.expires_at, 1767225600);
    // Codex: tokens one level down, last_refresh as RFC 3339.
    auto codex = parse_token_file(R"({"OPENAI_API_KEY":null,"tokens":{"id_token":"i",
        "access_token":"a","refresh_token":"r","account_id":"acc"},
        "last_refresh":"2026-11-30T10:00:00.5Z"})");
    ASSERT_TRUE(codex.ok);
    EXPECT_EQ(codex.record.id_token, "i");
    EXPECT_EQ(codex.record.account_id, "acc");
    EXPECT_EQ(*codex.record.last_refresh, 1796032800);  // 2026-11-30T10:00:00Z
    // Milliseconds in expires_at, and numbers as strings.
    EXPECT_EQ(
        *parse_token_file(R"({"access_token":"a","expires_at":1767225600000})").record.expires_at,
        1767225600);
    EXPECT_EQ(
        *parse_token_file(R"({"access_token":"a","expires_at":"1767225600.9"})").record.expires_at,
        1767225600);
}

TEST(TokenFile, RefusesWhatIsNoTokenFile) {
    EXPECT_NE(parse_token_file("{not json").error.find("is not valid JSON"), std::string::npos);
    EXPECT_EQ(parse_token_file("[1]").error, "is not a JSON object");
    EXPECT_EQ(parse_token_file(R"({"access_token":""})").error,
              "has no access_token or refresh_token");
    EXPECT_EQ(parse_token_file("").ok, false);
}

TEST(TokenFile, RewritingKeepsOtherFieldsAndDropsEmptyOnes) {
    auto p = parse_token_file(R"({"access_token":"old","refresh_token":"r","expires_at":1,
        "project_id":"proj","someone_elses":{"x":1},"email":"a@b"})");
    ASSERT_TRUE(p.ok);
    TokenRecord r = p.record;
    r.access_token = "new";
    r.expires_at = 2;
    r.email.clear();
    r.last_refresh = 3;
    std::string text = serialize_token_file(r);
    EXPECT_EQ(text.back(), '\n');
    rapidjson::Document d;
    ASSERT_TRUE(json_parse(text, d));
    EXPECT_STREQ(d["access_token"].GetString(), "new");
    EXPECT_EQ(d["expires_at"].GetInt64(), 2);
    EXPECT_EQ(d["last_refresh"].GetInt64(), 3);
    EXPECT_STREQ(d["project_id"].GetString(), "proj");
    EXPECT_EQ(d["someone_elses"]["x"].GetInt(), 1);
    EXPECT_FALSE(d.HasMember("email"));
    // Round trip.
    auto again = parse_token_file(text);
    ASSERT_TRUE(again.ok);
    EXPECT_EQ(again.record.access_token, "new");
    EXPECT_EQ(again.record.project_id, "proj");
}

TEST(TokenFile, ExpiryDateIsReplacedByExpiresAt) {
    auto p =
        parse_token_file(R"({"access_token":"a","refresh_token":"r","expiry_date":5000000000000})");
    ASSERT_TRUE(p.ok);
    std::string text = serialize_token_file(p.record);
    EXPECT_EQ(text.find("expiry_date"), std::string::npos) << text;
    EXPECT_NE(text.find("\"expires_at\": 5000000000"), std::string::npos) << text;
}

TEST(TokenFile, PathsHonourTheOriginalsOverrides) {
    const ProviderInfo* qwen = find_provider("qwen_portal");
    ASSERT_NE(qwen, nullptr);
    ::unsetenv("QWEN_PORTAL_TOKEN_DIR");
    ::unsetenv("QWEN_PORTAL_AUTH_FILE");
    EXPECT_EQ(token_file_path(*qwen, "/h"), "/h/auth.qwen_portal.json");
    ::setenv("QWEN_PORTAL_TOKEN_DIR", "/elsewhere", 1);
    EXPECT_EQ(token_file_path(*qwen, "/h"), "/elsewhere/auth.qwen_portal.json");
    ::setenv("QWEN_PORTAL_AUTH_FILE", "mine.json", 1);
    EXPECT_EQ(token_file_path(*qwen, "/h"), "/elsewhere/mine.json");
    ::setenv("QWEN_PORTAL_AUTH_FILE", "/abs/t.json", 1);
    EXPECT_EQ(token_file_path(*qwen, "/h"), "/abs/t.json");
    ::unsetenv("QWEN_PORTAL_TOKEN_DIR");
    ::unsetenv("QWEN_PORTAL_AUTH_FILE");
}

TEST(TokenFile, WritesArePrivateAndTheLockExcludesASecondWriter) {
    std::string dir = (std::filesystem::temp_directory_path() / "token-file-XXXXXX").string();
    ASSERT_NE(::mkdtemp(dir.data()), nullptr);
    std::string path = dir + "/sub/auth.x.json";
    TokenRecord r;
    r.access_token = "a";
    std::string error;
    ASSERT_TRUE(write_token_file(path, r, &error)) << error;
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    {
        TokenFileLock first(path), second(path);
        ASSERT_TRUE(first.acquire(100, &error)) << error;
        EXPECT_FALSE(second.acquire(100, &error));
        EXPECT_NE(error.find("held by another writer"), std::string::npos) << error;
    }
    TokenFileLock again(path);
    EXPECT_TRUE(again.acquire(100, &error)) << error;
    std::filesystem::remove_all(dir);
}

TEST(TokenFile, ExpiryText) {
    TokenRecord r;
    EXPECT_EQ(expiry_text(r, 100), "no expiry recorded");
    r.expires_at = 100 + 3 * 3600 + 120;
    EXPECT_EQ(expiry_text(r, 100), "expires in 3h 2m");
    r.expires_at = 40;
    EXPECT_EQ(expiry_text(r, 100), "expired 1m ago");
}

// Found by fuzz_config: with a key given twice, the rewrite replaced one copy and kept the
// other, so the file read back the stale token.
TEST(TokenFile, ARewriteLeavesNoDuplicateKeyBehind) {
    TokenParse p =
        parse_token_file(R"({"access_token":"a1","refresh_token":"r1","refresh_token":"r-stale",)"
                         R"("expiry_date":1,"expiry_date":2})");
    ASSERT_TRUE(p.ok) << p.error;
    p.record.refresh_token = "r2";
    std::string text = serialize_token_file(p.record);
    EXPECT_EQ(text.find("r-stale"), std::string::npos) << text;
    EXPECT_EQ(text.find("expiry_date"), std::string::npos) << text;
    TokenParse again = parse_token_file(text);
    ASSERT_TRUE(again.ok) << again.error;
    EXPECT_EQ(again.record.refresh_token, "r2");
}

}  // namespace
}  // namespace litellm
