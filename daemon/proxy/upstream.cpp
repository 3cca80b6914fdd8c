#include "daemon/proxy/upstream.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <httplib.h>

namespace litellm::proxy {

namespace {

// Connections kept per origin; more concurrent requests open extra ones that are closed after.
constexpr std::size_t kMaxIdlePerOrigin = 64;

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

void set_timeout(httplib::Client& c, double connect_s, double read_s) {
    auto sec = [](double s) { return static_cast<time_t>(s); };
    auto usec = [](double s) {
        return static_cast<time_t>((s - static_cast<double>(static_cast<time_t>(s))) * 1e6);
    };
    c.set_connection_timeout(sec(connect_s), usec(connect_s));
    c.set_read_timeout(sec(read_s), usec(read_s));
    c.set_write_timeout(sec(read_s), usec(read_s));
}

TransportStatus classify(httplib::Error error) {
    switch (error) {
        case httplib::Error::Connection:
        case httplib::Error::SSLConnection:
        case httplib::Error::SSLServerVerification:
            return TransportStatus::kConnect;
        case httplib::Error::ConnectionTimeout:
            return TransportStatus::kTimeout;
        case httplib::Error::Canceled:
            return TransportStatus::kCancelled;
        default:
            return TransportStatus::kBrokenRead;
    }
}

}  // namespace

std::string UpstreamResult::header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
        if (k == name) return v;
    }
    return {};
}

bool split_url(const std::string& url, std::string& origin, std::string& path) {
    size_t scheme_end = url.find("://");
    if (scheme_end == std::string::npos) return false;
    std::string scheme = lower(url.substr(0, scheme_end));
    if (scheme != "http" && scheme != "https") return false;
    size_t host_start = scheme_end + 3;
    size_t path_start = url.find_first_of("/?", host_start);
    std::string authority = url.substr(
        host_start, path_start == std::string::npos ? std::string::npos : path_start - host_start);
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

Watchdog::Watchdog() : m_thread([this] { run(); }) {}

Watchdog::~Watchdog() {
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_cv.notify_all();
    m_thread.join();
}

std::uint64_t Watchdog::schedule(double seconds, std::function<void()> fn) {
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                        std::chrono::duration<double>(seconds));
    std::lock_guard lock(m_mutex);
    std::uint64_t id = m_next_id++;
    m_tasks.emplace(id, std::make_pair(deadline, std::move(fn)));
    m_cv.notify_all();
    return id;
}

bool Watchdog::cancel(std::uint64_t id) {
    std::lock_guard lock(m_mutex);
    return m_tasks.erase(id) > 0;
}

void Watchdog::run() {
    std::unique_lock lock(m_mutex);
    while (!m_stop) {
        auto next = m_tasks.end();
        for (auto it = m_tasks.begin(); it != m_tasks.end(); ++it) {
            if (next == m_tasks.end() || it->second.first < next->second.first) next = it;
        }
        if (next == m_tasks.end()) {
            m_cv.wait(lock);
            continue;
        }
        if (std::chrono::steady_clock::now() < next->second.first) {
            m_cv.wait_until(lock, next->second.first);
            continue;
        }
        auto fn = std::move(next->second.second);
        m_tasks.erase(next);
        // Outside the lock: a callback may block (Client::stop waits for a connect in
        // progress), and other requests must still schedule and cancel meanwhile.
        lock.unlock();
        fn();
        lock.lock();
    }
}

UpstreamPool::UpstreamPool() = default;
UpstreamPool::~UpstreamPool() = default;

std::shared_ptr<httplib::Client> UpstreamPool::acquire(const std::string& origin) {
    {
        std::lock_guard lock(m_mutex);
        auto it = m_idle.find(origin);
        if (it != m_idle.end() && !it->second.empty()) {
            auto c = std::move(it->second.back());
            it->second.pop_back();
            return c;
        }
    }
    auto c = std::make_shared<httplib::Client>(origin);
    c->set_keep_alive(true);
    c->set_tcp_nodelay(true);
    c->enable_server_certificate_verification(true);
    // We never forward the client's Accept-Encoding, so upstreams answer uncompressed; a
    // gzip answer anyway is decoded here rather than passed through undecodable.
    c->set_decompress(true);
    return c;
}

void UpstreamPool::release(const std::string& origin, std::shared_ptr<httplib::Client> client) {
    std::lock_guard lock(m_mutex);
    auto& idle = m_idle[origin];
    if (idle.size() < kMaxIdlePerOrigin) idle.push_back(std::move(client));
}

std::size_t UpstreamPool::idle_count() const {
    std::lock_guard lock(m_mutex);
    std::size_t n = 0;
    for (const auto& [_, v] : m_idle)
        n += v.size();
    return n;
}

void CancelToken::cancel() {
    std::shared_ptr<httplib::Client> client;
    {
        std::lock_guard lock(m_mutex);
        m_cancelled = true;
        client = m_client;
    }
    if (client) client->stop();  // unblocks a read or connect in send()
}

UpstreamResult UpstreamPool::send(const UpstreamRequest& request, const HeadHandler& on_head,
                                  const BodyHandler& on_body,
                                  const std::shared_ptr<CancelToken>& cancel) {
    UpstreamResult result;
    std::string origin, path;
    if (!split_url(request.url, origin, path)) {
        result.transport = TransportStatus::kBadUrl;
        result.transport_error = "bad upstream URL '" + request.url + "' (check api_base)";
        return result;
    }
    auto client = acquire(origin);
    if (!client->is_valid()) {
        result.transport = TransportStatus::kBadUrl;
        result.transport_error = "cannot use upstream URL '" + request.url + "'";
        return result;
    }
    set_timeout(*client, request.connect_timeout_s, request.read_timeout_s);
    if (cancel) {
        std::lock_guard lock(cancel->m_mutex);
        if (cancel->m_cancelled) {
            result.transport = TransportStatus::kCancelled;
            result.transport_error = "cancelled";
            return result;
        }
        cancel->m_client = client;
    }

    httplib::Request req;
    req.method = "POST";
    req.path = path;
    for (const auto& [k, v] : request.headers)
        req.headers.emplace(k, v);
    if (req.headers.find("Content-Type") == req.headers.end()) {
        req.headers.emplace("Content-Type", "application/json");
    }
    req.body = request.body;
    bool aborted_by_us = false;
    auto first_byte_expired = std::make_shared<std::atomic<bool>>(false);
    std::uint64_t watch = 0;
    if (request.first_byte_timeout_s > 0) {
        // The callback shares the client, so it stays valid however late the callback runs.
        watch = m_watchdog.schedule(request.first_byte_timeout_s, [client, first_byte_expired] {
            *first_byte_expired = true;
            client->stop();  // unblocks the read in send()
        });
    }
    req.response_handler = [&](const httplib::Response& res) {
        // The deadline already fired: the attempt is a timeout even if the head just arrived.
        if (watch && !m_watchdog.cancel(watch)) return false;
        watch = 0;
        result.status = res.status;
        for (const auto& [k, v] : res.headers)
            result.headers.emplace_back(lower(k), v);
        if (on_head && !on_head(result)) {
            aborted_by_us = true;
            return false;
        }
        return true;
    };
    req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
        if (on_body && !on_body(std::string_view(data, n))) {
            aborted_by_us = true;
            return false;
        }
        return true;
    };
    httplib::Response res;
    httplib::Error error = httplib::Error::Success;
    bool ok = client->send(req, res, error);
    if (cancel) {
        std::lock_guard lock(cancel->m_mutex);
        cancel->m_client.reset();
        if (cancel->m_cancelled) {
            // A stopped connection never goes back to the pool.
            if (watch) m_watchdog.cancel(watch);
            result.transport = TransportStatus::kCancelled;
            result.transport_error = "cancelled: the client went away";
            return result;
        }
    }
    if (watch && !m_watchdog.cancel(watch)) *first_byte_expired = true;
    if (*first_byte_expired) {
        result.transport = TransportStatus::kTimeout;
        result.transport_error = fmt::format("no response within the first-byte timeout of {:g} s",
                                             request.first_byte_timeout_s);
        return result;
    }
    if (ok) {
        release(origin, std::move(client));
        return result;
    }
    result.transport = aborted_by_us ? TransportStatus::kCancelled : classify(error);
    if (result.transport == TransportStatus::kBrokenRead && error == httplib::Error::Read &&
        !result.head_received()) {
        // A read timeout before the first byte shows up as a read error.
        result.transport = TransportStatus::kTimeout;
    }
    result.transport_error = httplib::to_string(error);
    return result;
}

UpstreamResult UpstreamPool::send_collect(const UpstreamRequest& request, std::string& body) {
    return send(request, nullptr, [&](std::string_view bytes) {
        body.append(bytes);
        return true;
    });
}

}  // namespace litellm::proxy
