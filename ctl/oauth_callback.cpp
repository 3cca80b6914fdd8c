#include "ctl/oauth_callback.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <vector>

#include <fmt/format.h>

namespace litellm::ctl {

namespace {

int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string url_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out += ' ';
        } else if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
            out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

void send_page(int fd, int status, const char* reason, const std::string& text) {
    std::string body =
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>litellmctl</title>"
        "</head><body><p>" +
        text + "</p></body></html>";
    std::string response = fmt::format(
        "HTTP/1.1 {} {}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n"
        "Connection: close\r\n\r\n{}",
        status, reason, body.size(), body);
    (void)!::send(fd, response.data(), response.size(), MSG_NOSIGNAL);
}

}  // namespace

RedirectParams parse_redirect(std::string_view text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
        text.remove_suffix(1);
    while (!text.empty() && text.front() == ' ')
        text.remove_prefix(1);
    std::size_t q = text.find('?');
    std::string_view query = q == std::string_view::npos ? text : text.substr(q + 1);
    if (auto hash = query.find('#'); hash != std::string_view::npos) query = query.substr(0, hash);
    RedirectParams p;
    while (!query.empty()) {
        std::size_t amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        std::size_t eq = pair.find('=');
        std::string key = url_decode(pair.substr(0, eq));
        std::string value = eq == std::string_view::npos ? "" : url_decode(pair.substr(eq + 1));
        if (key == "code") p.code = value;
        if (key == "state") p.state = value;
        if (key == "error") p.error = value;
        if (key == "error_description") p.error_description = value;
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    return p;
}

LoopbackCallback::~LoopbackCallback() {
    if (m_listen >= 0) ::close(m_listen);
}

bool LoopbackCallback::listen(const CallbackOptions& options, std::string* error) {
    m_options = options;
    std::string tried;
    for (int port : options.ports) {
        int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) break;
        int yes = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<uint16_t>(port));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
            ::listen(fd, 8) == 0) {
            socklen_t len = sizeof addr;
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
            m_listen = fd;
            m_port = ntohs(addr.sin_port);
            return true;
        }
        tried += (tried.empty() ? "" : ", ") + std::to_string(port);
        ::close(fd);
    }
    if (error) {
        *error = fmt::format(
            "cannot listen for the login's redirect on 127.0.0.1 port {} (in use: another login "
            "running?); stop that process and try again",
            tried);
    }
    return false;
}

std::string LoopbackCallback::redirect_uri() const {
    return fmt::format("http://localhost:{}{}", m_port, m_options.path);
}

CallbackResult LoopbackCallback::judge(const RedirectParams& p, bool pasted) const {
    CallbackResult r;
    r.pasted = pasted;
    // The state is checked first, refusals included: the provider's own error redirect carries
    // the state (RFC 6749 4.1.2.1), so one without it is not the provider's answer to us.
    if (p.state != m_options.state) {
        r.foreign = true;
        r.error =
            "the redirect's state does not match this login (an older tab or another "
            "login's redirect)";
    } else if (!p.error.empty()) {
        r.error = "the login was refused: " + p.error +
                  (p.error_description.empty() ? "" : " (" + p.error_description + ")");
    } else if (p.code.empty()) {
        r.error = "the redirect carries no code";
    } else {
        r.ok = true;
        r.code = p.code;
    }
    return r;
}

void LoopbackCallback::ignored(const CallbackResult& r, bool pasted) const {
    if (!m_options.on_ignored) return;
    m_options.on_ignored(
        fmt::format("{} {}; still waiting for this login's",
                    pasted ? "ignored the pasted address:" : "ignored a redirect:", r.error));
}

std::optional<CallbackResult> LoopbackCallback::answer(int fd, const std::string& request) {
    // "GET /auth/callback?code=...&state=... HTTP/1.1"
    std::string line = request.substr(0, request.find("\r\n"));
    std::size_t sp1 = line.find(' ');
    std::size_t sp2 = line.rfind(' ');
    if (sp1 == std::string::npos || sp2 <= sp1) {
        send_page(fd, 400, "Bad Request", "Bad request.");
        return std::nullopt;
    }
    std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    std::string path = target.substr(0, target.find('?'));
    if (line.compare(0, sp1, "GET") != 0 || path != m_options.path) {
        send_page(fd, 404, "Not Found", "Not found.");  // a favicon, a scanner: keep waiting
        return std::nullopt;
    }
    CallbackResult result = judge(parse_redirect(target), false);
    if (result.ok) {
        send_page(fd, 200, "OK",
                  "Authentication successful! You can close this tab and return to the "
                  "terminal.");
    } else if (result.foreign) {
        send_page(fd, 400, "Bad Request",
                  "This page does not belong to the login that is waiting in the terminal.");
        ignored(result, false);
        return std::nullopt;
    } else {
        send_page(fd, 400, "Bad Request", "Login failed: " + result.error);
    }
    return result;
}

namespace {

/// A browser connection whose request line is still arriving.
struct Pending {
    int fd;
    std::string request;
    std::chrono::steady_clock::time_point until;
};

/// The connections being read; whichever way the wait ends, they are closed.
struct PendingSet {
    std::vector<Pending> conns;
    PendingSet() = default;
    PendingSet(const PendingSet&) = delete;
    PendingSet& operator=(const PendingSet&) = delete;
    ~PendingSet() {
        for (const auto& c : conns)
            ::close(c.fd);
    }
    void drop(std::size_t i) {
        ::close(conns[i].fd);
        conns.erase(conns.begin() + static_cast<std::ptrdiff_t>(i));
    }
};

// Connections are read side by side, so idle ones (a port scan, another user holding the port
// open) cannot hold up the browser's; past this many the oldest is dropped for the newest.
constexpr std::size_t kMaxPendingConnections = 16;
constexpr auto kRequestLineDeadline = std::chrono::seconds(5);
constexpr std::size_t kMaxRequestLine = 16384;

}  // namespace

CallbackResult LoopbackCallback::wait() {
    using Clock = std::chrono::steady_clock;
    CallbackResult result;
    auto deadline = Clock::now() + std::chrono::seconds(m_options.timeout_s);
    std::string pasted;
    PendingSet pending;
    std::vector<Pending>& conns = pending.conns;
    while (true) {
        auto now = Clock::now();
        if (now >= deadline) {
            result.error = fmt::format("no redirect arrived within {} s; run the login again",
                                       m_options.timeout_s);
            return result;
        }
        // Connections past their deadline go; the wait wakes for the next deadline.
        auto next = std::min(deadline, now + std::chrono::seconds(1));
        for (std::size_t i = 0; i < conns.size();) {
            if (conns[i].until <= now) {
                pending.drop(i);
                continue;
            }
            next = std::min(next, conns[i].until);
            ++i;
        }
        std::vector<pollfd> fds;
        fds.push_back({m_listen, POLLIN, 0});
        fds.push_back({m_options.paste_fd, POLLIN, 0});  // a negative fd is skipped by poll
        for (const auto& c : conns)
            fds.push_back({c.fd, POLLIN, 0});
        auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count();
        int n = ::poll(fds.data(), fds.size(), static_cast<int>(std::max<long long>(wait_ms, 1)));
        if (n < 0 && errno == EINTR) {
            result.error = "interrupted";
            return result;
        }
        if (n <= 0) continue;
        // The connections first: their indexes in fds match conns until one is removed.
        for (std::size_t i = conns.size(); i-- > 0;) {
            if (!(fds[2 + i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            Pending& c = conns[i];
            char buf[4096];
            ssize_t got = ::recv(c.fd, buf, sizeof buf, 0);
            bool drop = got <= 0;
            if (!drop) {
                c.request.append(buf, static_cast<std::size_t>(got));
                if (c.request.find("\r\n") != std::string::npos ||
                    c.request.size() >= kMaxRequestLine) {
                    if (auto done = answer(c.fd, c.request)) return *done;
                    drop = true;
                }
            }
            if (drop) pending.drop(i);
        }
        if (fds[0].revents & POLLIN) {
            int fd = ::accept4(m_listen, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd >= 0) {
                if (conns.size() >= kMaxPendingConnections) pending.drop(0);
                conns.push_back({fd, {}, Clock::now() + kRequestLineDeadline});
            }
        }
        if (m_options.paste_fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP))) {
            char buf[4096];
            ssize_t r = ::read(m_options.paste_fd, buf, sizeof buf);
            if (r <= 0) {
                m_options.paste_fd = -1;  // stdin closed: the browser's redirect only
                continue;
            }
            pasted.append(buf, static_cast<std::size_t>(r));
            std::size_t nl;
            while ((nl = pasted.find('\n')) != std::string::npos) {
                std::string line = pasted.substr(0, nl);
                pasted.erase(0, nl + 1);
                if (line.find_first_not_of(" \r\t") == std::string::npos) continue;
                CallbackResult r = judge(parse_redirect(line), true);
                if (r.foreign) {
                    ignored(r, true);
                    continue;
                }
                return r;
            }
        }
    }
}

std::string ssh_tunnel_hint(int port) {
    return fmt::format(
        "On a remote machine, forward the port from your laptop first: ssh -L {0}:localhost:{0} "
        "<this-server>; or paste the address your browser ends up at (it starts with "
        "http://localhost:{0}/) here.",
        port);
}

}  // namespace litellm::ctl
