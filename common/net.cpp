#include "common/net.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace litellm {

// Who holds a TCP port, for the "port in use" message: "pid 123 (python3)" or "".
std::string port_holder(int port) {
    // Find the socket inode in /proc/net/tcp{,6}, then the process with an fd on it.
    std::string inode;
    for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
        FILE* f = std::fopen(table, "r");
        if (!f) continue;
        char line[512];
        std::fgets(line, sizeof line, f);  // header
        while (std::fgets(line, sizeof line, f)) {
            char local[128], remote[128];
            unsigned state = 0;
            unsigned long ino = 0;
            if (std::sscanf(line, "%*d: %127s %127s %x %*s %*s %*s %*d %*d %lu", local, remote,
                            &state, &ino) != 4) {
                continue;
            }
            const char* colon = std::strrchr(local, ':');
            if (!colon || state != 0x0A) continue;  // 0x0A = LISTEN
            if (std::strtol(colon + 1, nullptr, 16) == port) inode = std::to_string(ino);
        }
        std::fclose(f);
        if (!inode.empty()) break;
    }
    if (inode.empty()) return {};
    std::string target = "socket:[" + inode + "]";
    std::error_code ec;
    for (const auto& proc : std::filesystem::directory_iterator("/proc", ec)) {
        std::string pid = proc.path().filename().string();
        if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
        std::error_code fd_ec;
        for (const auto& fd : std::filesystem::directory_iterator(proc.path() / "fd", fd_ec)) {
            std::error_code link_ec;
            auto link = std::filesystem::read_symlink(fd.path(), link_ec);
            if (!link_ec && link.string() == target) {
                std::string comm;
                if (FILE* c = std::fopen((proc.path() / "comm").c_str(), "r")) {
                    char buf[64] = {0};
                    if (std::fgets(buf, sizeof buf, c)) comm = buf;
                    std::fclose(c);
                    if (!comm.empty() && comm.back() == '\n') comm.pop_back();
                }
                return "pid " + pid + (comm.empty() ? "" : " (" + comm + ")");
            }
        }
    }
    return {};
}

bool local_port_in_use(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool in_use = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return in_use;
}

ProbeResult probe_tcp(const std::string& host, int port, int timeout_ms) {
    ProbeResult r;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* list = nullptr;
    int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &list);
    if (rc != 0 || !list) {
        r.detail = std::string("DNS lookup failed: ") + ::gai_strerror(rc);
        return r;
    }
    r.resolved = true;
    char text[INET6_ADDRSTRLEN] = {0};
    const void* raw =
        list->ai_family == AF_INET6
            ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(list->ai_addr)->sin6_addr)
            : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(list->ai_addr)->sin_addr);
    ::inet_ntop(list->ai_family, raw, text, sizeof text);
    r.detail = text;
    int fd = ::socket(list->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd >= 0) {
        int c = ::connect(fd, list->ai_addr, list->ai_addrlen);
        if (c == 0) {
            r.connected = true;
        } else if (errno == EINPROGRESS) {
            pollfd pfd{fd, POLLOUT, 0};
            if (::poll(&pfd, 1, timeout_ms) == 1) {
                int err = 0;
                socklen_t len = sizeof err;
                ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
                r.connected = err == 0;
                if (err) r.detail += std::string(": ") + std::strerror(err);
            } else {
                r.detail += ": no answer within " + std::to_string(timeout_ms) + " ms";
            }
        } else {
            r.detail += std::string(": ") + std::strerror(errno);
        }
        ::close(fd);
    }
    ::freeaddrinfo(list);
    return r;
}

bool send_all_iov(int fd, iovec* iov, int count) {
    while (count > 0) {
        msghdr msg{};
        msg.msg_iov = iov;
        msg.msg_iovlen = static_cast<std::size_t>(count);
        ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return false;
        if (n == 0) {
            errno = EPIPE;
            return false;
        }
        auto left = static_cast<std::size_t>(n);
        while (count > 0 && left >= iov->iov_len) {
            left -= iov->iov_len;
            ++iov;
            --count;
        }
        if (count > 0) {
            iov->iov_base = static_cast<char*>(iov->iov_base) + left;
            iov->iov_len -= left;
        }
    }
    return true;
}

bool is_ip_literal(const std::string& host) {
    in6_addr a6{};
    in_addr a4{};
    return ::inet_pton(AF_INET, host.c_str(), &a4) == 1 ||
           ::inet_pton(AF_INET6, host.c_str(), &a6) == 1;
}

std::string authority_host(std::string_view authority) {
    std::string_view host;
    std::string_view port;
    bool bracketed = !authority.empty() && authority.front() == '[';
    if (bracketed) {
        std::size_t close = authority.find(']');
        if (close == std::string_view::npos) return {};
        host = authority.substr(1, close - 1);
        std::string_view rest = authority.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') return {};
            port = rest.substr(1);
        }
    } else {
        std::size_t colon = authority.find(':');
        host = authority.substr(0, colon);
        if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    }
    if (port.size() > 5) return {};
    for (char c : port) {
        if (c < '0' || c > '9') return {};
    }
    std::string out(host);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    if (bracketed) {
        in6_addr a6{};
        return ::inet_pton(AF_INET6, out.c_str(), &a6) == 1 ? out : std::string();
    }
    if (!out.empty() && out.back() == '.') out.pop_back();
    if (out.empty()) return {};
    for (char c : out) {
        // A name's characters (RFC 3986 reg-name, less the escapes no client sends here).
        bool ok =
            (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
        if (!ok) return {};
    }
    return out;
}

bool is_loopback_host(const std::string& host) {
    constexpr std::string_view kSuffix = ".localhost";
    if (host == "localhost" ||
        (host.size() > kSuffix.size() &&
         std::string_view(host).substr(host.size() - kSuffix.size()) == kSuffix)) {
        return true;
    }
    in_addr a4{};
    if (::inet_pton(AF_INET, host.c_str(), &a4) == 1) return (ntohl(a4.s_addr) >> 24) == 127;
    in6_addr a6{};
    return ::inet_pton(AF_INET6, host.c_str(), &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

std::string local_host_name() {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0) return {};
    return authority_host(name);
}

}  // namespace litellm
