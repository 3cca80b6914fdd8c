#include "common/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>
#include <utility>

extern char** environ;

namespace litellm {

std::string self_exe_path() {
    char buf[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) return {};
    buf[n] = '\0';
    return buf;
}

std::string find_program(const std::string& name) {
    std::filesystem::path self(self_exe_path());
    if (!self.empty()) {
        auto sibling = self.parent_path() / name;
        if (::access(sibling.c_str(), X_OK) == 0) return sibling.string();
    }
    const char* path = std::getenv("PATH");
    std::string p = path ? path : "/usr/local/bin:/usr/bin:/bin";
    size_t start = 0;
    while (start <= p.size()) {
        size_t colon = p.find(':', start);
        if (colon == std::string::npos) colon = p.size();
        std::string dir = p.substr(start, colon - start);
        if (!dir.empty()) {
            std::string candidate = dir + "/" + name;
            if (::access(candidate.c_str(), X_OK) == 0) return candidate;
        }
        start = colon + 1;
    }
    return {};
}

Subprocess::~Subprocess() {
    if (m_out_fd >= 0) ::close(m_out_fd);
    if (m_err_fd >= 0) ::close(m_err_fd);
}

Subprocess::Subprocess(Subprocess&& other) noexcept {
    *this = std::move(other);
}

Subprocess& Subprocess::operator=(Subprocess&& other) noexcept {
    if (this != &other) {
        m_pid = other.m_pid;
        m_out_fd = other.m_out_fd;
        m_err_fd = other.m_err_fd;
        m_status = other.m_status;
        m_out_buf = std::move(other.m_out_buf);
        m_err_buf = std::move(other.m_err_buf);
        other.m_pid = -1;
        other.m_out_fd = other.m_err_fd = -1;
    }
    return *this;
}

bool Subprocess::spawn(const SpawnOptions& options, std::string* error) {
    if (options.argv.empty()) {
        if (error) *error = "empty argv";
        return false;
    }
    // Build the environment in the parent: only async-signal-safe calls after fork.
    std::map<std::string, std::string> env;
    for (char** e = environ; *e; ++e) {
        std::string kv(*e);
        size_t eq = kv.find('=');
        if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    for (const auto& name : options.env_unset)
        env.erase(name);
    for (const auto& [k, v] : options.env_set)
        env[k] = v;
    std::vector<std::string> env_strings;
    for (const auto& [k, v] : env)
        env_strings.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& s : env_strings)
        envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<std::string> args = options.argv;
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);

    int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1}, in_pipe[2] = {-1, -1};
    if (options.stdout_path == "|" && ::pipe2(out_pipe, O_CLOEXEC) != 0) return false;
    if (options.stderr_path == "|" && ::pipe2(err_pipe, O_CLOEXEC) != 0) return false;
    if (!options.stdin_data.empty() && ::pipe2(in_pipe, O_CLOEXEC) != 0) return false;
    int out_file = -1, err_file = -1;
    if (!options.stdout_path.empty() && options.stdout_path != "|") {
        out_file =
            ::open(options.stdout_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    }
    if (!options.stderr_path.empty() && options.stderr_path != "|") {
        err_file =
            ::open(options.stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    }
    int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);

    const pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) {
        if (error) *error = std::strerror(errno);
        return false;
    }
    if (pid == 0) {
        if (options.new_session) ::setsid();
#ifdef __linux__
        if (options.die_with_parent) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::getppid() != parent) ::_exit(127);  // it died before the prctl
        }
#endif
        ::signal(SIGPIPE, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::dup2(in_pipe[0] >= 0 ? in_pipe[0] : devnull, 0);
        if (out_pipe[1] >= 0)
            ::dup2(out_pipe[1], 1);
        else if (out_file >= 0)
            ::dup2(out_file, 1);
        if (err_pipe[1] >= 0)
            ::dup2(err_pipe[1], 2);
        else if (err_file >= 0)
            ::dup2(err_file, 2);
        ::execve(argv[0], argv.data(), envp.data());
        const char msg[] = "exec failed\n";
        (void)!::write(2, msg, sizeof msg - 1);
        ::_exit(127);
    }
    m_pid = pid;
    m_status.reset();
    if (devnull >= 0) ::close(devnull);
    if (out_file >= 0) ::close(out_file);
    if (err_file >= 0) ::close(err_file);
    if (out_pipe[1] >= 0) ::close(out_pipe[1]);
    if (err_pipe[1] >= 0) ::close(err_pipe[1]);
    m_out_fd = out_pipe[0];
    m_err_fd = err_pipe[0];
    if (in_pipe[0] >= 0) {
        ::close(in_pipe[0]);
        const std::string& data = options.stdin_data;
        size_t off = 0;
        while (off < data.size()) {
            ssize_t n = ::write(in_pipe[1], data.data() + off, data.size() - off);
            if (n <= 0) break;
            off += static_cast<size_t>(n);
        }
        ::close(in_pipe[1]);
    }
    return true;
}

void Subprocess::pump(int timeout_ms) {
    pollfd fds[2];
    std::string* sinks[2];
    int* fd_refs[2];
    int n = 0;
    if (m_out_fd >= 0) {
        fds[n] = {m_out_fd, POLLIN, 0};
        sinks[n] = &m_out_buf;
        fd_refs[n++] = &m_out_fd;
    }
    if (m_err_fd >= 0) {
        fds[n] = {m_err_fd, POLLIN, 0};
        sinks[n] = &m_err_buf;
        fd_refs[n++] = &m_err_fd;
    }
    if (n == 0) {
        if (timeout_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(timeout_ms));
        return;
    }
    if (::poll(fds, n, timeout_ms) <= 0) return;
    for (int i = 0; i < n; ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        char buf[65536];
        ssize_t r = ::read(fds[i].fd, buf, sizeof buf);
        if (r > 0) {
            sinks[i]->append(buf, static_cast<size_t>(r));
        } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
            ::close(*fd_refs[i]);
            *fd_refs[i] = -1;
        }
    }
}

std::optional<int> Subprocess::wait(int timeout_ms) {
    if (m_status) return m_status;
    if (m_pid < 0) return -1;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        int status = 0;
        pid_t r = ::waitpid(m_pid, &status, WNOHANG);
        if (r == m_pid) {
            m_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            return m_status;
        }
        if (r < 0 && errno != EINTR) return -1;
        if (timeout_ms >= 0 && std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        // Keep piped output flowing so a chatty child never blocks on a full pipe.
        pump(5);
    }
}

void Subprocess::kill(int sig) {
    if (m_pid > 0 && !m_status) ::kill(m_pid, sig);
}

std::string Subprocess::read_stdout() {
    while (m_out_fd >= 0)
        pump(100);
    return std::exchange(m_out_buf, {});
}

std::string Subprocess::read_stderr() {
    while (m_err_fd >= 0)
        pump(100);
    return std::exchange(m_err_buf, {});
}

RunResult run_capture(const SpawnOptions& options_in, int timeout_ms) {
    RunResult result;
    SpawnOptions options = options_in;
    options.stdout_path = "|";
    options.stderr_path = "|";
    Subprocess proc;
    std::string error;
    if (!proc.spawn(options, &error)) {
        result.err = error;
        return result;
    }
    auto status = proc.wait(timeout_ms);
    if (!status) {
        proc.kill(SIGKILL);
        status = proc.wait(-1);
        result.timed_out = true;
    }
    result.exit_code = status.value_or(-1);
    result.out = proc.read_stdout();
    result.err = proc.read_stderr();
    return result;
}

}  // namespace litellm
