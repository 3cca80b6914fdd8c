// Every wire format's decoders: a client's request body (then re-encoded for every upstream
// format), an
// upstream's whole answer (then encoded for every client format), and an upstream stream fed
// in pieces (its events then encoded for every client format); and what a format's encoder
// writes, its decoder must read. The first byte picks the format and the path; the second the
// piece size.

#include <cstdio>
#include <string>
#include <vector>

#include "daemon/wire/codec.hpp"
#include "daemon/wire/events.hpp"
#include "daemon/wire/json_util.hpp"
#include "daemon/wire/sse.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace litellm;
using namespace litellm::wire;

const Codec* codec_at(int i) {
    return find_codec(static_cast<WireFormat>(i % 4));
}

void requests(const Codec& codec, std::string_view body) {
    Request r;
    std::string error;
    // A body that is not valid JSON may still decode (the Anthropic decoder reads on demand and
    // passes schemas on as raw slices, which stay in place but may be as broken as they came):
    // only a valid body must give valid bodies.
    element whole;
    bool valid = parse_json(body, whole, &error);
    if (!codec.decode_request(body, r, &error)) return;
    (void)codec.unsupported(r);
    for (int i = 0; i < 4; ++i) {
        const Codec* out = codec_at(i);
        if (!out) continue;
        EncodeOptions o;
        o.model = "gemini-3-pro-preview";
        o.responses_minimal = i == 2;
        o.accepts_signature = [](std::string_view f) { return f == "anthropic"; };
        std::string encoded = out->encode_request(r, o);
        element doc;
        if (!parse_json(encoded, doc, &error) && valid) {
            std::fprintf(stderr, "%s -> %s wrote invalid JSON (%s):\n%s\n",
                         std::string(codec.name).c_str(), std::string(out->name).c_str(),
                         error.c_str(), encoded.c_str());
            __builtin_trap();
        }
    }
}

void responses(const Codec& codec, std::string_view body) {
    Response r;
    std::string error;
    element whole;
    bool valid = parse_json(body, whole, &error);
    if (!codec.decode_response(body, r, &error)) return;
    for (int i = 0; i < 4; ++i) {
        const Codec* out = codec_at(i);
        if (!out) continue;
        element doc;
        if (!parse_json(out->encode_response(r, "m"), doc, &error) && valid) __builtin_trap();
    }
}

void streams(const Codec& codec, const std::uint8_t* data, std::size_t size) {
    auto decoder = codec.stream_decoder();
    std::vector<StreamEvent> events;
    for (std::string_view piece : fuzz::pieces(data, size)) {
        decoder->feed(piece, events);
        if (decoder->overflowed()) break;
    }
    decoder->finish(events);
    (void)decoder->take_quota_report();
    EventAggregator gathered;
    for (int i = 0; i < 4; ++i) {
        const Codec* out = codec_at(i);
        if (!out) continue;
        StreamOptions o;
        o.model = "m";
        o.include_usage = true;
        auto encoder = out->stream_encoder(o);
        std::string bytes;
        for (const auto& e : events) {
            encoder->encode(e, bytes);
            if (i == 0) gathered.add(e);
        }
        if (!encoder->done()) encoder->encode_error(Error{}, bytes);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static bool limits = [] {
        set_json_depth_limit(64);
        set_sse_event_limit(64 * 1024);
        return true;
    }();
    (void)limits;
    if (size < 2) return 0;
    const Codec* codec = codec_at(data[0] & 3);
    if (!codec) return 0;
    std::string_view body(reinterpret_cast<const char*>(data + 2), size - 2);
    switch ((data[0] >> 2) % 4) {
        case 0:
            requests(*codec, body);
            break;
        case 1:
            responses(*codec, body);
            break;
        case 2:
            streams(*codec, data + 1, size - 1);
            break;
        case 3: {
            // Same-format round trip: decode, encode, decode, encode. What an encoder writes,
            // its own format's decoder reads; and one pass through the canonical model is
            // final: the second encoding is byte for byte the first (the canonical models
            // agree on everything the format can say).
            Request a;
            std::string error;
            element whole;
            if (!parse_json(body, whole, &error)) break;  // see requests()
            if (!codec->decode_request(body, a, &error)) break;
            EncodeOptions o;
            o.model = "m";
            o.accepts_signature = [](std::string_view) { return true; };
            std::string first = codec->encode_request(a, o);
            Request b;
            if (!codec->decode_request(first, b, &error)) __builtin_trap();
            if (codec->encode_request(b, o) != first) __builtin_trap();
            break;
        }
    }
    return 0;
}
