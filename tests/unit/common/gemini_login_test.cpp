#include "common/gemini_login.hpp"

#include <cstdlib>
#include <map>
#include <mutex>
#include <string>

#include <gtest/gtest.h>

#include "common/fs.hpp"
#include "common/json.hpp"
#include "fakes/fake_upstream.hpp"

namespace litellm {
namespace {

using test::FakeReply;
using test::FakeUpstream;
using test::RecordedRequest;

// A scratch directory for a fake installed Gemini CLI.
class Tree {
  public:
    Tree() {
        char tmpl[] = "/tmp/gemini-tree-XXXXXX";
        m_root = ::mkdtemp(tmpl);
    }
    ~Tree() { std::system(("rm -rf '" + m_root + "'").c_str()); }
    void write(const std::string& rel, const std::string& text) {
        std::string path = m_root + "/" + rel;
        std::system(("mkdir -p '" + path.substr(0, path.rfind('/')) + "'").c_str());
        write_file_atomic(path, text, 0644, nullptr);
    }
    const std::string& root() const { return m_root; }

  private:
    std::string m_root;
};

EnvGetter env_of(std::map<std::string, std::string>& vars) {
    return [&vars](const char* n) -> const char* {
        auto it = vars.find(n);
        return it == vars.end() ? nullptr : it->second.c_str();
    };
}

TEST(GeminiCredentials, ExtractedFromSourceOrBundleText) {
    std::string id, secret;
    EXPECT_TRUE(extract_gemini_client_credentials(
        "const OAUTH_CLIENT_ID='681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps."
        "googleusercontent.com',OAUTH_CLIENT_SECRET=\"GOCSPX-abc_DEF-123\";",
        id, secret));
    EXPECT_EQ(id, "681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com");
    EXPECT_EQ(secret, "GOCSPX-abc_DEF-123");
    // A bundle with another Google client first: the secret's own id is taken.
    EXPECT_TRUE(extract_gemini_client_credentials(
        "a='764086051850-other.apps.googleusercontent.com';" + std::string(5000, ' ') +
            "b='681255809395-mine.apps.googleusercontent.com',c='GOCSPX-mine'",
        id, secret));
    EXPECT_EQ(id, "681255809395-mine.apps.googleusercontent.com");
    EXPECT_EQ(secret, "GOCSPX-mine");
    EXPECT_FALSE(extract_gemini_client_credentials("GOCSPX-only", id, secret));
    EXPECT_FALSE(extract_gemini_client_credentials("x.apps.googleusercontent.com", id, secret));
}

TEST(GeminiCredentials, FoundInBothLayoutsAndTheEnvironmentWins) {
    // The older layout under ~/.npm-global; the newer bundle next to `gemini` on PATH.
    Tree home, prefix;
    home.write(
        ".npm-global/lib/node_modules/@google/gemini-cli-core/dist/src/code_assist/oauth2.js",
        "const a='111-aaa.apps.googleusercontent.com'; const b='GOCSPX-older';");
    std::map<std::string, std::string> vars = {{"HOME", home.root()}, {"PATH", "/nonexistent"}};
    GeminiClientCredentials c = find_gemini_client_credentials(env_of(vars), false);
    ASSERT_TRUE(c.found());
    EXPECT_EQ(c.client_secret, "GOCSPX-older");
    EXPECT_NE(c.source.find("oauth2.js"), std::string::npos);

    prefix.write(
        "lib/node_modules/@google/gemini-cli/bundle/gemini.js",
        "#!/usr/bin/env node\n/* bundled */ var x={clientId:\"222-bbb.apps.googleusercontent"
        ".com\",clientSecret:\"GOCSPX-bundled\"};\n");
    std::system(("mkdir -p '" + prefix.root() +
                 "/bin' && ln -s ../lib/node_modules/@google/"
                 "gemini-cli/bundle/gemini.js '" +
                 prefix.root() + "/bin/gemini'")
                    .c_str());
    vars["PATH"] = prefix.root() + "/bin";
    c = find_gemini_client_credentials(env_of(vars), false);
    ASSERT_TRUE(c.found());
    EXPECT_EQ(c.client_id, "222-bbb.apps.googleusercontent.com");  // next to `gemini` first
    EXPECT_EQ(c.client_secret, "GOCSPX-bundled");

    vars["GEMINI_CLI_OAUTH_CLIENT_SECRET"] = "GOCSPX-env";
    c = find_gemini_client_credentials(env_of(vars), false);
    EXPECT_EQ(c.client_secret, "GOCSPX-env");
    EXPECT_EQ(c.source, "environment");

    std::map<std::string, std::string> none = {{"HOME", "/nonexistent"}, {"PATH", "/nonexistent"}};
    c = find_gemini_client_credentials(env_of(none), false);
    EXPECT_FALSE(c.found());
    EXPECT_FALSE(c.searched.empty());
}

FakeReply reply(int status, const std::string& body) {
    FakeReply r;
    r.status = status;
    r.body = body;
    return r;
}

class CodeAssistSetupTest : public ::testing::Test {
  protected:
    CodeAssistSetup run(std::map<std::string, std::string> vars = {}) {
        OAuthClient client;
        client.spec = find_oauth_spec("gemini_cli");
        return setup_code_assist(client, m_server.base_url() + "/v1internal", "tok", env_of(vars),
                                 nullptr, 1);
    }
    std::vector<std::string> onboard_bodies() {
        std::vector<std::string> out;
        for (const auto& r : m_server.requests())
            if (r.path == "/v1internal:onboardUser") out.push_back(r.body);
        return out;
    }
    FakeUpstream m_server;
};

TEST_F(CodeAssistSetupTest, AnAccountSetUpAlreadyKeepsItsProject) {
    m_server.set_responder([](const RecordedRequest&) {
        return reply(
            200, R"({"currentTier":{"id":"standard-tier"},"cloudaicompanionProject":"proj-7"})");
    });
    CodeAssistSetup s = run();
    ASSERT_TRUE(s.ok) << s.error;
    EXPECT_EQ(s.project_id, "proj-7");
    EXPECT_TRUE(onboard_bodies().empty());
}

TEST_F(CodeAssistSetupTest, TheFreeTierIsOnboardedWithoutAProject) {
    m_server.set_responder([](const RecordedRequest& req) {
        if (req.path == "/v1internal:loadCodeAssist") {
            return reply(200, R"({"allowedTiers":[{"id":"free-tier","isDefault":true}]})");
        }
        return reply(200,
                     R"({"done":true,"response":{"cloudaicompanionProject":{"id":"managed-1"}}})");
    });
    CodeAssistSetup s = run({{"GOOGLE_CLOUD_PROJECT", "mine"}});
    ASSERT_TRUE(s.ok) << s.error;
    EXPECT_EQ(s.tier, "free-tier");
    EXPECT_EQ(s.project_id, "managed-1");
    ASSERT_EQ(onboard_bodies().size(), 1u);
    EXPECT_EQ(onboard_bodies()[0].find("cloudaicompanionProject"), std::string::npos)
        << onboard_bodies()[0];  // "Precondition Failed" otherwise
}

TEST_F(CodeAssistSetupTest, RefusalsSayWhyAndWhatToDo) {
    m_server.set_responder([](const RecordedRequest&) {
        return reply(
            200,
            R"({"ineligibleTiers":[{"tierId":"free-tier","reasonCode":"UNSUPPORTED_CLIENT","reasonMessage":"not available"}]})");
    });
    CodeAssistSetup s = run();
    EXPECT_FALSE(s.ok);
    EXPECT_NE(s.error.find("UNSUPPORTED_CLIENT"), std::string::npos) << s.error;
    EXPECT_NE(s.error.find("GEMINI_API_KEY"), std::string::npos) << s.error;

    m_server.set_responder([](const RecordedRequest&) {
        return reply(
            200,
            R"({"allowedTiers":[{"id":"standard-tier","isDefault":true,"userDefinedCloudaicompanionProject":true}]})");
    });
    s = run();
    EXPECT_FALSE(s.ok);
    EXPECT_NE(s.error.find("GOOGLE_CLOUD_PROJECT"), std::string::npos) << s.error;

    m_server.set_responder([](const RecordedRequest&) {
        return reply(
            403,
            R"({"error":{"code":403,"message":"You do not have a valid license","status":"PERMISSION_DENIED"}})");
    });
    s = run();
    EXPECT_FALSE(s.ok);
    EXPECT_NE(s.error.find("valid license"), std::string::npos) << s.error;
}

}  // namespace
}  // namespace litellm
