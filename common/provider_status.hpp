#pragma once
// Which providers the config uses and whether each has its credentials: one row per
// (provider, credential), e.g. Z.AI and DashScope both use the anthropic/ provider with their
// own keys. The daemon's `status`, litellmctl's offline status and `doctor` share it.

#include <string>
#include <vector>

#include "common/config.hpp"
#include "common/paths.hpp"

namespace litellm {

/// Credential state of one provider.
struct ProviderStatus {
    std::string name;                 ///< model-name prefix or provider, e.g. "zai", "anthropic"
    std::string display_name;         ///< "Anthropic @ api.z.ai"
    std::string format;               ///< wire format name
    std::string auth;                 ///< "api_key" or "oauth"
    std::vector<std::string> models;  ///< public model names using it
    bool credential_ok = false;
    std::string source;  ///< "env ANTHROPIC_API_KEY", "config", "auth.chatgpt.json"
    std::string hint;    ///< how to fix a missing credential; empty when ok
};

/// The providers `config` uses, in first-use order, with their credential state read from the
/// environment (after .env) and the token files in `paths.home`.
std::vector<ProviderStatus> provider_status(const Config& config, const HomePaths& paths,
                                            const std::string& config_path);

/// Host part of a URL ("https://api.z.ai/api/anthropic" -> "api.z.ai").
std::string url_host(const std::string& url);

}  // namespace litellm
