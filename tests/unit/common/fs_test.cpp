#include "common/fs.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

namespace litellm {
namespace {

TEST(Fs, AtomicWriteReplacesContentWithExactMode) {
    auto dir = std::filesystem::temp_directory_path() / ("litellm-fs-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    std::string path = (dir / "auth.test.json").string();
    mode_t old = ::umask(0022);
    ASSERT_TRUE(write_file_atomic(path, "first\n", 0600));
    ASSERT_TRUE(write_file_atomic(path, "second\n", 0600));
    ::umask(old);
    EXPECT_EQ(read_file(path).value_or(""), "second\n");
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    // No temp files left behind.
    int entries = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir))
        ++entries;
    EXPECT_EQ(entries, 1);
    std::filesystem::remove_all(dir);
}

TEST(Fs, AtomicWriteRemovesTempFilesOfKilledWriters) {
    auto dir =
        std::filesystem::temp_directory_path() / ("litellm-fs-orphan-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    // A writer killed between open and rename leaves its temp file (pid above pid_max: gone).
    std::string orphan = (dir / ".settings.json.tmp.4194399.17").string();
    std::string live = (dir / (".settings.json.tmp." + std::to_string(getpid()) + ".9")).string();
    std::string other = (dir / ".other.json.tmp.4194399.1").string();
    for (const auto& p : {orphan, live, other})
        ASSERT_TRUE(write_file_atomic(p, "secret", 0600));
    ASSERT_TRUE(write_file_atomic((dir / "settings.json").string(), "{}", 0600));
    EXPECT_FALSE(path_exists(orphan));
    EXPECT_TRUE(path_exists(live));   // a running writer's file is left alone
    EXPECT_TRUE(path_exists(other));  // and so are other files' temps
    std::filesystem::remove_all(dir);
}

TEST(Fs, AtomicWriteReportsErrors) {
    std::string error;
    EXPECT_FALSE(write_file_atomic("/nonexistent-dir/x/y.json", "z", 0600, &error));
    EXPECT_NE(error.find("nonexistent-dir"), std::string::npos);
    EXPECT_FALSE(read_file("/nonexistent-dir/file", &error));
}

TEST(Fs, EnsureDirectoryCreatesParents) {
    auto dir =
        std::filesystem::temp_directory_path() / ("litellm-fs-dir-" + std::to_string(getpid()));
    std::string nested = (dir / "a" / "b").string();
    ASSERT_TRUE(ensure_directory(nested, 0700));
    EXPECT_TRUE(std::filesystem::is_directory(nested));
    EXPECT_TRUE(ensure_directory(nested, 0700));  // idempotent
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace litellm
