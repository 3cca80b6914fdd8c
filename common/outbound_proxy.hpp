#pragma once
// The outbound HTTP proxy a request to an upstream goes through: HTTPS_PROXY, HTTP_PROXY,
// ALL_PROXY and NO_PROXY, each in lower or upper case (lower case first, as curl and
// Python's libraries read them), taken from the environment when the config is loaded and
// kept in the config snapshot (no environment reads on request threads). Both binaries use
// it: the daemon to connect, `litellmctl doctor` to say which proxy each upstream uses.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace litellm {

/// One NO_PROXY entry: "*", a host name (matching itself and its subdomains, a leading '.'
/// optional), an IP address, or a CIDR block, each with an optional ":port".
struct NoProxyRule {
    bool any = false;               ///< "*": no request uses a proxy
    std::string host;               ///< lower case, without a leading '.'
    int port = 0;                   ///< 0 = any port
    bool is_cidr = false;           ///< an address block (an address alone is a /32 or /128)
    int family = 0;                 ///< AF_INET or AF_INET6 for is_cidr
    std::uint8_t address[16] = {};  ///< the block's address, network order
    int prefix_bits = 0;
};

/// The proxy settings of one environment.
struct OutboundProxy {
    std::string http;           ///< proxy URL for http:// upstreams ("" = direct)
    std::string https;          ///< proxy URL for https:// upstreams ("" = direct)
    std::string http_source;    ///< the variable `http` came from ("HTTP_PROXY", "all_proxy")
    std::string https_source;   ///< the variable `https` came from
    std::string no_proxy_text;  ///< NO_PROXY as written
    std::vector<NoProxyRule> no_proxy;

    /// Reads the variables through `get` (std::getenv in the binaries, a map in tests).
    static OutboundProxy from_environment(const std::function<const char*(const char*)>& get);

    /// The proxy URL a request to `url` ("https://host:port/path") goes through, or "" when
    /// it goes direct (no proxy set for its scheme, or NO_PROXY names its host).
    std::string for_url(std::string_view url) const;
    /// The variable for_url took its answer from, or "" when direct.
    std::string source_for_url(std::string_view url) const;
};

/// Parses NO_PROXY's comma- or space-separated list.
std::vector<NoProxyRule> parse_no_proxy(std::string_view text);
/// Whether `rules` exempt `host` (lower or upper case, IPv6 without brackets) at `port`.
bool no_proxy_matches(const std::vector<NoProxyRule>& rules, std::string_view host, int port);

/// A proxy URL taken apart: "http://user:pass@host:3128" -> scheme "http", host, port 3128,
/// userinfo "user:pass" (percent-encoded as written). A URL with no scheme is http.
struct ProxyEndpoint {
    std::string scheme;
    std::string host;  ///< without IPv6 brackets
    int port = 0;
    std::string userinfo;
};
/// False when `url` is not host[:port] with an optional scheme and userinfo.
bool parse_proxy_url(std::string_view url, ProxyEndpoint& out);

/// The URL with any password replaced by "***" (for logs, status and doctor).
std::string redact_proxy_url(std::string_view url);

}  // namespace litellm
