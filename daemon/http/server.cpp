#include "daemon/http/server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <sys/resource.h>

#include <fmt/format.h>
#include <rapidjson/document.h>

#include "common/config.hpp"
#include "common/json.hpp"
#include "common/log.hpp"
#include "common/net.hpp"
#include "daemon/http/elastic_pool.hpp"
#include "daemon/http/handler.hpp"
#include "daemon/http/message.hpp"
#include "proto/version.hpp"

namespace litellm {

namespace {

constexpr int kListenBacklog = 4096;
// Worker threads: each open connection (keep-alive or a stream) holds one. The pool grows on
// demand up to this many and shrinks when idle, so idle memory stays small.
constexpr std::size_t kMaxWorkerThreads = 8192;
// An idle keep-alive connection is closed after this long. Longer than the 4-5 s clients
// (undici, Node's agent) keep idle sockets, so the client closes first and never sends a
// request into a connection we are closing. Shutdown wakes idle connections at once.
constexpr int kKeepAliveMs = 30 * 1000;
// Longest silence from a client in the middle of sending a request.
constexpr int kReadTimeoutMs = 60 * 1000;
// How long a client may take over a request head, and over head and body together, are
// limits (client_head_timeout_s, client_request_timeout_s): a client trickling a byte a
// minute must not hold a thread forever.
// Longest a write to a client may block (a client reading a long stream slowly).
constexpr int kWriteTimeoutSeconds = 600;
// After refusing a request whose body is still arriving, how long and how much of it is read
// and dropped so the client can read the refusal.
constexpr int kLingerMs = 5000;
constexpr std::size_t kMaxLingerBytes = 256u << 20;
// First read buffer of a connection; it grows for large heads and chunked bodies.
constexpr std::size_t kInitialBuffer = 16 * 1024;

// Bytes a request body grows by at most per step: a body's buffer follows the bytes that have
// arrived, never what a client merely declares in Content-Length.
constexpr std::size_t kBodyStep = 256 * 1024;
// File descriptors kept back from client connections: the log, the control socket and its
// clients, token files, and each connection's upstream connection (counted per connection).
constexpr long kReservedFds = 128;

// One log line per this many seconds when refusing connections (an attack must not flood it).
constexpr auto kRefusalLogInterval = std::chrono::seconds(10);

// The answer to a connection refused before its request was read: the API format is not
// known yet, and this body is read correctly by Anthropic and OpenAI clients alike (both take
// error.message; Anthropic's SDK also error.type).
std::string refusal_response(std::string_view reason) {
    std::string body = R"({"type":"error","error":{"type":"overloaded_error","message":)" +
                       json_quote(reason) + "}}";
    return fmt::format(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
        "Retry-After: 1\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{}",
        body.size(), body);
}

void set_cloexec(int fd) {
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
}

void set_nonblocking(int fd) {
    int flags = ::fcntl(fd, F_GETFL, 0);
    if (flags >= 0) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

}  // namespace

/// One client connection: owns its socket's reads and writes for the life of the thread.
class HttpServer::Connection final : public http::ResponseSink {
  public:
    Connection(int fd, int drain_fd) : m_fd(fd), m_drain_fd(drain_fd) {}

    enum class Wait { kReadable, kTimeout, kDrain, kError };

    /// Waits until the socket has bytes. While idle between requests, a drain also wakes it.
    Wait wait_readable(bool idle) {
        pollfd fds[2] = {{m_fd, POLLIN, 0}, {m_drain_fd, POLLIN, 0}};
        for (;;) {
            int timeout = kKeepAliveMs;
            if (!idle) {
                auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                                deadline - std::chrono::steady_clock::now())
                                .count();
                if (left <= 0) return Wait::kTimeout;
                timeout = static_cast<int>(std::min<long long>(left, kReadTimeoutMs));
            }
            int n = ::poll(fds, idle ? 2 : 1, timeout);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return Wait::kError;
            if (n == 0) return Wait::kTimeout;
            if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) return Wait::kReadable;
            return Wait::kDrain;
        }
    }

    /// Reads what is available into `buf`; 0 on EOF, -1 on error.
    ssize_t read_some(http::Buffer& buf, std::size_t want = 0) {
        buf.reserve_tail(std::max<std::size_t>(want, 4096));
        for (;;) {
            ssize_t n = ::recv(m_fd, buf.data.get() + buf.end, buf.cap - buf.end, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n > 0) buf.end += static_cast<std::size_t>(n);
            return n;
        }
    }

    /// Reads exactly `n` bytes into `dst`, with the read timeout; false on EOF, error or timeout.
    bool read_exact(char* dst, std::size_t n) {
        while (n > 0) {
            if (wait_readable(false) != Wait::kReadable) return false;
            ssize_t got = ::recv(m_fd, dst, n, 0);
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) return false;
            dst += got;
            n -= static_cast<std::size_t>(got);
        }
        return true;
    }

    /// Writes every byte of the iovecs (blocking, bounded by SO_SNDTIMEO).
    bool send_all(iovec* iov, int count) { return send_all_iov(m_fd, iov, count); }

    bool send_all(std::string_view a, std::string_view b = {}) {
        iovec iov[2] = {{const_cast<char*>(a.data()), a.size()},
                        {const_cast<char*>(b.data()), b.size()}};
        return send_all(iov, b.empty() ? 1 : 2);
    }

    bool send_stream_head(const http::Response& res) override {
        std::string head;
        if (!chunked) keep_alive = false;  // the end of the connection ends the stream
        http::serialize_stream_head(res, keep_alive, head, chunked);
        return send_all(head);
    }

    bool send_chunk(std::string_view bytes) override {
        if (!chunked) return send_all(bytes);
        char size[24];
        int len = std::snprintf(size, sizeof size, "%zx\r\n", bytes.size());
        iovec iov[3] = {{size, static_cast<std::size_t>(len)},
                        {const_cast<char*>(bytes.data()), bytes.size()},
                        {const_cast<char*>("\r\n"), 2}};
        return send_all(iov, 3);
    }

    /// Sends a whole response (head and body; no body for HEAD).
    bool send_response(const http::Response& res, bool head_only) {
        std::string head;
        http::serialize_head(res, res.body.size(), keep_alive, head);
        return send_all(head, head_only ? std::string_view() : std::string_view(res.body));
    }

    /// After an error answer sent before the request body was read: stops sending, then reads
    /// and discards what the client still sends (bounded), so the client finishes writing and
    /// reads the answer instead of getting a reset.
    void linger_close() {
        ::shutdown(m_fd, SHUT_WR);
        char scratch[16384];
        std::size_t total = 0;
        pollfd p{m_fd, POLLIN, 0};
        auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(kLingerMs);
        for (;;) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                            end - std::chrono::steady_clock::now())
                            .count();
            if (left <= 0 || total >= kMaxLingerBytes ||
                ::poll(&p, 1, static_cast<int>(left)) <= 0) {
                break;
            }
            ssize_t n = ::recv(m_fd, scratch, sizeof scratch, 0);
            if (n <= 0) break;
            total += static_cast<std::size_t>(n);
        }
    }

    bool keep_alive = true;
    bool chunked = true;  ///< false for HTTP/1.0 clients, which know no chunked encoding
    std::chrono::steady_clock::time_point deadline;  ///< for reading the current request

  private:
    int m_fd;
    int m_drain_fd;
};

/// A connection's share of the daemon-wide budget for buffered request bodies. Held while a
/// request's body is read and handled, given back when the request ends.
class HttpServer::BodyBudget {
  public:
    BodyBudget(std::atomic<std::size_t>& total, std::size_t limit)
        : m_total(total), m_limit(limit) {}
    ~BodyBudget() { release(); }
    BodyBudget(const BodyBudget&) = delete;
    BodyBudget& operator=(const BodyBudget&) = delete;

    /// Holds `bytes` in all (more or less than now); false, holding what it held, when the
    /// daemon-wide total would pass the limit.
    bool hold(std::size_t bytes) {
        if (bytes <= m_held) return true;
        std::size_t more = bytes - m_held;
        if (m_total.fetch_add(more) + more > m_limit) {
            m_total.fetch_sub(more);
            return false;
        }
        m_held = bytes;
        return true;
    }
    void release() {
        m_total.fetch_sub(m_held);
        m_held = 0;
    }

  private:
    std::atomic<std::size_t>& m_total;
    std::size_t m_limit;
    std::size_t m_held = 0;
};

HttpServer::HttpServer(http::Handler& handler)
    : m_handler(handler), m_workers(std::make_unique<ElasticPool>(kMaxWorkerThreads)) {
    m_accept_wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    m_drain_wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    // Every client connection may hold an upstream connection too: two descriptors each.
    rlimit nofile{};
    if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY) {
        long usable = static_cast<long>(nofile.rlim_cur) - kReservedFds;
        m_fd_connection_cap = static_cast<int>(std::max<long>(16, usable / 2));
    }
}

HttpServer::~HttpServer() {
    stop();
    join();
    if (m_listen_fd >= 0 && !m_handing_over) ::close(m_listen_fd);
    ::close(m_accept_wake);
    ::close(m_drain_wake);
}

bool HttpServer::bind(const std::string& host, int port, std::string* error) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    std::string port_text = std::to_string(port);
    int gai =
        ::getaddrinfo(host.empty() ? nullptr : host.c_str(), port_text.c_str(), &hints, &found);
    if (gai != 0) {
        if (error) {
            *error = "cannot listen on " + host + ":" + port_text + ": " + ::gai_strerror(gai) +
                     "; pass --host with an address of this machine";
        }
        return false;
    }
    int fd = -1;
    for (addrinfo* ai = found; ai && fd < 0; ai = ai->ai_next) {
        fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) continue;
        // SO_REUSEADDR only: SO_REUSEPORT would let a second litellmd share the port silently.
        int yes = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
        if (::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd, kListenBacklog) != 0) {
            ::close(fd);
            fd = -1;
        }
    }
    ::freeaddrinfo(found);
    if (fd < 0) {
        if (error) {
            std::string holder = port > 0 ? port_holder(port) : std::string();
            *error = "cannot listen on " + host + ":" + port_text +
                     (holder.empty() ? " (address in use or not available)"
                                     : ": the port is held by " + holder) +
                     "; pick another with --port N";
        }
        return false;
    }
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    m_port = ntohs(addr.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port
                                              : reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
    // Non-blocking: after poll() says a connection waits, another process (the next one in a
    // restart) may have taken it; accept() must then fail rather than block.
    set_nonblocking(fd);
    m_listen_fd = fd;
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
    set_cloexec(listen_fd);  // not leaked into other children
    set_nonblocking(listen_fd);
    m_listen_fd = listen_fd;
    return true;
}

void HttpServer::start() {
    {
        std::lock_guard lock(m_mutex);
        m_accepting = true;
    }
    m_thread = std::thread([this] { accept_loop(); });
}

void HttpServer::accept_loop() {
    for (;;) {
        pollfd fds[2] = {{m_listen_fd, POLLIN, 0}, {m_accept_wake, POLLIN, 0}};
        int n = ::poll(fds, 2, -1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 || (fds[1].revents & POLLIN)) break;
        int fd = ::accept4(m_listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
                errno == ECONNABORTED || errno == EPROTO) {
                continue;
            }
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                // Out of descriptors: leave the connection queued and retry shortly, rather
                // than spinning on a socket that stays readable.
                note_refusal(std::string("cannot accept a connection: ") + std::strerror(errno));
                ::poll(nullptr, 0, 50);
                continue;
            }
            log_error("http", "accept failed: {}; the HTTP listener stops", std::strerror(errno));
            break;
        }
        int yes = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
        timeval tv{kWriteTimeoutSeconds, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        int limit = std::min(m_handler.limits().max_connections, m_fd_connection_cap);
        bool full;
        {
            std::lock_guard lock(m_mutex);
            full = m_connections >= limit;
            if (!full) ++m_connections;
        }
        if (full) {
            refuse(fd, fmt::format("litellmd has {} connections open, its limit "
                                   "(general_settings.max_connections, or what the open-file "
                                   "limit allows); retry shortly",
                                   limit));
            continue;
        }
        bool taken = m_workers->enqueue([this, fd] {
            try {
                serve(fd);
            } catch (const std::exception& e) {
                // Out of memory, most likely: this connection ends, the daemon does not.
                log_error("http", "connection dropped: {}", e.what());
            }
            ::close(fd);
            std::lock_guard lock(m_mutex);
            --m_connections;
            m_cv.notify_all();
        });
        if (!taken) {
            {
                std::lock_guard lock(m_mutex);
                --m_connections;
                m_cv.notify_all();
            }
            refuse(fd,
                   "litellmd cannot start a thread for this connection (the system's "
                   "thread limit or memory); retry shortly");
        }
    }
    // During a handover the next process serves this socket; otherwise it closes now, so
    // clients connecting from here on are refused rather than left waiting in the queue.
    if (!m_handing_over) {
        ::close(m_listen_fd);
        m_listen_fd = -1;
    }
    std::lock_guard lock(m_mutex);
    m_accepting = false;
    m_cv.notify_all();
}

void HttpServer::note_refusal(const std::string& why) {
    std::lock_guard lock(m_refusal_mutex);
    ++m_refused;
    auto now = std::chrono::steady_clock::now();
    if (now - m_last_refusal_log < kRefusalLogInterval) return;
    m_last_refusal_log = now;
    log_warn("http", "{} ({} refused since the last such line)", why, m_refused);
    m_refused = 0;
}

void HttpServer::refuse(int fd, const std::string& why) {
    note_refusal("refusing a connection: " + why);
    // Take what the client already sent (up to 64 KB), so closing does not reset the
    // connection before the answer is read; never block or busy the accept thread.
    char scratch[16384];
    for (int i = 0; i < 4 && ::recv(fd, scratch, sizeof scratch, MSG_DONTWAIT) > 0; ++i) {
    }
    std::string answer = refusal_response(why);
    (void)!::send(fd, answer.data(), answer.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    ::shutdown(fd, SHUT_WR);
    ::close(fd);
}

void HttpServer::serve(int fd) {
    Connection conn(fd, m_drain_wake);
    http::Buffer buf;
    http::Request req;
    req.peer_fd = fd;
    for (;;) {
        // The head: parse what is buffered, read more until it is complete.
        std::size_t head_len = 0;
        std::string parse_error;
        http::ParseStatus status = http::ParseStatus::kIncomplete;
        // Read again once the head is in: a keep-alive connection may idle through a reload.
        const auto head_deadline = std::chrono::seconds(m_handler.limits().client_head_timeout_s);
        conn.deadline = std::chrono::steady_clock::now() + head_deadline;
        bool started = buf.size() > 0;
        for (;;) {
            if (buf.size() > 0) {
                if (!started) {
                    // The clock for this request starts with its first byte.
                    conn.deadline = std::chrono::steady_clock::now() + head_deadline;
                    started = true;
                }
                status = http::parse_request_head(buf.view(), req, head_len, parse_error);
                if (status != http::ParseStatus::kIncomplete) break;
            } else if (m_draining) {
                return;  // idle, and the server is going away
            }
            auto w = conn.wait_readable(buf.size() == 0);
            if (w == Connection::Wait::kDrain) continue;  // re-checks m_draining
            if (w != Connection::Wait::kReadable) return;
            if (conn.read_some(buf) <= 0) return;
        }
        conn.keep_alive = true;
        conn.chunked = true;
        http::Response res;
        res.attach(&conn);
        if (status != http::ParseStatus::kOk) {
            conn.keep_alive = false;
            res.status = status == http::ParseStatus::kTooLarge ? 431 : 400;
            if (status == http::ParseStatus::kBad) {
                log_info("http", "bad request from a client: {}", parse_error);
            }
            // What the parser filled in belongs to a head it refused (or an earlier request).
            http::Request blank;
            write_error(blank, res);
            if (conn.send_response(res, false)) conn.linger_close();
            return;
        }
        buf.consume(head_len);
        conn.chunked = req.minor_version >= 1;
        const Limits limits = m_handler.limits();
        conn.deadline = std::chrono::steady_clock::now() +
                        std::chrono::seconds(limits.client_request_timeout_s);
        BodyBudget budget(m_buffered_body_bytes, limits.max_buffered_request_bytes);
        auto refuse_body = [&](int status) {
            conn.keep_alive = false;
            res.status = status;
            write_error(req, res,
                        status == 413
                            ? fmt::format("request body exceeds the {} MB limit "
                                          "(general_settings.max_request_size_mb)",
                                          limits.max_request_bytes >> 20)
                            : fmt::format("litellmd holds {} MB of request bodies, its limit "
                                          "(general_settings.max_buffered_requests_mb); "
                                          "retry shortly",
                                          limits.max_buffered_request_bytes >> 20));
            if (status == 503) {
                note_refusal("refusing a request body: the buffered-body limit is reached");
            }
            if (conn.send_response(res, false)) conn.linger_close();
        };

        // The body.
        http::BodyFraming framing;
        std::string framing_error;
        req.body.clear();
        if (!http::body_framing(req, framing, framing_error)) {
            conn.keep_alive = false;
            res.status = 400;
            log_info("http", "{} {}: {}", req.method, req.path, framing_error);
            write_error(req, res);
            if (conn.send_response(res, false)) conn.linger_close();
            return;
        }
        if (m_handler.refuse_early(req, res)) {
            // Without the key, nothing of the body is read or held.
            conn.keep_alive = false;
            if (conn.send_response(res, false)) conn.linger_close();
            return;
        }
        if (framing.content_length > limits.max_request_bytes) {
            // Refused before reading it; the connection cannot be reused (the body is coming).
            refuse_body(413);
            return;
        }
        if (framing.expect_continue && req.minor_version >= 1 &&
            (framing.chunked || framing.content_length > buf.size())) {
            if (!conn.send_all("HTTP/1.1 100 Continue\r\n\r\n")) return;
        }
        if (framing.chunked) {
            // Decoded as it arrives: each byte is looked at once, and the buffer holds only
            // what has not been decoded yet.
            http::ChunkedDecoder decoder;
            int refused = 0;
            for (;;) {
                std::size_t consumed = 0;
                auto cs = decoder.feed(buf.view(), consumed, [&](std::string_view piece) {
                    std::size_t size = req.body.size() + piece.size();
                    if (size > limits.max_request_bytes) {
                        refused = 413;
                    } else if (size > req.body.capacity() &&
                               !budget.hold(std::max(size, req.body.capacity() * 2))) {
                        refused = 503;
                    }
                    if (refused) return false;
                    req.body.append(piece);
                    return true;
                });
                buf.consume(consumed);
                if (cs == http::ChunkedDecoder::Status::kDone) break;
                if (refused) {
                    refuse_body(refused);
                    return;
                }
                if (cs == http::ChunkedDecoder::Status::kBad) {
                    conn.keep_alive = false;
                    res.status = 400;
                    write_error(req, res);
                    if (conn.send_response(res, false)) conn.linger_close();
                    return;
                }
                if (conn.wait_readable(false) != Connection::Wait::kReadable) return;
                if (conn.read_some(buf) <= 0) return;
            }
        } else if (framing.content_length > 0) {
            auto total = static_cast<std::size_t>(framing.content_length);
            std::size_t filled = std::min(total, buf.size());
            // The body goes straight from the socket into its string: one copy of the bytes
            // that came with the head, none of the rest. It grows by what has arrived plus a
            // step, so a client that declares 32 MB and sends one byte holds little.
            std::size_t next = std::min(total, filled + kBodyStep);
            if (!budget.hold(next)) {
                refuse_body(503);
                return;
            }
            req.body.reserve(next + http::kBodyPadding);
            req.body.resize(next);
            std::memcpy(req.body.data(), buf.view().data(), filled);
            buf.consume(filled);
            while (filled < total) {
                if (next > filled && !conn.read_exact(req.body.data() + filled, next - filled))
                    return;
                filled = next;
                if (filled == total) break;
                next = std::min(total, std::max(filled * 2, filled + kBodyStep));
                if (!budget.hold(next)) {
                    refuse_body(503);
                    return;
                }
                req.body.reserve(next + http::kBodyPadding);
                req.body.resize(next);
            }
        }

        // The answer.
        conn.keep_alive = req.keep_alive && !m_draining;
        bool head_only = req.method == "HEAD";
        try {
            dispatch(req, res);
        } catch (const std::exception& e) {
            log_error("http", "{} {}: internal error: {}", req.method, req.path, e.what());
            if (res.streaming()) return;  // mid-stream: only closing can tell the client
            res = http::Response();
            res.attach(&conn);
            res.status = 500;
            res.set_content(
                R"({"error":{"type":"internal_error","message":"internal error in litellmd; see its log"}})",
                "application/json");
        }
        if (res.streaming()) {
            if (res.broken() || !conn.chunked || !conn.send_all("0\r\n\r\n")) return;
        } else if (!conn.send_response(res, head_only)) {
            return;
        }
        if (!conn.keep_alive || m_draining) return;
        buf.shrink(4 * kInitialBuffer);
        if (req.body.capacity() > 4 * kInitialBuffer) std::string().swap(req.body);
    }
}

void HttpServer::dispatch(http::Request& req, http::Response& res) {
    m_handler.handle(req, res);
}

void HttpServer::write_error(const http::Request& req, http::Response& res,
                             const std::string& message) {
    m_handler.write_error(req, res, message);
}

int HttpServer::begin_handover() {
    m_handing_over = true;
    uint64_t one = 1;
    (void)!::write(m_accept_wake, &one, sizeof one);
    if (m_thread.joinable()) m_thread.join();
    return m_listen_fd;
}

void HttpServer::begin_drain() {
    m_draining = true;
    uint64_t one = 1;
    (void)!::write(m_drain_wake, &one, sizeof one);  // stays readable: wakes every idle poll
}

void HttpServer::finish_handover() {
    begin_drain();
}

bool HttpServer::wait_drained(std::chrono::milliseconds timeout) {
    std::unique_lock lock(m_mutex);
    return m_cv.wait_for(lock, timeout, [&] { return !m_accepting && m_connections == 0; });
}

void HttpServer::stop() {
    uint64_t one = 1;
    (void)!::write(m_accept_wake, &one, sizeof one);
    begin_drain();
}

void HttpServer::join() {
    if (m_thread.joinable()) m_thread.join();
    m_workers->shutdown();
}

int HttpServer::active_streams() const {
    return m_handler.active_streams();
}

int HttpServer::connections() const {
    std::lock_guard lock(m_mutex);
    return m_connections;
}

}  // namespace litellm
