#include "common/rpc_client.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "proto/limits.hpp"

namespace litellm::rpc {

Client::~Client() {
    close();
}

Client::Client(Client&& other) noexcept {
    *this = std::move(other);
}

Client& Client::operator=(Client&& other) noexcept {
    if (this != &other) {
        close();
        m_fd = other.m_fd;
        other.m_fd = -1;
        m_next_id = other.m_next_id;
        m_buffer = std::move(other.m_buffer);
        m_error = other.m_error;
        m_error_text = std::move(other.m_error_text);
    }
    return *this;
}

void Client::close() {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = -1;
    m_buffer.clear();
}

bool Client::connect(const std::string& socket_path, int timeout_ms) {
    close();
    sockaddr_un addr{};
    if (socket_path.size() >= sizeof(addr.sun_path)) {
        m_error = TransportError::kOther;
        m_error_text = "socket path too long: " + socket_path;
        return false;
    }
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size());
    m_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (m_fd < 0) {
        m_error = TransportError::kOther;
        m_error_text = std::strerror(errno);
        return false;
    }
    // Unix-socket connects do not block for long; the timeout covers a full accept backlog.
    timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    ::setsockopt(m_fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        int err = errno;
        ::close(m_fd);
        m_fd = -1;
        m_error_text = socket_path + ": " + std::strerror(err);
        if (err == ENOENT || err == ECONNREFUSED)
            m_error = TransportError::kNotRunning;
        else if (err == EACCES || err == EPERM)
            m_error = TransportError::kPermission;
        else if (err == EAGAIN || err == ETIMEDOUT)
            m_error = TransportError::kTimeout;
        else
            m_error = TransportError::kOther;
        return false;
    }
    m_error = TransportError::kNone;
    m_error_text.clear();
    return true;
}

bool Client::send_line(std::string_view line) {
    if (m_fd < 0) {
        m_error = TransportError::kClosed;
        m_error_text = "not connected";
        return false;
    }
    std::string data(line);
    data.push_back('\n');
    size_t off = 0;
    while (off < data.size()) {
        ssize_t n = ::send(m_fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            m_error = errno == EPIPE || errno == ECONNRESET ? TransportError::kClosed
                                                            : TransportError::kOther;
            m_error_text = std::strerror(errno);
            return false;
        }
        off += static_cast<size_t>(n);
    }
    return true;
}

std::optional<std::string> Client::read_line(int timeout_ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        size_t nl = m_buffer.find('\n');
        if (nl != std::string::npos) {
            std::string line = m_buffer.substr(0, nl);
            m_buffer.erase(0, nl + 1);
            return line;
        }
        if (m_buffer.size() > proto::kMaxLineBytes) {
            m_error = TransportError::kProtocol;
            m_error_text = "reply line over the size limit";
            return std::nullopt;
        }
        if (m_fd < 0) {
            m_error = TransportError::kClosed;
            m_error_text = "not connected";
            return std::nullopt;
        }
        int wait = -1;
        if (timeout_ms >= 0) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                            deadline - std::chrono::steady_clock::now())
                            .count();
            if (left <= 0) {
                m_error = TransportError::kTimeout;
                m_error_text =
                    "no reply from litellmd within " + std::to_string(timeout_ms) + " ms";
                return std::nullopt;
            }
            wait = static_cast<int>(left);
        }
        pollfd pfd{m_fd, POLLIN, 0};
        int pr = ::poll(&pfd, 1, wait);
        if (pr < 0) {
            if (errno == EINTR) continue;
            m_error = TransportError::kOther;
            m_error_text = std::strerror(errno);
            return std::nullopt;
        }
        if (pr == 0) continue;  // the deadline check above reports the timeout
        char chunk[65536];
        ssize_t n = ::recv(m_fd, chunk, sizeof chunk, 0);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            m_error = TransportError::kClosed;
            m_error_text = std::strerror(errno);
            return std::nullopt;
        }
        if (n == 0) {
            m_error = TransportError::kClosed;
            m_error_text = "litellmd closed the connection";
            return std::nullopt;
        }
        m_buffer.append(chunk, static_cast<size_t>(n));
    }
}

std::optional<Message> Client::read_message(int timeout_ms) {
    auto line = read_line(timeout_ms);
    if (!line) return std::nullopt;
    std::string err;
    auto msg = parse_message(*line, &err);
    if (!msg) {
        m_error = TransportError::kProtocol;
        m_error_text = "unexpected reply from litellmd: " + err;
    }
    return msg;
}

std::optional<Message> Client::call(std::string_view method, std::string_view params_json,
                                    int timeout_ms) {
    long long id = m_next_id++;
    std::string line = make_request(id, method, params_json);
    if (line.empty()) {
        m_error = TransportError::kProtocol;
        m_error_text = "params must be a JSON object";
        return std::nullopt;
    }
    if (!send_line(line)) {
        // The daemon may have refused the connection (uid check, client limit) and closed it
        // before our line went out: its refusal is still waiting to be read.
        if (m_error != TransportError::kClosed) return std::nullopt;
        TransportError send_error = m_error;
        std::string send_error_text = m_error_text;
        auto refusal = read_message(std::min(timeout_ms, 1000));
        if (refusal && !refusal->is_notification && refusal->id == -1) return refusal;
        m_error = send_error;
        m_error_text = send_error_text;
        return std::nullopt;
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        deadline - std::chrono::steady_clock::now())
                                        .count());
        auto msg = read_message(std::max(left, 0));
        if (!msg) return std::nullopt;
        if (msg->is_notification) continue;
        // A reply without our id is the daemon refusing the connection (e.g. uid check).
        if (msg->id == id || msg->id == -1) return msg;
    }
}

}  // namespace litellm::rpc
