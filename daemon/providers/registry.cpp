#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <ctime>

#include <fmt/format.h>

#include "daemon/http/message.hpp"
#include "daemon/providers/provider.hpp"
#include "daemon/wire/model.hpp"

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

std::string QuotaReading::describe() const {
    auto window = [](const char* name, double used, std::int64_t reset) -> std::string {
        if (used < 0) return {};
        std::string text = fmt::format("{} {:.0f}%", name, used);
        if (reset > 0) {
            std::time_t t = static_cast<std::time_t>(reset);
            std::tm tm{};
            gmtime_r(&t, &tm);
            char buf[32];
            std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
            text += fmt::format(" (resets {})", buf);
        }
        return text;
    };
    std::string out = window("primary", primary_used_percent, primary_reset_at);
    std::string weekly = window("weekly", secondary_used_percent, secondary_reset_at);
    if (!weekly.empty()) out += (out.empty() ? "" : ", ") + weekly;
    if (out.empty()) out = limit_reached ? "limit reached" : "room left";
    if (limit_reached && out.find("limit") == std::string::npos) out += ", limit reached";
    return out + " [" + source + "]";
}

std::string string_param(const Deployment& d, std::string_view name) {
    auto it = d.extra_params.find(std::string(name));
    if (it == d.extra_params.end()) return {};
    std::string_view text = it->second;
    if (text.size() < 2 || text.front() != '"' || text.back() != '"') return {};
    return wire::unescape_json(text.substr(1, text.size() - 2));
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

std::optional<double> retry_hint_in_body(std::string_view body) {
    auto lower = [](std::string_view s) {
        std::string out(s.substr(0, 64 * 1024));
        for (char& c : out)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return out;
    };
    std::string text = lower(body);
    // A number right after `at`, skipping spaces, quotes and a colon; its unit after it.
    auto number_at = [&](std::size_t at) -> std::optional<double> {
        while (at < text.size() && (text[at] == ' ' || text[at] == '"' || text[at] == ':'))
            ++at;
        if (at >= text.size() || !std::isdigit(static_cast<unsigned char>(text[at]))) {
            return std::nullopt;
        }
        char* end = nullptr;
        double v = std::strtod(text.c_str() + at, &end);
        if (!std::isfinite(v) || v < 0) return std::nullopt;
        std::string_view unit(end, text.size() - static_cast<std::size_t>(end - text.c_str()));
        while (!unit.empty() && unit.front() == ' ')
            unit.remove_prefix(1);
        if (unit.rfind("ms", 0) == 0)
            v /= 1000;
        else if (unit.rfind("m", 0) == 0 && unit.rfind("mi", 0) == 0)
            v *= 60;  // minutes
        return v;
    };
    for (std::string_view phrase : {"try again in", "retry after", "retry in", "\"retry_after\"",
                                    "\"resets_in_seconds\"", "\"retry_after_seconds\""}) {
        for (std::size_t at = text.find(phrase); at != std::string::npos;
             at = text.find(phrase, at + 1)) {
            if (auto v = number_at(at + phrase.size())) return v;
        }
    }
    return std::nullopt;
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
    // Without the header, a rate limit or overload often says in its body when to come back.
    if (!e.retry_after_s &&
        (e.kind == wire::ErrorKind::kRateLimit || e.kind == wire::ErrorKind::kOverloaded)) {
        e.retry_after_s = retry_hint_in_body(body);
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
