// The SSE parser, fed in pieces: events come out whole whatever the split, and never more data
// than came in.

#include <string>

#include "daemon/wire/sse.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace litellm;
    static bool limited = [] {
        wire::set_sse_event_limit(4096);
        return true;
    }();
    (void)limited;
    std::size_t seen = 0;
    wire::SseParser parser([&](std::string_view event, std::string_view payload) {
        seen += event.size() + payload.size();
    });
    for (std::string_view piece : fuzz::pieces(data, size)) {
        parser.feed(piece);
        if (parser.overflowed()) break;
    }
    parser.finish();
    if (seen > size) __builtin_trap();
    return 0;
}
