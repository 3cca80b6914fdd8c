// Unit tests of the pure helpers in ctl/doctor.cpp. doctor.hpp holds only the command's
// interface, so the helpers are declared here exactly as doctor.cpp defines them.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace litellm::ctl::doctor_detail {

enum class Status { kOk, kWarn, kFail };

struct Finding {
    Status status = Status::kOk;
    std::string detail;
    std::string fix;
};

struct Endpoint {
    std::string host;
    int port = 0;
};

std::optional<Endpoint> url_endpoint(std::string_view url);
std::string mode_text(unsigned mode);
std::string list_text(const std::vector<std::string>& items, size_t max_shown);
std::string age_text(double seconds);
Finding inspect_token(const std::string& text, double now_s, const std::string& login);

}  // namespace litellm::ctl::doctor_detail

namespace litellm::ctl::doctor_detail {
namespace {

constexpr double kNow = 1'750'000'000.0;

TEST(DoctorUrlEndpoint, SchemeDefaultsAndExplicitPorts) {
    auto a = url_endpoint("https://api.z.ai/api/anthropic");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->host, "api.z.ai");
    EXPECT_EQ(a->port, 443);
    auto b = url_endpoint("http://127.0.0.1:8080/v1");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->host, "127.0.0.1");
    EXPECT_EQ(b->port, 8080);
    auto c = url_endpoint("HTTP://example.com?x=1");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->host, "example.com");
    EXPECT_EQ(c->port, 80);
}

TEST(DoctorUrlEndpoint, Ipv6UserinfoAndBareHost) {
    auto a = url_endpoint("http://[::1]:9000/v1");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->host, "::1");
    EXPECT_EQ(a->port, 9000);
    auto b = url_endpoint("https://user:pw@host.example/x");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->host, "host.example");
    EXPECT_EQ(b->port, 443);
    auto c = url_endpoint("host.example:444");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->host, "host.example");
    EXPECT_EQ(c->port, 444);
}

TEST(DoctorUrlEndpoint, RejectsWhatCannotBeProbed) {
    EXPECT_FALSE(url_endpoint(""));
    EXPECT_FALSE(url_endpoint("https://"));
    EXPECT_FALSE(url_endpoint("ftp://host/x"));
    EXPECT_FALSE(url_endpoint("http://host:0/"));
    EXPECT_FALSE(url_endpoint("http://host:70000/"));
    EXPECT_FALSE(url_endpoint("http://host:12ab/"));
    EXPECT_FALSE(url_endpoint("http://[::1/"));
}

TEST(DoctorText, ModeListAndAge) {
    EXPECT_EQ(mode_text(0100644), "0644");
    EXPECT_EQ(mode_text(0700), "0700");
    EXPECT_EQ(list_text({}, 3), "");
    EXPECT_EQ(list_text({"a"}, 3), "a");
    EXPECT_EQ(list_text({"a", "b"}, 3), "a and b");
    EXPECT_EQ(list_text({"a", "b", "c", "d"}, 3), "a, b, c and d");
    EXPECT_EQ(list_text({"a", "b", "c", "d", "e"}, 3), "a, b, c and 2 more");
    EXPECT_EQ(age_text(-5), "0s");
    EXPECT_EQ(age_text(42), "42s");
    EXPECT_EQ(age_text(125), "2m");
    EXPECT_EQ(age_text(3 * 3600 + 5 * 60), "3h 5m");
    EXPECT_EQ(age_text(2 * 86400 + 4 * 3600), "2d 4h");
}

TEST(DoctorToken, BadJsonAndWrongShapeFail) {
    Finding bad = inspect_token("{not json", kNow, "litellmctl auth chatgpt");
    EXPECT_EQ(bad.status, Status::kFail);
    EXPECT_NE(bad.detail.find("not valid JSON"), std::string::npos);
    EXPECT_NE(bad.fix.find("litellmctl auth chatgpt"), std::string::npos);
    EXPECT_EQ(inspect_token("[1,2]", kNow, "").status, Status::kFail);
    Finding empty = inspect_token(R"({"access_token":"","expires_at":1})", kNow, "");
    EXPECT_EQ(empty.status, Status::kFail);
    EXPECT_NE(empty.detail.find("no access_token or refresh_token"), std::string::npos);
    EXPECT_NE(empty.fix.find("delete the file"), std::string::npos);
}

TEST(DoctorToken, ValidAndExpired) {
    Finding valid = inspect_token(R"({"access_token":"a","refresh_token":"r","expires_at":)" +
                                      std::to_string(kNow + 7200) + "}",
                                  kNow, "litellmctl auth qwen");
    EXPECT_EQ(valid.status, Status::kOk);
    EXPECT_NE(valid.detail.find("valid for 2h 0m"), std::string::npos);

    // Float seconds, expired, with a refresh token: the daemon refreshes it.
    Finding expired = inspect_token(R"({"access_token":"a","refresh_token":"r","expires_at":)" +
                                        std::to_string(kNow - 90.5) + "}",
                                    kNow, "litellmctl auth qwen");
    EXPECT_EQ(expired.status, Status::kWarn);
    EXPECT_NE(expired.detail.find("expired 1m ago"), std::string::npos);
    EXPECT_NE(expired.detail.find("refreshes"), std::string::npos);
    EXPECT_NE(expired.fix.find("litellmctl auth qwen"), std::string::npos);

    Finding dead = inspect_token(R"({"access_token":"a","expires_at":1000})", kNow, "x");
    EXPECT_EQ(dead.status, Status::kWarn);
    EXPECT_NE(dead.detail.find("no refresh token"), std::string::npos);
}

TEST(DoctorToken, MillisecondsNestedTokensAndNoExpiry) {
    Finding ms = inspect_token(
        R"({"refresh_token":"r","expires_at":)" + std::to_string((kNow + 60) * 1000) + "}", kNow,
        "");
    EXPECT_EQ(ms.status, Status::kOk);
    EXPECT_NE(ms.detail.find("valid for 1m"), std::string::npos);

    Finding nested = inspect_token(R"({"tokens":{"access_token":"a","refresh_token":"r"}})", kNow,
                                   "litellmctl auth chatgpt");
    EXPECT_EQ(nested.status, Status::kOk);
    EXPECT_EQ(nested.detail, "has a refresh token");

    Finding text_expiry =
        inspect_token(R"({"access_token":"a","expires_at":"1000"})", kNow, "litellmctl auth x");
    EXPECT_EQ(text_expiry.status, Status::kWarn);
}

}  // namespace
}  // namespace litellm::ctl::doctor_detail
