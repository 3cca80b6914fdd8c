#include "common/provider_status.hpp"

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <map>

#include <fmt/format.h>

#include "common/fs.hpp"
#include "common/providers.hpp"
#include "common/token_file.hpp"

namespace litellm {

std::string url_host(const std::string& url) {
    size_t start = url.find("://");
    start = start == std::string::npos ? 0 : start + 3;
    size_t authority_end = url.find_first_of("/?#", start);
    // user:password@ is not part of the host (and must never be shown).
    size_t at = url.rfind('@', authority_end == std::string::npos ? url.size() : authority_end);
    if (at != std::string::npos && at >= start) start = at + 1;
    if (start < url.size() && url[start] == '[') {
        size_t close = url.find(']', start);
        if (close != std::string::npos) return url.substr(start, close + 1 - start);
    }
    size_t end = url.find_first_of(":/?#", start);
    return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

std::vector<ProviderStatus> provider_status(const Config& config, const HomePaths& paths,
                                            const std::string& config_path) {
    const Config* cfg = &config;
    std::vector<ProviderStatus> out;
    // One row per (provider, credential): Z.AI and DashScope both use the anthropic/ provider
    // with their own keys, and a user thinks of them as separate providers.
    std::map<std::string, std::size_t> index;
    for (const auto& dep : cfg->model_list) {
        const ProviderInfo* info = find_provider(dep.provider);
        if (!info) continue;
        bool present = true;
        std::string source, hint;
        if (info->auth == AuthKind::kOAuth) {
            // The token file as the daemon reads it (the same parser), not merely its presence.
            std::string path = token_file_path(*info, paths.home);
            source = std::string(info->token_file);
            std::string error;
            auto text = read_file(path, &error);
            TokenParse parsed = text ? parse_token_file(*text) : TokenParse{};
            auto now = static_cast<std::int64_t>(std::time(nullptr));
            if (!text) {
                present = false;
                hint = fmt::format("not logged in: no {}; run `{}`", path, info->login_command);
            } else if (!parsed.ok) {
                present = false;
                hint = fmt::format("{} {}; run `{}` to log in again", path, parsed.error,
                                   info->login_command);
            } else if (parsed.record.refresh_token.empty() && parsed.record.expires_at &&
                       *parsed.record.expires_at <= now) {
                present = false;
                hint = fmt::format(
                    "the access token in {} expired and there is no refresh "
                    "token; run `{}`",
                    path, info->login_command);
            }
        } else {
            // The deployment's api_key, else the provider's default variable.
            std::string env_name = dep.api_key.env_name;
            present = dep.api_key.present();
            if (dep.api_key.value.empty() && env_name.empty() && !info->default_key_env.empty()) {
                env_name = std::string(info->default_key_env);
                const char* v = std::getenv(env_name.c_str());
                present = v && *v;
            }
            source = env_name.empty() ? "config" : "env " + env_name;
            if (!present) {
                hint = env_name.empty()
                           ? fmt::format("set litellm_params.api_key for '{}' in {}",
                                         dep.model_name, config_path)
                           : fmt::format("add {}=<key> to {} and run `litellmctl reload`", env_name,
                                         paths.dotenv);
            }
        }
        auto [it, inserted] = index.emplace(dep.provider + "|" + source, out.size());
        if (inserted) {
            ProviderStatus st;
            size_t slash = dep.model_name.find('/');
            st.name = slash != std::string::npos ? dep.model_name.substr(0, slash) : dep.provider;
            st.display_name = std::string(info->display_name);
            std::string host = url_host(dep.api_base);
            if (!host.empty() && host != url_host(std::string(info->default_api_base))) {
                st.display_name += " @ " + host;
            }
            st.format = std::string(wire_format_name(info->format));
            st.auth = info->auth == AuthKind::kOAuth ? "oauth" : "api_key";
            st.credential_ok = present;
            st.source = source;
            st.hint = hint;
            out.push_back(std::move(st));
        }
        ProviderStatus& st = out[it->second];
        if (std::find(st.models.begin(), st.models.end(), dep.model_name) == st.models.end()) {
            st.models.push_back(dep.model_name);
        }
        if (!present && st.credential_ok) {
            st.credential_ok = false;
            st.hint = hint;
        }
    }
    return out;
}

}  // namespace litellm
