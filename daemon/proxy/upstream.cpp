#include "daemon/proxy/upstream.hpp"

#include "common/outbound_proxy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

#include "common/net.hpp"
#include "common/redact.hpp"
#include "daemon/http/message.hpp"

namespace litellm::proxy {

namespace {

constexpr auto kNever = std::chrono::steady_clock::time_point::max();

// Connections kept per origin; more concurrent requests open extra ones that are closed after.
constexpr std::size_t kMaxIdlePerOrigin = 64;

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

// Bytes asked of the socket per read.
constexpr std::size_t kReadChunk = 16 * 1024;

std::string ssl_error_text() {
    unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (e == 0) return "TLS error";
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    return buf;
}

// One client context for every https upstream: the system's CA store (OpenSSL also reads
// SSL_CERT_FILE and SSL_CERT_DIR), peer verification on, TLS 1.2 or newer.
SSL_CTX* tls_context() {
    static SSL_CTX* ctx = [] {
        SSL_CTX* c = SSL_CTX_new(TLS_client_method());
        if (!c) return c;
        SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
        SSL_CTX_set_default_verify_paths(c);
        SSL_CTX_set_verify(c, SSL_VERIFY_PEER, nullptr);
        SSL_CTX_set_mode(c, SSL_MODE_AUTO_RETRY);
        // Body framing (Content-Length, chunked) already detects a truncated answer.
        SSL_CTX_set_options(c, SSL_OP_IGNORE_UNEXPECTED_EOF);
        return c;
    }();
    return ctx;
}

void set_socket_timeout(int fd, int option, double seconds) {
    timeval tv{};
    if (seconds > 0) {
        tv.tv_sec = static_cast<time_t>(seconds);
        tv.tv_usec = static_cast<suseconds_t>((seconds - static_cast<double>(tv.tv_sec)) * 1e6);
        if (tv.tv_sec == 0 && tv.tv_usec == 0) tv.tv_usec = 1000;
    }
    ::setsockopt(fd, SOL_SOCKET, option, &tv, sizeof tv);
}

/// An origin ("https://h:443") taken apart for connecting.
struct OriginParts {
    bool tls = false;
    std::string host;         ///< without IPv6 brackets
    std::string port;         ///< always set
    std::string host_header;  ///< Host: value (no default port)
};

bool parse_origin(const std::string& origin, OriginParts& o) {
    std::size_t sep = origin.find("://");
    if (sep == std::string::npos) return false;
    o.tls = origin.compare(0, sep, "https") == 0;
    std::string authority = origin.substr(sep + 3);
    std::size_t colon = authority.rfind(':');
    if (colon == std::string::npos || colon + 1 >= authority.size()) return false;
    if (authority.rfind(']') != std::string::npos && colon < authority.rfind(']')) return false;
    o.port = authority.substr(colon + 1);
    std::string host = authority.substr(0, colon);
    if (host.empty()) return false;
    bool default_port = (o.tls && o.port == "443") || (!o.tls && o.port == "80");
    o.host_header = default_port ? host : authority;
    if (host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    o.host = host;
    return true;
}

/// Inflates a gzip or zlib body (an upstream that compresses although asked not to).
class Inflater {
  public:
    Inflater() { m_ok = inflateInit2(&m_z, 15 + 32) == Z_OK; }
    ~Inflater() { inflateEnd(&m_z); }
    Inflater(const Inflater&) = delete;
    Inflater& operator=(const Inflater&) = delete;

    /// Inflates `in`, passing output to `out`; false on corrupt data or when `out` stops.
    template <typename Fn>
    bool feed(std::string_view in, Fn&& out) {
        if (!m_ok) return false;
        m_z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
        m_z.avail_in = static_cast<uInt>(in.size());
        char buf[16384];
        while ((m_z.avail_in > 0 || m_full) && !m_end) {
            m_z.next_out = reinterpret_cast<Bytef*>(buf);
            m_z.avail_out = sizeof buf;
            int r = inflate(&m_z, Z_NO_FLUSH);
            if (r == Z_STREAM_END) m_end = true;
            if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR) return false;
            std::size_t n = sizeof buf - m_z.avail_out;
            m_full = m_z.avail_out == 0;  // more output may be pending without more input
            if (n > 0 && !out(std::string_view(buf, n))) return false;
            if (r == Z_BUF_ERROR && n == 0) break;
        }
        return true;
    }

  private:
    z_stream m_z{};
    bool m_ok = false;
    bool m_end = false;
    bool m_full = false;

  public:
    /// True once the compressed stream's end was seen (a truncated body never gets there).
    bool finished() const { return m_end; }
};

// "%40" and the like in URL userinfo stand for the bytes of the credential.
std::string percent_decode(std::string_view in) {
    auto hex = [](char c) {
        return c >= '0' && c <= '9'   ? c - '0'
               : c >= 'a' && c <= 'f' ? c - 'a' + 10
               : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                      : -1;
    };
    std::string out;
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] == '%' && i + 2 < in.size() && hex(in[i + 1]) >= 0 && hex(in[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hex(in[i + 1]) * 16 + hex(in[i + 2])));
            i += 2;
        } else {
            out.push_back(in[i]);
        }
    }
    return out;
}

std::string base64(std::string_view in) {
    std::string out(4 * ((in.size() + 2) / 3), '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(in.data()),
                            static_cast<int>(in.size()));
    out.resize(static_cast<std::size_t>(std::max(n, 0)));
    return out;
}

}  // namespace

std::string UpstreamResult::header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
        if (k == name) return v;
    }
    return {};
}

bool split_url(const std::string& url, std::string& origin, std::string& path,
               std::string* userinfo) {
    size_t scheme_end = url.find("://");
    if (scheme_end == std::string::npos) return false;
    std::string scheme = lower(url.substr(0, scheme_end));
    if (scheme != "http" && scheme != "https") return false;
    size_t host_start = scheme_end + 3;
    size_t path_start = url.find_first_of("/?", host_start);
    std::string authority = url.substr(
        host_start, path_start == std::string::npos ? std::string::npos : path_start - host_start);
    if (size_t at = authority.rfind('@'); at != std::string::npos) {
        if (userinfo) *userinfo = authority.substr(0, at);
        authority.erase(0, at + 1);
    }
    if (authority.empty()) return false;
    // Always name the port, so http://h and http://h:80 share a pool.
    bool has_port =
        authority.find(':', authority.rfind(']') == std::string::npos ? 0 : authority.rfind(']')) !=
        std::string::npos;
    if (!has_port) authority += scheme == "https" ? ":443" : ":80";
    origin = scheme + "://" + authority;
    path = path_start == std::string::npos ? "/" : url.substr(path_start);
    if (path.front() == '?') path = "/" + path;
    return true;
}

/// One connection to an upstream (TCP, with TLS for https). Used by one request at a time, on
/// that request's thread: its deadlines live in the thread's poll(), no other thread
/// touches it.
class UpstreamConnection {
  public:
    explicit UpstreamConnection(std::string origin) : m_origin(std::move(origin)) {}
    ~UpstreamConnection() {
        if (m_ssl) SSL_free(m_ssl);
        if (m_fd >= 0) ::close(m_fd);
    }
    UpstreamConnection(const UpstreamConnection&) = delete;
    UpstreamConnection& operator=(const UpstreamConnection&) = delete;

    const std::string& origin() const { return m_origin; }

    /// Connects within `timeout_s` (TLS handshake included), through `via` when given;
    /// false with `status` and `error`.
    bool open(const OriginParts& o, const ProxyEndpoint* via, double timeout_s,
              TransportStatus& status, std::string& error) {
        // Through a proxy the TCP connection goes to the proxy; the name of the upstream is
        // the proxy's to resolve (a company network's DNS may know only the proxy).
        const std::string connect_host = via ? via->host : o.host;
        const std::string connect_port = via ? std::to_string(via->port) : o.port;
        const std::string what = via ? fmt::format("the proxy {}:{}", via->host, via->port)
                                     : fmt::format("{}:{}", o.host, o.port);
        addrinfo hints{};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_NUMERICSERV;
        addrinfo* found = nullptr;
        int gai = ::getaddrinfo(connect_host.c_str(), connect_port.c_str(), &hints, &found);
        if (gai != 0) {
            status = TransportStatus::kConnect;
            error = fmt::format("cannot resolve {}{}: {}", via ? "the proxy " : "", connect_host,
                                ::gai_strerror(gai));
            return false;
        }
        auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(timeout_s));
        auto remaining_ms = [&] {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                            deadline - std::chrono::steady_clock::now())
                            .count();
            return static_cast<int>(std::max<long long>(0, left));
        };
        status = TransportStatus::kConnect;
        error = "no address";
        for (addrinfo* ai = found; ai; ai = ai->ai_next) {
            int fd = ::socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
            if (fd < 0) continue;
            int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
            int err = rc == 0 ? 0 : errno;
            if (err == EINPROGRESS) {
                pollfd p{fd, POLLOUT, 0};
                int n;
                do {
                    n = ::poll(&p, 1, remaining_ms());
                } while (n < 0 && errno == EINTR);
                if (n == 0) {
                    err = ETIMEDOUT;
                } else {
                    socklen_t len = sizeof err;
                    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
                }
            }
            if (err == 0) {
                m_fd = fd;
                break;
            }
            ::close(fd);
            status = err == ETIMEDOUT ? TransportStatus::kTimeout : TransportStatus::kConnect;
            error = err == ETIMEDOUT
                        ? fmt::format("connecting to {} timed out after {:g} s", what, timeout_s)
                        : fmt::format("connecting to {}: {}", what, std::strerror(err));
        }
        ::freeaddrinfo(found);
        if (m_fd < 0) return false;
        int flags = ::fcntl(m_fd, F_GETFL, 0);
        ::fcntl(m_fd, F_SETFL, flags & ~O_NONBLOCK);
        int yes = 1;
        ::setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
        if (via && o.tls && !tunnel(o, *via, remaining_ms() / 1000.0, status, error)) {
            return false;
        }
        if (!o.tls) return true;

        SSL_CTX* ctx = tls_context();
        m_ssl = ctx ? SSL_new(ctx) : nullptr;
        if (!m_ssl) {
            status = TransportStatus::kConnect;
            error = "cannot set up TLS: " + ssl_error_text();
            return false;
        }
        SSL_set_fd(m_ssl, m_fd);
        X509_VERIFY_PARAM* param = SSL_get0_param(m_ssl);
        if (is_ip_literal(o.host)) {
            X509_VERIFY_PARAM_set1_ip_asc(param, o.host.c_str());
        } else {
            SSL_set_tlsext_host_name(m_ssl, o.host.c_str());
            X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            X509_VERIFY_PARAM_set1_host(param, o.host.c_str(), 0);
        }
        double left = std::max(0.001, remaining_ms() / 1000.0);
        set_socket_timeout(m_fd, SO_RCVTIMEO, left);
        set_socket_timeout(m_fd, SO_SNDTIMEO, left);
        ERR_clear_error();
        errno = 0;
        if (SSL_connect(m_ssl) != 1) {
            long verify = SSL_get_verify_result(m_ssl);
            bool timed_out = errno == EAGAIN || errno == EWOULDBLOCK;
            status = timed_out ? TransportStatus::kTimeout : TransportStatus::kConnect;
            error = verify != X509_V_OK ? fmt::format("TLS certificate of {} not trusted: {}",
                                                      o.host, X509_verify_cert_error_string(verify))
                    : timed_out
                        ? fmt::format("TLS handshake with {} timed out", o.host)
                        : fmt::format("TLS handshake with {} failed: {}", o.host, ssl_error_text());
            return false;
        }
        m_read_timeout = m_write_timeout = -1;  // the handshake's timeouts are not the request's
        return true;
    }

    /// Asks the proxy for a tunnel to `o` (CONNECT) within `timeout_s`; false with why.
    bool tunnel(const OriginParts& o, const ProxyEndpoint& via, double timeout_s,
                TransportStatus& status, std::string& error) {
        std::string target = is_ip_literal(o.host) && o.host.find(':') != std::string::npos
                                 ? "[" + o.host + "]:" + o.port
                                 : o.host + ":" + o.port;
        std::string req = "CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n";
        if (!via.userinfo.empty()) {
            req += "Proxy-Authorization: Basic " + base64(percent_decode(via.userinfo)) + "\r\n";
        }
        req += "\r\n";
        double left = std::max(0.001, timeout_s);
        set_socket_timeout(m_fd, SO_RCVTIMEO, left);
        set_socket_timeout(m_fd, SO_SNDTIMEO, left);
        status = TransportStatus::kConnect;
        if (::send(m_fd, req.data(), req.size(), MSG_NOSIGNAL) !=
            static_cast<ssize_t>(req.size())) {
            error = fmt::format("cannot send CONNECT to the proxy {}:{}: {}", via.host, via.port,
                                std::strerror(errno));
            return false;
        }
        // The proxy's answer, read a byte at a time up to its blank line: whatever follows
        // it is the upstream's (TLS), not the proxy's.
        std::string head;
        while (head.size() < 16384 &&
               (head.size() < 4 || head.compare(head.size() - 4, 4, "\r\n\r\n") != 0)) {
            char c;
            ssize_t n = ::recv(m_fd, &c, 1, 0);
            if (n == 1) {
                head.push_back(c);
                continue;
            }
            bool timed_out = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
            status = timed_out ? TransportStatus::kTimeout : TransportStatus::kConnect;
            error = timed_out ? fmt::format("the proxy {}:{} did not answer CONNECT within {:g} s",
                                            via.host, via.port, timeout_s)
                              : fmt::format("the proxy {}:{} closed the connection during CONNECT",
                                            via.host, via.port);
            return false;
        }
        int code = 0;
        std::string_view line(head.data(), std::min(head.find("\r\n"), head.size()));
        if (line.rfind("HTTP/1.", 0) == 0 && line.size() >= 12) {
            code = std::atoi(std::string(line.substr(9, 3)).c_str());
        }
        if (code >= 200 && code < 300) return true;
        if (code == 407) {
            error = fmt::format(
                "the proxy {}:{} wants credentials (407 Proxy Authentication Required); put "
                "them in the proxy URL, as user:password@ before the host (percent-encoded)",
                via.host, via.port);
        } else {
            error = fmt::format("the proxy {}:{} refused a tunnel to {}: {}", via.host, via.port,
                                target, code ? std::string(line) : "no HTTP answer");
        }
        return false;
    }

    /// Sets the longest silence a read or write may wait (one setsockopt when it changes).
    void set_timeouts(double read_s, double write_s) {
        if (read_s != m_read_timeout) set_socket_timeout(m_fd, SO_RCVTIMEO, read_s);
        if (write_s != m_write_timeout) set_socket_timeout(m_fd, SO_SNDTIMEO, write_s);
        m_read_timeout = read_s;
        m_write_timeout = write_s;
    }

    /// Sends `head` and `body` (one sendmsg on plain TCP); false on failure.
    bool write_all(std::string_view head, std::string_view body) {
        if (m_ssl) {
            for (std::string_view part : {head, body}) {
                if (part.empty()) continue;
                ERR_clear_error();
                errno = 0;
                if (SSL_write(m_ssl, part.data(), static_cast<int>(part.size())) <= 0) {
                    m_timed_out = errno == EAGAIN || errno == EWOULDBLOCK;
                    m_error = m_timed_out ? "write timed out" : ssl_error_text();
                    return false;
                }
            }
            return true;
        }
        iovec iov[2] = {{const_cast<char*>(head.data()), head.size()},
                        {const_cast<char*>(body.data()), body.size()}};
        if (!send_all_iov(m_fd, iov, body.empty() ? 1 : 2)) {
            m_timed_out = errno == EAGAIN || errno == EWOULDBLOCK;
            m_error = std::strerror(errno);
            return false;
        }
        return true;
    }

    /// Reads what arrives into the buffer: >0 bytes read, 0 at end of stream, -1 on error
    /// (timed_out() tells a read timeout).
    ssize_t read_more() {
        m_buf.reserve_tail(kReadChunk);
        char* dst = m_buf.data.get() + m_buf.end;
        std::size_t room = m_buf.cap - m_buf.end;
        ssize_t n;
        bool deadlines = m_watch_fd >= 0 || m_wake || m_first_byte_deadline != kNever;
        if (deadlines && !(m_ssl && SSL_pending(m_ssl) > 0) && !wait_readable()) return -1;
        if (m_ssl) {
            ERR_clear_error();
            errno = 0;
            int r = SSL_read(m_ssl, dst, static_cast<int>(std::min<std::size_t>(room, 1 << 30)));
            if (r > 0) {
                n = r;
            } else {
                int e = SSL_get_error(m_ssl, r);
                if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && errno == 0)) {
                    n = 0;
                } else {
                    m_timed_out =
                        e == SSL_ERROR_WANT_READ ||
                        (e == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK));
                    m_error = m_timed_out ? "read timed out" : ssl_error_text();
                    n = -1;
                }
            }
        } else {
            do {
                n = ::recv(m_fd, dst, room, 0);
            } while (n < 0 && errno == EINTR);
            if (n < 0) {
                m_timed_out = errno == EAGAIN || errno == EWOULDBLOCK;
                m_error = std::strerror(errno);
            }
        }
        if (n > 0) m_buf.end += static_cast<std::size_t>(n);
        return n;
    }

    /// Watches `fd` (the client's socket) during reads: its hang-up ends the exchange.
    void set_watch(int fd) { m_watch_fd = fd; }
    /// True when a read ended because the watched client hung up.
    bool client_gone() const { return m_client_gone; }

    /// True for an idle connection still worth reusing: nothing to read (no EOF, no stray
    /// bytes) and no error.
    bool looks_alive() const {
        if (m_buf.size() > 0 || (m_ssl && SSL_pending(m_ssl) > 0)) return false;
        pollfd p{m_fd, POLLIN, 0};
        return ::poll(&p, 1, 0) == 0;
    }

    /// Until `at`, a read waits for the response head at most; past it, reads fail and
    /// first_byte_expired() is true. kNever clears it.
    void set_first_byte_deadline(std::chrono::steady_clock::time_point at) {
        m_first_byte_deadline = at;
    }
    bool first_byte_expired() const { return m_first_byte_expired; }
    /// Kept while waiting for bytes (see Wake); nullptr clears it.
    void set_wake(Wake* wake) { m_wake = wake; }

    http::Buffer& buffer() { return m_buf; }
    bool timed_out() const { return m_timed_out; }
    const std::string& error() const { return m_error; }

  private:
    std::string m_origin;
    int m_fd = -1;
    SSL* m_ssl = nullptr;
    http::Buffer m_buf;
    double m_read_timeout = -1, m_write_timeout = -1;
    std::chrono::steady_clock::time_point m_first_byte_deadline = kNever;
    bool m_first_byte_expired = false;
    Wake* m_wake = nullptr;
    bool m_timed_out = false;
    bool m_client_gone = false;
    int m_watch_fd = -1;
    std::string m_error;

    /// Waits until the upstream has bytes (true), or the read timeout or first-byte deadline
    /// passes or the watched client hangs up (false, with the reason set). A wake deadline
    /// that passes runs its function and the wait goes on. A client's pipelined next request
    /// makes its socket readable, which is not a hang-up: only POLLRDHUP, POLLHUP and POLLERR
    /// count.
    bool wait_readable() {
        using Clock = std::chrono::steady_clock;
        pollfd fds[2] = {{m_fd, POLLIN, 0}, {m_watch_fd, POLLRDHUP, 0}};
        auto read_deadline =
            m_read_timeout > 0
                ? Clock::now() +
                      std::chrono::duration_cast<Clock::duration>(
                          std::chrono::duration<double>(std::min(m_read_timeout, 86400.0)))
                : kNever;
        for (;;) {
            auto now = Clock::now();
            if (m_wake && m_wake->at <= now) {
                auto fn = m_wake->fn;
                m_wake->at = kNever;
                if (fn) fn();
                continue;
            }
            if (m_first_byte_deadline <= now) {
                m_first_byte_expired = m_timed_out = true;
                m_error = "no response head before the first-byte deadline";
                return false;
            }
            if (read_deadline <= now) {
                m_timed_out = true;
                m_error = "read timed out";
                return false;
            }
            auto next =
                std::min({read_deadline, m_first_byte_deadline, m_wake ? m_wake->at : kNever});
            int timeout = -1;
            if (next != kNever) {
                auto ms = std::chrono::ceil<std::chrono::milliseconds>(next - now).count();
                timeout = static_cast<int>(std::clamp<long long>(ms, 0, 86400000));
            }
            int n = ::poll(fds, 2, timeout);
            if (n < 0 && errno == EINTR) continue;
            if (n == 0) continue;  // a deadline: the checks above tell which
            if (n > 0 && (fds[1].revents & (POLLRDHUP | POLLHUP | POLLERR))) {
                m_client_gone = true;
                m_error = "the client went away";
                return false;
            }
            return true;  // readable, or an error the read itself reports
        }
    }
};

UpstreamPool::UpstreamPool() = default;
UpstreamPool::~UpstreamPool() = default;

std::shared_ptr<UpstreamConnection> UpstreamPool::acquire(const std::string& origin) {
    std::lock_guard lock(m_mutex);
    auto it = m_idle.find(origin);
    while (it != m_idle.end() && !it->second.empty()) {
        auto c = std::move(it->second.back());
        it->second.pop_back();
        // Closed by the upstream while idle (its keep-alive timeout): dropped here rather
        // than found out by a failed request.
        if (c->looks_alive()) return c;
    }
    return nullptr;
}

void UpstreamPool::release(std::shared_ptr<UpstreamConnection> conn) {
    std::lock_guard lock(m_mutex);
    auto& idle = m_idle[conn->origin()];
    if (idle.size() < kMaxIdlePerOrigin) idle.push_back(std::move(conn));
}

UpstreamResult UpstreamPool::send(const UpstreamRequest& request, const HeadHandler& on_head,
                                  const BodyHandler& on_body, Wake* wake) {
    UpstreamResult result;
    std::string origin, path, userinfo;
    OriginParts parts;
    if (!split_url(request.url, origin, path, &userinfo) || !parse_origin(origin, parts)) {
        result.transport = TransportStatus::kBadUrl;
        result.transport_error = "bad upstream URL '" + redact(request.url) + "' (check api_base)";
        return result;
    }
    // Nothing a client sent may end a line or a field early in a connection other clients
    // share later (request splitting).
    auto unsafe = [](std::string_view v, bool space_too) {
        for (char c : v) {
            if (c == '\r' || c == '\n' || c == '\0' || (space_too && c == ' ')) return true;
        }
        return false;
    };
    bool bad = unsafe(path, true);
    for (const auto& [k, v] : request.headers)
        bad = bad || unsafe(k, true) || unsafe(v, false);
    if (bad) {
        result.transport = TransportStatus::kBadUrl;
        result.transport_error = "refusing to send a request line or header with line breaks";
        return result;
    }
    ProxyEndpoint via;
    if (!request.proxy.empty()) {
        if (!parse_proxy_url(request.proxy, via)) {
            result.transport = TransportStatus::kBadUrl;
            result.transport_error = "bad proxy URL '" + redact_proxy_url(request.proxy) +
                                     "' (check HTTPS_PROXY / HTTP_PROXY)";
            return result;
        }
        if (via.scheme != "http") {
            result.transport = TransportStatus::kConnect;
            result.transport_error =
                "the proxy " + redact_proxy_url(request.proxy) + " speaks " + via.scheme +
                ", which litellmd does not; give an http:// proxy URL (it tunnels https too)";
            return result;
        }
    }
    const bool proxied = !request.proxy.empty();
    // Connections through a proxy are pooled apart from direct ones (and per proxy).
    const std::string pool_key = proxied ? origin + " via " + request.proxy : origin;
    // The request head, built once (a retry on a fresh connection sends the same bytes).
    // Through a proxy, a plain-http request names its whole URL (absolute form).
    std::string head;
    head.reserve(256 + request.headers.size() * 64);
    head.append("POST ");
    if (proxied && !parts.tls) head.append(origin);
    head.append(path).append(" HTTP/1.1\r\nHost: ").append(parts.host_header);
    head.append("\r\n");
    if (proxied && !parts.tls && !via.userinfo.empty()) {
        head.append("Proxy-Authorization: Basic ")
            .append(base64(percent_decode(via.userinfo)))
            .append("\r\n");
    }
    bool has_type = false, has_auth = false;
    for (const auto& [k, v] : request.headers) {
        if (http::iequals(k, "content-length") || http::iequals(k, "host") ||
            http::iequals(k, "transfer-encoding") || http::iequals(k, "connection")) {
            continue;  // framing is ours to set
        }
        has_type = has_type || http::iequals(k, "content-type");
        has_auth = has_auth || http::iequals(k, "authorization");
        head.append(k).append(": ").append(v).append("\r\n");
    }
    if (!has_type) head.append("Content-Type: application/json\r\n");
    if (!userinfo.empty() && !has_auth) {
        // An api_base with user:password@ (a gateway behind basic auth): sent as the header,
        // never in the request line.
        head.append("Authorization: Basic ")
            .append(base64(percent_decode(userinfo)))
            .append("\r\n");
    }
    head.append("Content-Length: ").append(std::to_string(request.body.size())).append("\r\n\r\n");

    auto fail = [&](TransportStatus status, std::string text) {
        result.transport = status;
        result.transport_error = std::move(text);
        return result;
    };
    for (int attempt = 0;; ++attempt) {
        // A retry always opens a fresh connection: another pooled one may be just as stale.
        std::shared_ptr<UpstreamConnection> conn = attempt == 0 ? acquire(pool_key) : nullptr;
        bool reused = conn != nullptr;
        if (!conn) {
            conn = std::make_shared<UpstreamConnection>(pool_key);
            TransportStatus status = TransportStatus::kConnect;
            std::string error;
            if (!conn->open(parts, proxied ? &via : nullptr, request.connect_timeout_s, status,
                            error)) {
                return fail(status, error);
            }
        }
        conn->set_watch(request.client_fd);
        // The first-byte deadline bounds sending the request too: a write waits no longer
        // than what is left of it.
        auto first_byte_at = kNever;
        double write_timeout = request.read_timeout_s;
        if (request.first_byte_timeout_s > 0) {
            first_byte_at = std::chrono::steady_clock::now() +
                            std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                std::chrono::duration<double>(request.first_byte_timeout_s));
            write_timeout = std::min(write_timeout, request.first_byte_timeout_s);
        }
        conn->set_timeouts(request.read_timeout_s, write_timeout);
        conn->set_first_byte_deadline(first_byte_at);
        auto expired = [&] {
            return conn->first_byte_expired() ||
                   (first_byte_at != kNever && std::chrono::steady_clock::now() >= first_byte_at);
        };
        auto stop_watch = [&] { conn->set_first_byte_deadline(kNever); };
        auto first_byte_timeout = [&] {
            result = UpstreamResult();
            return fail(TransportStatus::kTimeout,
                        fmt::format("no response within the first-byte timeout of {:g} s",
                                    request.first_byte_timeout_s));
        };
        // A reused connection that fails before any byte of an answer was closed by the
        // upstream as we sent: the request never ran there, so it goes on a fresh connection.
        bool retry_fresh = reused && attempt == 0;
        if (!conn->write_all(head, request.body)) {
            stop_watch();
            if (conn->timed_out() && expired()) return first_byte_timeout();
            if (retry_fresh) continue;
            return fail(
                conn->timed_out() ? TransportStatus::kTimeout : TransportStatus::kBrokenRead,
                "cannot send the request: " + conn->error());
        }

        // The response head; informational (1xx) heads are skipped.
        int status = 0, minor = 1;
        bool got_bytes = false, retry = false;
        http::Buffer& buf = conn->buffer();
        for (;;) {
            if (buf.size() > 0) {
                std::size_t head_len = 0;
                std::string perr;
                auto ps = http::parse_response_head(buf.view(), status, minor, result.headers,
                                                    head_len, perr);
                if (ps == http::ParseStatus::kOk) {
                    buf.consume(head_len);
                    if (status >= 100 && status < 200) continue;
                    if (status == 407 && proxied && !parts.tls) {
                        // The proxy's own answer, not the upstream's: said as such.
                        stop_watch();
                        return fail(TransportStatus::kConnect,
                                    fmt::format("the proxy {}:{} wants credentials (407 Proxy "
                                                "Authentication Required); put them in the "
                                                "proxy URL, as user:password@ before the host "
                                                "(percent-encoded)",
                                                via.host, via.port));
                    }
                    break;
                }
                if (ps != http::ParseStatus::kIncomplete) {
                    stop_watch();
                    return fail(TransportStatus::kBrokenRead,
                                "malformed response from the upstream: " +
                                    (perr.empty() ? std::string("head too large") : perr));
                }
            }
            ssize_t n = conn->read_more();
            if (n > 0) {
                got_bytes = true;
                continue;
            }
            stop_watch();
            if (conn->client_gone()) return fail(TransportStatus::kClientGone, conn->error());
            if (conn->first_byte_expired()) return first_byte_timeout();
            // EOF or a reset (not a timeout) before any byte: the upstream had closed it.
            if (!got_bytes && retry_fresh && (n == 0 || !conn->timed_out())) {
                retry = true;
                break;
            }
            if (conn->timed_out()) {
                return fail(TransportStatus::kTimeout,
                            fmt::format("no response within {:g} s (read timeout)",
                                        request.read_timeout_s));
            }
            return fail(TransportStatus::kBrokenRead,
                        n == 0 ? std::string("the upstream closed the connection before answering")
                               : "read failed: " + conn->error());
        }
        if (retry) {
            result.headers.clear();
            continue;
        }
        stop_watch();
        // The head came in time: from here the read timeout alone bounds the silences, and
        // the caller's wake deadline is kept while waiting for body bytes.
        if (write_timeout != request.read_timeout_s) {
            conn->set_timeouts(request.read_timeout_s, request.read_timeout_s);
        }
        result.status = status;
        if (on_head && !on_head(result)) return fail(TransportStatus::kCancelled, "cancelled");
        conn->set_wake(wake);
        // Cleared on every way out; on the way back to the pool, before another thread can
        // take the connection (TSan found the late clear racing with the next user's wake).
        struct ClearWake {
            UpstreamConnection* c;
            ~ClearWake() {
                if (c) c->set_wake(nullptr);
            }
        } clear_wake{conn.get()};

        // The body: chunked, Content-Length, or up to the end of the connection.
        bool chunked = false, has_length = false;
        bool keep_alive = minor >= 1;
        std::uint64_t length = 0;
        std::string encoding;
        for (const auto& [k, v] : result.headers) {
            if (k == "transfer-encoding") {
                chunked = v.find("chunked") != std::string::npos;
            } else if (k == "content-length") {
                auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), length);
                has_length = ec == std::errc() && end == v.data() + v.size() && !v.empty();
                if (!has_length) {
                    return fail(TransportStatus::kBrokenRead,
                                "malformed response from the upstream: Content-Length '" + v + "'");
                }
            } else if (k == "connection") {
                std::string lv = lower(v);
                if (lv.find("close") != std::string::npos) keep_alive = false;
                if (lv.find("keep-alive") != std::string::npos) keep_alive = true;
            } else if (k == "content-encoding") {
                encoding = lower(v);
            }
        }
        std::unique_ptr<Inflater> inflater;
        if (encoding == "gzip" || encoding == "deflate" || encoding == "x-gzip") {
            inflater = std::make_unique<Inflater>();
        }
        bool stopped = false;  // on_body said stop
        bool corrupt = false;
        std::string too_large;  // why the answer was cut off, when it was
        std::uint64_t compressed = 0, delivered = 0;
        // Counts what the body handler gets; false once the answer passes its limits.
        auto within_limits = [&](std::size_t n) {
            delivered += n;
            if (request.max_body_bytes > 0 && delivered > request.max_body_bytes) {
                too_large = fmt::format(
                    "the upstream's answer exceeds {} MB "
                    "(general_settings.max_response_size_mb)",
                    request.max_body_bytes >> 20);
            } else if (inflater && delivered > (1u << 20) &&
                       delivered / std::max<std::uint64_t>(compressed, 1) >
                           static_cast<std::uint64_t>(request.max_inflate_ratio)) {
                too_large = fmt::format(
                    "the upstream's compressed answer inflates more than "
                    "{} times (general_settings.max_inflate_ratio)",
                    request.max_inflate_ratio);
            }
            return too_large.empty();
        };
        auto deliver = [&](std::string_view bytes) {
            if (bytes.empty() || stopped || corrupt) return !stopped && !corrupt;
            if (inflater) {
                compressed += bytes.size();
                bool ok = inflater->feed(bytes, [&](std::string_view out) {
                    if (!within_limits(out.size())) {
                        stopped = true;
                    } else if (on_body && !on_body(out)) {
                        stopped = true;
                    }
                    return !stopped;
                });
                if (!ok && !stopped) corrupt = true;
            } else if (!within_limits(bytes.size()) || (on_body && !on_body(bytes))) {
                stopped = true;
            }
            return !stopped && !corrupt;
        };
        // How a delivery that stopped ends the exchange.
        auto stopped_result = [&] {
            return too_large.empty() ? fail(TransportStatus::kCancelled, "cancelled")
                                     : fail(TransportStatus::kTooLarge, too_large);
        };
        auto read_failed = [&](ssize_t n) {
            if (conn->client_gone()) return fail(TransportStatus::kClientGone, conn->error());
            if (conn->timed_out()) {
                return fail(
                    TransportStatus::kTimeout,
                    fmt::format("no data for {:g} s (read timeout)", request.read_timeout_s));
            }
            return fail(TransportStatus::kBrokenRead,
                        n == 0 ? std::string("the upstream closed the connection mid-answer")
                               : "read failed: " + conn->error());
        };
        bool no_body = status == 204 || status == 304;
        if (no_body) {
            // nothing to read
        } else if (chunked) {
            http::ChunkedDecoder decoder;
            for (;;) {
                std::size_t consumed = 0;
                auto cs = decoder.feed(buf.view(), consumed, deliver);
                buf.consume(consumed);
                if (stopped) return stopped_result();
                if (corrupt) return fail(TransportStatus::kBrokenRead, "corrupt compressed answer");
                if (cs == http::ChunkedDecoder::Status::kBad) {
                    return fail(TransportStatus::kBrokenRead, "malformed chunked answer");
                }
                if (cs == http::ChunkedDecoder::Status::kDone) break;
                ssize_t n = conn->read_more();
                if (n <= 0) return read_failed(n);
            }
        } else if (has_length) {
            std::uint64_t remaining = length;
            while (remaining > 0) {
                if (buf.size() == 0) {
                    ssize_t n = conn->read_more();
                    if (n <= 0) return read_failed(n);
                }
                std::size_t take =
                    static_cast<std::size_t>(std::min<std::uint64_t>(remaining, buf.size()));
                std::string_view piece = buf.view().substr(0, take);
                buf.consume(take);
                remaining -= take;
                deliver(piece);
                if (stopped) return stopped_result();
                if (corrupt) return fail(TransportStatus::kBrokenRead, "corrupt compressed answer");
            }
        } else {
            keep_alive = false;  // the end of the connection ends the answer
            for (;;) {
                if (buf.size() > 0) {
                    std::string_view piece = buf.view();
                    buf.consume(piece.size());
                    deliver(piece);
                    if (stopped) return stopped_result();
                    if (corrupt)
                        return fail(TransportStatus::kBrokenRead, "corrupt compressed answer");
                }
                ssize_t n = conn->read_more();
                if (n == 0) break;
                if (n < 0) return read_failed(n);
            }
        }
        if (inflater && !no_body && !inflater->finished()) {
            return fail(TransportStatus::kBrokenRead, "compressed answer cut short");
        }
        if (keep_alive && buf.size() == 0) {
            conn->set_wake(nullptr);
            clear_wake.c = nullptr;
            release(std::move(conn));
        }
        return result;
    }
}

UpstreamResult UpstreamPool::send_collect(const UpstreamRequest& request, std::string& body) {
    return send(request, nullptr, [&](std::string_view bytes) {
        body.append(bytes);
        return true;
    });
}

}  // namespace litellm::proxy
