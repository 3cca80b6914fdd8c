#pragma once
// The HTTP listener (cpp-httplib). Debian's 0.11.4 ships defaults that ruin a proxy (Nagle, five
// requests per keep-alive connection, a listen backlog of 5); they are fixed here at run time.
// It serves /health and / itself; daemon/proxy adds the API routes.

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace litellm {

class Daemon;
namespace proxy {
class Proxy;
}

class HttpServer {
  public:
    explicit HttpServer(Daemon& daemon);
    ~HttpServer();

    /// Binds host:port (port 0 = any free port); false with `error` set, naming who holds the
    /// port when it is taken.
    bool bind(const std::string& host, int port, std::string* error);

    /// Serves on an already-listening socket inherited across a re-exec (restart).
    bool adopt(int listen_fd, std::string* error);

    /// Serves on a background thread until stop().
    void start();

    /// Phase 1 of a handover: ends the accept loop WITHOUT closing the listening socket, whose
    /// fd is returned; new connections wait in the kernel's queue for the next process.
    /// Connections accepted a moment ago and keep-alive connections are still served.
    int begin_handover();

    /// Phase 2: ends the accept loop; keep-alive connections close after their current
    /// request, and in-flight requests finish (see wait_drained).
    void finish_handover();

    /// Waits up to `timeout` for in-flight requests to finish; true when they did.
    bool wait_drained(std::chrono::milliseconds timeout);

    /// Stops accepting; in-flight requests finish. Returns at once.
    void stop();

    /// Waits for the serving thread (and its workers, i.e. in-flight requests) to finish.
    void join();

    /// The bound port.
    int port() const { return m_port; }

  private:
    void register_routes();

    Daemon& m_daemon;
    std::unique_ptr<proxy::Proxy> m_proxy;  // declared first: outlives the server's workers
    std::unique_ptr<httplib::Server> m_server;
    std::thread m_thread;
    std::shared_future<void> m_finished;
    std::atomic<bool> m_handing_over{false};
    int m_handover_peer = -1;
    int m_port = 0;
};

}  // namespace litellm
