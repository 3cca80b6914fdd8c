#include "daemon/auth/token_store.hpp"

#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/fs.hpp"
#include "fakes/fake_qwen.hpp"

namespace litellm::auth {
namespace {

constexpr std::int64_t kT0 = 1'800'000'000;

// A store on a temporary home, pointed at a fake Qwen, with a clock the test moves.
class TokenStoreTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string dir = (std::filesystem::temp_directory_path() / "token-store-XXXXXX").string();
        ASSERT_NE(::mkdtemp(dir.data()), nullptr);
        m_home = dir;
        m_env = {{"QWEN_PORTAL_OAUTH_DEVICE_CODE_URL", m_fake.device_code_url()},
                 {"QWEN_PORTAL_OAUTH_TOKEN_URL", m_fake.token_url()}};
    }
    void TearDown() override {
        m_store.reset();
        std::filesystem::remove_all(m_home);
    }

    std::string path() const { return m_home + "/auth.qwen_portal.json"; }

    void write(int n, std::int64_t expires_at) {
        ASSERT_TRUE(write_file_atomic(path(), m_fake.token_file(n, expires_at), 0600, nullptr));
    }

    TokenStore& store(bool start_thread = false) {
        TokenStoreOptions o;
        o.home = m_home;
        o.max_jitter_s = 0;  // deterministic schedule
        o.now = [this] { return m_now.load(); };
        o.env = [this](const char* n) -> const char* {
            auto it = m_env.find(n);
            return it == m_env.end() ? nullptr : it->second.c_str();
        };
        o.watch_files = start_thread;
        m_store = std::make_unique<TokenStore>(o);
        m_store->configure({"qwen_portal"}, nullptr);
        if (start_thread) {
            m_store->start();
        } else {
            // Loaded, but no thread: the test drives the timer with run_due_refreshes().
            m_store->run_due_refreshes();
        }
        return *m_store;
    }

    CredentialStatus qwen() const {
        for (const auto& c : m_store->status())
            if (c.provider == "qwen_portal") return c;
        return {};
    }

    test::FakeQwen m_fake;
    std::map<std::string, std::string> m_env;
    std::string m_home;
    std::atomic<std::int64_t> m_now{kT0};
    std::unique_ptr<TokenStore> m_store;
};

TEST_F(TokenStoreTest, RefreshIsScheduledLeadSecondsBeforeExpiry) {
    m_fake.set_current(1);
    write(1, kT0 + 3600);
    TokenStore& s = store();
    EXPECT_EQ(qwen().state, CredentialState::kValid);
    EXPECT_EQ(*qwen().next_refresh_at, kT0 + 3600 - 300);
    m_now = kT0 + 3600 - 301;
    s.run_due_refreshes();
    EXPECT_EQ(m_fake.refreshes(), 0);
    m_now = kT0 + 3600 - 300;
    s.run_due_refreshes();
    EXPECT_EQ(m_fake.refreshes(), 1);
    EXPECT_EQ(s.snapshot("qwen").access_token, "qwen-at-2");
    // The fake's tokens last an hour from the refresh.
    EXPECT_EQ(*qwen().expires_at, kT0 + 3600 - 300 + 3600);
    EXPECT_EQ(*qwen().last_refresh, kT0 + 3600 - 300);
    auto disk = parse_token_file(read_file(path()).value_or(""));
    ASSERT_TRUE(disk.ok);
    EXPECT_EQ(disk.record.access_token, "qwen-at-2");
    struct stat st {};
    ASSERT_EQ(::stat(path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
}

// Tokens living less than the lead are refreshed at half their life, not again at once: a
// 310 s token with the 300 s lead (and jitter) refreshed in a loop, 800 times a second.
TEST_F(TokenStoreTest, ATokenShorterThanTheLeadIsRefreshedAtHalfItsLifeNotInALoop) {
    m_fake.set_current(1);
    m_fake.set_expires_in(200);
    write(1, kT0 + 200);  // of unknown age, inside the lead: refreshed at once
    TokenStore& s = store();
    EXPECT_EQ(m_fake.refreshes(), 1);
    // The new token lives 200 s from the refresh: next at its half, and nothing before.
    EXPECT_EQ(*qwen().next_refresh_at, kT0 + 100);
    for (int i = 0; i < 5; ++i)
        s.run_due_refreshes();
    m_now = kT0 + 99;
    s.run_due_refreshes();
    EXPECT_EQ(m_fake.refreshes(), 1);
    m_now = kT0 + 100;
    s.run_due_refreshes();
    EXPECT_EQ(m_fake.refreshes(), 2);
    EXPECT_EQ(*qwen().next_refresh_at, kT0 + 200);
}

TEST_F(TokenStoreTest, ARequestNeverGetsAnExpiredToken) {
    m_fake.set_current(1);
    write(1, kT0 + 10);  // inside the request margin: the timer could not keep up
    TokenStore& s = store();
    // (store() ran the timer once: due already, so it refreshed)
    EXPECT_EQ(m_fake.refreshes(), 1);
    m_fake.fail_refreshes(500);
    m_now = kT0 + 3600 + 100;  // the new token expired too, and refreshes fail for now
    TokenSnapshot t = s.token_for_request("qwen_portal");
    EXPECT_FALSE(t.usable());
    EXPECT_EQ(t.state, CredentialState::kExpired);
    EXPECT_NE(t.reason.find("refresh failed"), std::string::npos) << t.reason;
    m_fake.fail_refreshes(0);
    m_now = m_now + 400;  // past the backoff
    t = s.token_for_request("qwen_portal");
    EXPECT_TRUE(t.usable()) << t.reason;
    EXPECT_EQ(t.access_token, "qwen-at-3");
}

TEST_F(TokenStoreTest, TwentyConcurrentCallersShareOneRefresh) {
    m_fake.set_current(1);
    write(1, kT0 - 5);
    TokenStore& s = store(/*start_thread=*/false);
    // store() refreshed once already; expire that one and race 20 requests for the next.
    ASSERT_EQ(m_fake.refreshes(), 1);
    m_now = kT0 + 4000;
    m_fake.set_refresh_delay_ms(300);
    std::vector<std::thread> threads;
    std::atomic<int> usable{0};
    for (int i = 0; i < 20; ++i) {
        threads.emplace_back([&] {
            if (s.token_for_request("qwen_portal").usable()) ++usable;
        });
    }
    for (auto& t : threads)
        t.join();
    EXPECT_EQ(usable.load(), 20);
    EXPECT_EQ(m_fake.refreshes(), 2);
    EXPECT_EQ(s.snapshot("qwen_portal").access_token, "qwen-at-3");
}

TEST_F(TokenStoreTest, TransientFailuresBackOffAndKeepTrying) {
    m_fake.set_current(1);
    write(1, kT0 + 3600);
    m_fake.fail_refreshes(503);
    TokenStore& s = store();
    m_now = kT0 + 3300;
    s.run_due_refreshes();
    EXPECT_EQ(m_fake.refreshes(), 1);
    EXPECT_EQ(*qwen().next_refresh_at, kT0 + 3300 + 5);
    EXPECT_NE(qwen().last_error.find("503"), std::string::npos) << qwen().last_error;
    EXPECT_EQ(qwen().state, CredentialState::kValid);  // the token itself is still good
    m_now = kT0 + 3305;
    s.run_due_refreshes();
    EXPECT_EQ(*qwen().next_refresh_at, kT0 + 3305 + 10);  // doubled
    m_fake.fail_refreshes(0);
    m_now = kT0 + 3315;
    s.run_due_refreshes();
    EXPECT_EQ(m_fake.refreshes(), 3);
    EXPECT_TRUE(qwen().last_error.empty());
    EXPECT_EQ(s.snapshot("qwen").access_token, "qwen-at-2");
}

TEST_F(TokenStoreTest, ARefusedRefreshTokenNeedsALoginAndIsNotRetried) {
    m_fake.set_current(1);
    write(1, kT0 - 1);
    m_fake.fail_refreshes(400);
    TokenStore& s = store();
    EXPECT_EQ(qwen().state, CredentialState::kLoginNeeded);
    EXPECT_FALSE(qwen().next_refresh_at);
    TokenSnapshot t = s.token_for_request("qwen_portal");
    EXPECT_FALSE(t.usable());
    EXPECT_NE(t.reason.find("login needed"), std::string::npos) << t.reason;
    EXPECT_NE(t.reason.find("litellmctl auth qwen"), std::string::npos);
    EXPECT_NE(t.reason.find("dashscope/"), std::string::npos);
    m_now = kT0 + 10000;
    s.run_due_refreshes();
    EXPECT_EQ(m_fake.refreshes(), 1);
    // A new login (tokens written by litellmctl or another tool) revives it.
    m_fake.fail_refreshes(0);
    m_fake.set_current(4);
    write(4, kT0 + 20000);
    s.run_due_refreshes();
    EXPECT_EQ(qwen().state, CredentialState::kValid);
    EXPECT_EQ(s.snapshot("qwen").access_token, "qwen-at-4");
}

TEST_F(TokenStoreTest, ACorruptFileIsReportedAndNeverWritten) {
    ASSERT_TRUE(write_file_atomic(path(), "{\"access_token\": ", 0600, nullptr));
    TokenStore& s = store();
    EXPECT_EQ(qwen().state, CredentialState::kCorrupt);
    EXPECT_NE(qwen().last_error.find("is not valid JSON"), std::string::npos);
    StoreResult r = s.refresh("qwen");
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(read_file(path()).value_or(""), "{\"access_token\": ");
    EXPECT_EQ(m_fake.refreshes(), 0);
}

TEST_F(TokenStoreTest, After401ANewerFileIsAdoptedBeforeAnyRefresh) {
    m_fake.set_current(1);
    write(1, kT0 + 3600);
    TokenStore& s = store();
    TokenSnapshot used = s.token_for_request("qwen");
    write(2, kT0 + 7200);  // another program refreshed meanwhile
    auto next = s.after_unauthorized("qwen", used.generation);
    ASSERT_TRUE(next);
    EXPECT_EQ(next->access_token, "qwen-at-2");
    EXPECT_EQ(m_fake.refreshes(), 0);
    // Refused again with no newer file: one refresh.
    m_fake.set_current(2);
    auto refreshed = s.after_unauthorized("qwen", next->generation);
    ASSERT_TRUE(refreshed);
    EXPECT_EQ(refreshed->access_token, "qwen-at-3");
    EXPECT_EQ(m_fake.refreshes(), 1);
}

TEST_F(TokenStoreTest, ImportAndLogout) {
    TokenStore& s = store();
    EXPECT_EQ(qwen().state, CredentialState::kMissing);
    TokenRecord r;
    r.access_token = "qwen-at-8";
    r.refresh_token = "qwen-rt-8";
    r.expires_at = kT0 + 3600;
    StoreResult imported = s.import("qwen", r);
    ASSERT_TRUE(imported.ok) << imported.message;
    EXPECT_EQ(qwen().state, CredentialState::kValid);
    EXPECT_EQ(*qwen().last_refresh, kT0);
    EXPECT_TRUE(s.token_for_request("qwen").usable());
    EXPECT_FALSE(s.import("qwen", TokenRecord{}).ok);
    ASSERT_TRUE(s.logout("qwen").ok);
    EXPECT_FALSE(path_exists(path()));
    EXPECT_EQ(qwen().state, CredentialState::kMissing);
    EXPECT_TRUE(s.logout("qwen").not_found);
    EXPECT_TRUE(s.refresh("bedrock").not_found);
}

TEST_F(TokenStoreTest, TheThreadNoticesAFileWrittenByAnotherProgram) {
    m_fake.set_current(1);
    write(1, kT0 + 3600);
    TokenStore& s = store(/*start_thread=*/true);
    EXPECT_EQ(s.snapshot("qwen").access_token, "qwen-at-1");
    write(6, kT0 + 3600);
    for (int i = 0; i < 100 && s.snapshot("qwen").access_token != "qwen-at-6"; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(s.snapshot("qwen").access_token, "qwen-at-6");  // inotify: well before 2 s
    s.stop();
}

}  // namespace
}  // namespace litellm::auth
