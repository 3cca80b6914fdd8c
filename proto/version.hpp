#pragma once
// Control-protocol versioning (the chrony rule).
//
// kProtocolVersion is bumped when an existing method changes incompatibly: a param removed or
// retyped, a result field removed or its meaning changed, an error code reused. Adding a method,
// an optional param or a result field does NOT bump it: clients ignore fields they do not know
// and can check `rpc.describe` for methods.
// kMinCompatProtocol is the oldest client protocol the daemon still serves; a client older than
// it is refused at `rpc.hello`, and a client refuses a daemon older than its own minimum.
//
// History:
//   1  2026-11  first protocol: rpc.hello, rpc.describe, status, reload, shutdown, logs.tail,
//               logs.follow; then (compatible additions) cooldowns.list, cooldowns.reset,
//               restart, auth.status, auth.refresh, auth.import, auth.logout.

#include "proto/build_info.hpp"

namespace litellm::proto {

inline constexpr int kProtocolVersion = 1;
inline constexpr int kMinCompatProtocol = 1;

static_assert(kMinCompatProtocol <= kProtocolVersion,
              "a bump of kMinCompatProtocol must come with a bump of kProtocolVersion");

/// Product version shared by both binaries ("0.1.0").
inline constexpr const char* kVersion = build::kVersion;

}  // namespace litellm::proto
