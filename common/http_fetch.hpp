#pragma once
// Small blocking HTTPS requests for the control plane: OAuth device codes, token exchanges and
// refreshes, from both binaries. libcurl does the work (TLS, proxies, resolver timeouts); the
// request path of the proxy keeps its own client, which the benchmark measured faster.

#include <string>
#include <utility>
#include <vector>

namespace litellm {

/// One request.
struct FetchRequest {
    std::string method = "POST";
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::string proxy;      ///< proxy URL for this request ("" = direct); never the environment
    double timeout_s = 30;  ///< whole request
    std::size_t max_body_bytes = 1 << 20;  ///< a longer answer is an error
};

/// The answer, or why there is none (`status` 0).
struct FetchResult {
    int status = 0;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  ///< names in lower case
    std::string error;  ///< transport failure, when status is 0

    /// The first header `name` (lower case), or "".
    std::string header(const std::string& name) const;
};

/// Performs `request`; thread-safe (one easy handle per call).
FetchResult http_fetch(const FetchRequest& request);

/// `application/x-www-form-urlencoded` text for `fields`.
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields);

/// Percent-encodes everything but unreserved characters (RFC 3986).
std::string url_encode(const std::string& text);

}  // namespace litellm
