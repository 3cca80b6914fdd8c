#pragma once
// Limits of the control socket, shared by the daemon, the client and the generated docs.

#include <cstddef>

namespace litellm::proto {

/// Longest request or response line, newline excluded.
inline constexpr std::size_t kMaxLineBytes = 1024 * 1024;
/// A connection with no complete request for this long is closed (not while following logs).
inline constexpr int kIdleTimeoutSeconds = 60;
/// Reply bytes queued for one client before the daemon stops reading its requests (a client
/// that pipelines requests and never reads the replies holds at most this much).
inline constexpr std::size_t kMaxReplyQueueBytes = 4 * 1024 * 1024;
/// Calls in one batch; a longer batch gets one error and none of it runs.
inline constexpr std::size_t kMaxBatchCalls = 256;
/// Clients connected at once; one more is answered `unavailable` and closed.
inline constexpr int kMaxClients = 32;
/// Log records buffered per `logs.follow` subscriber before records are dropped.
inline constexpr std::size_t kFollowQueueLimit = 1024;
/// Records kept in the in-memory ring for `logs.tail`.
inline constexpr std::size_t kLogRingSize = 4096;

}  // namespace litellm::proto
