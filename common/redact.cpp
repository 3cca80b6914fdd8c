#include "common/redact.hpp"

#include <array>

namespace litellm {

namespace {

// Key names whose values are secrets, compared case-insensitively, '-' and '_' alike.
constexpr std::array<std::string_view, 17> kSecretKeys = {
    "authorization", "proxy-authorization", "x-api-key", "api-key",    "api_key",       "apikey",
    "access_token",  "refresh_token",       "id_token",  "master_key", "client_secret", "password",
    "code_verifier", "x-goog-api-key",      "token",     "secret",     "key",
};

// Character classes as a table: this runs per character of every log line, and isalnum() is a
// locale-aware call per character.
enum : unsigned char { kWord = 1, kToken = 2 };
constexpr std::array<unsigned char, 256> kClass = [] {
    std::array<unsigned char, 256> t{};
    for (int c = 0; c < 256; ++c) {
        bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (alnum || c == '_' || c == '-') t[c] |= kWord | kToken;
        if (c == '.' || c == '+' || c == '/' || c == '=' || c == '~') t[c] |= kToken;
    }
    return t;
}();

inline bool is_word_char(char c) {
    return kClass[static_cast<unsigned char>(c)] & kWord;
}

inline bool is_token_char(char c) {
    return kClass[static_cast<unsigned char>(c)] & kToken;
}

// ASCII-only lowercase without the locale lookup of std::tolower (this runs per character of
// every log line).
inline char ascii_lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c | 0x20) : c;
}

inline char fold(char c) {
    c = ascii_lower(c);
    return c == '_' ? '-' : c;
}

// Length of the secret key name starting at `pos`, or 0.
size_t match_key(std::string_view text, size_t pos) {
    if (pos > 0 && is_word_char(text[pos - 1])) return 0;
    for (std::string_view key : kSecretKeys) {
        if (pos + key.size() > text.size()) continue;
        bool eq = true;
        for (size_t i = 0; i < key.size() && eq; ++i)
            eq = fold(text[pos + i]) == fold(key[i]);
        if (!eq) continue;
        size_t end = pos + key.size();
        if (end < text.size() && is_word_char(text[end])) continue;
        return key.size();
    }
    return 0;
}

bool starts_with_ci(std::string_view text, size_t pos, std::string_view word) {
    if (pos + word.size() > text.size()) return false;
    for (size_t i = 0; i < word.size(); ++i) {
        if (ascii_lower(text[pos + i]) != word[i]) return false;
    }
    return true;
}

// Length of a token-shaped secret starting at `pos` (a word boundary), or 0.
size_t match_token(std::string_view text, size_t pos) {
    if (pos > 0 && is_word_char(text[pos - 1])) return 0;
    auto run = [&](size_t from) {
        size_t end = from;
        while (end < text.size() && is_token_char(text[end]))
            ++end;
        return end;
    };
    struct Prefix {
        std::string_view prefix;
        size_t min_tail;
    };
    static constexpr std::array<Prefix, 6> kPrefixes = {
        {{"sk-", 12}, {"eyJ", 20}, {"ya29.", 10}, {"GOCSPX-", 8}, {"1//", 20}, {"AIza", 30}}};
    for (const auto& p : kPrefixes) {
        if (text.compare(pos, p.prefix.size(), p.prefix) != 0) continue;
        size_t end = run(pos + p.prefix.size());
        if (end - pos - p.prefix.size() >= p.min_tail) return end - pos;
    }
    return 0;
}

}  // namespace

std::string redact(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 16);
    size_t i = 0;
    // Word by word: a secret always starts at a word boundary, and a key only counts when a
    // ':' or '=' follows it, so most words are copied after one pass over their letters.
    while (i < text.size()) {
        if (text[i] == ':' && text.compare(i, 3, "://") == 0) {
            // URL userinfo (https://user:password@host): everything up to the last '@' of the
            // authority.
            size_t end = i + 3;
            size_t at = std::string_view::npos;
            while (end < text.size()) {
                char c = text[end];
                if (c == '/' || c == '?' || c == '#' || c == ' ' || c == '"' || c == '\'' ||
                    c == '\n' || c == '\r' || c == '<' || c == '>') {
                    break;
                }
                if (c == '@') at = end;
                ++end;
            }
            if (at != std::string_view::npos && at > i + 3) {
                out.append("://");
                out.append(kRedacted);
                i = at;  // the '@' and the host are copied as they are
                continue;
            }
        }
        if (!is_word_char(text[i])) {
            out.push_back(text[i]);
            ++i;
            continue;
        }
        size_t w = i;
        while (w < text.size() && is_word_char(text[w]))
            ++w;
        // key, optional closing quote, spaces, ':' or '=', spaces, optional opening quote.
        size_t j = w;
        if (j < text.size() && (text[j] == '"' || text[j] == '\'')) ++j;
        while (j < text.size() && text[j] == ' ')
            ++j;
        if (j < text.size() && (text[j] == ':' || text[j] == '=') && match_key(text, i) == w - i) {
            ++j;
            while (j < text.size() && text[j] == ' ')
                ++j;
            char quote = 0;
            if (j < text.size() && (text[j] == '"' || text[j] == '\'')) quote = text[j++];
            // Keep the auth scheme word so the line still says what kind of credential.
            for (std::string_view scheme : {"bearer ", "basic "}) {
                if (starts_with_ci(text, j, scheme)) j += scheme.size();
            }
            size_t end = j;
            if (quote) {
                while (end < text.size() && text[end] != quote) {
                    end += (text[end] == '\\' && end + 1 < text.size()) ? 2 : 1;
                }
            } else {
                while (end < text.size() && text[end] != ',' && text[end] != '&' &&
                       text[end] != ';' && text[end] != '}' && text[end] != ' ' &&
                       text[end] != '\r' && text[end] != '\n') {
                    ++end;
                }
            }
            if (end > j && !(text[j] == '{' || text[j] == '[')) {
                out.append(text.substr(i, j - i));
                out.append(kRedacted);
                i = end;
                continue;
            }
        }
        if (w - i == 6 && w < text.size() && text[w] == ' ' && starts_with_ci(text, i, "bearer ")) {
            size_t k = w + 1;
            size_t end = k;
            while (end < text.size() && is_token_char(text[end]))
                ++end;
            if (end > k) {
                out.append(text.substr(i, k - i));
                out.append(kRedacted);
                i = end;
                continue;
            }
        }
        char c = text[i];
        if (c == 's' || c == 'e' || c == 'y' || c == 'G' || c == '1' || c == 'A') {
            if (size_t tlen = match_token(text, i)) {
                out.append(kRedacted);
                i += tlen;
                continue;
            }
        }
        out.append(text.substr(i, w - i));
        i = w;
    }
    return out;
}

std::string secret_hint(std::string_view secret) {
    if (secret.empty()) return "(empty)";
    size_t shown = secret.size() >= 12 ? 4 : 0;
    return std::string(secret.substr(0, shown)) + "…(" + std::to_string(secret.size()) + " chars)";
}

}  // namespace litellm
