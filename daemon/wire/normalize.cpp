#include "daemon/wire/normalize.hpp"

#include <algorithm>

namespace litellm::wire {

StopReason normalize_stop_reason(StopReason said, bool saw_tool) {
    switch (said) {
        case StopReason::kMaxTokens:
        case StopReason::kContextWindowExceeded:
        case StopReason::kRefusal:
        case StopReason::kPauseTurn:
            return said;
        case StopReason::kToolUse:
            return saw_tool ? StopReason::kToolUse : StopReason::kEndTurn;
        case StopReason::kEndTurn:
        case StopReason::kStopSequence:
            return saw_tool ? StopReason::kToolUse : said;
    }
    return said;
}

void normalize(Response& response) {
    bool saw_tool = std::any_of(response.content.begin(), response.content.end(),
                                [](const Block& b) { return b.type == BlockType::kToolUse; });
    response.stop_reason = normalize_stop_reason(response.stop_reason, saw_tool);
}

}  // namespace litellm::wire
