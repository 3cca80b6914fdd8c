#include "common/fs.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace litellm {

namespace {

std::string errno_text(const std::string& path) {
    return path + ": " + std::strerror(errno);
}

}  // namespace

std::optional<std::string> read_file(const std::string& path, std::string* error) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        if (error) *error = errno_text(path);
        return std::nullopt;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

namespace {

// Temp files of `name` that a writer killed mid-write left behind (their pid is gone): they
// may hold a secret, and nothing else would ever remove them.
void remove_orphaned_temps(const std::string& dir, const std::string& name) {
    std::string prefix = "." + name + ".tmp.";
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        std::string file = entry.path().filename().string();
        if (file.compare(0, prefix.size(), prefix) != 0) continue;
        long pid = std::atol(file.c_str() + prefix.size());
        if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
            std::filesystem::remove(entry.path(), ec);
        }
    }
}

}  // namespace

bool write_file_atomic(const std::string& path, const std::string& content, mode_t mode,
                       std::string* error) {
    std::filesystem::path target(path);
    std::string dir = target.parent_path().empty() ? "." : target.parent_path().string();
    remove_orphaned_temps(dir, target.filename().string());
    std::random_device rd;
    std::string tmp = dir + "/." + target.filename().string() + ".tmp." + std::to_string(getpid()) +
                      "." + std::to_string(rd());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        if (error) *error = errno_text(tmp);
        return false;
    }
    // The umask may have narrowed `mode`; tokens must be exactly 0600, settings as asked.
    ::fchmod(fd, mode);
    size_t off = 0;
    while (off < content.size()) {
        ssize_t n = ::write(fd, content.data() + off, content.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (error) *error = errno_text(tmp);
            ::close(fd);
            ::unlink(tmp.c_str());
            return false;
        }
        off += static_cast<size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        if (error) *error = errno_text(tmp);
        ::unlink(tmp.c_str());
        return false;
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        if (error) *error = errno_text(path);
        ::unlink(tmp.c_str());
        return false;
    }
    int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
    return true;
}

bool ensure_directory(const std::string& path, mode_t mode, std::string* error) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) return true;
    std::filesystem::path p(path);
    if (p.has_parent_path() && p.parent_path() != p) {
        if (!ensure_directory(p.parent_path().string(), mode, error)) return false;
    }
    if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) {
        if (error) *error = errno_text(path);
        return false;
    }
    return true;
}

bool path_exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

}  // namespace litellm
