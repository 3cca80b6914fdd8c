#include "common/home_init.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "common/fs.hpp"

namespace litellm {
namespace {

class HomeInit : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string tmpl = (std::filesystem::temp_directory_path() / "home-init-XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        m_dir = tmpl;
    }
    void TearDown() override { std::filesystem::remove_all(m_dir); }
    std::string m_dir;
};

std::string source(const char* rel) {
    return read_file(std::string(LITELLM_SOURCE_DIR) + "/" + rel).value_or("<missing>");
}

TEST_F(HomeInit, DefaultsAreTheFilesInEtc) {
    EXPECT_EQ(default_config_text(), source("etc/config.yaml"));
    EXPECT_EQ(default_env_example_text(), source("etc/env.example"));
}

TEST_F(HomeInit, WritesMissingFilesKeepsExistingOnesAndForceReplaces) {
    HomePaths paths = home_paths(m_dir + "/home");
    HomeInitResult first = init_home(paths, false);
    ASSERT_TRUE(first.ok) << first.error;
    EXPECT_EQ(first.written.size(), 2u);
    struct stat st {};
    ASSERT_EQ(::stat(paths.config.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    ASSERT_EQ(::stat(paths.home.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    EXPECT_FALSE(path_exists(paths.dotenv));

    ASSERT_TRUE(write_file_atomic(paths.config, "mine\n", 0600, nullptr));
    HomeInitResult second = init_home(paths, false);
    EXPECT_TRUE(second.written.empty());
    EXPECT_EQ(second.kept.size(), 2u);
    EXPECT_EQ(read_file(paths.config).value_or(""), "mine\n");

    HomeInitResult forced = init_home(paths, true);
    EXPECT_EQ(forced.written.size(), 2u);
    EXPECT_EQ(read_file(paths.config).value_or(""), default_config_text());
}

TEST_F(HomeInit, ConfigPathOverrideAndUnwritableHome) {
    HomePaths paths = home_paths(m_dir + "/h");
    HomeInitResult r = init_home(paths, false, m_dir + "/elsewhere.yaml");
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_TRUE(path_exists(m_dir + "/elsewhere.yaml"));
    EXPECT_FALSE(path_exists(paths.config));

    ASSERT_TRUE(write_file_atomic(m_dir + "/file", "x", 0600, nullptr));
    HomeInitResult bad = init_home(home_paths(m_dir + "/file/home"), false);
    EXPECT_FALSE(bad.ok);
    EXPECT_FALSE(bad.error.empty());
}

}  // namespace
}  // namespace litellm
