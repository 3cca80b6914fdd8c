#pragma once
// Creating a home: the default config.yaml and .env.example (compiled into both binaries from
// etc/), for `litellmctl init`, the first `litellmctl start` and litellmd's first start.

#include <string>
#include <vector>

#include "common/paths.hpp"

namespace litellm {

/// What init_home did, file by file.
struct HomeInitResult {
    bool ok = true;
    std::string error;                 ///< why not, when !ok
    std::vector<std::string> written;  ///< files created (or replaced with `force`)
    std::vector<std::string> kept;     ///< files that existed and were left alone
};

/// Creates `paths.home` (0700) and writes the default config.yaml (0600) and .env.example
/// (0644) where they are missing, or everywhere with `force`. `config_path` overrides where the
/// config goes. Never writes .env: keys are the user's. Writes are atomic.
HomeInitResult init_home(const HomePaths& paths, bool force, const std::string& config_path = {});

/// The default config.yaml text.
const char* default_config_text();
/// The default .env.example text.
const char* default_env_example_text();

}  // namespace litellm
