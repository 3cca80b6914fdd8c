// The config loader, the .env parser and the token-file parser: files a user (or another
// program) writes, read at every start and reload.

#include <string>

#include "common/config.hpp"
#include "common/dotenv.hpp"
#include "common/token_file.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace litellm;
    std::string in(fuzz::text(data, size));
    (void)load_config_text(in, "fuzz.yaml");
    std::vector<int> bad;
    (void)parse_dotenv(in, &bad);
    TokenParse t = parse_token_file(in);
    if (t.ok) {
        // What we write reads back as what was read.
        TokenParse again = parse_token_file(serialize_token_file(t.record));
        if (!again.ok || again.record.access_token != t.record.access_token ||
            again.record.refresh_token != t.record.refresh_token) {
            __builtin_trap();
        }
    }
    return 0;
}
