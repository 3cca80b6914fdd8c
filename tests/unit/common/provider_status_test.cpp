#include "common/provider_status.hpp"

#include <gtest/gtest.h>

namespace litellm {
namespace {

TEST(UrlHost, SkipsUserinfoAndPort) {
    EXPECT_EQ(url_host("https://api.z.ai/api/anthropic"), "api.z.ai");
    EXPECT_EQ(url_host("https://alice:pw@gw.corp:8443/v1"), "gw.corp");  // never the password
    EXPECT_EQ(url_host("http://tok@h"), "h");
    EXPECT_EQ(url_host("http://[::1]:4000/x"), "[::1]");
    EXPECT_EQ(url_host("https://example.com/a@b"), "example.com");
}

}  // namespace
}  // namespace litellm
