#include "ctl/toggle_claude.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "common/fs.hpp"
#include "common/json.hpp"
#include "proto/errors.hpp"

namespace litellm::ctl {
namespace {

namespace fs = std::filesystem;
using Action = ToggleClaudeOptions::Action;
using toggle_detail::detect_json_style;
using toggle_detail::is_loopback_url;
using toggle_detail::JsonStyle;
using toggle_detail::mask_secret;
using toggle_detail::render_json;

// A settings file as Claude Code writes it (2-space JSON), with settings of every JSON type and
// env vars of the user's own, one of them a key proxy mode overwrites.
const char* const kRichSettings = R"json({
  "$schema": "https://json.schemastore.org/claude-code-settings.json",
  "model": "opus",
  "permissions": {
    "allow": [
      "Bash(npm run lint)",
      "Read(~/.zshrc)"
    ],
    "deny": [],
    "defaultMode": "acceptEdits"
  },
  "env": {
    "BASH_DEFAULT_TIMEOUT_MS": "60000",
    "ANTHROPIC_DEFAULT_OPUS_MODEL": "my-own-opus",
    "DISABLE_TELEMETRY": "1",
    "CLAUDE_CODE_MAX_OUTPUT_TOKENS": "32000"
  },
  "hooks": {
    "PostToolUse": [
      {
        "matcher": "Edit|Write",
        "hooks": [
          {
            "type": "command",
            "command": "prettier --write \"$FILE\""
          }
        ]
      }
    ]
  },
  "includeCoAuthoredBy": false,
  "cleanupPeriodDays": 30,
  "ratio": 0.25,
  "statusLine": null,
  "note": "café \"quoted\" \\ back",
  "feedbackSurveyState": {
    "lastShownTime": 1754000000000
  }
}
)json";

struct RunOutput {
    int rc = -1;
    std::string out;
    std::string err;
};

class ToggleClaudeTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string tmpl = (fs::temp_directory_path() / "litellm-tc-XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        m_dir = tmpl;
        m_home = m_dir + "/home";
        m_settings = m_dir + "/claude/settings.json";
        fs::create_directories(m_home);
        ::unsetenv("TC_UNIT_MASTER_KEY");
    }

    void TearDown() override {
        ::unsetenv("TC_UNIT_MASTER_KEY");
        std::error_code ec;
        fs::remove_all(m_dir, ec);
    }

    RunOutput run(Action action, bool json = false, int port = 0) {
        ToggleClaudeOptions o;
        o.home = m_home;
        o.socket_path = m_dir + "/no-daemon.sock";
        o.action = action;
        o.json = json;
        o.port = port;
        o.settings_path = m_settings;
        RunOutput r;
        ::testing::internal::CaptureStdout();
        ::testing::internal::CaptureStderr();
        r.rc = toggle_claude(o);
        r.out = ::testing::internal::GetCapturedStdout();
        r.err = ::testing::internal::GetCapturedStderr();
        return r;
    }

    void write_settings(const std::string& text, mode_t mode = 0644) {
        fs::create_directories(fs::path(m_settings).parent_path());
        std::ofstream(m_settings, std::ios::binary) << text;
        ::chmod(m_settings.c_str(), mode);
    }

    std::string settings_text() const { return read_file(m_settings).value_or("<missing>"); }

    rapidjson::Document settings_json() const {
        rapidjson::Document d;
        std::string err;
        EXPECT_TRUE(json_parse(settings_text(), d, &err)) << err;
        return d;
    }

    std::string env_value(const char* key) const {
        rapidjson::Document d = settings_json();
        if (!d.IsObject() || !d.HasMember("env") || !d["env"].HasMember(key)) return "<absent>";
        return d["env"][key].GetString();
    }

    std::string state_path() const { return m_home + "/toggle-claude.json"; }

    std::string m_dir;
    std::string m_home;
    std::string m_settings;
};

mode_t file_mode(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return 0;
    return st.st_mode & 07777;
}

timespec file_mtime(const std::string& path) {
    struct stat st {};
    ::stat(path.c_str(), &st);
    return st.st_mtim;
}

// ---- helpers --------------------------------------------------------------------------------

TEST(ToggleClaudeDetail, LoopbackUrls) {
    EXPECT_TRUE(is_loopback_url("http://127.0.0.1:4000"));
    EXPECT_TRUE(is_loopback_url("http://127.0.0.1"));
    EXPECT_TRUE(is_loopback_url("http://localhost:4000/"));
    EXPECT_TRUE(is_loopback_url("HTTP://LOCALHOST:4000"));
    EXPECT_TRUE(is_loopback_url("https://127.1.2.3:8443/v1"));
    EXPECT_TRUE(is_loopback_url("http://[::1]:4000"));
    EXPECT_TRUE(is_loopback_url("http://user:pw@127.0.0.1:4000"));
    EXPECT_FALSE(is_loopback_url("https://api.anthropic.com"));
    EXPECT_FALSE(is_loopback_url("http://127.0.0.1.evil.example:4000"));
    EXPECT_FALSE(is_loopback_url("http://localhost.example.com"));
    EXPECT_FALSE(is_loopback_url("http://evil.example/?u=127.0.0.1"));
    EXPECT_FALSE(is_loopback_url("http://127.0.0.1@evil.example"));
    EXPECT_FALSE(is_loopback_url("127.0.0.1:4000"));
    EXPECT_FALSE(is_loopback_url("ftp://127.0.0.1"));
    EXPECT_FALSE(is_loopback_url(""));
}

TEST(ToggleClaudeDetail, MaskShowsFourCharactersAndLength) {
    EXPECT_EQ(mask_secret("sk-1234567890abcdef"), "sk-1... (19 chars)");
    EXPECT_EQ(mask_secret("short"), "**** (5 chars)");
    EXPECT_EQ(mask_secret(""), "**** (0 chars)");
}

TEST(ToggleClaudeDetail, StyleDetectionAndRendering) {
    JsonStyle two = detect_json_style("{\n  \"a\": 1\n}\n");
    EXPECT_EQ(two.indent_char, ' ');
    EXPECT_EQ(two.indent_width, 2u);
    EXPECT_TRUE(two.trailing_newline);
    EXPECT_FALSE(two.crlf);

    JsonStyle four = detect_json_style("{\n    \"a\": {\n        \"b\": 1\n    }\n}");
    EXPECT_EQ(four.indent_width, 4u);
    EXPECT_FALSE(four.trailing_newline);

    JsonStyle tab = detect_json_style("{\r\n\t\"a\": 1\r\n}\r\n");
    EXPECT_EQ(tab.indent_char, '\t');
    EXPECT_EQ(tab.indent_width, 1u);
    EXPECT_TRUE(tab.crlf);

    JsonStyle compact = detect_json_style("{\"a\":1}");
    EXPECT_EQ(compact.indent_width, 2u);
    EXPECT_EQ(compact.indent_char, ' ');

    // Each of these must come back byte for byte.
    for (const char* text : {"{\n    \"a\": {\n        \"b\": [\n            1,\n            2\n"
                             "        ]\n    }\n}",
                             "{\r\n\t\"a\": 1\r\n}\r\n", kRichSettings}) {
        rapidjson::Document d;
        d.Parse<rapidjson::kParseFullPrecisionFlag>(text);
        ASSERT_FALSE(d.HasParseError()) << text;
        EXPECT_EQ(render_json(d, detect_json_style(text)), text);
    }
}

// ---- round trips ----------------------------------------------------------------------------

TEST_F(ToggleClaudeTest, ProxyThenDirectRestoresTheFileByteForByte) {
    write_settings(kRichSettings, 0640);

    RunOutput p = run(Action::kProxy, false, 4123);
    ASSERT_EQ(p.rc, 0) << p.err;
    EXPECT_EQ(env_value("ANTHROPIC_BASE_URL"), "http://127.0.0.1:4123");
    EXPECT_EQ(env_value("ANTHROPIC_AUTH_TOKEN"), "litellmd-no-master-key");
    EXPECT_EQ(env_value("ANTHROPIC_DEFAULT_OPUS_MODEL"), "claude-opus-4-6");
    EXPECT_EQ(env_value("ANTHROPIC_DEFAULT_SONNET_MODEL"), "claude-sonnet-4-5");
    EXPECT_EQ(env_value("ANTHROPIC_DEFAULT_HAIKU_MODEL"), "claude-haiku-4-5");
    EXPECT_EQ(env_value("DISABLE_TELEMETRY"), "1");
    EXPECT_EQ(env_value("BASH_DEFAULT_TIMEOUT_MS"), "60000");
    // Other settings and the key order survive.
    rapidjson::Document d = settings_json();
    EXPECT_EQ(d.MemberBegin()->name.GetString(), std::string("$schema"));
    EXPECT_EQ(d["feedbackSurveyState"]["lastShownTime"].GetInt64(), 1754000000000);
    EXPECT_EQ(std::string(d["env"].MemberBegin()->name.GetString()), "BASH_DEFAULT_TIMEOUT_MS");
    EXPECT_EQ(std::string((d["env"].MemberBegin() + 1)->name.GetString()),
              "ANTHROPIC_DEFAULT_OPUS_MODEL");
    // The user's 0640 is narrowed: the file now holds the master key, and the backup will
    // once the user switches back.
    EXPECT_EQ(file_mode(m_settings), 0600u);
    EXPECT_EQ(read_file(m_settings + ".bak").value_or(""), kRichSettings);
    EXPECT_EQ(file_mode(m_settings + ".bak"), 0600u);
    EXPECT_EQ(file_mode(state_path()), 0600u);
    EXPECT_NE(p.out.find("http://127.0.0.1:4123"), std::string::npos);
    EXPECT_NE(p.out.find("claude-sonnet-4-5"), std::string::npos);
    EXPECT_NE(p.out.find("Restart Claude Code"), std::string::npos);
    EXPECT_NE(p.out.find(".bak"), std::string::npos);

    RunOutput q = run(Action::kDirect);
    ASSERT_EQ(q.rc, 0) << q.err;
    EXPECT_EQ(settings_text(), kRichSettings);
    EXPECT_EQ(file_mode(m_settings), 0600u);
    // The backup is the proxy-mode file, key included: never readable by others.
    EXPECT_NE(read_file(m_settings + ".bak").value_or("").find("ANTHROPIC_AUTH_TOKEN"),
              std::string::npos);
    EXPECT_EQ(file_mode(m_settings + ".bak"), 0600u);
    EXPECT_FALSE(path_exists(state_path()));  // nothing left to remember
    EXPECT_NE(q.out.find("Anthropic API directly"), std::string::npos);
    EXPECT_NE(q.out.find("restored"), std::string::npos);
    EXPECT_NE(q.out.find("Restart Claude Code"), std::string::npos);
}

TEST_F(ToggleClaudeTest, RoundTripWithoutEnvRemovesTheEnvItAdded) {
    const std::string original = "{\n  \"model\": \"sonnet\",\n  \"theme\": \"dark\"\n}\n";
    write_settings(original);
    ASSERT_EQ(run(Action::kToggle, false, 4000).rc, 0);
    EXPECT_EQ(env_value("ANTHROPIC_BASE_URL"), "http://127.0.0.1:4000");
    ASSERT_EQ(run(Action::kToggle).rc, 0);
    EXPECT_EQ(settings_text(), original);
}

TEST_F(ToggleClaudeTest, RoundTripKeepsAnEmptyEnvThatWasThere) {
    const std::string original = "{\n  \"env\": {},\n  \"model\": \"sonnet\"\n}\n";
    write_settings(original);
    ASSERT_EQ(run(Action::kProxy, false, 4000).rc, 0);
    ASSERT_EQ(run(Action::kDirect).rc, 0);
    EXPECT_EQ(settings_text(), original);
}

TEST_F(ToggleClaudeTest, RoundTripKeepsFourSpaceIndentAndMissingFinalNewline) {
    const std::string original =
        "{\n    \"env\": {\n        \"FOO\": \"bar\",\n        \"ANTHROPIC_AUTH_TOKEN\": "
        "\"sk-corp-gateway-token\"\n    },\n    \"x\": [\n        1,\n        2.5\n    ]\n}";
    write_settings(original);
    ASSERT_EQ(run(Action::kProxy, false, 4000).rc, 0);
    EXPECT_NE(settings_text().find("\n        \"ANTHROPIC_BASE_URL\""), std::string::npos);
    EXPECT_NE(settings_text().back(), '\n');
    ASSERT_EQ(run(Action::kDirect).rc, 0);
    EXPECT_EQ(settings_text(), original);  // the user's own token came back
}

TEST_F(ToggleClaudeTest, ProxyAgainOnAnotherPortStillRestoresTheOriginal) {
    write_settings(kRichSettings);
    ASSERT_EQ(run(Action::kProxy, false, 4000).rc, 0);
    ASSERT_EQ(run(Action::kProxy, false, 4999).rc, 0);
    EXPECT_EQ(env_value("ANTHROPIC_BASE_URL"), "http://127.0.0.1:4999");
    ASSERT_EQ(run(Action::kDirect).rc, 0);
    EXPECT_EQ(settings_text(), kRichSettings);
}

TEST_F(ToggleClaudeTest, ProxyWhenAlreadySetChangesNothing) {
    write_settings(kRichSettings);
    ASSERT_EQ(run(Action::kProxy, false, 4000).rc, 0);
    std::string before = settings_text();
    timespec mtime = file_mtime(m_settings);
    RunOutput r = run(Action::kProxy, true, 4000);
    ASSERT_EQ(r.rc, 0) << r.err;
    rapidjson::Document j;
    ASSERT_TRUE(json_parse(r.out, j));
    EXPECT_FALSE(j["changed"].GetBool());
    EXPECT_TRUE(j["backup"].IsNull());
    EXPECT_EQ(settings_text(), before);
    EXPECT_EQ(file_mtime(m_settings).tv_nsec, mtime.tv_nsec);
    // And the saved state still restores the original.
    ASSERT_EQ(run(Action::kDirect).rc, 0);
    EXPECT_EQ(settings_text(), kRichSettings);
}

TEST_F(ToggleClaudeTest, DirectKeepsAModelVariableTheUserChangedSince) {
    write_settings(kRichSettings);
    ASSERT_EQ(run(Action::kProxy, false, 4000).rc, 0);
    std::string edited = settings_text();
    size_t at = edited.find("\"claude-haiku-4-5\"");
    ASSERT_NE(at, std::string::npos);
    edited.replace(at, 18, "\"my-haiku\"");
    write_settings(edited);
    RunOutput r = run(Action::kDirect);
    ASSERT_EQ(r.rc, 0) << r.err;
    EXPECT_EQ(env_value("ANTHROPIC_DEFAULT_HAIKU_MODEL"), "my-haiku");
    EXPECT_EQ(env_value("ANTHROPIC_DEFAULT_OPUS_MODEL"), "my-own-opus");
    EXPECT_EQ(env_value("ANTHROPIC_BASE_URL"), "<absent>");
    EXPECT_EQ(env_value("ANTHROPIC_AUTH_TOKEN"), "<absent>");
    EXPECT_NE(r.out.find("kept"), std::string::npos);
}

TEST_F(ToggleClaudeTest, SymlinkedSettingsAreEditedWhereTheyLive) {
    std::string real = m_dir + "/dotfiles/settings.json";
    fs::create_directories(m_dir + "/dotfiles");
    std::ofstream(real) << kRichSettings;
    fs::create_directories(fs::path(m_settings).parent_path());
    fs::create_symlink(real, m_settings);
    ASSERT_EQ(run(Action::kProxy, false, 4000).rc, 0);
    EXPECT_TRUE(fs::is_symlink(m_settings));
    EXPECT_EQ(env_value("ANTHROPIC_BASE_URL"), "http://127.0.0.1:4000");
    ASSERT_EQ(run(Action::kDirect).rc, 0);
    EXPECT_TRUE(fs::is_symlink(m_settings));
    EXPECT_EQ(read_file(real).value_or(""), kRichSettings);
}

// ---- missing and malformed files ------------------------------------------------------------

TEST_F(ToggleClaudeTest, ProxyCreatesAMissingFileAndDirectory) {
    RunOutput r = run(Action::kProxy, true, 4000);
    ASSERT_EQ(r.rc, 0) << r.err;
    EXPECT_EQ(file_mode(m_settings), 0600u);  // it holds the master key
    EXPECT_EQ(env_value("ANTHROPIC_BASE_URL"), "http://127.0.0.1:4000");
    rapidjson::Document d = settings_json();
    EXPECT_EQ(d.MemberCount(), 1u);
    EXPECT_EQ(d["env"].MemberCount(), 5u);
    EXPECT_EQ(settings_text().back(), '\n');
    EXPECT_EQ(settings_text().substr(0, 12), "{\n  \"env\": {");
    rapidjson::Document j;
    ASSERT_TRUE(json_parse(r.out, j)) << r.out;
    EXPECT_TRUE(j["changed"].GetBool());
    EXPECT_TRUE(j["backup"].IsNull());
    EXPECT_EQ(std::string(j["mode"].GetString()), "proxy");
    // Back to direct: the file we created ends up as an empty object, not deleted.
    ASSERT_EQ(run(Action::kDirect).rc, 0);
    EXPECT_EQ(settings_text(), "{}\n");
}

TEST_F(ToggleClaudeTest, DirectOnAMissingFileIsANoOp) {
    RunOutput r = run(Action::kDirect);
    EXPECT_EQ(r.rc, 0) << r.err;
    EXPECT_FALSE(path_exists(m_settings));
    EXPECT_FALSE(path_exists(fs::path(m_settings).parent_path().string()));
    EXPECT_NE(r.out.find("does not exist"), std::string::npos);
    RunOutput j = run(Action::kDirect, true);
    rapidjson::Document d;
    ASSERT_TRUE(json_parse(j.out, d)) << j.out;
    EXPECT_FALSE(d["changed"].GetBool());
    EXPECT_EQ(std::string(d["mode"].GetString()), "direct");
}

TEST_F(ToggleClaudeTest, MalformedFilesAreReportedAndNeverWritten) {
    struct Case {
        const char* text;
        const char* expect;
    };
    const Case cases[] = {
        {"{\n  \"model\": \"opus\",\n  \"env\": {\n    \"A\": \"1\"\n    \"B\": \"2\"\n  }\n}\n",
         "line 5, column 5"},
        {"[\n  1,\n  2\n]\n", "not an object"},
        {"{\n  \"env\": \"ANTHROPIC_BASE_URL=x\"\n}\n", "\"env\""},
        {"{\n  \"env\": [1]\n}\n", "not an object"},
        {"{\"a\": 1} trailing", "column 10"},
    };
    for (const Case& c : cases) {
        write_settings(c.text);
        timespec before = file_mtime(m_settings);
        for (Action a : {Action::kProxy, Action::kDirect, Action::kToggle, Action::kStatus}) {
            RunOutput r = run(a, false, 4000);
            EXPECT_EQ(r.rc, static_cast<int>(proto::ExitCode::kFailure)) << c.text;
            EXPECT_NE(r.err.find(c.expect), std::string::npos) << r.err;
            EXPECT_NE(r.err.find(m_settings), std::string::npos) << r.err;
            EXPECT_EQ(settings_text(), c.text);
            timespec after = file_mtime(m_settings);
            EXPECT_EQ(after.tv_sec, before.tv_sec);
            EXPECT_EQ(after.tv_nsec, before.tv_nsec);
            EXPECT_FALSE(path_exists(m_settings + ".bak"));
            EXPECT_FALSE(path_exists(state_path()));
        }
    }
}

TEST_F(ToggleClaudeTest, AnEmptyFileIsTreatedAsAnEmptyObject) {
    write_settings("");
    ASSERT_EQ(run(Action::kProxy, false, 4000).rc, 0);
    EXPECT_EQ(env_value("ANTHROPIC_BASE_URL"), "http://127.0.0.1:4000");
}

// ---- direct mode without a state file -------------------------------------------------------

TEST_F(ToggleClaudeTest, DirectWithoutStateUndoesTheOriginalTool) {
    // What the bash original leaves behind: env replaced by its five keys.
    write_settings(R"({
  "model": "opus",
  "env": {
    "ANTHROPIC_BASE_URL": "http://127.0.0.1:4000",
    "ANTHROPIC_AUTH_TOKEN": "sk-master",
    "ANTHROPIC_DEFAULT_OPUS_MODEL": "claude-opus-4-6",
    "ANTHROPIC_DEFAULT_SONNET_MODEL": "claude-sonnet-4-5-20250929",
    "ANTHROPIC_DEFAULT_HAIKU_MODEL": "claude-haiku-4-5-20251001"
  },
  "theme": "dark"
}
)");
    RunOutput r = run(Action::kToggle);
    ASSERT_EQ(r.rc, 0) << r.err;
    EXPECT_EQ(settings_text(), "{\n  \"model\": \"opus\",\n  \"theme\": \"dark\"\n}\n");
}

TEST_F(ToggleClaudeTest, DirectWithoutStateRemovesOnlyProxyValues) {
    write_settings(R"({
  "env": {
    "MY_VAR": "keep me",
    "ANTHROPIC_BASE_URL": "http://localhost:4000",
    "ANTHROPIC_AUTH_TOKEN": "sk-master",
    "ANTHROPIC_DEFAULT_OPUS_MODEL": "my-custom-opus",
    "ANTHROPIC_DEFAULT_HAIKU_MODEL": "claude-haiku-4-5"
  }
}
)");
    RunOutput r = run(Action::kDirect);
    ASSERT_EQ(r.rc, 0) << r.err;
    EXPECT_EQ(settings_text(), R"({
  "env": {
    "MY_VAR": "keep me",
    "ANTHROPIC_DEFAULT_OPUS_MODEL": "my-custom-opus"
  }
}
)");
}

TEST_F(ToggleClaudeTest, DirectLeavesAnotherGatewayAlone) {
    const std::string original = R"({
  "env": {
    "ANTHROPIC_BASE_URL": "https://gateway.example.com",
    "ANTHROPIC_AUTH_TOKEN": "sk-corp",
    "ANTHROPIC_DEFAULT_HAIKU_MODEL": "claude-haiku-4-5"
  }
}
)";
    write_settings(original);
    timespec before = file_mtime(m_settings);
    RunOutput r = run(Action::kDirect, true);
    ASSERT_EQ(r.rc, 0) << r.err;
    rapidjson::Document j;
    ASSERT_TRUE(json_parse(r.out, j));
    EXPECT_FALSE(j["changed"].GetBool());
    EXPECT_EQ(std::string(j["base_url"].GetString()), "https://gateway.example.com");
    EXPECT_EQ(settings_text(), original);
    EXPECT_EQ(file_mtime(m_settings).tv_nsec, before.tv_nsec);
}

TEST_F(ToggleClaudeTest, AStaleStateEntryIsNotReplayedOverNewerValues) {
    write_settings(kRichSettings);
    ASSERT_EQ(run(Action::kProxy, false, 4000).rc, 0);
    // The user switches back by hand (not with toggle-claude) and edits their env.
    const std::string by_hand =
        "{\n  \"env\": {\n    \"ANTHROPIC_DEFAULT_OPUS_MODEL\": \"newer-opus\"\n  }\n}\n";
    write_settings(by_hand);
    ASSERT_EQ(run(Action::kProxy, false, 4000).rc, 0);
    ASSERT_EQ(run(Action::kDirect).rc, 0);
    EXPECT_EQ(settings_text(), by_hand);
}

// ---- status, JSON, master key and port ------------------------------------------------------

TEST_F(ToggleClaudeTest, StatusShowsModeAndMasksTheToken) {
    fs::create_directories(m_home);
    std::ofstream(m_home + "/config.yaml")
        << "model_list: []\ngeneral_settings:\n  master_key: sk-literal-master-key-1234\n";
    write_settings(kRichSettings);

    RunOutput direct = run(Action::kStatus);
    ASSERT_EQ(direct.rc, 0) << direct.err;
    EXPECT_NE(direct.out.find("direct mode"), std::string::npos) << direct.out;
    EXPECT_NE(direct.out.find("my-own-opus"), std::string::npos);
    EXPECT_NE(direct.out.find("litellmd: not running"), std::string::npos);

    ASSERT_EQ(run(Action::kProxy, false, 4321).rc, 0);
    EXPECT_EQ(env_value("ANTHROPIC_AUTH_TOKEN"), "sk-literal-master-key-1234");
    RunOutput proxy = run(Action::kStatus);
    ASSERT_EQ(proxy.rc, 0) << proxy.err;
    EXPECT_NE(proxy.out.find("proxy mode"), std::string::npos) << proxy.out;
    EXPECT_NE(proxy.out.find("http://127.0.0.1:4321"), std::string::npos);
    EXPECT_NE(proxy.out.find("sk-l... (26 chars)"), std::string::npos) << proxy.out;
    EXPECT_EQ(proxy.out.find("sk-literal-master-key-1234"), std::string::npos);

    RunOutput j = run(Action::kStatus, true);
    ASSERT_EQ(j.rc, 0);
    rapidjson::Document d;
    ASSERT_TRUE(json_parse(j.out, d)) << j.out;
    EXPECT_EQ(std::string(d["mode"].GetString()), "proxy");
    EXPECT_FALSE(d["changed"].GetBool());
    EXPECT_EQ(std::string(d["settings"].GetString()), m_settings);
    EXPECT_TRUE(d["backup"].IsNull());
    EXPECT_EQ(std::string(d["base_url"].GetString()), "http://127.0.0.1:4321");
    EXPECT_EQ(std::string(d["auth_token"].GetString()), "sk-l... (26 chars)");
    EXPECT_EQ(std::string(d["models"]["sonnet"].GetString()), "claude-sonnet-4-5");
    EXPECT_TRUE(d["state_saved"].GetBool());
    EXPECT_TRUE(d["daemon_url"].IsNull());
    // --status never writes.
    EXPECT_EQ(read_file(m_settings + ".bak").value_or(""), kRichSettings);
}

TEST_F(ToggleClaudeTest, JsonReportOfASwitch) {
    write_settings(kRichSettings);
    RunOutput r = run(Action::kToggle, true, 4100);
    ASSERT_EQ(r.rc, 0) << r.err;
    rapidjson::Document d;
    ASSERT_TRUE(json_parse(r.out, d)) << r.out;
    EXPECT_EQ(std::string(d["mode"].GetString()), "proxy");
    EXPECT_TRUE(d["changed"].GetBool());
    EXPECT_EQ(std::string(d["settings"].GetString()), m_settings);
    EXPECT_EQ(std::string(d["backup"].GetString()), m_settings + ".bak");
    EXPECT_EQ(std::string(d["base_url"].GetString()), "http://127.0.0.1:4100");
    EXPECT_EQ(std::string(d["port_source"].GetString()), "--port");
    EXPECT_EQ(std::string(d["token"].GetString()), "placeholder");
    EXPECT_EQ(std::string(d["state_file"].GetString()), state_path());
    EXPECT_EQ(d["changes"].Size(), 5u);
    EXPECT_TRUE(d["notes"].IsArray());

    RunOutput back = run(Action::kToggle, true);
    ASSERT_EQ(back.rc, 0) << back.err;
    rapidjson::Document b;
    ASSERT_TRUE(json_parse(back.out, b)) << back.out;
    EXPECT_EQ(std::string(b["mode"].GetString()), "direct");
    EXPECT_TRUE(b["changed"].GetBool());
    EXPECT_TRUE(b["base_url"].IsNull());
    EXPECT_EQ(std::string(b["models"]["opus"].GetString()), "my-own-opus");
}

TEST_F(ToggleClaudeTest, MasterKeyComesFromDotenv) {
    std::ofstream(m_home + "/config.yaml")
        << "model_list: []\ngeneral_settings:\n  master_key: os.environ/TC_UNIT_MASTER_KEY\n";
    std::ofstream(m_home + "/.env") << "TC_UNIT_MASTER_KEY=sk-from-dotenv-0001\n";
    RunOutput r = run(Action::kProxy, false, 4000);
    ASSERT_EQ(r.rc, 0) << r.err;
    EXPECT_EQ(env_value("ANTHROPIC_AUTH_TOKEN"), "sk-from-dotenv-0001");
    EXPECT_NE(r.out.find("os.environ/TC_UNIT_MASTER_KEY"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("sk-from-dotenv-0001"), std::string::npos);  // never printed
}

TEST_F(ToggleClaudeTest, NoMasterKeyWritesThePlaceholderWithANote) {
    std::ofstream(m_home + "/config.yaml")
        << "model_list: []\ngeneral_settings:\n  master_key: os.environ/TC_UNIT_MASTER_KEY\n";
    RunOutput r = run(Action::kProxy, false, 4000);
    ASSERT_EQ(r.rc, 0) << r.err;
    EXPECT_EQ(env_value("ANTHROPIC_AUTH_TOKEN"), "litellmd-no-master-key");
    EXPECT_NE(r.out.find("TC_UNIT_MASTER_KEY"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("accepts any key"), std::string::npos) << r.out;
}

TEST_F(ToggleClaudeTest, AConfigWithErrorsStopsProxyModeBeforeAnyWrite) {
    std::ofstream(m_home + "/config.yaml") << "model_list: [\n";
    write_settings(kRichSettings);
    RunOutput r = run(Action::kProxy, false, 4000);
    EXPECT_EQ(r.rc, static_cast<int>(proto::ExitCode::kConfigInvalid));
    EXPECT_NE(r.err.find("config.yaml"), std::string::npos) << r.err;
    EXPECT_EQ(settings_text(), kRichSettings);
    EXPECT_FALSE(path_exists(state_path()));
}

TEST_F(ToggleClaudeTest, PortDefaultsTo4000WithoutADaemon) {
    RunOutput r = run(Action::kProxy, true);
    ASSERT_EQ(r.rc, 0) << r.err;
    EXPECT_EQ(env_value("ANTHROPIC_BASE_URL"), "http://127.0.0.1:4000");
    rapidjson::Document d;
    ASSERT_TRUE(json_parse(r.out, d)) << r.out;
    EXPECT_EQ(std::string(d["port_source"].GetString()), "default");
    ASSERT_GT(d["notes"].Size(), 0u);
    EXPECT_NE(std::string(d["notes"][0].GetString()).find("not running"), std::string::npos);
}

TEST_F(ToggleClaudeTest, BadPortIsAUsageError) {
    EXPECT_EQ(run(Action::kProxy, false, 70000).rc, static_cast<int>(proto::ExitCode::kUsage));
    EXPECT_FALSE(path_exists(m_settings));
}

TEST_F(ToggleClaudeTest, DefaultSettingsPathIsUnderHome) {
    const char* old = std::getenv("HOME");
    std::string saved = old ? old : "";
    ::setenv("HOME", m_dir.c_str(), 1);
    ToggleClaudeOptions o;
    o.home = m_home;
    o.socket_path = m_dir + "/no-daemon.sock";
    o.action = Action::kProxy;
    o.port = 4000;
    ::testing::internal::CaptureStdout();
    int rc = toggle_claude(o);
    std::string out = ::testing::internal::GetCapturedStdout();
    if (old) {
        ::setenv("HOME", saved.c_str(), 1);
    } else {
        ::unsetenv("HOME");
    }
    ASSERT_EQ(rc, 0);
    EXPECT_TRUE(path_exists(m_dir + "/.claude/settings.json"));
    EXPECT_NE(out.find(m_dir + "/.claude/settings.json"), std::string::npos) << out;
}

}  // namespace
}  // namespace litellm::ctl
