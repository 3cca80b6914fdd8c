#pragma once
// litellmctl: the thin CLI. Every daemon interaction is a JSON-RPC call on the control socket,
// so anything it does a script can do with one line on the socket.

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace litellm::ctl {

/// Runs litellmctl with `args` (argv without the program name); returns the exit code.
int run(int argc, char** argv);

/// Every subcommand path ("status", "auth chatgpt", ...), for tests.
std::vector<std::string> command_paths();

/// The complete CLI11 definition of litellmctl (bound to throwaway variables), for generating
/// completions and docs from the same source the parser uses.
const CLI::App& cli_definition();

}  // namespace litellm::ctl
