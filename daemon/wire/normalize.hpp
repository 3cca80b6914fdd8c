#pragma once
// The canonical invariants every codec shares, written once (wire-formats §3.1).

#include <vector>

#include "daemon/wire/model.hpp"

namespace litellm::wire {

/// The stop reason a client is told, from what the upstream said and whether a tool call was
/// emitted: an emitted call makes it tool_use, unless the answer was cut off (max_tokens, the
/// context window; a tool call cut off by the limit is not a finished call) or refused, and a
/// tool_use stop without any call is end_turn.
StopReason normalize_stop_reason(StopReason said, bool saw_tool);

/// Applies the invariants to a whole response: the stop reason as above.
void normalize(Response& response);

/// The tool a structured output is asked for with when the upstream has no structured output
/// of its own (Anthropic-compatible hosts): its input is the answer.
inline constexpr const char* kStructuredOutputTool = "structured_output";

/// Turns the structured-output tool call back into the text answer the client asked for: a
/// whole response at once, or a stream event by event (one per stream).
class StructuredOutputUnwrap {
  public:
    /// Rewrites `response` in place.
    static void apply(Response& response);
    /// Rewrites the events in place, in stream order.
    void apply(std::vector<StreamEvent>& events);

  private:
    int m_block = -1;  ///< the stream's structured-output block, once it opened
    bool m_other_tool = false;
};

}  // namespace litellm::wire
