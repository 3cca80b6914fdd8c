// The control socket's JSON-RPC line parser (requests, batches) and the client's reply parser.

#include <string>

#include "common/jsonrpc.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace litellm;
    std::string_view in = fuzz::text(data, size);
    rpc::ParsedLine parsed = rpc::parse_line(in);
    for (auto& item : parsed.items) {
        if (item.request) {
            (void)item.request->id();
            (void)item.request->params();
        }
    }
    std::string error;
    (void)rpc::parse_message(in, &error);
    return 0;
}
