#include "daemon/router/router.hpp"

#include <algorithm>

#include "common/redact.hpp"

namespace litellm::router {

std::string deployment_key(const Deployment& d) {
    std::string key = d.model_name + "@" + d.model;
    // The key is shown (status, cooldowns): an api_base's user:password@ never is.
    if (!d.api_base.empty()) key += "@" + redact(d.api_base);
    return key;
}

namespace {

// The deployments of the most specific wildcard name matching `model`, made concrete.
std::vector<const Deployment*> wildcard_group(const Config& cfg, const std::string& model,
                                              std::deque<Deployment>& concrete) {
    const std::string* best = nullptr;
    for (const Deployment& d : cfg.model_list) {
        if (d.model_name.find('*') == std::string::npos) continue;
        if (best && d.model_name.size() <= best->size()) continue;
        if (match_wildcard(d.model_name, model)) best = &d.model_name;
    }
    std::vector<const Deployment*> out;
    if (!best) return out;
    for (const Deployment& d : cfg.model_list) {
        if (d.model_name != *best) continue;
        auto captures = match_wildcard(d.model_name, model);
        Deployment& c = concrete.emplace_back(d);
        c.model_name = model;
        // Each `*` of litellm_params.model takes the next capture, as LiteLLM fills them.
        std::string filled;
        std::size_t next = 0;
        for (char ch : d.model) {
            if (ch == '*' && captures && next < captures->size())
                filled += (*captures)[next++];
            else
                filled += ch;
        }
        c.model = filled;
        c.upstream_model = filled.substr(filled.find('/') + 1);
        out.push_back(&c);
    }
    return out;
}

void append_group(const Config& cfg, const std::string& model, unsigned rotation,
                  std::vector<const Deployment*>& out, std::deque<Deployment>* concrete) {
    auto group = cfg.deployments_for(model);
    if (group.empty() && concrete) group = wildcard_group(cfg, model, *concrete);
    if (group.empty()) return;
    bool rotate = cfg.router.routing_strategy == "round-robin" ||
                  cfg.router.routing_strategy == "simple-shuffle";
    size_t start = rotate ? rotation % group.size() : 0;
    for (size_t i = 0; i < group.size(); ++i) {
        const Deployment* d = group[(start + i) % group.size()];
        if (std::find(out.begin(), out.end(), d) == out.end()) out.push_back(d);
    }
}

}  // namespace

std::optional<std::vector<std::string>> match_wildcard(std::string_view pattern,
                                                       std::string_view name) {
    std::size_t star = pattern.find('*');
    if (star == std::string_view::npos) {
        if (pattern == name) return std::vector<std::string>{};
        return std::nullopt;
    }
    if (name.substr(0, star) != pattern.substr(0, star)) return std::nullopt;
    std::string_view rest_pattern = pattern.substr(star + 1);
    // The longest capture first (a greedy `.*`), then shorter ones.
    for (std::size_t len = name.size() - star + 1; len-- > 0;) {
        auto tail = match_wildcard(rest_pattern, name.substr(star + len));
        if (!tail) continue;
        std::vector<std::string> captures{std::string(name.substr(star, len))};
        captures.insert(captures.end(), tail->begin(), tail->end());
        return captures;
    }
    return std::nullopt;
}

std::vector<const Deployment*> resolve_chain(const Config& cfg, const std::string& model,
                                             unsigned rotation, std::deque<Deployment>* concrete) {
    std::vector<const Deployment*> out;
    append_group(cfg, model, rotation, out, concrete);
    if (out.empty()) return out;  // unknown model: no chain at all
    if (const FallbackChain* chain = cfg.fallbacks_for(model)) {
        for (const auto& f : chain->fallbacks)
            append_group(cfg, f, rotation, out, concrete);
    }
    return out;
}

std::vector<const Deployment*> resolve_context_fallbacks(const Config& cfg,
                                                         const std::string& model) {
    std::vector<const Deployment*> out;
    for (const auto& chain : cfg.router.context_window_fallbacks) {
        if (chain.model_name != model) continue;
        for (const auto& f : chain.fallbacks)
            append_group(cfg, f, 0, out, nullptr);
    }
    return out;
}

FailureClass classify_failure(const wire::Error& error, bool transport_failure) {
    if (transport_failure) return FailureClass::kTransient;
    switch (error.kind) {
        case wire::ErrorKind::kRateLimit:
            return FailureClass::kRateLimit;
        case wire::ErrorKind::kContextLength:
            return FailureClass::kContextLength;
        case wire::ErrorKind::kAuthentication:
        case wire::ErrorKind::kPermission:
        case wire::ErrorKind::kNotFound:
        case wire::ErrorKind::kNoRoute:  // an upstream path that is not there: try the next
            return FailureClass::kCredentials;
        case wire::ErrorKind::kInvalidRequest:
        case wire::ErrorKind::kRequestTooLarge:
            return FailureClass::kClientError;
        case wire::ErrorKind::kOverloaded:
        case wire::ErrorKind::kApi:
        case wire::ErrorKind::kTimeout:
            return FailureClass::kTransient;
    }
    return FailureClass::kTransient;
}

const char* failure_class_name(FailureClass c) {
    switch (c) {
        case FailureClass::kTransient:
            return "transient";
        case FailureClass::kRateLimit:
            return "rate_limit";
        case FailureClass::kCredentials:
            return "credentials";
        case FailureClass::kContextLength:
            return "context_length";
        case FailureClass::kClientError:
            return "client_error";
        case FailureClass::kUnusable:
            return "unusable";
    }
    return "unknown";
}

CooldownPolicy cooldown_policy(const RouterSettings& settings) {
    CooldownPolicy p;
    p.allowed_fails = settings.allowed_fails;
    p.cooldown_time_s = settings.cooldown_time_s;
    p.max_cooldown_time_s = settings.max_cooldown_time_s;
    return p;
}

}  // namespace litellm::router
