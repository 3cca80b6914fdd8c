#include "daemon/control/server.hpp"

#include <gtest/gtest.h>

namespace litellm {
namespace {

TEST(ControlServer, OnlyTheOwnerAndRootMayConnect) {
    EXPECT_TRUE(peer_uid_allowed(1000, 1000));
    EXPECT_TRUE(peer_uid_allowed(0, 1000));
    EXPECT_FALSE(peer_uid_allowed(1001, 1000));
    EXPECT_FALSE(peer_uid_allowed(65534, 0));
}

}  // namespace
}  // namespace litellm
