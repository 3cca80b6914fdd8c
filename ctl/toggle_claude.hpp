#pragma once
// `litellmctl toggle-claude`: points Claude Code at litellmd (proxy mode) or back at the
// Anthropic API (direct mode) by editing the `env` object of ~/.claude/settings.json.
//
// Unlike the original bash tool, which replaced or deleted the whole `env` object, this edits
// only the five keys it owns, remembers their previous values in $LITELLM_HOME/toggle-claude.json
// and restores them exactly, so other settings and other env vars survive both directions.

#include <string>
#include <string_view>

#include <rapidjson/document.h>

namespace litellm::ctl {

struct ToggleClaudeOptions {
    std::string home;         // LITELLM_HOME (absolute)
    std::string socket_path;  // control socket, to ask a running daemon for its URL
    enum class Action { kToggle, kProxy, kDirect, kStatus } action = Action::kToggle;
    bool json = false;          // --json: one JSON object on stdout
    int port = 0;               // --port N; 0 = the running daemon's port, else 4000
    std::string settings_path;  // --settings FILE; empty = $HOME/.claude/settings.json
};

/// Runs `litellmctl toggle-claude`; prints for a person (or JSON) and returns the exit code.
int toggle_claude(const ToggleClaudeOptions& options);

namespace toggle_detail {

/// The token written when the config has no master key (litellmd then accepts any key on
/// loopback); a fixed value so mode detection and the state-less direct mode recognise it.
inline constexpr std::string_view kNoMasterKeyToken = "litellmd-no-master-key";

/// Port used when neither --port nor a running daemon gives one (the original's default).
inline constexpr int kDefaultPort = 4000;

/// True when `url` is http(s) to 127.0.0.0/8, localhost or [::1]: what proxy mode points at.
bool is_loopback_url(std::string_view url);

/// A secret shown for a person: its first 4 characters and its length ("sk-1… (32 chars)");
/// short secrets show no characters at all.
std::string mask_secret(std::string_view secret);

/// How an existing JSON file is laid out, so a rewrite of it keeps the same bytes for
/// everything we did not change.
struct JsonStyle {
    char indent_char = ' ';
    unsigned indent_width = 2;
    bool trailing_newline = true;
    bool crlf = false;
};

/// The layout of `text` (the indent of its first indented line, final newline, CRLF); the
/// defaults (2 spaces, trailing newline) for text without indented lines.
JsonStyle detect_json_style(std::string_view text);

/// `value` as pretty JSON text laid out per `style`.
std::string render_json(const rapidjson::Value& value, const JsonStyle& style);

}  // namespace toggle_detail

}  // namespace litellm::ctl
