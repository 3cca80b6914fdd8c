#pragma once
// `.env` files: KEY=value lines loaded into the process environment without overriding what the
// user already exported, like the original tool and python-dotenv.

#include <set>
#include <string>
#include <vector>

namespace litellm {

/// One KEY=value pair parsed from a .env file.
struct DotenvEntry {
    std::string key;
    std::string value;
    int line = 0;
};

/// Parses .env text: blank lines and '#' comments skipped, optional `export ` prefix, values in
/// single quotes taken literally, double quotes with \n \" \\ escapes, unquoted values trimmed and
/// cut at " #". Lines that are not KEY=value are reported in `bad_lines` (1-based) and skipped.
std::vector<DotenvEntry> parse_dotenv(const std::string& text,
                                      std::vector<int>* bad_lines = nullptr);

/// Loads `path` into the environment. A variable that is already set is left alone unless its
/// name is in `owned` (names this process set from a .env earlier, so a reload picks up edits).
/// Names it sets are added to `owned`; names in `owned` the file no longer sets (or all of
/// them, when the file is gone) are unset and removed. Returns the number of variables set.
int load_dotenv_file(const std::string& path, std::set<std::string>* owned = nullptr);

}  // namespace litellm
