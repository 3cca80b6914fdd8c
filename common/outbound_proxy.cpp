#include "common/outbound_proxy.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace litellm {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
        s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
        s.remove_suffix(1);
    return s;
}

// Splits "host:port" or "[v6]:port" or "v6" (several colons, no brackets: no port).
void split_host_port(std::string_view in, std::string& host, int& port) {
    port = 0;
    if (!in.empty() && in.front() == '[') {
        std::size_t close = in.find(']');
        host = std::string(in.substr(1, close == std::string_view::npos ? in.npos : close - 1));
        if (close != std::string_view::npos && close + 1 < in.size() && in[close + 1] == ':') {
            port = std::atoi(std::string(in.substr(close + 2)).c_str());
        }
        return;
    }
    std::size_t colon = in.rfind(':');
    if (colon != std::string_view::npos && in.find(':') == colon) {
        host = std::string(in.substr(0, colon));
        port = std::atoi(std::string(in.substr(colon + 1)).c_str());
    } else {
        host = std::string(in);
    }
}

// "https://user@host:8443/path" -> scheme, host, port (the scheme's default when absent).
bool split_target(std::string_view url, std::string& scheme, std::string& host, int& port) {
    std::size_t sep = url.find("://");
    if (sep == std::string_view::npos) return false;
    scheme = lower(url.substr(0, sep));
    std::string_view rest = url.substr(sep + 3);
    std::size_t end = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, end);
    if (std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
        authority.remove_prefix(at + 1);
    }
    split_host_port(authority, host, port);
    host = lower(host);
    if (port == 0) port = scheme == "https" ? 443 : 80;
    return !host.empty();
}

// The first of `names` set to something other than blanks, and which it was.
std::string first_set(const std::function<const char*(const char*)>& get,
                      std::initializer_list<const char*> names, std::string& source) {
    for (const char* name : names) {
        const char* v = get(name);
        if (v && !trim(v).empty()) {
            source = name;
            return std::string(trim(v));
        }
    }
    return "";
}

bool parse_address(const std::string& text, NoProxyRule& rule) {
    if (::inet_pton(AF_INET, text.c_str(), rule.address) == 1) {
        rule.family = AF_INET;
        return true;
    }
    if (::inet_pton(AF_INET6, text.c_str(), rule.address) == 1) {
        rule.family = AF_INET6;
        return true;
    }
    return false;
}

bool prefix_equal(const std::uint8_t* a, const std::uint8_t* b, int bits) {
    int whole = bits / 8;
    if (!std::equal(a, a + whole, b)) return false;
    int rest = bits % 8;
    if (rest == 0) return true;
    std::uint8_t mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

}  // namespace

std::vector<NoProxyRule> parse_no_proxy(std::string_view text) {
    std::vector<NoProxyRule> rules;
    std::size_t i = 0;
    while (i <= text.size()) {
        std::size_t end = text.find_first_of(", ", i);
        if (end == std::string_view::npos) end = text.size();
        std::string_view item = trim(text.substr(i, end - i));
        i = end + 1;
        if (item.empty()) continue;
        NoProxyRule rule;
        if (item == "*") {
            rule.any = true;
            rules.push_back(rule);
            continue;
        }
        // An address block: "10.0.0.0/8", "fd00::/8".
        if (std::size_t slash = item.find('/'); slash != std::string_view::npos) {
            std::string addr(item.substr(0, slash));
            if (!addr.empty() && addr.front() == '[' && addr.back() == ']') {
                addr = addr.substr(1, addr.size() - 2);
            }
            if (parse_address(addr, rule)) {
                int max_bits = rule.family == AF_INET ? 32 : 128;
                int bits = std::atoi(std::string(item.substr(slash + 1)).c_str());
                rule.is_cidr = true;
                rule.prefix_bits = std::clamp(bits, 0, max_bits);
                rules.push_back(rule);
            }
            continue;
        }
        std::string host;
        split_host_port(item, host, rule.port);
        host = lower(host);
        while (!host.empty() && host.front() == '.')
            host.erase(host.begin());
        if (!host.empty() && host.front() == '*') {  // "*.example.com" as some tools write it
            host.erase(host.begin());
            while (!host.empty() && host.front() == '.')
                host.erase(host.begin());
        }
        if (host.empty()) continue;
        NoProxyRule address_rule = rule;
        if (parse_address(host, address_rule)) {  // a lone address is its own /32 or /128
            address_rule.is_cidr = true;
            address_rule.prefix_bits = address_rule.family == AF_INET ? 32 : 128;
            rules.push_back(address_rule);
            continue;
        }
        rule.host = host;
        rules.push_back(rule);
    }
    return rules;
}

bool no_proxy_matches(const std::vector<NoProxyRule>& rules, std::string_view host_in, int port) {
    std::string host = lower(host_in);
    if (!host.empty() && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    NoProxyRule target;
    bool is_address = parse_address(host, target);
    for (const auto& rule : rules) {
        if (rule.any) return true;
        if (rule.port != 0 && rule.port != port) continue;
        if (rule.is_cidr) {
            if (is_address && target.family == rule.family &&
                prefix_equal(target.address, rule.address, rule.prefix_bits)) {
                return true;
            }
            continue;
        }
        if (host == rule.host) return true;
        // A subdomain: "api.example.com" under "example.com".
        if (host.size() > rule.host.size() &&
            host.compare(host.size() - rule.host.size(), rule.host.size(), rule.host) == 0 &&
            host[host.size() - rule.host.size() - 1] == '.') {
            return true;
        }
    }
    return false;
}

OutboundProxy OutboundProxy::from_environment(const std::function<const char*(const char*)>& get) {
    OutboundProxy p;
    std::string all_source;
    std::string all = first_set(get, {"all_proxy", "ALL_PROXY"}, all_source);
    p.https = first_set(get, {"https_proxy", "HTTPS_PROXY"}, p.https_source);
    p.http = first_set(get, {"http_proxy", "HTTP_PROXY"}, p.http_source);
    if (p.https.empty() && !all.empty()) {
        p.https = all;
        p.https_source = all_source;
    }
    if (p.http.empty() && !all.empty()) {
        p.http = all;
        p.http_source = all_source;
    }
    std::string no_source;
    p.no_proxy_text = first_set(get, {"no_proxy", "NO_PROXY"}, no_source);
    p.no_proxy = parse_no_proxy(p.no_proxy_text);
    return p;
}

std::string OutboundProxy::for_url(std::string_view url) const {
    if (http.empty() && https.empty()) return "";  // the usual case: no URL to take apart
    std::string scheme, host;
    int port = 0;
    if (!split_target(url, scheme, host, port)) return "";
    const std::string& proxy = scheme == "https" ? https : http;
    if (proxy.empty() || no_proxy_matches(no_proxy, host, port)) return "";
    return proxy;
}

std::string OutboundProxy::source_for_url(std::string_view url) const {
    if (for_url(url).empty()) return "";
    return url.substr(0, 6) == "https:" ? https_source : http_source;
}

bool parse_proxy_url(std::string_view url, ProxyEndpoint& out) {
    out = ProxyEndpoint{};
    url = trim(url);
    std::size_t sep = url.find("://");
    out.scheme = sep == std::string_view::npos ? "http" : lower(url.substr(0, sep));
    std::string_view rest = sep == std::string_view::npos ? url : url.substr(sep + 3);
    std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
    if (std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
        out.userinfo = std::string(authority.substr(0, at));
        authority.remove_prefix(at + 1);
    }
    split_host_port(authority, out.host, out.port);
    if (out.port == 0) out.port = out.scheme == "https" ? 443 : 1080;  // curl's defaults
    return !out.host.empty() && out.port > 0 && out.port < 65536;
}

std::string redact_proxy_url(std::string_view url) {
    std::size_t sep = url.find("://");
    std::size_t start = sep == std::string_view::npos ? 0 : sep + 3;
    std::size_t end = url.find_first_of("/?#", start);
    std::size_t at = url.substr(0, end).rfind('@');
    if (at == std::string_view::npos || at < start) return std::string(url);
    std::string_view userinfo = url.substr(start, at - start);
    std::size_t colon = userinfo.find(':');
    std::string out(url.substr(0, start));
    out.append(userinfo.substr(0, colon));
    if (colon != std::string_view::npos) out.append(":***");
    out.append(url.substr(at));
    return out;
}

}  // namespace litellm
