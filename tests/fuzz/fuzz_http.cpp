// The HTTP request head parser, the body framing rules, the response head parser and the
// chunked decoder: what a client or an upstream can send litellmd before any JSON.

#include <string>

#include "daemon/http/message.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace litellm;
    std::string_view in = fuzz::text(data, size);
    {
        http::Request req;
        std::size_t head_len = 0;
        std::string error;
        if (http::parse_request_head(in, req, head_len, error) == http::ParseStatus::kOk) {
            if (head_len > in.size()) __builtin_trap();
            http::BodyFraming framing;
            http::body_framing(req, framing, error);
            (void)req.get_param_value("key");
        }
    }
    {
        int status = 0, minor = 0;
        http::Headers headers;
        std::size_t head_len = 0;
        std::string error;
        http::parse_response_head(in, status, minor, headers, head_len, error);
    }
    {
        http::ChunkedDecoder decoder;
        std::size_t total = 0;
        for (std::string_view piece : fuzz::pieces(data, size)) {
            std::size_t consumed = piece.size();
            auto status = decoder.feed(piece, consumed, [&](std::string_view bytes) {
                total += bytes.size();
                return true;
            });
            if (consumed > piece.size()) __builtin_trap();
            if (status != http::ChunkedDecoder::Status::kMore) break;
        }
        if (total > size) __builtin_trap();  // never more payload than input
    }
    (void)http::percent_decode(in, true);
    return 0;
}
