#pragma once
// A blocking JSON-RPC client for the control socket, used by litellmctl and the tests.

#include <optional>
#include <string>
#include <string_view>

#include "common/jsonrpc.hpp"

namespace litellm::rpc {

/// Why a call did not produce a reply.
enum class TransportError {
    kNone,
    kNotRunning,  ///< no socket file, or nothing listening (ENOENT / ECONNREFUSED)
    kPermission,  ///< EACCES / EPERM on connect, or the daemon refused our uid
    kTimeout,     ///< no reply in time
    kClosed,      ///< the daemon closed the connection
    kProtocol,    ///< a line that is not JSON-RPC, or over the size limit
    kOther,
};

/// One connection to the daemon.
class Client {
  public:
    Client() = default;
    ~Client();
    Client(Client&& other) noexcept;
    Client& operator=(Client&& other) noexcept;
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    /// Connects to `socket_path`; on failure returns false and sets the error fields.
    bool connect(const std::string& socket_path, int timeout_ms = 2000);

    /// Sends one request and waits for its reply, skipping notifications that arrive first.
    /// Returns nullopt on a transport error (see last_error()).
    std::optional<Message> call(std::string_view method, std::string_view params_json = {},
                                int timeout_ms = 10000);

    /// Sends a raw line (a '\n' is added).
    bool send_line(std::string_view line);

    /// Reads the next message (reply or notification); nullopt on error or timeout.
    /// A negative timeout waits forever.
    std::optional<Message> read_message(int timeout_ms);

    /// Reads the next raw line; nullopt on error or timeout.
    std::optional<std::string> read_line(int timeout_ms);

    TransportError last_error() const { return m_error; }
    const std::string& last_error_text() const { return m_error_text; }
    bool connected() const { return m_fd >= 0; }
    void close();

  private:
    int m_fd = -1;
    long long m_next_id = 1;
    std::string m_buffer;
    TransportError m_error = TransportError::kNone;
    std::string m_error_text;
};

}  // namespace litellm::rpc
