#pragma once
// The control socket: newline-delimited JSON-RPC 2.0 over a Unix stream socket, served by
// standalone Asio on the daemon's event loop. Mode 0600, peer uid checked with SO_PEERCRED,
// bounded line size, idle timeout and client count.

#include <memory>
#include <set>
#include <string>

#include <asio.hpp>

namespace litellm {

class Daemon;
class RpcDispatcher;

/// Whether a peer uid may use the socket: the daemon's own uid, or root.
bool peer_uid_allowed(unsigned peer_uid, unsigned own_uid);

class ControlServer {
  public:
    ControlServer(asio::io_context& io, Daemon& daemon, std::string path);
    ~ControlServer();

    /// What open() found.
    enum class OpenResult { kOk, kAlreadyRunning, kError };

    /// Binds the socket: refuses when a live daemon answers on it, removes a stale one.
    OpenResult open(std::string* error);

    /// Starts accepting clients.
    void start();

    /// Stops accepting, lets sessions flush their replies and close, removes the socket file.
    void close();

    /// Number of connected clients.
    std::size_t client_count() const { return m_sessions.size(); }

    class Session;

  private:
    void accept_next();
    void on_session_closed(const std::shared_ptr<Session>& session);

    asio::io_context& m_io;
    Daemon& m_daemon;
    std::string m_path;
    asio::local::stream_protocol::acceptor m_acceptor;
    std::unique_ptr<RpcDispatcher> m_dispatcher;
    std::set<std::shared_ptr<Session>> m_sessions;
    bool m_closed = false;
    bool m_bound = false;

    friend class Session;
};

}  // namespace litellm
