// loadgen: the load generator of scripts/bench. Raw sockets, keep-alive connections, one
// thread per connection, so the measured latency is the server's and not a client library's.
//
//   loadgen http  --port P --path /v1/messages --body FILE [--header "k: v"]... --conc C
//                 (--requests N | --seconds S) [--stream]
//   loadgen streams --port P --path ... --body FILE --conc C [--header ...]  (all at once)
//   loadgen rpc   --socket PATH --requests N              (control-socket round trips)
//   loadgen spawn-wait --port P -- PROGRAM ARGS...      (start-to-serving time)
//   loadgen relay --to P                               (a byte relay: the floor of any proxy)
//
// `relay` listens on a free port (printed as "PORT n"), and copies bytes between each client
// and a connection of its own to port P with two blocking threads, understanding nothing. What
// it adds is the cost of one more process in the path on this machine: two extra socket hops
// and the wake-ups that go with them, and no HTTP at all.
//
// Prints one JSON object: count, errors, rps, latency percentiles in microseconds (p50, p90,
// p99, max) and, for streams, time to first byte and the largest gap between chunks.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double us_since(Clock::time_point t) {
    return std::chrono::duration<double, std::micro>(Clock::now() - t).count();
}

struct Args {
    std::string mode;
    int port = 0;
    std::string path = "/v1/messages";
    std::string body;
    std::vector<std::string> headers;
    int conc = 1;
    long requests = 0;
    double seconds = 0;
    bool stream = false;
    std::string socket_path;
    int to_port = 0;
};

int connect_tcp(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    timeval tv{60, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

bool send_all(int fd, const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
        ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
        if (n <= 0) return false;
        off += static_cast<size_t>(n);
    }
    return true;
}

struct Sample {
    double total_us = 0;
    double ttfb_us = 0;     // first body byte
    double max_gap_us = 0;  // largest gap between body reads (streams)
    bool ok = false;
};

// Reads one HTTP/1.1 response (Content-Length or chunked); `buf` keeps leftover bytes.
Sample read_response(int fd, std::string& buf, Clock::time_point start) {
    Sample s;
    auto fill = [&]() {
        char tmp[65536];
        ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
        if (n <= 0) return false;
        buf.append(tmp, static_cast<size_t>(n));
        return true;
    };
    size_t hdr_end;
    while ((hdr_end = buf.find("\r\n\r\n")) == std::string::npos) {
        if (!fill()) return s;
    }
    std::string head = buf.substr(0, hdr_end);
    buf.erase(0, hdr_end + 4);
    int status = std::atoi(head.c_str() + 9);
    std::string lower = head;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    bool chunked = lower.find("transfer-encoding: chunked") != std::string::npos;
    Clock::time_point last = Clock::now();
    bool first = true;
    auto mark = [&]() {
        auto now = Clock::now();
        if (first) {
            s.ttfb_us = std::chrono::duration<double, std::micro>(now - start).count();
            first = false;
        } else {
            s.max_gap_us = std::max(s.max_gap_us,
                                    std::chrono::duration<double, std::micro>(now - last).count());
        }
        last = now;
    };
    if (!chunked) {
        size_t cl_pos = lower.find("content-length:");
        size_t len = cl_pos == std::string::npos
                         ? 0
                         : std::strtoul(lower.c_str() + cl_pos + 15, nullptr, 10);
        while (buf.size() < len) {
            if (!fill()) return s;
        }
        mark();
        buf.erase(0, len);
    } else {
        for (;;) {
            size_t line_end;
            while ((line_end = buf.find("\r\n")) == std::string::npos) {
                if (!fill()) return s;
            }
            size_t size = std::strtoul(buf.c_str(), nullptr, 16);
            while (buf.size() < line_end + 2 + size + 2) {
                if (!fill()) return s;
            }
            buf.erase(0, line_end + 2 + size + 2);
            if (size == 0) break;
            mark();
        }
    }
    s.total_us = us_since(start);
    s.ok = status == 200;
    return s;
}

std::string build_request(const Args& a, const std::string& body) {
    std::ostringstream r;
    r << "POST " << a.path << " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
      << "Content-Length: " << body.size() << "\r\n";
    for (const auto& h : a.headers)
        r << h << "\r\n";
    r << "\r\n" << body;
    return r.str();
}

double pct(std::vector<double>& v, double p) {
    if (v.empty()) return 0;
    size_t i = static_cast<size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
}

void print_stats(const char* kind, std::vector<Sample>& samples, long errors, double wall_s) {
    std::vector<double> total, ttfb, gap;
    for (const auto& s : samples) {
        total.push_back(s.total_us);
        ttfb.push_back(s.ttfb_us);
        gap.push_back(s.max_gap_us);
    }
    std::sort(total.begin(), total.end());
    std::sort(ttfb.begin(), ttfb.end());
    std::sort(gap.begin(), gap.end());
    std::printf(
        "{\"kind\":\"%s\",\"count\":%zu,\"errors\":%ld,\"seconds\":%.3f,\"rps\":%.1f,"
        "\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f,"
        "\"ttfb_p50_us\":%.1f,\"ttfb_p99_us\":%.1f,\"gap_p99_us\":%.1f}\n",
        kind, samples.size(), errors, wall_s, static_cast<double>(samples.size()) / wall_s,
        pct(total, 50), pct(total, 90), pct(total, 99), total.empty() ? 0 : total.back(),
        pct(ttfb, 50), pct(ttfb, 99), pct(gap, 99));
}

int run_http(const Args& a) {
    std::string request = build_request(a, a.body);
    std::mutex mu;
    std::vector<Sample> samples;
    std::atomic<long> errors{0}, issued{0};
    auto start = Clock::now();
    auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double>(a.seconds > 0 ? a.seconds : 3600));
    std::vector<std::thread> threads;
    for (int t = 0; t < a.conc; ++t) {
        threads.emplace_back([&] {
            std::vector<Sample> mine;
            int fd = -1;
            std::string buf;
            for (;;) {
                if (a.requests > 0 && issued.fetch_add(1) >= a.requests) break;
                if (a.requests == 0 && Clock::now() >= deadline) break;
                if (fd < 0) {
                    fd = connect_tcp(a.port);
                    buf.clear();
                    if (fd < 0) {
                        ++errors;
                        continue;
                    }
                }
                auto t0 = Clock::now();
                if (!send_all(fd, request)) {
                    ++errors;
                    ::close(fd);
                    fd = -1;
                    continue;
                }
                Sample s = read_response(fd, buf, t0);
                if (!s.ok) {
                    ++errors;
                    ::close(fd);
                    fd = -1;
                    continue;
                }
                mine.push_back(s);
            }
            if (fd >= 0) ::close(fd);
            std::lock_guard lock(mu);
            samples.insert(samples.end(), mine.begin(), mine.end());
        });
    }
    for (auto& t : threads)
        t.join();
    print_stats(a.stream ? "stream" : "http", samples, errors, us_since(start) / 1e6);
    return 0;
}

// All connections at once, each one stream, held open together.
int run_streams(const Args& a) {
    std::string request = build_request(a, a.body);
    std::mutex mu;
    std::vector<Sample> samples;
    std::atomic<long> errors{0};
    std::atomic<int> connected{0};
    auto start = Clock::now();
    std::vector<std::thread> threads;
    threads.reserve(static_cast<size_t>(a.conc));
    for (int t = 0; t < a.conc; ++t) {
        threads.emplace_back([&] {
            int fd = connect_tcp(a.port);
            if (fd < 0) {
                ++errors;
                return;
            }
            ++connected;
            std::string buf;
            auto t0 = Clock::now();
            Sample s = send_all(fd, request) ? read_response(fd, buf, t0) : Sample{};
            ::close(fd);
            std::lock_guard lock(mu);
            if (s.ok)
                samples.push_back(s);
            else
                ++errors;
        });
    }
    for (auto& t : threads)
        t.join();
    print_stats("streams", samples, errors, us_since(start) / 1e6);
    return 0;
}

// Starts a program and measures the time until GET /health answers 200 on `port`.
int run_spawn_wait(const Args& a, char** argv_rest) {
    auto t0 = Clock::now();
    pid_t pid = ::fork();
    if (pid == 0) {
        ::setsid();
        // Detach from our stdout: a caller reading it (a shell's $(...)) must not wait for the
        // daemon to exit. The daemon logs to its own file.
        int null_fd = ::open("/dev/null", O_RDWR);
        ::dup2(null_fd, 0);
        ::dup2(null_fd, 1);
        ::dup2(null_fd, 2);
        ::execv(argv_rest[0], argv_rest);
        ::_exit(127);
    }
    std::string request = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    for (int i = 0; i < 20000; ++i) {
        int fd = connect_tcp(a.port);
        if (fd >= 0) {
            std::string buf;
            bool ok = send_all(fd, request) && read_response(fd, buf, Clock::now()).ok;
            ::close(fd);
            if (ok) {
                std::printf("{\"kind\":\"start\",\"pid\":%d,\"start_us\":%.1f}\n", pid,
                            us_since(t0));
                return 0;
            }
        }
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    std::printf("{\"kind\":\"start\",\"pid\":%d,\"start_us\":-1}\n", pid);
    return 1;
}

int run_rpc(const Args& a) {
    std::vector<Sample> samples;
    long errors = 0;
    auto start = Clock::now();
    for (long i = 0; i < a.requests; ++i) {
        auto t0 = Clock::now();
        int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, a.socket_path.c_str(), sizeof addr.sun_path - 1);
        std::string reply;
        bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                  send_all(fd,
                           "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"rpc.hello\"}\n"
                           "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"status\"}\n");
        int lines = 0;
        char tmp[65536];
        while (ok && lines < 2) {
            ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
            if (n <= 0) break;
            lines += static_cast<int>(std::count(tmp, tmp + n, '\n'));
        }
        ::close(fd);
        Sample s;
        s.total_us = us_since(t0);
        s.ok = lines >= 2;
        if (s.ok)
            samples.push_back(s);
        else
            ++errors;
    }
    print_stats("rpc", samples, errors, us_since(start) / 1e6);
    return 0;
}

// Copies bytes from `from` to `to` until either side ends, then ends both.
void pump_bytes(int from, int to) {
    char buf[65536];
    for (;;) {
        ssize_t n = ::recv(from, buf, sizeof buf, 0);
        if (n <= 0) break;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = ::send(to, buf + off, static_cast<size_t>(n - off), MSG_NOSIGNAL);
            if (w <= 0) {
                n = -1;
                break;
            }
            off += w;
        }
        if (n < 0) break;
    }
    ::shutdown(from, SHUT_RDWR);
    ::shutdown(to, SHUT_RDWR);
}

int run_relay(const Args& a) {
    int ls = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(ls, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(ls, 4096)) {
        std::perror("relay: listen");
        return 1;
    }
    socklen_t len = sizeof addr;
    ::getsockname(ls, reinterpret_cast<sockaddr*>(&addr), &len);
    std::printf("PORT %d\n", ntohs(addr.sin_port));
    std::fflush(stdout);
    for (;;) {
        int c = ::accept(ls, nullptr, nullptr);
        if (c < 0) continue;
        int u = connect_tcp(a.to_port);
        if (u < 0) {
            ::close(c);
            continue;
        }
        int one = 1;
        ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        std::thread([c, u] {
            std::thread back([c, u] { pump_bytes(u, c); });
            pump_bytes(c, u);
            back.join();
            ::close(c);
            ::close(u);
        }).detach();
    }
}

}  // namespace

int main(int argc, char** argv) {
    Args a;
    if (argc < 2) {
        std::fprintf(stderr, "usage: loadgen http|streams|rpc [options]\n");
        return 2;
    }
    a.mode = argv[1];
    char** rest = nullptr;
    for (int i = 2; i < argc; ++i) {
        std::string k = argv[i];
        if (k == "--") {
            rest = argv + i + 1;
            break;
        }
        auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
        if (k == "--port")
            a.port = std::atoi(next().c_str());
        else if (k == "--path")
            a.path = next();
        else if (k == "--body") {
            std::ifstream in(next());
            std::stringstream ss;
            ss << in.rdbuf();
            a.body = ss.str();
        } else if (k == "--header")
            a.headers.push_back(next());
        else if (k == "--conc")
            a.conc = std::atoi(next().c_str());
        else if (k == "--requests")
            a.requests = std::atol(next().c_str());
        else if (k == "--seconds")
            a.seconds = std::atof(next().c_str());
        else if (k == "--stream")
            a.stream = true;
        else if (k == "--socket")
            a.socket_path = next();
        else if (k == "--to")
            a.to_port = std::atoi(next().c_str());
    }
    if (a.mode == "http") return run_http(a);
    if (a.mode == "streams") return run_streams(a);
    if (a.mode == "rpc") return run_rpc(a);
    if (a.mode == "relay") return run_relay(a);
    if (a.mode == "spawn-wait" && rest) return run_spawn_wait(a, rest);
    std::fprintf(stderr, "loadgen: unknown mode %s\n", a.mode.c_str());
    return 2;
}
