#include "common/outbound_proxy.hpp"

#include <map>
#include <string>

#include <gtest/gtest.h>

namespace litellm {
namespace {

OutboundProxy from(const std::map<std::string, std::string>& env) {
    return OutboundProxy::from_environment([&](const char* name) -> const char* {
        auto it = env.find(name);
        return it == env.end() ? nullptr : it->second.c_str();
    });
}

TEST(OutboundProxy, EachSchemeHasItsVariableLowerCaseFirstAndAllProxyLast) {
    auto p = from({{"HTTPS_PROXY", "http://upper:3128"},
                   {"https_proxy", "http://lower:3128"},
                   {"ALL_PROXY", "http://all:8080"}});
    EXPECT_EQ(p.for_url("https://api.anthropic.com/v1/messages"), "http://lower:3128");
    EXPECT_EQ(p.source_for_url("https://api.anthropic.com/v1/messages"), "https_proxy");
    EXPECT_EQ(p.for_url("http://10.1.2.3:8000/v1/chat/completions"), "http://all:8080");
    EXPECT_EQ(p.source_for_url("http://10.1.2.3:8000/v1"), "ALL_PROXY");
    EXPECT_EQ(from({}).for_url("https://api.anthropic.com/"), "");
    EXPECT_EQ(from({{"HTTP_PROXY", "  "}}).for_url("http://x/"), "");  // blank is unset
}

TEST(OutboundProxy, NoProxyNamesHostsDomainsPortsAddressesAndBlocks) {
    auto p = from({{"HTTPS_PROXY", "http://proxy:3128"},
                   {"HTTP_PROXY", "http://proxy:3128"},
                   {"NO_PROXY",
                    "localhost, .internal.example,corp.example:8443,10.0.0.0/8,"
                    "192.168.1.7 [fd00::]/8 ::1"}});
    EXPECT_EQ(p.for_url("http://localhost:4000/v1"), "");
    EXPECT_EQ(p.for_url("https://LLM.Internal.Example/v1"), "");  // a subdomain, any case
    EXPECT_EQ(p.for_url("https://internal.example/v1"), "");      // the domain itself
    EXPECT_NE(p.for_url("https://notinternal.example/v1"), "");   // not a subdomain
    EXPECT_EQ(p.for_url("https://corp.example:8443/v1"), "");     // the port named
    EXPECT_NE(p.for_url("https://corp.example/v1"), "");          // 443 is not 8443
    EXPECT_EQ(p.for_url("http://10.20.30.40:8000/v1"), "");       // in 10/8
    EXPECT_NE(p.for_url("http://11.0.0.1/v1"), "");
    EXPECT_EQ(p.for_url("http://192.168.1.7/v1"), "");
    EXPECT_NE(p.for_url("http://192.168.1.8/v1"), "");
    EXPECT_EQ(p.for_url("http://[fd12::1]:8000/v1"), "");
    EXPECT_EQ(p.for_url("http://[::1]:8000/v1"), "");
    EXPECT_NE(p.for_url("http://[fe80::1]:8000/v1"), "");
    EXPECT_NE(p.for_url("https://api.anthropic.com/v1/messages"), "");
    // Credentials in the upstream URL do not change which host it is.
    EXPECT_EQ(p.for_url("https://u:p@llm.internal.example/v1"), "");
    EXPECT_EQ(from({{"HTTPS_PROXY", "http://p:1"}, {"no_proxy", "*"}}).for_url("https://a/"), "");
}

TEST(OutboundProxy, ProxyUrlsAndTheirRedaction) {
    ProxyEndpoint e;
    ASSERT_TRUE(parse_proxy_url("http://alice:s%40cret@proxy.corp:3128", e));
    EXPECT_EQ(e.scheme, "http");
    EXPECT_EQ(e.host, "proxy.corp");
    EXPECT_EQ(e.port, 3128);
    EXPECT_EQ(e.userinfo, "alice:s%40cret");
    ASSERT_TRUE(parse_proxy_url("proxy.corp:8080", e));  // no scheme: http
    EXPECT_EQ(e.scheme, "http");
    EXPECT_EQ(e.port, 8080);
    ASSERT_TRUE(parse_proxy_url("http://proxy.corp", e));
    EXPECT_EQ(e.port, 1080);  // curl's default
    ASSERT_TRUE(parse_proxy_url("socks5://[::1]:1080", e));
    EXPECT_EQ(e.scheme, "socks5");
    EXPECT_EQ(e.host, "::1");
    EXPECT_FALSE(parse_proxy_url("http://:3128", e));
    EXPECT_EQ(redact_proxy_url("http://alice:s%40cret@proxy.corp:3128"),
              "http://alice:***@proxy.corp:3128");
    EXPECT_EQ(redact_proxy_url("http://proxy.corp:3128"), "http://proxy.corp:3128");
    EXPECT_EQ(redact_proxy_url("alice:pw@proxy:1"), "alice:***@proxy:1");
}

}  // namespace
}  // namespace litellm
