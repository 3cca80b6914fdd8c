#include "common/paths.hpp"

#include <pwd.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

namespace litellm {

namespace {

std::string env_or_empty(const char* name) {
    const char* v = std::getenv(name);
    return v ? std::string(v) : std::string();
}

// FNV-1a: a stable short hash so two homes never share a fallback socket name.
std::uint32_t fnv1a(const std::string& s) {
    std::uint32_t h = 2166136261u;
    for (unsigned char c : s) {
        h ^= c;
        h *= 16777619u;
    }
    return h;
}

}  // namespace

std::string absolute_path(const std::string& path) {
    if (path.empty()) return path;
    std::error_code ec;
    auto abs = std::filesystem::absolute(path, ec);
    return ec ? path : abs.lexically_normal().string();
}

std::string default_home() {
    std::string home = env_or_empty("LITELLM_HOME");
    if (!home.empty()) return absolute_path(home);
    std::string user_home = env_or_empty("HOME");
    if (user_home.empty()) {
        if (const passwd* pw = getpwuid(getuid())) user_home = pw->pw_dir;
    }
    return user_home + "/.litellm";
}

HomePaths home_paths(const std::string& home_in) {
    HomePaths p;
    p.home = absolute_path(home_in);
    p.config = p.home + "/config.yaml";
    p.dotenv = p.home + "/.env";
    p.env_example = p.home + "/.env.example";
    p.logs_dir = p.home + "/logs";
    p.log_file = p.logs_dir + "/litellmd.log";
    p.socket = control_socket_path(p.home);
    p.lock_file = p.home + "/litellmd.lock";
    p.pid_file = p.home + "/litellmd.pid";
    return p;
}

std::string control_socket_path(const std::string& home) {
    std::string over = env_or_empty("LITELLM_SOCKET");
    if (!over.empty()) return over;
    std::string abs = absolute_path(home);
    std::string direct = abs + "/litellmd.sock";
    if (direct.size() < sizeof(sockaddr_un::sun_path)) return direct;
    std::string runtime = env_or_empty("XDG_RUNTIME_DIR");
    std::string dir =
        runtime.empty() ? fmt::format("/tmp/litellm-{}", getuid()) : runtime + "/litellm";
    return fmt::format("{}/litellmd-{:08x}.sock", dir, fnv1a(abs));
}

}  // namespace litellm
