#pragma once
// Shell completions for litellmctl, generated from the CLI11 definition (every subcommand and
// option, so nothing can be forgotten the way the original forgot `auth qwen`).

#include <string>
#include <string_view>

namespace CLI {
class App;
}

namespace litellm::ctl {

/// The completion script for `shell` ("bash", "zsh" or "fish") describing `app`; empty for an
/// unknown shell.
std::string completion_script(const CLI::App& app, std::string_view shell);

/// Options of `litellmctl setup-completions`.
struct SetupCompletionsOptions {
    std::string shell;    ///< "bash", "zsh", "fish"; empty = from $SHELL
    std::string rc_file;  ///< override the file edited (tests); empty = the shell's usual one
    bool json = false;
};

/// Installs completions once (idempotent): bash/zsh get a marked block in ~/.bashrc / ~/.zshrc
/// that evaluates `litellmctl completions <shell>`; fish gets
/// ~/.config/fish/completions/litellmctl.fish. Prints what it did; returns the exit code.
int setup_completions(const SetupCompletionsOptions& options);

}  // namespace litellm::ctl
