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

void StructuredOutputUnwrap::apply(Response& response) {
    bool unwrapped = false, other_tool = false;
    for (Block& b : response.content) {
        if (b.type != BlockType::kToolUse) continue;
        if (b.name != kStructuredOutputTool) {
            other_tool = true;
            continue;
        }
        b.type = BlockType::kText;
        b.text = b.input_json.empty() ? "{}" : b.input_json;
        b.id.clear();
        b.name.clear();
        b.input_json.clear();
        unwrapped = true;
    }
    if (unwrapped && !other_tool && response.stop_reason == StopReason::kToolUse) {
        response.stop_reason = StopReason::kEndTurn;
    }
}

void StructuredOutputUnwrap::apply(std::vector<StreamEvent>& events) {
    using K = StreamEvent::Kind;
    for (StreamEvent& e : events) {
        if (e.kind == K::kBlockStart && e.block_type == BlockType::kToolUse) {
            if (e.name == kStructuredOutputTool && m_block < 0) {
                m_block = e.index;
                e.block_type = BlockType::kText;
                e.id.clear();
                e.name.clear();
            } else {
                m_other_tool = true;
            }
        } else if (e.kind == K::kDelta && e.index == m_block &&
                   e.delta_type == StreamEvent::DeltaType::kInputJson) {
            e.delta_type = StreamEvent::DeltaType::kText;
        } else if (e.kind == K::kMessageDelta && m_block >= 0 && !m_other_tool &&
                   e.stop_reason == StopReason::kToolUse) {
            e.stop_reason = StopReason::kEndTurn;
        }
    }
}

}  // namespace litellm::wire
