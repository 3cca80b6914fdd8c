#include "common/redact.hpp"

#include <array>
#include <cctype>

namespace litellm {

namespace {

// Key names whose values are secrets, compared case-insensitively, '-' and '_' alike.
constexpr std::array<std::string_view, 17> kSecretKeys = {
    "authorization", "proxy-authorization", "x-api-key", "api-key",    "api_key",       "apikey",
    "access_token",  "refresh_token",       "id_token",  "master_key", "client_secret", "password",
    "code_verifier", "x-goog-api-key",      "token",     "secret",     "key",
};

bool is_word_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

bool is_token_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ||
           c == '+' || c == '/' || c == '=' || c == '~';
}

char fold(char c) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
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
        if (std::tolower(static_cast<unsigned char>(text[pos + i])) != word[i]) return false;
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
    out.reserve(text.size());
    size_t i = 0;
    while (i < text.size()) {
        if (size_t klen = match_key(text, i)) {
            // key, optional closing quote, spaces, ':' or '=', spaces, optional opening quote.
            size_t j = i + klen;
            if (j < text.size() && (text[j] == '"' || text[j] == '\'')) ++j;
            while (j < text.size() && text[j] == ' ')
                ++j;
            if (j < text.size() && (text[j] == ':' || text[j] == '=')) {
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
        }
        if (starts_with_ci(text, i, "bearer ") && (i == 0 || !is_word_char(text[i - 1]))) {
            size_t j = i + 7;
            size_t end = j;
            while (end < text.size() && is_token_char(text[end]))
                ++end;
            if (end > j) {
                out.append(text.substr(i, j - i));
                out.append(kRedacted);
                i = end;
                continue;
            }
        }
        if (size_t tlen = match_token(text, i)) {
            out.append(kRedacted);
            i += tlen;
            continue;
        }
        out.push_back(text[i]);
        ++i;
    }
    return out;
}

std::string secret_hint(std::string_view secret) {
    if (secret.empty()) return "(empty)";
    size_t shown = secret.size() >= 12 ? 4 : 0;
    return std::string(secret.substr(0, shown)) + "…(" + std::to_string(secret.size()) + " chars)";
}

}  // namespace litellm
