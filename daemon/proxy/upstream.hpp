#pragma once
// The upstream HTTP/1.1 client: blocking sockets, OpenSSL for https (certificates verified
// against the system store, or SSL_CERT_FILE), one pool of kept-alive connections per
// scheme://host:port (and proxy). Each request borrows a connection and returns it when the
// exchange ended cleanly. A request costs one sendmsg() and, for a small answer, one recv(); a
// reused connection the upstream closed meanwhile is noticed and the request sent on a fresh one.

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace litellm::proxy {

/// One request to an upstream.
struct UpstreamRequest {
    std::string url;  ///< absolute: https://host[:port]/path?query
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    double connect_timeout_s = 10;
    double read_timeout_s = 600;      ///< longest silence between bytes
    double first_byte_timeout_s = 0;  ///< longest wait for the response head; 0 = read timeout
    std::size_t max_body_bytes = 0;   ///< longest answer body (after inflating); 0 = no limit
    int max_inflate_ratio = 200;      ///< a compressed body may inflate this many times, no more
    int client_fd = -1;  ///< the client's socket, watched while reading: its hang-up cancels
    /// The HTTP proxy to go through ("http://[user:password@]host:port"), "" = direct. An
    /// https upstream is reached through a CONNECT tunnel, a plain one by absolute-form
    /// requests. Chosen by the caller (OutboundProxy::for_url): no environment read here.
    std::string proxy;
};

/// How an exchange ended.
enum class TransportStatus {
    kOk,          ///< a response was received in full
    kConnect,     ///< could not connect (refused, DNS, TLS handshake)
    kTimeout,     ///< connect or read timed out
    kBrokenRead,  ///< the connection dropped mid-response
    kCancelled,   ///< our side stopped it (client went away)
    kBadUrl,
    kTooLarge,    ///< the answer passed max_body_bytes or max_inflate_ratio
    kClientGone,  ///< the watched client hung up while we waited for the upstream
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

/// "https://h:443/x/y?z" split into origin ("https://h:443") and path ("/x/y?z"); a
/// "user:password@" before the host goes to `userinfo` (when given), never into the origin.
bool split_url(const std::string& url, std::string& origin, std::string& path,
               std::string* userinfo = nullptr);

/// A deadline the reading thread keeps while it waits for the upstream: when the upstream
/// stays silent until `at`, `fn` runs on that same thread (and `at` is cleared first, so `fn`
/// may set a new one). The proxy holds a stream's head this way (stream_hold_timeout) without
/// a timer thread.
struct Wake {
    std::chrono::steady_clock::time_point at = std::chrono::steady_clock::time_point::max();
    std::function<void()> fn;
};

class UpstreamConnection;

class UpstreamPool {
  public:
    UpstreamPool();
    ~UpstreamPool();

    /// Performs `request`, streaming the response through the handlers, on the calling
    /// thread (every deadline is kept in its poll()). `wake`, when given, is checked while
    /// waiting for body bytes. Blocking.
    UpstreamResult send(const UpstreamRequest& request, const HeadHandler& on_head,
                        const BodyHandler& on_body, Wake* wake = nullptr);

    /// Convenience: the whole response body collected into `body`.
    UpstreamResult send_collect(const UpstreamRequest& request, std::string& body);

  private:
    /// An idle pooled connection to `origin` that still looks open, or nullptr.
    std::shared_ptr<UpstreamConnection> acquire(const std::string& origin);
    void release(std::shared_ptr<UpstreamConnection> conn);

    mutable std::mutex m_mutex;
    std::map<std::string, std::vector<std::shared_ptr<UpstreamConnection>>> m_idle;
};

}  // namespace litellm::proxy
