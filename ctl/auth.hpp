#pragma once
// `litellmctl auth ...`: OAuth logins (the Qwen device flow), status, refresh, logout and import
// of another tool's token file. With a daemon running, tokens go through it (auth.import,
// auth.refresh, auth.logout), so it stays the only writer of the files; without one, litellmctl
// writes them itself under the same file lock.

#include <string>

namespace litellm::ctl {

/// What an `auth` subcommand was asked.
struct AuthOptions {
    std::string home;
    std::string socket_path;
    std::string action;    ///< "login", "status", "refresh", "logout", "import"
    std::string provider;  ///< a provider or login word; for "login" the login word
    std::string from;      ///< import: the file to read (default: the official CLI's)
    bool json = false;
    bool no_browser = false;
    int timeout_ms = 10000;
};

/// Runs one `auth` command; returns the exit code.
int auth_command(const AuthOptions& options);

/// Whether a browser cannot be opened here (SSH session, no display, a container).
bool is_headless();

}  // namespace litellm::ctl
