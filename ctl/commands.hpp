#pragma once
// litellmctl: the thin CLI. Every daemon interaction is a JSON-RPC call on the control socket,
// so anything it does a script can do with one line on the socket.

#include <string>
#include <vector>

namespace litellm::ctl {

/// Runs litellmctl with `args` (argv without the program name); returns the exit code.
int run(int argc, char** argv);

/// Every subcommand path ("status", "auth chatgpt", ...), for completions and tests.
std::vector<std::string> command_paths();

}  // namespace litellm::ctl
