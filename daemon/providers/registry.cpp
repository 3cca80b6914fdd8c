#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "daemon/http/message.hpp"
#include "daemon/providers/provider.hpp"

namespace litellm::providers {

namespace {

struct Row {
    std::string_view prefix;
    const Provider* impl;
};

// Filled during static initialisation (one row per provider file), read-only afterwards.
std::vector<Row>& rows() {
    static std::vector<Row> table;
    return table;
}

std::string trim_slash(std::string s) {
    while (!s.empty() && s.back() == '/')
        s.pop_back();
    return s;
}

}  // namespace

std::string UpstreamCall::base() const {
    return trim_slash(deployment.api_base.empty() ? std::string(info.default_api_base)
                                                  : deployment.api_base);
}

std::string Provider::missing_credentials(const UpstreamCall& call, const std::string& config_path,
                                          const std::string& dotenv_path) const {
    if (!call.key().empty()) return {};
    const Deployment& d = call.deployment;
    if (d.api_key.env_name.empty()) {
        return fmt::format("no API key for '{}': set litellm_params.api_key in {}", d.model_name,
                           config_path);
    }
    return fmt::format("no API key for '{}': add {}=<key> to {} and run `litellmctl reload`",
                       d.model_name, d.api_key.env_name, dotenv_path);
}

wire::Error Provider::classify(int status, std::string_view body, const Headers& headers) const {
    wire::Error e = wire::classify_upstream_error(status, body);
    for (const auto& [k, v] : headers) {
        if (k != "retry-after") continue;
        char* end = nullptr;
        double s = std::strtod(v.c_str(), &end);
        if (end != v.c_str() && s >= 0 && std::isfinite(s)) e.retry_after_s = s;
        break;
    }
    return e;
}

ProviderRegistration::ProviderRegistration(std::string_view prefix, const Provider& impl,
                                           const ProviderInfo* info) {
    if (info) add_provider_info(*info);
    rows().push_back({prefix, &impl});
}

const Provider* find(std::string_view prefix) {
    for (const Row& row : rows()) {
        if (row.prefix == prefix) return row.impl;
    }
    return nullptr;
}

std::vector<std::string_view> registered_prefixes() {
    std::vector<std::string_view> out;
    for (const Row& row : rows())
        out.push_back(row.prefix);
    return out;
}

}  // namespace litellm::providers
