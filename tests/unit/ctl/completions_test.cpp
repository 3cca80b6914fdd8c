#include "ctl/completions.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <CLI/CLI.hpp>

#include "common/fs.hpp"
#include "common/process.hpp"
#include "ctl/commands.hpp"

namespace litellm::ctl {
namespace {

/// A miniature litellmctl: globals with values, flags, a choice option, choice positionals,
/// `auth` with nested subcommands (one taking a provider), an option group and a hidden command.
struct MiniCli {
    CLI::App app{"mini litellmctl"};
    std::string home, socket, level, action, name, dir, since;
    int timeout = 0, lines = 0;
    bool flag = false;
    std::string provider;

    MiniCli() {
        app.fallthrough();
        app.add_option("--home", home, "Home directory");
        app.add_option("--socket", socket, "Control socket");
        app.add_option("--timeout", timeout, "Milliseconds")->check(CLI::Range(100, 600000));
        app.add_flag("--completions", flag, "Print the bash completion script");
        auto* status = app.add_subcommand("status", "Show \"everything\" at a glance");
        status->add_flag("--json", flag, "Machine-readable output");
        auto* logs = app.add_subcommand("logs", "Show recent log lines; it's `logs -f`");
        logs->add_flag("-f,--follow", flag, "Keep streaming");
        logs->add_option("-n,--lines", lines, "How many")->check(CLI::Range(0, 1000));
        logs->add_option("--level", level, "Lowest level")
            ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
        logs->add_option_group("filters")->add_option("--since", since, "Only newer lines");
        auto* cooldowns = app.add_subcommand("cooldowns", "List or reset cooldowns");
        cooldowns->add_option("action", action, "list or reset")
            ->check(CLI::IsMember({"list", "reset"}));
        cooldowns->add_option("name", name, "Model name");
        auto* auth = app.add_subcommand("auth", "OAuth logins");
        for (const char* login : {"chatgpt", "gemini", "qwen", "status"})
            auth->add_subcommand(login, "Log in");
        auth->add_subcommand("refresh", "Refresh now")
            ->add_option("provider", provider, "Which")
            ->check(CLI::IsMember({"chatgpt", "gemini", "qwen"}));
        auto* service = app.add_subcommand("service", "Manage the service");
        service->add_subcommand("install", "Install it")
            ->add_option("--unit-dir", dir, "Where the unit goes");
        service->add_subcommand("remove", "Remove it");
        app.add_subcommand("docs", "Generated docs")->group("");
    }
};

/// A scratch directory removed at the end of the test.
class TempDir {
  public:
    TempDir() {
        std::string tmpl =
            (std::filesystem::temp_directory_path() / "litellm-compl-XXXXXX").string();
        m_path = ::mkdtemp(tmpl.data());
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(m_path, ec);
    }
    std::string file(const std::string& name) const { return m_path + "/" + name; }
    std::string write(const std::string& name, const std::string& content) const {
        std::ofstream(file(name), std::ios::binary) << content;
        return file(name);
    }
    const std::string& path() const { return m_path; }

  private:
    std::string m_path;
};

std::string sh_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

RunResult run_bash(const std::string& script) {
    SpawnOptions opts;
    opts.argv = {"/bin/bash", "--norc", "--noprofile", "-c", script};
    opts.stdout_path = "|";
    opts.stderr_path = "|";
    opts.env_unset = {"BASH_ENV", "ENV"};
    return run_capture(opts, 20000);
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty()) out.push_back(line);
    }
    return out;
}

/// COMPREPLY of the bash function in `script_file` for the command line `words` (the cursor is
/// on the last word).
std::vector<std::string> bash_complete(const std::string& script_file,
                                       const std::vector<std::string>& words) {
    std::string array;
    for (const auto& w : words)
        array += sh_quote(w) + " ";
    std::string script = "source " + sh_quote(script_file) + " || exit 9\n" + "COMP_WORDS=(" +
                         array + ")\n" + "COMP_CWORD=" + std::to_string(words.size() - 1) + "\n" +
                         "_litellmctl\n"
                         "printf '%s\\n' \"${COMPREPLY[@]}\"\n";
    RunResult r = run_bash(script);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    std::vector<std::string> out = lines_of(r.out);
    std::sort(out.begin(), out.end());
    return out;
}

bool contains(const std::vector<std::string>& list, const std::string& word) {
    return std::find(list.begin(), list.end(), word) != list.end();
}

bool has_program(const std::string& name) {
    SpawnOptions opts;
    opts.argv = {"/bin/sh", "-c", "command -v " + name};
    opts.stdout_path = "|";
    return run_capture(opts, 10000).exit_code == 0;
}

class CompletionScript : public ::testing::Test {
  protected:
    void SetUp() override {
        m_bash_file = m_dir.write("litellmctl.bash", completion_script(m_cli.app, "bash"));
    }

    MiniCli m_cli;
    TempDir m_dir;
    std::string m_bash_file;
};

TEST_F(CompletionScript, UnknownShellGivesNothing) {
    EXPECT_EQ(completion_script(m_cli.app, "tcsh"), "");
    EXPECT_EQ(completion_script(m_cli.app, ""), "");
}

TEST_F(CompletionScript, EveryShellMentionsEveryCommandAndOption) {
    const std::vector<std::string> words = {
        "status", "logs",     "cooldowns", "auth",       "service", "install",      "remove",
        "list",   "reset",    "chatgpt",   "gemini",     "qwen",    "refresh",      "--json",
        "-f",     "--follow", "-n",        "--lines",    "--level", "warn",         "--since",
        "--home", "--socket", "--timeout", "--unit-dir", "--help",  "--completions"};
    for (const char* shell : {"bash", "zsh", "fish"}) {
        std::string script = completion_script(m_cli.app, shell);
        ASSERT_FALSE(script.empty()) << shell;
        for (std::string w : words) {
            // fish spells options as `-l follow` / `-s f`.
            if (std::string(shell) == "fish" && w.rfind("--", 0) == 0)
                w = "-l " + w.substr(2);
            else if (std::string(shell) == "fish" && w[0] == '-')
                w = "-s " + w.substr(1);
            EXPECT_NE(script.find(w), std::string::npos) << shell << " lacks " << w;
        }
        // Hidden commands stay hidden.
        EXPECT_EQ(script.find("docs"), std::string::npos) << shell;
    }
}

TEST_F(CompletionScript, IsDeterministic) {
    MiniCli other;
    for (const char* shell : {"bash", "zsh", "fish"}) {
        EXPECT_EQ(completion_script(m_cli.app, shell), completion_script(m_cli.app, shell));
        EXPECT_EQ(completion_script(m_cli.app, shell), completion_script(other.app, shell));
    }
}

TEST_F(CompletionScript, BashSyntaxIsValidAndRegistersTheFunction) {
    RunResult syntax = run_bash("bash -n " + sh_quote(m_bash_file));
    EXPECT_EQ(syntax.exit_code, 0) << syntax.err;
    RunResult loaded = run_bash("source " + sh_quote(m_bash_file) + " && complete -p litellmctl");
    EXPECT_EQ(loaded.exit_code, 0) << loaded.err;
    EXPECT_NE(loaded.out.find("-F _litellmctl"), std::string::npos) << loaded.out;
    EXPECT_NE(loaded.out.find("litellmctl"), std::string::npos);
}

TEST_F(CompletionScript, BashCompletesSubcommands) {
    EXPECT_EQ(bash_complete(m_bash_file, {"litellmctl", "au"}), std::vector<std::string>{"auth"});
    auto top = bash_complete(m_bash_file, {"litellmctl", ""});
    EXPECT_EQ(top, (std::vector<std::string>{"auth", "cooldowns", "logs", "service", "status"}));
    EXPECT_EQ(bash_complete(m_bash_file, {"litellmctl", "service", ""}),
              (std::vector<std::string>{"install", "remove"}));
    EXPECT_EQ(bash_complete(m_bash_file, {"litellmctl", "service", "install", "--u"}),
              std::vector<std::string>{"--unit-dir"});
}

TEST_F(CompletionScript, BashCompletesAuthWordsIncludingQwen) {
    EXPECT_EQ(bash_complete(m_bash_file, {"litellmctl", "auth", ""}),
              (std::vector<std::string>{"chatgpt", "gemini", "qwen", "refresh", "status"}));
    EXPECT_EQ(bash_complete(m_bash_file, {"litellmctl", "auth", "q"}),
              std::vector<std::string>{"qwen"});
    EXPECT_EQ(bash_complete(m_bash_file, {"litellmctl", "auth", "refresh", ""}),
              (std::vector<std::string>{"chatgpt", "gemini", "qwen"}));
}

TEST_F(CompletionScript, BashCompletesOptionsAndTheirValues) {
    EXPECT_EQ(bash_complete(m_bash_file, {"litellmctl", "logs", "--le"}),
              std::vector<std::string>{"--level"});
    EXPECT_EQ(bash_complete(m_bash_file, {"litellmctl", "logs", "--level", ""}),
              (std::vector<std::string>{"debug", "error", "info", "warn"}));
    // bash splits `--level=w` at '=' (COMP_WORDBREAKS) ...
    EXPECT_EQ(bash_complete(m_bash_file, {"litellmctl", "logs", "--level", "=", "w"}),
              std::vector<std::string>{"warn"});
    EXPECT_EQ(bash_complete(m_bash_file, {"litellmctl", "logs", "--level", "=", ""}).size(), 4u);
    // ... unless '=' was removed from it.
    EXPECT_EQ(bash_complete(m_bash_file, {"litellmctl", "logs", "--level=w"}),
              std::vector<std::string>{"--level=warn"});
    // Options in an option group belong to the command.
    EXPECT_EQ(bash_complete(m_bash_file, {"litellmctl", "logs", "--si"}),
              std::vector<std::string>{"--since"});
    // A value already given does not count as a positional or command.
    EXPECT_EQ(bash_complete(m_bash_file, {"litellmctl", "logs", "-n", "5", "--level", "e"}),
              std::vector<std::string>{"error"});
    // Numbers get no completion.
    EXPECT_TRUE(bash_complete(m_bash_file, {"litellmctl", "--timeout", ""}).empty());
}

TEST_F(CompletionScript, BashGlobalOptionsWorkAnywhere) {
    auto status = bash_complete(m_bash_file, {"litellmctl", "status", "--"});
    for (const char* o : {"--json", "--home", "--socket", "--timeout", "--help"})
        EXPECT_TRUE(contains(status, o)) << o;
    // Top-level actions are not offered under a subcommand.
    EXPECT_FALSE(contains(status, "--completions"));
    EXPECT_TRUE(contains(bash_complete(m_bash_file, {"litellmctl", "--"}), "--completions"));
    // The value of a global option is skipped when finding the command.
    EXPECT_EQ(bash_complete(m_bash_file, {"litellmctl", "--home", "/tmp/x", "st"}),
              std::vector<std::string>{"status"});
    EXPECT_EQ(bash_complete(m_bash_file, {"litellmctl", "--home", "/tmp/x", "service", "--socket",
                                          "/s", "install", "--unit"}),
              std::vector<std::string>{"--unit-dir"});
    EXPECT_TRUE(contains(bash_complete(m_bash_file, {"litellmctl", "service", "install", "--ho"}),
                         "--home"));
}

TEST_F(CompletionScript, BashCompletesPositionalChoicesAndFiles) {
    EXPECT_EQ(bash_complete(m_bash_file, {"litellmctl", "cooldowns", ""}),
              (std::vector<std::string>{"list", "reset"}));
    // The second positional is free: offer the options rather than the first one's values.
    auto second = bash_complete(m_bash_file, {"litellmctl", "cooldowns", "reset", ""});
    EXPECT_FALSE(contains(second, "list"));
    EXPECT_TRUE(contains(second, "--help"));
    // Text values complete file names.
    m_dir.write("config-one.yaml", "x");
    EXPECT_EQ(bash_complete(m_bash_file, {"litellmctl", "--home", m_dir.file("config-o")}),
              std::vector<std::string>{m_dir.file("config-one.yaml")});
}

TEST_F(CompletionScript, ZshSyntaxIsValid) {
    if (!has_program("zsh")) GTEST_SKIP() << "zsh is not installed; zsh -n not run";
    std::string file = m_dir.write("litellmctl.zsh", completion_script(m_cli.app, "zsh"));
    SpawnOptions opts;
    opts.argv = {"zsh", "-n", file};
    opts.stderr_path = "|";
    RunResult r = run_capture(opts, 20000);
    EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(CompletionScript, FishSyntaxIsValid) {
    if (!has_program("fish")) GTEST_SKIP() << "fish is not installed; fish -n not run";
    std::string file = m_dir.write("litellmctl.fish", completion_script(m_cli.app, "fish"));
    SpawnOptions opts;
    opts.argv = {"fish", "-n", file};
    opts.stderr_path = "|";
    RunResult r = run_capture(opts, 20000);
    EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(CompletionScript, FishConditionsOnTheExactCommandPath) {
    std::string fish = completion_script(m_cli.app, "fish");
    EXPECT_NE(fish.find("complete -c litellmctl -n '__litellmctl_at \\'auth\\'' -a qwen"),
              std::string::npos)
        << fish;
    EXPECT_NE(fish.find("-l level -x -a 'debug info warn error'"), std::string::npos);
    EXPECT_NE(fish.find("'__litellmctl_at \\'cooldowns\\' 0' -a 'list reset'"), std::string::npos);
    // Quotes in descriptions are escaped for fish.
    EXPECT_NE(fish.find("it\\'s `logs -f`"), std::string::npos);
}

TEST(CompletionScriptReal, CoversEveryLitellmctlCommand) {
    std::set<std::string> hidden;  // an empty CLI11 group, like `docs`: deliberately left out
    for (const CLI::App* sub : cli_definition().get_subcommands({})) {
        if (sub->get_group().empty()) hidden.insert(sub->get_name());
    }
    for (const char* shell : {"bash", "zsh", "fish"}) {
        std::string script = completion_script(cli_definition(), shell);
        for (const auto& path : command_paths()) {
            std::istringstream words(path);
            std::string w;
            words >> w;
            if (hidden.count(w)) {
                EXPECT_EQ(script.find(" " + w + " "), std::string::npos) << shell << " has " << w;
                continue;
            }
            do {
                EXPECT_NE(script.find(w), std::string::npos) << shell << " lacks " << path;
            } while (words >> w);
        }
        EXPECT_NE(script.find("qwen"), std::string::npos) << shell;
    }
}

// ---- setup_completions ------------------------------------------------------------------------

/// Runs setup_completions with --json and returns its stdout.
std::string setup_json(const SetupCompletionsOptions& base, int* exit_code) {
    SetupCompletionsOptions options = base;
    options.json = true;
    ::testing::internal::CaptureStdout();
    ::testing::internal::CaptureStderr();
    *exit_code = setup_completions(options);
    ::testing::internal::GetCapturedStderr();
    return ::testing::internal::GetCapturedStdout();
}

mode_t file_mode(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
}

TEST(SetupCompletions, AppendsTheBlockOnceAndKeepsTheRest) {
    TempDir dir;
    const std::string before = "export FOO=1\nalias ll='ls -l'";  // no final newline
    std::string rc = dir.write("bashrc", before);
    ::chmod(rc.c_str(), 0600);
    int code = -1;
    std::string out = setup_json({"bash", rc, false}, &code);
    EXPECT_EQ(code, 0);
    EXPECT_NE(out.find("\"changed\":true"), std::string::npos) << out;
    EXPECT_NE(out.find("\"shell\":\"bash\""), std::string::npos) << out;
    std::string after = read_file(rc).value_or("");
    EXPECT_EQ(after.rfind(before + "\n\n# >>> litellmctl completions >>>\n", 0), 0u) << after;
    EXPECT_NE(after.find("command -v litellmctl"), std::string::npos);
    EXPECT_NE(after.find("eval \"$(litellmctl completions bash)\""), std::string::npos);
    EXPECT_EQ(after.substr(after.size() - 33), "# <<< litellmctl completions <<<\n");
    EXPECT_EQ(file_mode(rc), 0600u);
    EXPECT_EQ(read_file(rc + ".litellmctl.bak").value_or(""), before);

    out = setup_json({"bash", rc, false}, &code);
    EXPECT_EQ(code, 0);
    EXPECT_NE(out.find("\"changed\":false"), std::string::npos) << out;
    EXPECT_EQ(read_file(rc).value_or(""), after);
}

TEST(SetupCompletions, SaysAlreadySetUp) {
    TempDir dir;
    std::string rc = dir.file("zshrc");
    int code = -1;
    setup_json({"zsh", rc, false}, &code);  // creates the file
    ASSERT_EQ(code, 0);
    EXPECT_EQ(file_mode(rc), 0644u);
    EXPECT_FALSE(path_exists(rc + ".litellmctl.bak"));  // nothing to back up
    ::testing::internal::CaptureStdout();
    ::testing::internal::CaptureStderr();  // the PATH note
    code = setup_completions({"zsh", rc, false});
    ::testing::internal::GetCapturedStderr();
    std::string text = ::testing::internal::GetCapturedStdout();
    EXPECT_EQ(code, 0);
    EXPECT_NE(text.find("already set up"), std::string::npos) << text;
    EXPECT_NE(text.find("source " + rc), std::string::npos) << text;
}

TEST(SetupCompletions, ReplacesAStaleBlockInPlace) {
    TempDir dir;
    std::string rc = dir.write("bashrc",
                               "A=1\n# >>> litellmctl completions >>>\neval \"$(old stuff)\"\n"
                               "# <<< litellmctl completions <<<\nB=2\n");
    int code = -1;
    std::string out = setup_json({"bash", rc, false}, &code);
    EXPECT_EQ(code, 0);
    EXPECT_NE(out.find("\"changed\":true"), std::string::npos);
    std::string after = read_file(rc).value_or("");
    EXPECT_EQ(after.rfind("A=1\n# >>> litellmctl completions >>>\n", 0), 0u) << after;
    EXPECT_EQ(after.find("old stuff"), std::string::npos);
    EXPECT_EQ(after.substr(after.size() - 37), "# <<< litellmctl completions <<<\nB=2\n");
    EXPECT_NE(read_file(rc + ".litellmctl.bak").value_or("").find("old stuff"), std::string::npos);
}

TEST(SetupCompletions, RefusesAHalfBlock) {
    TempDir dir;
    const std::string text = "A=1\n# >>> litellmctl completions >>>\nB=2\n";
    std::string rc = dir.write("bashrc", text);
    ::testing::internal::CaptureStderr();
    int code = setup_completions({"bash", rc, false});
    std::string err = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(code, 1);
    EXPECT_NE(err.find("by hand"), std::string::npos) << err;
    EXPECT_EQ(read_file(rc).value_or(""), text);
}

TEST(SetupCompletions, WritesThroughASymlinkedRcFile) {
    TempDir dir;
    std::string real = dir.write("dotfiles-bashrc", "X=1\n");
    std::string link = dir.file("bashrc");
    ASSERT_EQ(::symlink(real.c_str(), link.c_str()), 0);
    int code = -1;
    setup_json({"bash", link, false}, &code);
    EXPECT_EQ(code, 0);
    EXPECT_TRUE(std::filesystem::is_symlink(link));
    EXPECT_NE(read_file(real).value_or("").find("litellmctl completions bash"), std::string::npos);
}

TEST(SetupCompletions, RejectsAnUnknownShell) {
    ::testing::internal::CaptureStderr();
    EXPECT_EQ(setup_completions({"tcsh", "/nonexistent/rc", false}), 2);
    std::string err = ::testing::internal::GetCapturedStderr();
    EXPECT_NE(err.find("tcsh"), std::string::npos) << err;
    EXPECT_NE(err.find("--shell"), std::string::npos) << err;

    // Without --shell the login shell decides.
    std::string saved = std::getenv("SHELL") ? std::getenv("SHELL") : "";
    ::setenv("SHELL", "/usr/bin/csh", 1);
    ::testing::internal::CaptureStderr();
    EXPECT_EQ(setup_completions({"", "/nonexistent/rc", false}), 2);
    err = ::testing::internal::GetCapturedStderr();
    EXPECT_NE(err.find("'csh'"), std::string::npos) << err;
    TempDir dir;
    ::setenv("SHELL", "/bin/bash", 1);
    int code = -1;
    std::string out = setup_json({"", dir.file("rc"), false}, &code);
    EXPECT_EQ(code, 0);
    EXPECT_NE(out.find("\"shell\":\"bash\""), std::string::npos) << out;
    if (saved.empty())
        ::unsetenv("SHELL");
    else
        ::setenv("SHELL", saved.c_str(), 1);
}

TEST(SetupCompletions, FishWritesTheGeneratedScript) {
    TempDir dir;
    std::string file = dir.path() + "/fish/completions/litellmctl.fish";
    int code = -1;
    std::string out = setup_json({"fish", file, false}, &code);
    EXPECT_EQ(code, 0);
    EXPECT_NE(out.find("\"changed\":true"), std::string::npos);
    EXPECT_EQ(read_file(file).value_or(""), completion_script(cli_definition(), "fish"));
    EXPECT_EQ(file_mode(file), 0644u);
    out = setup_json({"fish", file, false}, &code);
    EXPECT_NE(out.find("\"changed\":false"), std::string::npos);
}

}  // namespace
}  // namespace litellm::ctl
