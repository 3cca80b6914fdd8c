#pragma once
// The upstream HTTP client: cpp-httplib with OpenSSL (certificates verified against the system
// store), one pool of kept-alive connections per scheme://host:port. An httplib::Client is one
// connection and not thread-safe, so each request borrows one from the pool and returns it
// when the exchange completed cleanly.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace httplib {
class Client;
}

namespace litellm::proxy {

/// One request to an upstream.
struct UpstreamRequest {
    std::string url;  ///< absolute: https://host[:port]/path?query
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    double connect_timeout_s = 10;
    double read_timeout_s = 600;      ///< longest silence between bytes
    double first_byte_timeout_s = 0;  ///< longest wait for the response head; 0 = read timeout
};

/// How an exchange ended.
enum class TransportStatus {
    kOk,          ///< a response was received in full
    kConnect,     ///< could not connect (refused, DNS, TLS handshake)
    kTimeout,     ///< connect or read timed out
    kBrokenRead,  ///< the connection dropped mid-response
    kCancelled,   ///< our side stopped it (client went away)
    kBadUrl,
};

/// Result of a request: the status and headers once known, and the transport outcome.
struct UpstreamResult {
    TransportStatus transport = TransportStatus::kOk;
    std::string transport_error;  ///< human text for non-kOk
    int status = 0;               ///< HTTP status, 0 when no response head arrived
    std::vector<std::pair<std::string, std::string>> headers;  ///< lowercased names
    bool head_received() const { return status != 0; }
    /// First header value named `name` (lowercase), or empty.
    std::string header(std::string_view name) const;
};

/// Receives the response head once (status, lowercased headers); return false to abort.
using HeadHandler = std::function<bool(const UpstreamResult& head)>;
/// Receives body bytes as they arrive; return false to abort.
using BodyHandler = std::function<bool(std::string_view bytes)>;

/// "https://h:443/x/y?z" split into origin ("https://h:443") and path ("/x/y?z").
bool split_url(const std::string& url, std::string& origin, std::string& path);

/// Runs callbacks at deadlines on one thread (time-to-first-byte limits). cancel() returning
/// true means the callback will never run; false means it ran or is running (outside the lock,
/// so a blocking callback never stalls other requests).
class Watchdog {
  public:
    Watchdog();
    ~Watchdog();
    /// Schedules `fn` after `seconds`; returns an id for cancel().
    std::uint64_t schedule(double seconds, std::function<void()> fn);
    /// Cancels a scheduled callback; true when it had not run.
    bool cancel(std::uint64_t id);

  private:
    void run();
    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::map<std::uint64_t, std::pair<std::chrono::steady_clock::time_point, std::function<void()>>>
        m_tasks;
    std::uint64_t m_next_id = 1;
    bool m_stop = false;
    std::thread m_thread;
};

/// Lets another thread abort a request in flight: when the client of a stream goes away, its
/// upstream connection is closed at once instead of reading (and paying for) tokens nobody
/// will see.
class CancelToken {
  public:
    /// Stops the request now, or makes a later send() return kCancelled without sending.
    void cancel();

  private:
    friend class UpstreamPool;
    std::mutex m_mutex;
    bool m_cancelled = false;
    std::shared_ptr<httplib::Client> m_client;  ///< the connection in use, while sending
};

class UpstreamPool {
  public:
    UpstreamPool();
    ~UpstreamPool();

    /// Performs `request`, streaming the response through the handlers. Blocking.
    UpstreamResult send(const UpstreamRequest& request, const HeadHandler& on_head,
                        const BodyHandler& on_body,
                        const std::shared_ptr<CancelToken>& cancel = nullptr);

    /// Convenience: the whole response body collected into `body`.
    UpstreamResult send_collect(const UpstreamRequest& request, std::string& body);

    /// Idle connections currently pooled (for tests and status).
    std::size_t idle_count() const;

  private:
    std::shared_ptr<httplib::Client> acquire(const std::string& origin);
    void release(const std::string& origin, std::shared_ptr<httplib::Client> client);

    mutable std::mutex m_mutex;
    std::map<std::string, std::vector<std::shared_ptr<httplib::Client>>> m_idle;
    Watchdog m_watchdog;
};

}  // namespace litellm::proxy
