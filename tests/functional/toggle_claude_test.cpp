// `litellmctl toggle-claude` through the real binaries: the port of a running litellmd, --port,
// the default port, the master key from .env (and that litellmd accepts it), $HOME, and the
// files it must never damage.

#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <httplib.h>

#include "common/fs.hpp"
#include "common/json.hpp"
#include "functional/harness.hpp"
#include "proto/errors.hpp"

namespace litellm::test {
namespace {

constexpr const char* kMasterKey = "sk-ft-toggle-master-0123456789";

// A Claude Code settings file with settings of the user's own, in Claude Code's layout.
const char* const kUserSettings = R"json({
  "model": "opus",
  "permissions": {
    "allow": [
      "Bash(make test)"
    ],
    "deny": []
  },
  "env": {
    "DISABLE_TELEMETRY": "1",
    "ANTHROPIC_DEFAULT_SONNET_MODEL": "my-sonnet"
  },
  "includeCoAuthoredBy": false,
  "cleanupPeriodDays": 14
}
)json";

class ToggleClaudeCli : public ::testing::Test {
  protected:
    void SetUp() override {
        m_home.write("config.yaml", kSmallConfig);
        m_home.write(".env", std::string("FT_MASTER_KEY=") + kMasterKey + "\n");
        m_settings = m_home.file("user/.claude/settings.json");
    }

    /// Runs `litellmctl --home H toggle-claude ARGS` with HOME=<temp>/user, so a test never
    /// touches the real ~/.claude.
    RunResult toggle(const std::vector<std::string>& args) {
        SpawnOptions opts;
        opts.argv = {LITELLMCTL_BIN, "--home", m_home.path(), "toggle-claude"};
        for (const auto& a : args)
            opts.argv.push_back(a);
        opts.env_set["HOME"] = m_home.file("user");
        // The master key must come from the home's .env, not from the test's environment.
        opts.env_unset = {"LITELLM_SOCKET", "LITELLM_HOME", "FT_MASTER_KEY"};
        return run_capture(opts, 20000);
    }

    std::string settings_text() const { return read_file(m_settings).value_or("<missing>"); }

    std::string env_value(const char* key) const {
        rapidjson::Document d;
        if (!json_parse(settings_text(), d) || !d.IsObject() || !d.HasMember("env") ||
            !d["env"].HasMember(key)) {
            return "<absent>";
        }
        return d["env"][key].GetString();
    }

    TempHome m_home;
    std::string m_settings;
};

TEST_F(ToggleClaudeCli, PortAndKeyComeFromTheRunningDaemon) {
    DaemonProcess daemon(m_home);
    std::string error;
    ASSERT_TRUE(daemon.start({}, &error)) << error;
    int port = daemon.http_port();
    ASSERT_GT(port, 0);
    m_home.write("user/.claude/settings.json", kUserSettings);

    RunResult r = toggle({"--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto j = parse_json(r.out);
    std::string url = "http://127.0.0.1:" + std::to_string(port);
    EXPECT_STREQ(j["mode"].GetString(), "proxy");
    EXPECT_TRUE(j["changed"].GetBool());
    EXPECT_EQ(j["base_url"].GetString(), url);
    EXPECT_STREQ(j["port_source"].GetString(), "daemon");
    EXPECT_STREQ(j["token"].GetString(), "master_key");
    EXPECT_EQ(j["settings"].GetString(), m_settings);
    EXPECT_EQ(j["backup"].GetString(), m_settings + ".bak");
    EXPECT_EQ(r.out.find(kMasterKey), std::string::npos);  // masked in the report
    EXPECT_EQ(env_value("ANTHROPIC_BASE_URL"), url);
    EXPECT_EQ(env_value("ANTHROPIC_AUTH_TOKEN"), kMasterKey);
    EXPECT_EQ(env_value("ANTHROPIC_DEFAULT_SONNET_MODEL"), "claude-sonnet-4-5");
    EXPECT_EQ(env_value("DISABLE_TELEMETRY"), "1");

    // What Claude Code will send is what litellmd accepts.
    httplib::Client http("127.0.0.1", port);
    auto ok =
        http.Get("/v1/models", {{"Authorization", "Bearer " + env_value("ANTHROPIC_AUTH_TOKEN")}});
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200);
    auto refused = http.Get("/v1/models", {{"Authorization", "Bearer wrong"}});
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 401);

    // --status sees the daemon and the mode.
    RunResult s = toggle({"--status", "--json"});
    ASSERT_EQ(s.exit_code, 0) << s.err;
    auto sj = parse_json(s.out);
    EXPECT_STREQ(sj["mode"].GetString(), "proxy");
    EXPECT_EQ(sj["daemon_url"].GetString(), url);
    EXPECT_TRUE(sj["state_saved"].GetBool());
    EXPECT_EQ(sj["notes"].Size(), 0u);

    // Toggling again restores the user's file exactly.
    RunResult back = toggle({});
    ASSERT_EQ(back.exit_code, 0) << back.err;
    EXPECT_NE(back.out.find("Anthropic API directly"), std::string::npos) << back.out;
    EXPECT_NE(back.out.find("Restart Claude Code"), std::string::npos);
    EXPECT_EQ(settings_text(), kUserSettings);
}

TEST_F(ToggleClaudeCli, ExplicitPortWinsOverTheDaemon) {
    DaemonProcess daemon(m_home);
    std::string error;
    ASSERT_TRUE(daemon.start({}, &error)) << error;
    int port = daemon.http_port();
    int other = port == 4555 ? 4556 : 4555;
    RunResult r = toggle({"--proxy", "--port", std::to_string(other)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(env_value("ANTHROPIC_BASE_URL"), "http://127.0.0.1:" + std::to_string(other));
    // The mismatch is pointed out, in the report and in --status.
    EXPECT_NE(r.out.find("listens on port " + std::to_string(port)), std::string::npos) << r.out;
    RunResult s = toggle({"--status"});
    ASSERT_EQ(s.exit_code, 0) << s.err;
    EXPECT_NE(s.out.find("proxy mode"), std::string::npos) << s.out;
    EXPECT_NE(s.out.find("--proxy` to update"), std::string::npos) << s.out;
}

TEST_F(ToggleClaudeCli, DefaultPortWithoutADaemonAndKeyFromDotenv) {
    RunResult r = toggle({"--proxy"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(env_value("ANTHROPIC_BASE_URL"), "http://127.0.0.1:4000");
    EXPECT_EQ(env_value("ANTHROPIC_AUTH_TOKEN"), kMasterKey);
    EXPECT_EQ(env_value("ANTHROPIC_DEFAULT_OPUS_MODEL"), "claude-opus-4-6");
    EXPECT_EQ(env_value("ANTHROPIC_DEFAULT_HAIKU_MODEL"), "claude-haiku-4-5");
    EXPECT_NE(r.out.find("http://127.0.0.1:4000"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("not running"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("claude-opus-4-6"), std::string::npos);
    EXPECT_NE(r.out.find("Restart Claude Code"), std::string::npos);
    // Created for proxy mode, private because it holds the key.
    struct stat st {};
    ASSERT_EQ(::stat(m_settings.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    struct stat state {};
    ASSERT_EQ(::stat(m_home.file("toggle-claude.json").c_str(), &state), 0);
    EXPECT_EQ(state.st_mode & 0777, 0600u);
}

// The names proxy mode writes must be served, or every Claude Code request is a 404: say so.
TEST_F(ToggleClaudeCli, WarnsWhenTheConfigDoesNotServeTheNamesItWrites) {
    RunResult r = toggle({"--proxy"});  // kSmallConfig serves none of Claude Code's names
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("warning: " + m_home.file("config.yaml") +
                         " does not serve claude-opus-4-6, claude-sonnet-4-5, claude-haiku-4-5"),
              std::string::npos)
        << r.err;
    RunResult j = toggle({"--proxy", "--json"});
    ASSERT_EQ(j.exit_code, 0) << j.err;
    auto d = parse_json(j.out);
    EXPECT_EQ(d["unserved_models"].Size(), 3u);

    // One served by name, the others by a wildcard route: no warning.
    m_home.write("config.yaml",
                 "model_list:\n"
                 "  - model_name: claude-opus-4-6\n"
                 "    litellm_params: {model: anthropic/claude-opus-4-6, api_key: k}\n"
                 "  - model_name: claude-*\n"
                 "    litellm_params: {model: anthropic/claude-*, api_key: k}\n");
    RunResult served = toggle({"--proxy", "--json"});
    ASSERT_EQ(served.exit_code, 0) << served.err;
    EXPECT_EQ(parse_json(served.out)["unserved_models"].Size(), 0u) << served.out;
    RunResult quiet = toggle({"--proxy"});
    EXPECT_EQ(quiet.err.find("does not serve"), std::string::npos) << quiet.err;
}

TEST_F(ToggleClaudeCli, NoMasterKeyUsesThePlaceholder) {
    m_home.write(".env", "# no key\n");
    RunResult r = toggle({"--proxy", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto j = parse_json(r.out);
    EXPECT_STREQ(j["token"].GetString(), "placeholder");
    EXPECT_EQ(env_value("ANTHROPIC_AUTH_TOKEN"), "litellmd-no-master-key");
    ASSERT_GT(j["notes"].Size(), 0u);
    EXPECT_NE(json_stringify(j["notes"]).find("FT_MASTER_KEY"), std::string::npos);
}

TEST_F(ToggleClaudeCli, SettingsOptionAndDirectOnAMissingFile) {
    std::string other = m_home.file("elsewhere/settings.json");
    RunResult direct = toggle({"--direct", "--settings", other});
    ASSERT_EQ(direct.exit_code, 0) << direct.err;
    EXPECT_NE(direct.out.find("does not exist"), std::string::npos) << direct.out;
    EXPECT_FALSE(path_exists(other));

    RunResult proxy = toggle({"--proxy", "--settings", other, "--port", "4321"});
    ASSERT_EQ(proxy.exit_code, 0) << proxy.err;
    EXPECT_TRUE(path_exists(other));
    EXPECT_FALSE(path_exists(m_settings));  // $HOME/.claude untouched
}

TEST_F(ToggleClaudeCli, MalformedSettingsAreNeverOverwritten) {
    const std::string broken = "{\n  \"model\": \"opus\",\n  \"env\": {\n    \"A\": 1,\n  }\n}\n";
    m_home.write("user/.claude/settings.json", broken);
    struct stat before {};
    ASSERT_EQ(::stat(m_settings.c_str(), &before), 0);
    for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
             {}, {"--proxy"}, {"--direct"}, {"--status"}, {"--proxy", "--json"}}) {
        RunResult r = toggle(args);
        EXPECT_EQ(r.exit_code, static_cast<int>(proto::ExitCode::kFailure)) << r.out;
        EXPECT_NE(r.err.find("not valid JSON"), std::string::npos) << r.err;
        EXPECT_NE(r.err.find("line 5, column 3"), std::string::npos) << r.err;
        EXPECT_EQ(r.out, "");
    }
    EXPECT_EQ(settings_text(), broken);
    struct stat after {};
    ASSERT_EQ(::stat(m_settings.c_str(), &after), 0);
    EXPECT_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
    EXPECT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
    EXPECT_FALSE(path_exists(m_settings + ".bak"));

    m_home.write("user/.claude/settings.json", "{\n  \"env\": \"oops\"\n}\n");
    RunResult r = toggle({"--proxy"});
    EXPECT_EQ(r.exit_code, static_cast<int>(proto::ExitCode::kFailure));
    EXPECT_NE(r.err.find("not an object"), std::string::npos) << r.err;
    EXPECT_EQ(settings_text(), "{\n  \"env\": \"oops\"\n}\n");
}

TEST_F(ToggleClaudeCli, ConflictingModesAreAUsageError) {
    RunResult r = toggle({"--proxy", "--direct"});
    EXPECT_EQ(r.exit_code, static_cast<int>(proto::ExitCode::kUsage));
    EXPECT_FALSE(path_exists(m_settings));
}

}  // namespace
}  // namespace litellm::test
