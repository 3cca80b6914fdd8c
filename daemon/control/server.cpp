#include "daemon/control/server.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <deque>
#include <filesystem>

#include <fmt/format.h>

#include "common/fs.hpp"
#include "common/json.hpp"
#include "common/jsonrpc.hpp"
#include "common/log.hpp"
#include "daemon/control/handlers.hpp"
#include "daemon/daemon.hpp"
#include "proto/limits.hpp"

namespace litellm {

using stream_protocol = asio::local::stream_protocol;

bool peer_uid_allowed(unsigned peer_uid, unsigned own_uid) {
    return peer_uid == own_uid || peer_uid == 0;
}

class ControlServer::Session : public std::enable_shared_from_this<Session> {
  public:
    Session(ControlServer& server, stream_protocol::socket socket)
        : m_server(server),
          m_socket(std::move(socket)),
          m_buffer(proto::kMaxLineBytes + 1),
          m_idle(server.m_io) {}

    void start(unsigned peer_uid) {
        m_ctx.peer_uid = peer_uid;
        std::weak_ptr<Session> weak = shared_from_this();
        m_ctx.start_follow = [weak](LogLevel level, std::size_t backlog) -> std::size_t {
            if (auto self = weak.lock()) self->begin_follow(level, backlog);
            return proto::kFollowQueueLimit;
        };
        asio::io_context& io = m_server.m_io;
        m_ctx.send_line = [weak, &io](std::string line) {
            asio::post(io, [weak, line = std::move(line)]() mutable {
                auto self = weak.lock();
                if (self && !self->m_closed) self->send(std::move(line));
            });
        };
        arm_idle_timer();
        read_next();
    }

    /// Refuses the client with one error line, then closes.
    void refuse(proto::ErrorCode code, const std::string& message) {
        rapidjson::Value null;
        m_closing = true;
        send(rpc::make_error(null, code, message));
    }

    /// Closes after pending replies are written.
    void shutdown() {
        m_closing = true;
        stop_follow();
        if (m_writes.empty()) {
            close_now();
            return;
        }
        // A client that stopped reading (a suspended `logs -f`) must not hold up shutdown.
        m_idle.expires_after(std::chrono::seconds(2));
        std::weak_ptr<Session> weak = shared_from_this();
        m_idle.async_wait([weak](const std::error_code& ec) {
            if (auto self = weak.lock(); self && !ec) self->close_now();
        });
    }

  private:
    void arm_idle_timer() {
        if (m_follower) return;  // a log follower may be quiet for hours
        m_idle.expires_after(std::chrono::seconds(proto::kIdleTimeoutSeconds));
        std::weak_ptr<Session> weak = shared_from_this();
        m_idle.async_wait([weak](const std::error_code& ec) {
            auto self = weak.lock();
            if (ec || !self || self->m_follower) return;
            log_debug("control", "closing idle control connection");
            self->close_now();
        });
    }

    void read_next() {
        if (m_closing) return;
        auto self = shared_from_this();
        asio::async_read_until(
            m_socket, m_buffer, '\n',
            [self](const std::error_code& ec, std::size_t n) { self->on_read(ec, n); });
    }

    void on_read(const std::error_code& ec, std::size_t n) {
        if (ec == asio::error::not_found) {
            // The line outgrew the buffer's limit: answer once and hang up, since the rest
            // of the stream cannot be framed reliably.
            refuse(proto::ErrorCode::kInvalidRequest,
                   fmt::format("request line exceeds {} bytes", proto::kMaxLineBytes));
            return;
        }
        if (ec) {
            close_now();
            return;
        }
        std::string line(asio::buffers_begin(m_buffer.data()),
                         asio::buffers_begin(m_buffer.data()) + static_cast<long>(n - 1));
        m_buffer.consume(n);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        arm_idle_timer();
        if (line.find_first_not_of(" \t") != std::string::npos) {
            std::string reply = m_server.m_dispatcher->handle_line(line, m_ctx);
            if (!reply.empty()) send(std::move(reply));
        }
        if (m_write_bytes > proto::kMaxReplyQueueBytes) {
            // The client is not reading its replies: stop reading its requests until the
            // socket takes what is queued (pipelined requests wait in the kernel's buffer).
            m_read_paused = true;
            return;
        }
        read_next();
    }

    void send(std::string line) {
        line.push_back('\n');
        m_write_bytes += line.size();
        m_writes.push_back(std::move(line));
        if (m_writes.size() == 1) write_next();
    }

    void write_next() {
        auto self = shared_from_this();
        asio::async_write(
            m_socket, asio::buffer(m_writes.front()),
            [self](const std::error_code& ec, std::size_t) {
                if (ec) {
                    self->close_now();
                    return;
                }
                self->m_write_bytes -= self->m_writes.front().size();
                self->m_writes.pop_front();
                if (self->m_read_paused && self->m_write_bytes <= proto::kMaxReplyQueueBytes / 2) {
                    self->m_read_paused = false;
                    self->read_next();
                }
                if (!self->m_writes.empty()) {
                    self->write_next();
                } else if (self->m_closing) {
                    self->close_now();
                } else if (self->m_follow_pending) {
                    self->flush_follow();
                }
            });
    }

    void begin_follow(LogLevel level, std::size_t backlog) {
        if (m_follower) stop_follow();
        m_idle.cancel();
        std::weak_ptr<Session> weak = shared_from_this();
        asio::io_context& io = m_server.m_io;
        // Backlog first, taken before subscribing; a record logged in between may appear in
        // both, and followers can drop duplicates by `seq`.
        m_backlog =
            backlog > 0 ? Logger::instance().tail(backlog, level) : std::vector<LogRecord>{};
        m_follower = Logger::instance().subscribe(level, proto::kFollowQueueLimit, [weak, &io] {
            asio::post(io, [weak] {
                if (auto self = weak.lock()) self->flush_follow();
            });
        });
        // The reply to logs.follow is queued by the dispatcher after this returns; send the
        // backlog after it.
        asio::post(m_server.m_io, [weak] {
            if (auto self = weak.lock()) self->flush_follow();
        });
    }

    void flush_follow() {
        if (!m_follower || m_closing) return;
        if (!m_writes.empty()) {
            // Back-pressure: leave records in the bounded subscriber queue (which drops and
            // counts) until the socket has taken what we already wrote.
            m_follow_pending = true;
            return;
        }
        m_follow_pending = false;
        std::uint64_t dropped = 0;
        std::vector<LogRecord> records = std::move(m_backlog);
        m_backlog.clear();
        for (auto& r : m_follower->drain(&dropped))
            records.push_back(std::move(r));
        if (dropped > 0) {
            rapidjson::Document params(rapidjson::kObjectType);
            params.AddMember("count", dropped, params.GetAllocator());
            send(rpc::make_notification("log.dropped", params));
        }
        for (const auto& r : records) {
            rapidjson::Document params(rapidjson::kObjectType);
            auto& a = params.GetAllocator();
            params.AddMember("seq", r.seq, a);
            params.AddMember("ts", json_str(format_timestamp(r.ts_ms), a), a);
            params.AddMember("level", json_str(log_level_name(r.level), a), a);
            params.AddMember("component", json_str(r.component, a), a);
            params.AddMember("msg", json_str(r.message, a), a);
            send(rpc::make_notification("log", params));
        }
    }

    void stop_follow() {
        if (m_follower) Logger::instance().unsubscribe(m_follower);
        m_follower.reset();
    }

    void close_now() {
        if (m_closed) return;
        m_closed = true;
        stop_follow();
        m_idle.cancel();
        std::error_code ignored;
        m_socket.shutdown(stream_protocol::socket::shutdown_both, ignored);
        m_socket.close(ignored);
        m_server.on_session_closed(shared_from_this());
    }

    ControlServer& m_server;
    stream_protocol::socket m_socket;
    asio::streambuf m_buffer;
    asio::steady_timer m_idle;
    std::deque<std::string> m_writes;
    std::size_t m_write_bytes = 0;  ///< bytes in m_writes
    bool m_read_paused = false;     ///< requests wait until the client reads its replies
    CallContext m_ctx;
    std::shared_ptr<LogSubscriber> m_follower;
    std::vector<LogRecord> m_backlog;
    bool m_follow_pending = false;
    bool m_closing = false;
    bool m_closed = false;
};

ControlServer::ControlServer(asio::io_context& io, Daemon& daemon, std::string path)
    : m_io(io),
      m_daemon(daemon),
      m_path(std::move(path)),
      m_acceptor(io),
      m_dispatcher(std::make_unique<RpcDispatcher>(daemon)) {}

ControlServer::~ControlServer() {
    close();
}

ControlServer::OpenResult ControlServer::open(std::string* error) {
    std::filesystem::path dir = std::filesystem::path(m_path).parent_path();
    std::string mkdir_error;
    if (!dir.empty() && !ensure_directory(dir.string(), 0700, &mkdir_error)) {
        if (error) *error = "cannot create the socket directory: " + mkdir_error;
        return OpenResult::kError;
    }
    if (path_exists(m_path)) {
        // A socket file exists: if something answers, a daemon is running; else it is stale.
        stream_protocol::socket probe(m_io);
        std::error_code ec;
        probe.connect(stream_protocol::endpoint(m_path), ec);
        if (!ec) {
            if (error) *error = "litellmd is already running on " + m_path;
            return OpenResult::kAlreadyRunning;
        }
        log_info("control", "removing stale control socket {}", m_path);
        ::unlink(m_path.c_str());
    }
    std::error_code ec;
    m_acceptor.open(stream_protocol(), ec);
    if (!ec) {
        // Create the socket node 0600 from the start, so there is no window where another
        // user could connect.
        mode_t old_mask = ::umask(0177);
        m_acceptor.bind(stream_protocol::endpoint(m_path), ec);
        ::umask(old_mask);
    }
    if (!ec) m_acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        if (error) *error = fmt::format("cannot listen on {}: {}", m_path, ec.message());
        return OpenResult::kError;
    }
    ::chmod(m_path.c_str(), 0600);
    m_bound = true;
    return OpenResult::kOk;
}

void ControlServer::start() {
    accept_next();
}

void ControlServer::accept_next() {
    m_acceptor.async_accept([this](const std::error_code& ec, stream_protocol::socket socket) {
        if (ec) {
            if (ec != asio::error::operation_aborted && !m_closed) {
                log_warn("control", "accept failed: {}", ec.message());
                accept_next();
            }
            return;
        }
        ucred cred{};
        socklen_t len = sizeof cred;
        bool have_cred =
            ::getsockopt(socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0;
        auto session = std::make_shared<Session>(*this, std::move(socket));
        m_sessions.insert(session);
        if (!have_cred || !peer_uid_allowed(cred.uid, ::geteuid())) {
            log_warn("control", "refused control connection from uid {} (pid {})",
                     have_cred ? static_cast<long>(cred.uid) : -1L,
                     have_cred ? static_cast<long>(cred.pid) : -1L);
            session->refuse(proto::ErrorCode::kPermissionDenied,
                            "permission denied: only the user running litellmd may use its "
                            "control socket");
        } else if (m_sessions.size() > static_cast<std::size_t>(proto::kMaxClients)) {
            session->refuse(
                proto::ErrorCode::kUnavailable,
                fmt::format("too many control clients (limit {}); try again", proto::kMaxClients));
        } else {
            session->start(cred.uid);
        }
        if (!m_closed) accept_next();
    });
}

void ControlServer::on_session_closed(const std::shared_ptr<Session>& session) {
    m_sessions.erase(session);
}

void ControlServer::close() {
    if (m_closed) return;
    m_closed = true;
    std::error_code ignored;
    m_acceptor.close(ignored);
    auto sessions = m_sessions;  // shutdown() may erase from m_sessions
    for (const auto& s : sessions)
        s->shutdown();
    if (m_bound) ::unlink(m_path.c_str());
    m_bound = false;
}

}  // namespace litellm
