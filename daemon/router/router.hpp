#pragma once
// Resolution of a requested model name into the ordered list of deployments to try: the
// model's own deployments (in order, or rotated per request with a round-robin strategy), then
// each fallback model's deployments in the configured order. Also the failure classes that
// decide between retrying, falling back and giving up.

#include <atomic>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/config.hpp"
#include "daemon/router/cooldown.hpp"
#include "daemon/wire/model.hpp"

namespace litellm::router {

/// A stable key for a deployment in the cooldown table: "<model_name>@<provider/model>[@base]".
std::string deployment_key(const Deployment& d);

/// The deployments to try for `model`, primary first, without duplicates. `rotation` picks the
/// starting deployment inside each group when the routing strategy rotates. A name no
/// deployment has exactly is matched against wildcard names (`anthropic/*`, `*`; the longest
/// pattern first, as LiteLLM does) when `concrete` is given: each matching deployment is copied
/// there with the captured text put in place of the `*` of its litellm_params.model, and the
/// chain points at the copies.
std::vector<const Deployment*> resolve_chain(const Config& cfg, const std::string& model,
                                             unsigned rotation = 0,
                                             std::deque<Deployment>* concrete = nullptr);

/// The captures of `name` against a wildcard `pattern` (each `*` matches any text, the first
/// as much as it can), or nullopt when it does not match.
std::optional<std::vector<std::string>> match_wildcard(std::string_view pattern,
                                                       std::string_view name);

/// The deployments of the context-window fallbacks for `model` (may be empty).
std::vector<const Deployment*> resolve_context_fallbacks(const Config& cfg,
                                                         const std::string& model);

/// What a failed attempt means for the request.
enum class FailureClass {
    kTransient,      ///< connect error, timeout, 5xx, overloaded: retry, then fall back
    kRateLimit,      ///< 429 / quota: cool down now, fall back without retrying
    kCredentials,    ///< 401/403/404 at the upstream: fall back, counts as a failure
    kContextLength,  ///< prompt too long: only a larger-context fallback may help
    kClientError,    ///< other 4xx: the request itself is wrong; return it, no fallback
    kUnusable,       ///< the deployment cannot be tried here (no key, unsupported provider)
};

/// Classifies an error produced before anything reached the client.
FailureClass classify_failure(const wire::Error& error, bool transport_failure);

/// Short name for logs ("rate_limit", ...).
const char* failure_class_name(FailureClass c);

/// The cooldown policy from the router settings.
CooldownPolicy cooldown_policy(const RouterSettings& settings);

}  // namespace litellm::router
