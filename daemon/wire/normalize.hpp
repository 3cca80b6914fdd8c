#pragma once
// The canonical invariants every codec shares, written once (wire-formats §3.1).

#include "daemon/wire/model.hpp"

namespace litellm::wire {

/// The stop reason a client is told, from what the upstream said and whether a tool call was
/// emitted: an emitted call makes it tool_use, unless the answer was cut off (max_tokens, the
/// context window; a tool call cut off by the limit is not a finished call) or refused, and a
/// tool_use stop without any call is end_turn.
StopReason normalize_stop_reason(StopReason said, bool saw_tool);

/// Applies the invariants to a whole response: the stop reason as above.
void normalize(Response& response);

}  // namespace litellm::wire
