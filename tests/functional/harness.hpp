#pragma once
// Shared pieces of the functional tests: a temporary LITELLM_HOME, the real litellmd started in
// it on port 0, and litellmctl runs against it.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "common/process.hpp"
#include "common/rpc_client.hpp"

namespace litellm::test {

/// A small valid config: two anthropic models with a fallback chain and one openai model.
extern const char* const kSmallConfig;

/// A fresh temporary directory used as LITELLM_HOME; removed on destruction.
///
/// Before it goes, it sweeps what the programs left for secrets (the no-secret-in-any-output
/// rule, checked across the whole functional suite): every key, token and password the test
/// put in its `.env`, config and token files (secrets()) must appear in no log, no captured
/// stdout or stderr, and no file the programs wrote that others may read. A find fails the
/// running test and names the file.
class TempHome {
  public:
    TempHome();
    ~TempHome();
    const std::string& path() const { return m_path; }
    /// Writes `content` to path()/name (creating parents).
    void write(const std::string& name, const std::string& content) const;
    std::string file(const std::string& name) const { return m_path + "/" + name; }

    /// The secrets now in this home's .env, config.yaml and auth.*.json (8 bytes or longer,
    /// so that a test's one-letter keys do not match ordinary text).
    std::vector<std::string> secrets() const;
    /// Fails the running test when `text` (output of `what`) holds one of secrets().
    void expect_no_secret(const std::string& text, const std::string& what) const;

  private:
    void sweep() const;

    std::string m_path;
    mutable std::vector<std::string> m_written;  ///< names the test wrote itself
    mutable std::vector<std::string> m_seen;     ///< every secret seen by secrets() so far
};

/// The real litellmd binary, running on a temp home.
class DaemonProcess {
  public:
    /// `binary` is litellmd, or a test build of it (litellmd_test_provider).
    explicit DaemonProcess(const TempHome& home, std::string binary = LITELLMD_BIN)
        : m_home(home), m_binary(std::move(binary)) {}
    ~DaemonProcess();

    /// Starts litellmd with `extra_args` and waits until it answers on its control socket.
    /// Returns false (with the daemon's stderr in `error`) when it exits or times out.
    bool start(const std::vector<std::string>& extra_args = {}, std::string* error = nullptr);

    /// Sends `sig` and waits for the exit status.
    std::optional<int> signal_and_wait(int sig, int timeout_ms = 10000);

    /// A connected client for the daemon's socket.
    rpc::Client connect() const;

    /// Calls a method and returns the reply (asserts on transport errors in the caller).
    std::optional<rpc::Message> call(const std::string& method, const std::string& params = {});

    /// The HTTP port from `status`.
    int http_port();

    std::string socket_path() const;
    std::string stderr_text() const;
    Subprocess& process() { return m_proc; }

  private:
    const TempHome& m_home;
    std::string m_binary;
    Subprocess m_proc;
    bool m_started = false;
};

/// Runs litellmctl with `--home <home>` and `args`.
RunResult run_ctl(const TempHome& home, const std::vector<std::string>& args,
                  int timeout_ms = 20000);

/// Runs litellmd with `args` (no --home added).
RunResult run_daemon_binary(const std::vector<std::string>& args, int timeout_ms = 20000);

/// Parses JSON text or fails the current test.
rapidjson::Document parse_json(const std::string& text);

/// A blocking TCP connection to 127.0.0.1:`port`, or -1.
int connect_tcp(int port);

/// Writes all of `bytes` to `fd` (no SIGPIPE); false when the peer is gone.
bool send_all(int fd, std::string_view bytes);

/// The options that run litellmd on `home` on port 0, quietly, its output dropped, killed
/// with the test (for loops that spawn and kill it themselves).
SpawnOptions litellmd_spawn_options(const TempHome& home);

/// Reads from `fd` until `done(text)` holds, the peer closes (`closed` set) or `timeout_ms`
/// pass; returns what was read.
std::string read_until(int fd, const std::function<bool(const std::string&)>& done,
                       bool* closed = nullptr, int timeout_ms = 10000);

/// Resident memory of process `pid` in KiB (VmRSS), or -1.
long rss_kib(int pid);

/// `in` compressed as a gzip member (what an upstream sends with Content-Encoding: gzip).
std::string gzip(const std::string& in);

/// Writes a fresh self-signed P-256 certificate (and its key) valid for IP 127.0.0.1 only,
/// for the tests' https upstreams (trusted through SSL_CERT_FILE).
bool make_test_certificate(const std::string& cert_path, const std::string& key_path);

}  // namespace litellm::test
