#pragma once
// Child processes: litellmctl runs litellmd (`proxy`, later `start` in detached mode) and the
// functional tests run both binaries. fork/exec with explicit environment changes.

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace litellm {

/// The absolute path of the running executable (/proc/self/exe).
std::string self_exe_path();

/// `name` next to the running executable when it exists there, else the first match on PATH,
/// else empty.
std::string find_program(const std::string& name);

/// How to start a child.
struct SpawnOptions {
    std::vector<std::string> argv;               ///< argv[0] is the program path
    std::map<std::string, std::string> env_set;  ///< added or replaced in the environment
    std::vector<std::string> env_unset;          ///< removed from the environment
    std::string stdout_path;   ///< file to append stdout to; empty = inherit, "|" = pipe
    std::string stderr_path;   ///< same for stderr ("|" = pipe)
    std::string stdin_data;    ///< written to a pipe on stdin when non-empty, else /dev/null
    bool new_session = false;  ///< setsid() in the child (detach from the terminal)
    /// The child gets SIGKILL when the thread that spawned it dies (Linux), so a test that
    /// crashes leaves no daemon behind. Never for a daemon meant to outlive its starter.
    bool die_with_parent = false;
};

/// A running (or finished) child.
class Subprocess {
  public:
    Subprocess() = default;
    ~Subprocess();
    Subprocess(Subprocess&& other) noexcept;
    Subprocess& operator=(Subprocess&& other) noexcept;

    /// Starts the child; false with `error` set when fork/exec setup failed.
    bool spawn(const SpawnOptions& options, std::string* error = nullptr);

    /// Waits up to `timeout_ms` (negative = forever) and returns the exit status as a shell
    /// would report it (code, or 128+signal); nullopt when still running.
    std::optional<int> wait(int timeout_ms);

    /// Sends `sig`.
    void kill(int sig);

    /// Reads everything left on the piped stdout / stderr (after the child exits).
    std::string read_stdout();
    std::string read_stderr();

    pid_t pid() const { return m_pid; }

  private:
    /// Moves whatever the pipes hold into the buffers, waiting up to `timeout_ms`.
    void pump(int timeout_ms);

    pid_t m_pid = -1;
    int m_out_fd = -1;
    int m_err_fd = -1;
    std::string m_out_buf;
    std::string m_err_buf;
    std::optional<int> m_status;
};

/// Result of run_capture.
struct RunResult {
    int exit_code = -1;  ///< 128+signal when killed; -1 when it could not start
    std::string out;
    std::string err;
    bool timed_out = false;
};

/// Runs a program to completion, capturing stdout and stderr; kills it after `timeout_ms`.
RunResult run_capture(const SpawnOptions& options, int timeout_ms);

}  // namespace litellm
