#include "common/dotenv.hpp"

#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string_view>

namespace litellm {
namespace {

bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_blank(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && is_blank(s.back()))
        s.remove_suffix(1);
    return s;
}

bool is_key_start(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

bool is_key_char(char c) {
    return is_key_start(c) || (c >= '0' && c <= '9');
}

// What may follow a closing quote: nothing, or a comment. Anything else means the line is not
// what the user meant, so we reject it rather than guess.
bool only_comment_left(std::string_view rest) {
    rest = trim(rest);
    return rest.empty() || rest.front() == '#';
}

// Parses the part after '='. Returns nullopt when the value is malformed (unterminated quote,
// junk after a closing quote).
std::optional<std::string> parse_value(std::string_view raw) {
    raw = trim(raw);
    if (raw.empty()) return std::string();

    if (raw.front() == '\'') {
        // Single quotes are literal, as in shells: no escapes at all.
        size_t close = raw.find('\'', 1);
        if (close == std::string_view::npos) return std::nullopt;
        if (!only_comment_left(raw.substr(close + 1))) return std::nullopt;
        return std::string(raw.substr(1, close - 1));
    }

    if (raw.front() == '"') {
        std::string out;
        for (size_t i = 1; i < raw.size(); ++i) {
            char c = raw[i];
            if (c == '"') {
                if (!only_comment_left(raw.substr(i + 1))) return std::nullopt;
                return out;
            }
            if (c == '\\' && i + 1 < raw.size()) {
                char next = raw[i + 1];
                switch (next) {
                    case 'n':
                        out += '\n';
                        ++i;
                        continue;
                    case 't':
                        out += '\t';
                        ++i;
                        continue;
                    case 'r':
                        out += '\r';
                        ++i;
                        continue;
                    case '"':
                    case '\\':
                        out += next;
                        ++i;
                        continue;
                    default:
                        break;  // unknown escapes are kept verbatim, backslash included
                }
            }
            out += c;
        }
        return std::nullopt;  // no closing quote
    }

    // Unquoted: a '#' starts a comment only after whitespace, so "pa#ss" survives intact.
    for (size_t i = 1; i < raw.size(); ++i) {
        if (raw[i] == '#' && is_blank(raw[i - 1])) {
            raw = raw.substr(0, i);
            break;
        }
    }
    return std::string(trim(raw));
}

std::optional<DotenvEntry> parse_line(std::string_view line) {
    line = trim(line);
    constexpr std::string_view kExport = "export";
    if (line.size() > kExport.size() && line.substr(0, kExport.size()) == kExport &&
        is_blank(line[kExport.size()])) {
        line = trim(line.substr(kExport.size()));
    }
    if (line.empty() || !is_key_start(line.front())) return std::nullopt;
    size_t end = 1;
    while (end < line.size() && is_key_char(line[end]))
        ++end;
    std::string_view key = line.substr(0, end);
    std::string_view rest = trim(line.substr(end));
    if (rest.empty() || rest.front() != '=') return std::nullopt;
    std::optional<std::string> value = parse_value(rest.substr(1));
    if (!value) return std::nullopt;
    return DotenvEntry{std::string(key), std::move(*value), 0};
}

}  // namespace

std::vector<DotenvEntry> parse_dotenv(const std::string& text, std::vector<int>* bad_lines) {
    std::vector<DotenvEntry> entries;
    std::string_view rest = text;
    // A UTF-8 byte order mark from Windows editors would otherwise corrupt the first key.
    if (rest.substr(0, 3) == "\xEF\xBB\xBF") rest.remove_prefix(3);

    int line_no = 0;
    while (!rest.empty()) {
        ++line_no;
        size_t nl = rest.find('\n');
        std::string_view line = rest.substr(0, nl);
        rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

        std::string_view trimmed = trim(line);
        if (trimmed.empty() || trimmed.front() == '#') continue;

        std::optional<DotenvEntry> entry = parse_line(trimmed);
        if (!entry) {
            if (bad_lines) bad_lines->push_back(line_no);
            continue;
        }
        entry->line = line_no;
        entries.push_back(std::move(*entry));
    }
    return entries;
}

int load_dotenv_file(const std::string& path, std::set<std::string>* owned) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        // A deleted .env takes its keys with it.
        if (owned) {
            for (const auto& name : *owned)
                ::unsetenv(name.c_str());
            owned->clear();
        }
        return 0;
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();

    std::set<std::string> set_now;
    for (const DotenvEntry& entry : parse_dotenv(buffer.str())) {
        bool ours = (owned && owned->count(entry.key) > 0) || set_now.count(entry.key) > 0;
        // The user's shell wins over the file, like python-dotenv's default; only values we put
        // there ourselves (earlier in this file or on a previous load) may be replaced.
        if (std::getenv(entry.key.c_str()) != nullptr && !ours) continue;
        if (::setenv(entry.key.c_str(), entry.value.c_str(), 1) != 0) continue;
        set_now.insert(entry.key);
        if (owned) owned->insert(entry.key);
    }
    if (owned) {
        // A name this process set from the file earlier and the file no longer has: a key the
        // user deleted must stop working at this reload.
        for (auto it = owned->begin(); it != owned->end();) {
            if (set_now.count(*it) == 0) {
                ::unsetenv(it->c_str());
                it = owned->erase(it);
            } else {
                ++it;
            }
        }
    }
    return static_cast<int>(set_now.size());
}

}  // namespace litellm
