#pragma once
// Where litellmd keeps its files. LITELLM_HOME (default ~/.litellm) holds the same names as the
// original tool so an existing home works unchanged.

#include <string>

namespace litellm {

/// The files of one home.
struct HomePaths {
    std::string home;         ///< $LITELLM_HOME or ~/.litellm
    std::string config;       ///< home/config.yaml
    std::string dotenv;       ///< home/.env
    std::string env_example;  ///< home/.env.example
    std::string logs_dir;     ///< home/logs
    std::string log_file;     ///< home/logs/litellmd.log
    std::string socket;       ///< control socket (see control_socket_path)
    std::string lock_file;    ///< home/litellmd.lock: held by the running daemon
    std::string pid_file;     ///< home/litellmd.pid: written by the detached mode
};

/// $LITELLM_HOME, else $HOME/.litellm (HOME from the passwd entry when unset).
std::string default_home();

/// The paths for `home` (made absolute).
HomePaths home_paths(const std::string& home);

/// The control socket for `home`: $LITELLM_SOCKET when set; else home/litellmd.sock; when that
/// would not fit in sun_path, $XDG_RUNTIME_DIR/litellm/litellmd-<hash>.sock (or
/// /tmp/litellm-<uid>/...), the hash telling homes apart.
std::string control_socket_path(const std::string& home);

/// Absolute form of `path` (relative to the current directory); unchanged when already so.
std::string absolute_path(const std::string& path);

}  // namespace litellm
