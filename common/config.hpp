#pragma once
// LiteLLM-format config.yaml, the subset the original tool uses, loaded with yaml-cpp.
//
// Loading never throws: every problem becomes a Diagnostic that names the file, line and column.
// Errors make the load fail (the caller keeps its old config); warnings (unknown keys, references
// to environment variables that are not set) are reported and the load still succeeds, so a user
// with no credentials at all still gets a running daemon that tells them what is missing.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/outbound_proxy.hpp"

namespace litellm {

/// One problem found while loading a config file. line/column are 1-based; 0 means unknown.
struct Diagnostic {
    enum class Severity { kError, kWarning };
    Severity severity = Severity::kError;
    std::string file;
    int line = 0;
    int column = 0;
    std::string message;

    /// "file:line:col: error: message", the form compilers use so editors can jump to it.
    std::string to_string() const;
};

/// A value that may come from the environment ("os.environ/NAME" in the YAML).
struct SecretValue {
    std::string value;     ///< resolved value; empty when the variable is unset
    std::string env_name;  ///< NAME when written as os.environ/NAME, else empty

    /// True when a usable (non-empty) value is present.
    bool present() const { return !value.empty(); }
};

/// One `model_list` entry: a public model name bound to one upstream deployment.
struct Deployment {
    std::string model_name;      ///< public name clients ask for, e.g. "claude-opus-4-6"
    std::string model;           ///< litellm_params.model as written, e.g. "anthropic/glm-5"
    std::string provider;        ///< part of `model` before the first '/', e.g. "anthropic"
    std::string upstream_model;  ///< part after the first '/', e.g. "glm-5"
    SecretValue api_key;
    std::string api_base;  ///< empty means the provider's default
    std::optional<double> timeout_s;
    std::optional<double> stream_timeout_s;      ///< idle timeout between stream chunks
    std::optional<double> first_byte_timeout_s;  ///< wait for the response head
    std::map<std::string, std::string> extra_headers;
    /// LiteLLM's rpm / tpm: requests and tokens a minute this deployment may take; at its
    /// limit it is skipped like a cooling one until the minute ends.
    std::optional<std::int64_t> rpm;
    std::optional<std::int64_t> tpm;
    /// Other litellm_params keys (e.g. `thinking`, `max_tokens`, `reasoning`), as compact JSON
    /// text keyed by name; later issues merge them into upstream request bodies.
    std::map<std::string, std::string> extra_params;
    /// model_info as compact JSON keys (e.g. {"mode": "\"responses\""}).
    std::map<std::string, std::string> model_info;
    int line = 0;  ///< 1-based line of the entry in the file, for messages
};

/// One `router_settings.fallbacks` item: primary model name -> ordered fallbacks.
struct FallbackChain {
    std::string model_name;
    std::vector<std::string> fallbacks;
};

struct RouterSettings {
    std::vector<FallbackChain> fallbacks;
    std::vector<FallbackChain> context_window_fallbacks;
    std::vector<FallbackChain> content_policy_fallbacks;  ///< read, not used yet (a warning)
    FallbackChain default_fallbacks;  ///< model_name "*": the chain of models without their own
    int num_retries = 0;
    std::optional<double> timeout_s;    ///< idle timeout between bytes from an upstream
    double retry_after_s = 0;           ///< wait before retrying the same deployment
    int allowed_fails = 1;              ///< consecutive failures before a cooldown
    double cooldown_time_s = 60;        ///< cooldown when the upstream gives no hint
    double max_cooldown_time_s = 3600;  ///< cap on Retry-After / reset hints (litellmd key)
    std::optional<double> first_byte_timeout_s;  ///< wait for the response head (litellmd key)
    /// Streams: hold the first upstream event until the first content delta, at most this
    /// long, so an in-band error right after 200 can still fall back (litellmd key; 0 = off).
    double stream_hold_timeout_s = 10;
    std::string routing_strategy;  ///< empty = in order; "round-robin" / "simple-shuffle" rotate
};

struct LitellmSettings {
    bool drop_params = false;
    bool set_verbose = false;
    std::optional<double> request_timeout_s;
};

/// Bounds on what clients and upstreams can make the daemon hold. Each is a general_settings
/// key (the two *_size_mb keys are LiteLLM's own); the README's Limits table lists them.
struct Limits {
    std::size_t max_request_bytes = 32u << 20;  ///< max_request_size_mb: one request body
    /// max_buffered_requests_mb: request body bytes held by all connections together; a body
    /// that would pass it is refused with 503 (bodies grow as bytes arrive, never up front).
    std::size_t max_buffered_request_bytes = 256u << 20;
    std::size_t max_response_bytes = 64u << 20;  ///< max_response_size_mb: one upstream answer
    int max_inflate_ratio = 200;                 ///< a compressed answer's inflated/compressed
    std::size_t max_sse_line_bytes = 8u << 20;   ///< max_sse_line_kb: one SSE line or event
    int max_json_depth = 128;                    ///< nesting of a request or answer body
    std::size_t max_log_line_bytes = 8u << 10;   ///< max_log_line_kb: one log record's text
    /// Open client connections; one more is answered 503 and closed. Also capped to what
    /// RLIMIT_NOFILE leaves after upstream connections and the daemon's own files.
    int max_connections = 4096;
    /// client_head_timeout_s: longest a client may take over a request head, from its first
    /// byte (a client trickling a byte at a time must not hold a thread).
    int client_head_timeout_s = 30;
    /// client_request_timeout_s: longest a client may take over head and body together.
    int client_request_timeout_s = 300;
};

struct GeneralSettings {
    SecretValue master_key;
    Limits limits;
    std::size_t log_max_bytes = 0;  ///< log_max_size_mb: rotate the log file past it (0 = never)
    int log_backups = 5;            ///< log_backups: rotated files kept
    std::string log_file = "auto";  ///< log_file: auto (none under the journal), always, never
    /// quota_check_interval_s: while a deployment cools for a plan quota, how often its quota
    /// source (Codex's usage endpoint) is asked whether there is room again.
    int quota_check_interval_s = 300;
    /// allowed_hosts: more names a keyless litellmd answers to in Host besides localhost, IP
    /// addresses, this machine's name and host.docker.internal (aliases in /etc/hosts).
    std::vector<std::string> allowed_hosts;
};

/// The whole parsed config.
struct Config {
    std::string path;  ///< file it was read from (absolute when known)
    std::vector<Deployment> model_list;
    RouterSettings router;
    LitellmSettings litellm;
    GeneralSettings general;
    std::map<std::string, std::string> environment_variables;
    /// The outbound proxies (HTTPS_PROXY, ...), from the environment at load.
    OutboundProxy proxy;
    /// Deployments left out at load (a provider litellmd does not serve): model_name -> why.
    std::map<std::string, std::string> skipped_models;

    /// Distinct public model names in file order (wildcard routes are not names).
    std::vector<std::string> model_names() const;
    /// The deployments serving `model_name`, in file order (empty when unknown).
    std::vector<const Deployment*> deployments_for(const std::string& model_name) const;
    /// The fallback chain configured for `model_name`, or nullptr.
    const FallbackChain* fallbacks_for(const std::string& model_name) const;
};

/// Outcome of a load: a config when there were no errors, plus every diagnostic.
struct ConfigLoadResult {
    std::optional<Config> config;
    std::vector<Diagnostic> diagnostics;

    bool ok() const { return config.has_value(); }
    /// Only the errors (the reasons `ok()` is false).
    std::vector<Diagnostic> errors() const;
    /// Only the warnings.
    std::vector<Diagnostic> warnings() const;
};

/// Reads and validates `path`. `os.environ/NAME` references are resolved from the process
/// environment at load time (an unset variable is a warning, not an error).
ConfigLoadResult load_config_file(const std::string& path);

/// Same as load_config_file but from text; `display_name` is used in diagnostics.
ConfigLoadResult load_config_text(const std::string& text, const std::string& display_name);

}  // namespace litellm
