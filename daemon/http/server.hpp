#pragma once
// The HTTP listener: HTTP/1.1 on blocking sockets, one thread per open connection (taken from
// an elastic pool), so a request costs a poll() and a recv() on the way in and one sendmsg()
// on the way out, and a stream's handler writes its chunks to the client itself. Parsing and
// serialising live in daemon/http/message.hpp. Every request goes to an http::Handler (the
// proxy), which also formats errors in the client's API format.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace litellm {

class ElasticPool;
namespace http {
class Handler;
struct Request;
class Response;
}  // namespace http

class HttpServer {
  public:
    /// Serves every request through `handler`, which must outlive the server.
    explicit HttpServer(http::Handler& handler);
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
    /// Open connections are still served.
    int begin_handover();

    /// Phase 2: keep-alive connections close after their current request (idle ones at once),
    /// and in-flight requests finish (see wait_drained).
    void finish_handover();

    /// Waits up to `timeout` for in-flight requests to finish; true when they did.
    bool wait_drained(std::chrono::milliseconds timeout);

    /// Stops accepting and closes idle connections; in-flight requests finish. Returns at once.
    void stop();

    /// Waits for the accept thread and every connection's thread to finish.
    void join();

    /// The bound port.
    int port() const { return m_port; }

    /// Connections open now.
    int connections() const;

    /// Responses being streamed now.
    int active_streams() const;

  private:
    class Connection;

    void accept_loop();
    void serve(int fd);
    void dispatch(http::Request& req, http::Response& res);
    /// Fills `res` (status set) with an error in the client's format; `message` overrides
    /// the default text for the status.
    void write_error(const http::Request& req, http::Response& res,
                     const std::string& message = {});
    void begin_drain();
    /// Counts a refused connection or request and logs at most one line per interval.
    void note_refusal(const std::string& why);
    /// Answers 503 on a just-accepted connection without reading its request, and closes it.
    void refuse(int fd, const std::string& why);
    class BodyBudget;

    http::Handler& m_handler;
    std::unique_ptr<ElasticPool> m_workers;
    int m_listen_fd = -1;
    int m_accept_wake = -1;  ///< eventfd: ends the accept loop
    int m_drain_wake = -1;   ///< eventfd: wakes idle connections so they close
    std::atomic<bool> m_draining{false};
    std::atomic<bool> m_handing_over{false};
    std::thread m_thread;
    mutable std::mutex m_mutex;
    std::condition_variable m_cv;
    int m_connections = 0;
    int m_fd_connection_cap = 1 << 20;  ///< what RLIMIT_NOFILE allows (set at construction)
    std::atomic<std::size_t> m_buffered_body_bytes{0};  ///< all connections' request bodies
    std::mutex m_refusal_mutex;   ///< guards the two below (accept and connection threads)
    std::uint64_t m_refused = 0;  ///< refusals since the last log line
    std::chrono::steady_clock::time_point m_last_refusal_log{};
    bool m_accepting = false;
    int m_port = 0;
};

}  // namespace litellm
