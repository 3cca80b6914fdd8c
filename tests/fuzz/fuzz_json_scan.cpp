// The byte-level JSON reads and edits of passthrough bodies: they must never read outside the
// text, and what they edit must stay well-formed when the input was.

#include <string>

#include "daemon/wire/json_scan.hpp"
#include "daemon/wire/json_util.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace litellm::wire;
    std::string_view in = litellm::fuzz::text(data, size);
    element doc;
    std::string error;
    bool valid_object = parse_json(in, doc, &error) && doc.is_object();
    RoutingFields fields = scan_routing_fields(in);
    (void)fields;
    if (auto span = find_top_level_value(in, "model")) {
        if (span->begin > span->end || span->end > in.size()) __builtin_trap();
    }
    if (auto items = array_elements(in)) {
        for (const auto& s : *items)
            if (s.begin > s.end || s.end > in.size()) __builtin_trap();
    }
    std::string replaced = replace_top_level_value(in, "model", "\"m\"");
    std::string inserted = insert_top_level_if_absent(in, "stream", "true");
    std::string removed =
        remove_top_level_if(in, [](std::string_view k, std::string_view) { return k == "n"; });
    if (valid_object) {
        // Edits of a valid object stay valid JSON.
        for (const std::string* out : {&replaced, &inserted, &removed}) {
            element again;
            if (!parse_json(*out, again, &error) || !again.is_object()) __builtin_trap();
        }
    }
    return 0;
}
