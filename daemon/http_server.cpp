#include "daemon/http_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdio>
#include <cstring>
#include <filesystem>

#include <httplib.h>

#include "common/json.hpp"
#include "common/log.hpp"
#include "common/net.hpp"
#include "daemon/daemon.hpp"
#include "daemon/elastic_pool.hpp"
#include "daemon/proxy/proxy.hpp"
#include "proto/version.hpp"

namespace litellm {

namespace {

// Raises the listen backlog after bind: 0.11.4 hard-codes 5, which drops SYNs under a burst of
// new connections. Linux accepts a second listen() on a listening socket to change it.
constexpr int kListenBacklog = 4096;
// Worker threads: each open connection (keep-alive or a stream) holds one. The pool grows on
// demand up to this many and shrinks when idle (ElasticPool), so idle memory stays small.
constexpr size_t kMaxWorkerThreads = 8192;
constexpr size_t kKeepAliveMaxCount = 100000;

// Exposes the listening socket that cpp-httplib keeps protected.
class ListenServer : public httplib::Server {
  public:
    int listen_fd() const { return static_cast<int>(svr_sock_.load()); }
    /// Takes the listening socket over (cpp-httplib then serves it as if it had bound it).
    void set_listen_fd(int fd) { svr_sock_ = fd; }
    /// Replaces the socket the accept loop polls, returning the previous one (not closed).
    int swap_listen_fd(int fd) { return static_cast<int>(svr_sock_.exchange(fd)); }
};

}  // namespace

HttpServer::HttpServer(Daemon& daemon) : m_daemon(daemon), m_server(new ListenServer) {
    auto& s = *m_server;
    s.set_tcp_nodelay(true);
    // cpp-httplib 0.11.4 also sets SO_REUSEPORT, which lets a second litellmd (or anything)
    // bind the same port and silently share its traffic; only SO_REUSEADDR is wanted.
    s.set_socket_options([](socket_t sock) {
        int yes = 1;
        ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    s.set_keep_alive_max_count(kKeepAliveMaxCount);
    // cpp-httplib waits out the whole keep-alive timeout on an idle connection, even after
    // stop(); 5 s (Node's and uvicorn's default) bounds how long a shutdown can be held up.
    s.set_keep_alive_timeout(5);
    s.set_read_timeout(60);    // a client sending its request body
    s.set_write_timeout(600);  // a client reading a long stream slowly
    s.new_task_queue = [] { return new ElasticPool(kMaxWorkerThreads); };
    // The accept loop wakes this often to notice begin_handover() (restart); the cost is one
    // poll() per 100 ms when idle.
    s.set_idle_interval(0, 100000);
    s.set_exception_handler([](const httplib::Request& req, httplib::Response& res,
                               std::exception_ptr ep) {
        std::string what = "unknown exception";
        try {
            if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
            what = e.what();
        } catch (...) {
        }
        log_error("http", "{} {}: internal error: {}", req.method, req.path, what);
        res.status = 500;
        res.set_content(
            R"({"error":{"type":"internal_error","message":"internal error in litellmd; see its log"}})",
            "application/json");
    });
    register_routes();
}

HttpServer::~HttpServer() {
    stop();
    join();
}

void HttpServer::register_routes() {
    auto& s = *m_server;
    s.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
        auto cfg = m_daemon.config();
        rapidjson::Document doc(rapidjson::kObjectType);
        auto& a = doc.GetAllocator();
        doc.AddMember("status", "healthy", a);
        doc.AddMember("version", rapidjson::StringRef(proto::kVersion), a);
        doc.AddMember("models", static_cast<uint64_t>(cfg ? cfg->model_names().size() : 0), a);
        res.set_content(json_stringify(doc), "application/json");
    });
    // Liveness probes and clients that check the base URL (HEAD / and GET /).
    s.Get("/", [](const httplib::Request&, httplib::Response& res) {
        res.set_content("litellmd is running\n", "text/plain");
    });
    m_proxy = std::make_unique<proxy::Proxy>(m_daemon);
    m_proxy->register_routes(s);
}

bool HttpServer::bind(const std::string& host, int port, std::string* error) {
    auto& s = static_cast<ListenServer&>(*m_server);
    bool ok = false;
    if (port == 0) {
        int bound = s.bind_to_any_port(host);
        ok = bound > 0;
        if (ok) m_port = bound;
    } else {
        ok = s.bind_to_port(host, port);
        if (ok) m_port = port;
    }
    if (!ok) {
        if (error) {
            std::string holder = port > 0 ? port_holder(port) : std::string();
            *error = "cannot listen on " + host + ":" + std::to_string(port) +
                     (holder.empty() ? " (address in use or not available)"
                                     : ": the port is held by " + holder) +
                     "; pick another with --port N";
        }
        return false;
    }
    ::listen(s.listen_fd(), kListenBacklog);
    return true;
}

bool HttpServer::adopt(int listen_fd, std::string* error) {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    int listening = 0;
    socklen_t optlen = sizeof listening;
    if (::getsockname(listen_fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
        ::getsockopt(listen_fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &optlen) != 0 ||
        !listening) {
        if (error)
            *error = "inherited fd " + std::to_string(listen_fd) + " is not a listening socket";
        return false;
    }
    m_port = ntohs(addr.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port
                                              : reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
    ::fcntl(listen_fd, F_SETFD, FD_CLOEXEC);  // not leaked into other children
    static_cast<ListenServer&>(*m_server).set_listen_fd(listen_fd);
    return true;
}

void HttpServer::start() {
    auto done = std::make_shared<std::promise<void>>();
    m_finished = done->get_future().share();
    m_thread = std::thread([this, done] {
        if (!m_server->listen_after_bind() && !m_handing_over) {
            log_error("http", "HTTP listener stopped unexpectedly");
        }
        done->set_value();
    });
}

int HttpServer::begin_handover() {
    // cpp-httplib 0.11.4's accept loop only ends when accept() fails. It is pointed at one end
    // of a socket pair with a byte waiting: poll() reports it readable, accept() fails with
    // ENOTSOCK-like errors, and the loop ends. Keep-alive workers keep serving meanwhile (they
    // stop once finish_handover() marks the socket invalid), and a connection accepted a
    // moment ago is still read. The real listening socket is never touched: connections that
    // arrive now wait in its queue for the next process.
    m_handing_over = true;
    int pair[2] = {-1, -1};
    int wake = -1;
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, pair) == 0) {
        (void)!::write(pair[1], "x", 1);
        wake = pair[0];
        m_handover_peer = pair[1];
    }
    return static_cast<ListenServer&>(*m_server).swap_listen_fd(wake);
}

void HttpServer::finish_handover() {
    // Not closing the pair's first end: cpp-httplib closed it when its accept failed.
    static_cast<ListenServer&>(*m_server).swap_listen_fd(-1);
    if (m_handover_peer >= 0) ::close(m_handover_peer);
    m_handover_peer = -1;
}

bool HttpServer::wait_drained(std::chrono::milliseconds timeout) {
    if (!m_finished.valid()) return true;
    return m_finished.wait_for(timeout) == std::future_status::ready;
}

void HttpServer::stop() {
    if (m_server) m_server->stop();
}

void HttpServer::join() {
    if (m_thread.joinable()) m_thread.join();
}

}  // namespace litellm
