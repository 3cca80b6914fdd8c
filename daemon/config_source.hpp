#pragma once
// What the data plane needs of its owner: the config snapshot in effect and where its files
// are (for messages that tell a user what to edit). `Daemon` implements it; the proxy and the
// tests see only this.

#include <memory>
#include <string>

#include "common/config.hpp"

namespace litellm {

class ConfigSource {
  public:
    virtual ~ConfigSource() = default;
    /// The config in effect (never null once the daemon started); a request keeps its copy.
    virtual std::shared_ptr<const Config> config() const = 0;
    /// The config file's path, as a user would edit it.
    virtual std::string config_path() const = 0;
    /// The .env file's path.
    virtual std::string dotenv_path() const = 0;
};

}  // namespace litellm
