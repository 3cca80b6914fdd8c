#pragma once
// OAuth token files (`auth.<provider>.json` in $LITELLM_HOME): the one parser and writer both
// binaries use, their paths (the original tool's <P>_TOKEN_DIR / <P>_AUTH_FILE overrides) and the
// lock every writer takes. The daemon is the only writer while it runs; litellmctl writes only
// when no daemon answers, under the same lock.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace litellm {

struct ProviderInfo;

/// One provider's tokens, as the file holds them.
struct TokenRecord {
    std::string access_token;
    std::string refresh_token;
    std::string id_token;                      ///< ChatGPT
    std::string token_type;                    ///< "Bearer"
    std::optional<std::int64_t> expires_at;    ///< access token expiry, Unix seconds
    std::optional<std::int64_t> last_refresh;  ///< Unix seconds of the last refresh or login
    std::string account_id;                    ///< ChatGPT account
    std::string email;                         ///< Gemini / ChatGPT
    std::string project_id;                    ///< Gemini Code Assist project
    std::string resource_url;                  ///< Qwen Portal API host ("portal.qwen.ai")
    std::string plan;                          ///< ChatGPT plan type, when known
    /// The official CLI's file these tokens were imported from (`auth import`): both programs
    /// then hold one rotating refresh token, so a refused refresh first re-reads that file.
    std::string imported_from;
    /// The object as read, so fields of other tools survive a rewrite; "" for a new record.
    std::string original_json;

    /// True when there is anything to authenticate with.
    bool usable() const { return !access_token.empty() || !refresh_token.empty(); }
};

/// A parsed token file, or why it is not one.
struct TokenParse {
    bool ok = false;
    std::string error;  ///< "is not valid JSON (...)", "has no access_token or refresh_token"
    TokenRecord record;
};

/// Parses our token files and the official CLIs' shapes: tokens at the top or under "tokens"
/// (Codex), `expires_at` as number or string in seconds or milliseconds, `expiry_date` in
/// milliseconds (Qwen Code, Gemini CLI), `last_refresh` as seconds or RFC 3339.
TokenParse parse_token_file(std::string_view text);

/// The file text for `record`: its original object with the known fields set, two-space indent,
/// trailing newline. Empty fields are left out (and removed from the original).
std::string serialize_token_file(const TokenRecord& record);

/// The token file of `info` for `home`: `<P>_TOKEN_DIR`/`<P>_AUTH_FILE` when set (P = the
/// upper-case prefix), else home/<info.token_file>. Reads the environment: call at start.
std::string token_file_path(const ProviderInfo& info, const std::string& home);

/// Writes `record` to `path` atomically (temp, fsync, rename) with mode 0600. The caller holds
/// the TokenFileLock.
bool write_token_file(const std::string& path, const TokenRecord& record, std::string* error);

/// An exclusive advisory lock on `<dir>/.<name>.lock` next to a token file, held while a
/// token file is read-modified-written. Released on destruction.
class TokenFileLock {
  public:
    explicit TokenFileLock(const std::string& token_path);
    ~TokenFileLock();
    TokenFileLock(const TokenFileLock&) = delete;
    TokenFileLock& operator=(const TokenFileLock&) = delete;

    /// Waits up to `timeout_ms` for the lock; false with `error` set when it cannot be had.
    bool acquire(int timeout_ms, std::string* error);

  private:
    std::string m_path;
    int m_fd = -1;
};

/// "expires in 3h 12m", "expired 2h 0m ago", "no expiry recorded".
std::string expiry_text(const TokenRecord& record, std::int64_t now_s);

}  // namespace litellm
