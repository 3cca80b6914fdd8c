#include "daemon/wire/events.hpp"

#include "daemon/wire/json_util.hpp"

namespace litellm::wire {

// The events a whole response would have streamed, for upstreams that ignore `stream:true`.
std::vector<StreamEvent> response_to_events(const Response& r) {
    using K = StreamEvent::Kind;
    std::vector<StreamEvent> out;
    StreamEvent start;
    start.kind = K::kMessageStart;
    start.message_id = r.id;
    start.model = r.model;
    out.push_back(start);
    int index = 0;
    for (const auto& b : r.content) {
        if (b.type == BlockType::kText && b.text.empty()) continue;
        if (b.type == BlockType::kRedactedThinking) {
            // Its data rides on the block start; it has no deltas.
            StreamEvent s;
            s.kind = K::kBlockStart;
            s.index = index;
            s.block_type = BlockType::kRedactedThinking;
            s.text = b.signature;
            out.push_back(s);
            StreamEvent stop;
            stop.kind = K::kBlockStop;
            stop.index = index++;
            out.push_back(stop);
            continue;
        }
        StreamEvent s;
        s.kind = K::kBlockStart;
        s.index = index;
        s.block_type = b.type == BlockType::kToolUse    ? BlockType::kToolUse
                       : b.type == BlockType::kThinking ? BlockType::kThinking
                                                        : BlockType::kText;
        s.id = b.id;
        s.name = b.name;
        out.push_back(s);
        StreamEvent d;
        d.kind = K::kDelta;
        d.index = index;
        if (b.type == BlockType::kToolUse) {
            d.delta_type = StreamEvent::DeltaType::kInputJson;
            d.text = b.input_json;
        } else if (b.type == BlockType::kThinking) {
            d.delta_type = StreamEvent::DeltaType::kThinking;
            d.text = b.text.str();
        } else {
            d.text = b.text.str();
        }
        out.push_back(d);
        if (b.type == BlockType::kThinking && (!b.signature.empty() || b.opaque)) {
            StreamEvent sig;
            sig.kind = K::kDelta;
            sig.index = index;
            sig.delta_type = StreamEvent::DeltaType::kSignature;
            sig.text = client_signature(b);
            out.push_back(sig);
        }
        StreamEvent stop;
        stop.kind = K::kBlockStop;
        stop.index = index++;
        out.push_back(stop);
    }
    StreamEvent md;
    md.kind = K::kMessageDelta;
    md.stop_reason = r.stop_reason;
    md.stop_sequence = r.stop_sequence;
    md.usage = r.usage;
    out.push_back(md);
    StreamEvent ms;
    ms.kind = K::kMessageStop;
    out.push_back(ms);
    return out;
}

void EventAggregator::add(const StreamEvent& e) {
    using K = StreamEvent::Kind;
    switch (e.kind) {
        case K::kMessageStart:
            m_response.id = e.message_id;
            m_response.model = e.model;
            m_response.usage = e.usage;
            break;
        case K::kBlockStart: {
            if (e.index < 0) break;
            if (static_cast<std::size_t>(e.index) >= m_block_of_index.size()) {
                m_block_of_index.resize(e.index + 1, -1);
            }
            m_block_of_index[e.index] = static_cast<int>(m_response.content.size());
            Block b;
            b.type = e.block_type;
            b.id = e.id;
            b.name = e.name;
            if (e.block_type == BlockType::kRedactedThinking) b.signature = e.text;
            m_response.content.push_back(std::move(b));
            break;
        }
        case K::kDelta: {
            if (e.index < 0 || static_cast<std::size_t>(e.index) >= m_block_of_index.size() ||
                m_block_of_index[e.index] < 0) {
                break;  // a delta to a block that never opened: nothing to add it to
            }
            Block& b = m_response.content[m_block_of_index[e.index]];
            switch (e.delta_type) {
                case StreamEvent::DeltaType::kText:
                case StreamEvent::DeltaType::kThinking:
                    b.text.value() += e.text;
                    break;
                case StreamEvent::DeltaType::kSignature:
                    b.signature += e.text;
                    break;
                case StreamEvent::DeltaType::kInputJson:
                    b.input_json += e.text;
                    break;
            }
            break;
        }
        case K::kMessageDelta:
            if (e.stop_reason) m_response.stop_reason = *e.stop_reason;
            m_response.stop_sequence = e.stop_sequence;
            m_response.usage = e.usage;
            break;
        case K::kMessageStop:
            m_complete = true;
            break;
        case K::kError:
            m_error = e.error;
            m_failed = true;
            break;
        case K::kBlockStop:
        case K::kPing:
            break;
    }
    if (e.kind == K::kMessageStop) {
        for (Block& b : m_response.content) {
            // Arguments streamed as text are written raw into whole answers: an object, or {}.
            if (b.type == BlockType::kToolUse) b.input_json = object_json_or_empty(b.input_json);
        }
    }
}

SseEventDecoder::SseEventDecoder()
    : m_parser([this](std::string_view, std::string_view data) { on_data(data); }) {}

void SseEventDecoder::feed(std::string_view bytes, std::vector<StreamEvent>& out) {
    m_emit.bind(&out);
    m_parser.feed(bytes);
    m_emit.bind(nullptr);
}

void EventEmitter::start(const std::string& message_id, const std::string& model) {
    if (m_started) return;
    m_started = true;
    StreamEvent e;
    e.kind = StreamEvent::Kind::kMessageStart;
    e.message_id = message_id;
    e.model = model;
    m_out->push_back(std::move(e));
}

int EventEmitter::open(BlockType type, const std::string& id, const std::string& name) {
    int index = m_next_block++;
    StreamEvent e;
    e.kind = StreamEvent::Kind::kBlockStart;
    e.block_type = type;
    e.index = index;
    e.id = id;
    e.name = name;
    m_out->push_back(std::move(e));
    return index;
}

void EventEmitter::delta(int block, StreamEvent::DeltaType type, std::string_view text) {
    StreamEvent e;
    e.kind = StreamEvent::Kind::kDelta;
    e.index = block;
    e.delta_type = type;
    e.text = std::string(text);
    m_out->push_back(std::move(e));
}

void EventEmitter::close(int block) {
    StreamEvent e;
    e.kind = StreamEvent::Kind::kBlockStop;
    e.index = block;
    m_out->push_back(std::move(e));
}

void EventEmitter::end(StopReason stop, const Usage& usage) {
    StreamEvent d;
    d.kind = StreamEvent::Kind::kMessageDelta;
    d.stop_reason = stop;
    d.usage = usage;
    m_out->push_back(std::move(d));
    StreamEvent s;
    s.kind = StreamEvent::Kind::kMessageStop;
    m_out->push_back(std::move(s));
}

void EventEmitter::error(ErrorKind kind, std::string message) {
    Error e;
    e.kind = kind;
    e.message = std::move(message);
    error(std::move(e));
}

void EventEmitter::error(Error error) {
    StreamEvent e;
    e.kind = StreamEvent::Kind::kError;
    e.error = std::move(error);
    m_out->push_back(std::move(e));
}

}  // namespace litellm::wire
