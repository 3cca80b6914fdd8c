#include "common/net.hpp"

#include <gtest/gtest.h>

namespace litellm {
namespace {

TEST(AuthorityHost, TakesTheHostOutOfEachForm) {
    EXPECT_EQ(authority_host("localhost"), "localhost");
    EXPECT_EQ(authority_host("LocalHost:4000"), "localhost");
    EXPECT_EQ(authority_host("example.com.:443"), "example.com");
    EXPECT_EQ(authority_host("127.0.0.1:4000"), "127.0.0.1");
    EXPECT_EQ(authority_host("[::1]"), "::1");
    EXPECT_EQ(authority_host("[::1]:4000"), "::1");
    EXPECT_EQ(authority_host("[FE80::1]:1"), "fe80::1");
    EXPECT_EQ(authority_host("host:"), "host");  // an empty port is allowed (RFC 3986)
}

TEST(AuthorityHost, RefusesWhatIsNotAnAuthority) {
    for (const char* bad :
         {"", ":4000", "[::1", "[::1]x", "[::1]:12a", "[not-v6]:1", "::1", "a:b:c", "host:123456",
          "user@host", "localhost:4000@evil.example", "a b", "host/path", ".", "[]"}) {
        EXPECT_EQ(authority_host(bad), "") << bad;
    }
}

TEST(LoopbackHost, OnlyNamesAndAddressesOfThisMachine) {
    for (const char* yes : {"localhost", "app.localhost", "127.0.0.1", "127.1.2.3", "::1"}) {
        EXPECT_TRUE(is_loopback_host(yes)) << yes;
    }
    for (const char* no : {"localhost.evil.example", "evillocalhost", ".localhost", "128.0.0.1",
                           "10.0.0.1", "::2", "::ffff:10.0.0.1", "example.com", ""}) {
        EXPECT_FALSE(is_loopback_host(no)) << no;
    }
}

TEST(IpLiteral, AddressesNotNames) {
    EXPECT_TRUE(is_ip_literal("192.0.2.7"));
    EXPECT_TRUE(is_ip_literal("::1"));
    EXPECT_FALSE(is_ip_literal("localhost"));
    EXPECT_FALSE(is_ip_literal("192.0.2.7.nip.io"));
}

}  // namespace
}  // namespace litellm
