// Shell completions end to end: the real litellmctl prints scripts that cover every command and
// load in bash, and `setup-completions` edits a temporary HOME idempotently.

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <CLI/CLI.hpp>

#include "common/fs.hpp"
#include "ctl/commands.hpp"
#include "functional/harness.hpp"

namespace litellm::test {
namespace {

const std::string kBlockBegin = "# >>> litellmctl completions >>>";

std::string sh_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string ctl_dir() {
    return std::filesystem::path(LITELLMCTL_BIN).parent_path().string();
}

/// Runs litellmctl with HOME set to the temp home, plus `env` (e.g. SHELL, PATH).
RunResult run_ctl_env(const TempHome& home, const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& env = {}) {
    SpawnOptions opts;
    opts.argv = {LITELLMCTL_BIN, "--home", home.path()};
    opts.argv.insert(opts.argv.end(), args.begin(), args.end());
    opts.env_set = env;
    opts.env_set["HOME"] = home.path();
    opts.env_unset = {"LITELLM_SOCKET", "LITELLM_HOME", "XDG_CONFIG_HOME", "ZDOTDIR"};
    return run_capture(opts, 20000);
}

RunResult run_bash(const std::string& script, const std::map<std::string, std::string>& env = {}) {
    SpawnOptions opts;
    opts.argv = {"/bin/bash", "--norc", "--noprofile", "-c", script};
    opts.env_set = env;
    opts.env_unset = {"BASH_ENV", "ENV"};
    return run_capture(opts, 20000);
}

std::vector<std::string> words_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    std::string w;
    while (in >> w)
        out.push_back(w);
    return out;
}

/// True when the top-level command `name` is hidden from help (and so from completion).
bool is_hidden(const std::string& name) {
    for (const CLI::App* sub : ctl::cli_definition().get_subcommands({})) {
        if (sub->get_name() == name) return sub->get_group().empty();
    }
    ADD_FAILURE() << "no command " << name;
    return false;
}

/// COMPREPLY for `words` (cursor on the last one) after sourcing `script_file`.
std::set<std::string> bash_complete(const std::string& script_file,
                                    const std::vector<std::string>& words) {
    std::string array;
    for (const auto& w : words)
        array += sh_quote(w) + " ";
    RunResult r = run_bash("source " + sh_quote(script_file) + " || exit 9\nCOMP_WORDS=(" + array +
                           ")\nCOMP_CWORD=" + std::to_string(words.size() - 1) +
                           "\n_litellmctl\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto list = words_of(r.out);
    return {list.begin(), list.end()};
}

TEST(Completions, BashScriptCoversEveryCommandAndLoads) {
    TempHome home;
    RunResult r = run_ctl_env(home, {"completions", "bash"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    home.write("litellmctl.bash", r.out);
    std::string file = home.file("litellmctl.bash");

    RunResult syntax = run_bash("bash -n " + sh_quote(file));
    EXPECT_EQ(syntax.exit_code, 0) << syntax.err;
    RunResult loaded = run_bash("source " + sh_quote(file) + " && complete -p litellmctl");
    EXPECT_EQ(loaded.exit_code, 0) << loaded.err;
    EXPECT_NE(loaded.out.find("_litellmctl"), std::string::npos) << loaded.out;

    // Every command path completes word by word, `auth qwen` included; hidden commands (an
    // empty CLI11 group, like `docs`) are deliberately left out.
    std::set<std::string> top = bash_complete(file, {"litellmctl", ""});
    for (const auto& path : ctl::command_paths()) {
        auto words = words_of(path);
        ASSERT_FALSE(words.empty());
        if (is_hidden(words[0])) {
            EXPECT_EQ(top.count(words[0]), 0u) << path;
            continue;
        }
        EXPECT_EQ(top.count(words[0]), 1u) << path;
        if (words.size() == 2) {
            auto under = bash_complete(file, {"litellmctl", words[0], ""});
            EXPECT_EQ(under.count(words[1]), 1u) << path;
        }
    }
    EXPECT_EQ(bash_complete(file, {"litellmctl", "auth", ""}).count("qwen"), 1u);
    EXPECT_EQ(bash_complete(file, {"litellmctl", "logs", "--le"}),
              std::set<std::string>{"--level"});
    EXPECT_EQ(bash_complete(file, {"litellmctl", "logs", "--level", ""}),
              (std::set<std::string>{"debug", "info", "warn", "error"}));
    EXPECT_EQ(bash_complete(file, {"litellmctl", "status", "--ti"}),
              std::set<std::string>{"--timeout"});
}

TEST(Completions, EveryShellAndTheOriginalFlags) {
    TempHome home;
    RunResult bash = run_ctl_env(home, {"completions", "bash"});
    RunResult zsh = run_ctl_env(home, {"completions", "zsh"});
    RunResult fish = run_ctl_env(home, {"completions", "fish"});
    for (const RunResult* r : {&bash, &zsh, &fish}) {
        EXPECT_EQ(r->exit_code, 0) << r->err;
        EXPECT_NE(r->out.find("qwen"), std::string::npos);
        EXPECT_NE(r->out.find("setup-completions"), std::string::npos);
    }
    EXPECT_NE(zsh.out.find("compdef _litellmctl litellmctl"), std::string::npos);
    EXPECT_NE(fish.out.find("complete -c litellmctl"), std::string::npos);
    // The original's flags print the same scripts.
    EXPECT_EQ(run_ctl_env(home, {"--completions"}).out, bash.out);
    EXPECT_EQ(run_ctl_env(home, {"--zsh-completions"}).out, zsh.out);
    RunResult bad = run_ctl_env(home, {"completions", "tcsh"});
    EXPECT_EQ(bad.exit_code, 2) << bad.out << bad.err;
}

TEST(Completions, SetupBashIsIdempotentAndKeepsTheRcFile) {
    TempHome home;
    const std::string before = "# my settings\nexport FOO=1\n";
    home.write(".bashrc", before);
    std::string rc = home.file(".bashrc");
    std::map<std::string, std::string> env = {{"PATH", ctl_dir() + ":/usr/bin:/bin"}};

    RunResult first = run_ctl_env(home, {"setup-completions", "--shell", "bash"}, env);
    ASSERT_EQ(first.exit_code, 0) << first.err;
    EXPECT_NE(first.out.find(rc), std::string::npos) << first.out;
    EXPECT_NE(first.out.find("source " + rc), std::string::npos) << first.out;
    EXPECT_EQ(first.err.find("not on your PATH"), std::string::npos) << first.err;
    std::string after = read_file(rc).value_or("");
    EXPECT_EQ(after.rfind(before, 0), 0u) << after;
    std::size_t begin = after.find(kBlockBegin);
    ASSERT_NE(begin, std::string::npos);
    EXPECT_EQ(after.find(kBlockBegin, begin + 1), std::string::npos);
    EXPECT_NE(after.find("eval \"$(litellmctl completions bash)\""), std::string::npos);

    RunResult second = run_ctl_env(home, {"setup-completions", "--shell", "bash"}, env);
    EXPECT_EQ(second.exit_code, 0) << second.err;
    EXPECT_NE(second.out.find("already set up"), std::string::npos) << second.out;
    EXPECT_EQ(read_file(rc).value_or(""), after);

    RunResult json = run_ctl_env(home, {"setup-completions", "--shell", "bash", "--json"}, env);
    EXPECT_EQ(json.exit_code, 0) << json.err;
    auto doc = parse_json(json.out);
    EXPECT_STREQ(doc["shell"].GetString(), "bash");
    EXPECT_EQ(doc["file"].GetString(), rc);
    EXPECT_FALSE(doc["changed"].GetBool());
    EXPECT_EQ(read_file(rc).value_or(""), after);

    // The block really loads the completions in a shell that reads the rc file.
    RunResult shell = run_bash(
        "HOME=" + sh_quote(home.path()) + "; source ~/.bashrc; complete -p litellmctl", env);
    EXPECT_EQ(shell.exit_code, 0) << shell.err;
    EXPECT_NE(shell.out.find("_litellmctl"), std::string::npos) << shell.out << shell.err;
}

TEST(Completions, SetupPicksTheShellFromSHELLAndHintsAtPath) {
    TempHome home;
    RunResult r = run_ctl_env(home, {"setup-completions", "--json"},
                              {{"SHELL", "/usr/bin/zsh"}, {"PATH", "/usr/bin:/bin"}});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto doc = parse_json(r.out);
    EXPECT_STREQ(doc["shell"].GetString(), "zsh");
    EXPECT_EQ(doc["file"].GetString(), home.file(".zshrc"));
    EXPECT_TRUE(doc["changed"].GetBool());
    EXPECT_NE(read_file(home.file(".zshrc")).value_or("").find("litellmctl completions zsh"),
              std::string::npos);
    // litellmctl is not on that PATH: say so, with the fix.
    EXPECT_NE(r.err.find("not on your PATH"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("export PATH=\"$HOME/.local/bin:$PATH\""), std::string::npos) << r.err;

    RunResult unknown = run_ctl_env(home, {"setup-completions"}, {{"SHELL", "/bin/tcsh"}});
    EXPECT_EQ(unknown.exit_code, 2);
    EXPECT_NE(unknown.err.find("tcsh"), std::string::npos) << unknown.err;
}

TEST(Completions, SetupFishWritesTheCompletionFile) {
    TempHome home;
    RunResult r = run_ctl_env(home, {"setup-completions", "--shell", "fish"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::string file = home.file(".config/fish/completions/litellmctl.fish");
    EXPECT_NE(r.out.find(file), std::string::npos) << r.out;
    RunResult script = run_ctl_env(home, {"completions", "fish"});
    EXPECT_EQ(read_file(file).value_or(""), script.out);
    RunResult again = run_ctl_env(home, {"setup-completions", "--shell", "fish", "--json"});
    EXPECT_EQ(again.exit_code, 0) << again.err;
    EXPECT_FALSE(parse_json(again.out)["changed"].GetBool());
}

TEST(Completions, SetupWithRcOverride) {
    TempHome home;
    std::string rc = home.file("custom-rc");
    RunResult r = run_ctl_env(home, {"setup-completions", "--shell", "bash", "--rc", rc, "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(parse_json(r.out)["file"].GetString(), rc);
    EXPECT_TRUE(path_exists(rc));
    EXPECT_FALSE(path_exists(home.file(".bashrc")));
}

}  // namespace
}  // namespace litellm::test
