#include "common/dotenv.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

namespace litellm {
namespace {

// Sets or unsets an environment variable for one test and restores it afterwards.
class ScopedEnv {
  public:
    ScopedEnv(const char* name, const char* value) : m_name(name) {
        if (const char* old = std::getenv(name)) m_old = old;
        if (value) {
            ::setenv(name, value, 1);
        } else {
            ::unsetenv(name);
        }
    }
    ~ScopedEnv() {
        if (m_old) {
            ::setenv(m_name.c_str(), m_old->c_str(), 1);
        } else {
            ::unsetenv(m_name.c_str());
        }
    }

  private:
    std::string m_name;
    std::optional<std::string> m_old;
};

std::string env_or(const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return v ? v : fallback;
}

// A .env file in a fresh temporary directory, removed at the end of the test.
class DotenvFile : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string tmpl =
            (std::filesystem::temp_directory_path() / "litellm-dotenv-XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        m_dir = tmpl;
        m_path = (m_dir / ".env").string();
    }
    void TearDown() override { std::filesystem::remove_all(m_dir); }

    void write(const std::string& text) {
        std::ofstream out(m_path, std::ios::trunc);
        out << text;
    }

    std::filesystem::path m_dir;
    std::string m_path;
};

TEST(ParseDotenv, BasicLinesCommentsAndExport) {
    std::vector<int> bad;
    auto entries = parse_dotenv(
        "# a comment\n"         // 1
        "\n"                    // 2
        "A=1\n"                 // 3
        "export B=two\n"        // 4
        "  C = spaced  \n"      // 5
        "   # indented note\n"  // 6
        "D=\n",                 // 7
        &bad);
    EXPECT_TRUE(bad.empty());
    ASSERT_EQ(entries.size(), 4u);
    EXPECT_EQ(entries[0].key, "A");
    EXPECT_EQ(entries[0].value, "1");
    EXPECT_EQ(entries[0].line, 3);
    EXPECT_EQ(entries[1].key, "B");
    EXPECT_EQ(entries[1].value, "two");
    EXPECT_EQ(entries[1].line, 4);
    EXPECT_EQ(entries[2].key, "C");
    EXPECT_EQ(entries[2].value, "spaced");
    EXPECT_EQ(entries[3].key, "D");
    EXPECT_EQ(entries[3].value, "");
    EXPECT_EQ(entries[3].line, 7);
}

TEST(ParseDotenv, Quotes) {
    std::vector<int> bad;
    auto entries = parse_dotenv(
        "S='lit $HOME \\n # not a comment'\n"
        "D=\"line1\\nline2 \\\"q\\\" back\\\\slash \\x\"\n"
        "E=\"\"\n"
        "T='x'   # trailing comment\n",
        &bad);
    EXPECT_TRUE(bad.empty());
    ASSERT_EQ(entries.size(), 4u);
    EXPECT_EQ(entries[0].value, "lit $HOME \\n # not a comment");
    EXPECT_EQ(entries[1].value, "line1\nline2 \"q\" back\\slash \\x");
    EXPECT_EQ(entries[2].value, "");
    EXPECT_EQ(entries[3].value, "x");
}

TEST(ParseDotenv, UnquotedInlineComments) {
    auto entries = parse_dotenv("A=value # comment\nB=pa#ss\nC=#hash\nD=a\t#tab comment\n");
    ASSERT_EQ(entries.size(), 4u);
    EXPECT_EQ(entries[0].value, "value");
    EXPECT_EQ(entries[1].value, "pa#ss");
    EXPECT_EQ(entries[2].value, "#hash");
    EXPECT_EQ(entries[3].value, "a");
}

TEST(ParseDotenv, BadLinesAreReportedAndSkipped) {
    std::vector<int> bad;
    auto entries = parse_dotenv(
        "GOOD=1\n"            // 1
        "no equals sign\n"    // 2
        "1BAD=x\n"            // 3
        "=novalue\n"          // 4
        "Q='unterminated\n"   // 5
        "R=\"junk\" after\n"  // 6
        "export\n"            // 7
        "ALSO_GOOD=2\n"       // 8
        "KEY-DASH=3\n",       // 9
        &bad);
    EXPECT_EQ(bad, (std::vector<int>{2, 3, 4, 5, 6, 7, 9}));
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_EQ(entries[0].key, "GOOD");
    EXPECT_EQ(entries[1].key, "ALSO_GOOD");
    EXPECT_EQ(entries[1].line, 8);
}

TEST(ParseDotenv, CrlfBomAndNoTrailingNewline) {
    auto entries = parse_dotenv(
        "\xEF\xBB\xBF"
        "A=1\r\nB='2'\r\nC=3");
    ASSERT_EQ(entries.size(), 3u);
    EXPECT_EQ(entries[0].key, "A");
    EXPECT_EQ(entries[0].value, "1");
    EXPECT_EQ(entries[1].value, "2");
    EXPECT_EQ(entries[2].value, "3");
    EXPECT_EQ(entries[2].line, 3);
}

TEST(ParseDotenv, KeyNamedExport) {
    auto entries = parse_dotenv("export=1\nexport  X=2\n");
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_EQ(entries[0].key, "export");
    EXPECT_EQ(entries[1].key, "X");
    EXPECT_EQ(entries[1].value, "2");
}

TEST_F(DotenvFile, MissingFileSetsNothing) {
    std::set<std::string> owned;
    EXPECT_EQ(load_dotenv_file((m_dir / "absent.env").string(), &owned), 0);
    EXPECT_TRUE(owned.empty());
}

TEST_F(DotenvFile, ExistingVariablesWin) {
    ScopedEnv pre("LITELLM_TEST_DOTENV_PRE", "from-shell");
    ScopedEnv fresh("LITELLM_TEST_DOTENV_NEW", nullptr);
    ScopedEnv empty("LITELLM_TEST_DOTENV_EMPTY", "");
    write(
        "LITELLM_TEST_DOTENV_PRE=from-file\n"
        "LITELLM_TEST_DOTENV_NEW='new value'\n"
        "LITELLM_TEST_DOTENV_EMPTY=filled\n");
    std::set<std::string> owned;
    EXPECT_EQ(load_dotenv_file(m_path, &owned), 1);
    EXPECT_EQ(env_or("LITELLM_TEST_DOTENV_PRE", "?"), "from-shell");
    EXPECT_EQ(env_or("LITELLM_TEST_DOTENV_NEW", "?"), "new value");
    // Set-but-empty still counts as set by the user.
    EXPECT_EQ(env_or("LITELLM_TEST_DOTENV_EMPTY", "?"), "");
    EXPECT_EQ(owned, (std::set<std::string>{"LITELLM_TEST_DOTENV_NEW"}));
}

TEST_F(DotenvFile, ReloadUpdatesOwnedVariablesOnly) {
    ScopedEnv mine("LITELLM_TEST_DOTENV_MINE", nullptr);
    ScopedEnv theirs("LITELLM_TEST_DOTENV_THEIRS", nullptr);
    std::set<std::string> owned;
    write("LITELLM_TEST_DOTENV_MINE=v1\n");
    EXPECT_EQ(load_dotenv_file(m_path, &owned), 1);
    EXPECT_EQ(env_or("LITELLM_TEST_DOTENV_MINE", "?"), "v1");

    // Someone else sets THEIRS after the first load; the reload must not touch it.
    ::setenv("LITELLM_TEST_DOTENV_THEIRS", "external", 1);
    write("LITELLM_TEST_DOTENV_MINE=v2\nLITELLM_TEST_DOTENV_THEIRS=from-file\n");
    EXPECT_EQ(load_dotenv_file(m_path, &owned), 1);
    EXPECT_EQ(env_or("LITELLM_TEST_DOTENV_MINE", "?"), "v2");
    EXPECT_EQ(env_or("LITELLM_TEST_DOTENV_THEIRS", "?"), "external");
    EXPECT_EQ(owned, (std::set<std::string>{"LITELLM_TEST_DOTENV_MINE"}));
}

TEST_F(DotenvFile, WithoutOwnedSetNothingIsOverridden) {
    ScopedEnv a("LITELLM_TEST_DOTENV_A", nullptr);
    write("LITELLM_TEST_DOTENV_A=1\n");
    EXPECT_EQ(load_dotenv_file(m_path), 1);
    write("LITELLM_TEST_DOTENV_A=2\n");
    EXPECT_EQ(load_dotenv_file(m_path), 0);
    EXPECT_EQ(env_or("LITELLM_TEST_DOTENV_A", "?"), "1");
}

TEST_F(DotenvFile, RepeatedKeyInOneFileLastWins) {
    ScopedEnv a("LITELLM_TEST_DOTENV_DUP", nullptr);
    write("LITELLM_TEST_DOTENV_DUP=first\nbad line\nLITELLM_TEST_DOTENV_DUP=second\n");
    EXPECT_EQ(load_dotenv_file(m_path), 1);
    EXPECT_EQ(env_or("LITELLM_TEST_DOTENV_DUP", "?"), "second");
}

TEST_F(DotenvFile, AKeyDeletedFromTheFileIsGoneAfterTheReload) {
    ScopedEnv kept("LITELLM_TEST_DOTENV_KEPT", nullptr);
    ScopedEnv gone("LITELLM_TEST_DOTENV_GONE", nullptr);
    ScopedEnv shell("LITELLM_TEST_DOTENV_SHELL", "from-shell");
    std::set<std::string> owned;
    write("LITELLM_TEST_DOTENV_KEPT=1\nLITELLM_TEST_DOTENV_GONE=2\nLITELLM_TEST_DOTENV_SHELL=3\n");
    EXPECT_EQ(load_dotenv_file(m_path, &owned), 2);
    write("LITELLM_TEST_DOTENV_KEPT=1\n");
    EXPECT_EQ(load_dotenv_file(m_path, &owned), 1);
    EXPECT_EQ(env_or("LITELLM_TEST_DOTENV_KEPT", "?"), "1");
    EXPECT_EQ(env_or("LITELLM_TEST_DOTENV_GONE", "?"), "?");            // unset, not kept
    EXPECT_EQ(env_or("LITELLM_TEST_DOTENV_SHELL", "?"), "from-shell");  // never ours
    EXPECT_EQ(owned, (std::set<std::string>{"LITELLM_TEST_DOTENV_KEPT"}));
    // The whole file deleted: every key it gave goes with it.
    std::filesystem::remove(m_path);
    EXPECT_EQ(load_dotenv_file(m_path, &owned), 0);
    EXPECT_EQ(env_or("LITELLM_TEST_DOTENV_KEPT", "?"), "?");
    EXPECT_TRUE(owned.empty());
}

}  // namespace
}  // namespace litellm
