// The soak (scripts/soak): a real litellmd under bounded mixed load for some minutes (whole and
// streamed answers, passthrough and translated, cancelled streams, failing upstreams that fall
// back, config reloads, OAuth token refreshes), its RSS, open FDs and threads sampled every
// interval. After warm-up, none may grow beyond a small bound; any unexpected answer or a dead
// daemon fails the run too. Prints one line per sample and a Markdown summary.

#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "common/fs.hpp"
#include "common/json.hpp"
#include "common/paths.hpp"
#include "common/process.hpp"
#include "common/rpc_client.hpp"
#include "fakes/fake_qwen.hpp"
#include "fakes/fake_upstream.hpp"

namespace {

using namespace litellm;
using namespace litellm::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct Options {
    double minutes = 10;
    int clients = 8;
    int interval_s = 10;
    std::string litellmd = "litellmd";
};

struct Sample {
    double t_s = 0;
    long rss_kib = 0;
    long fds = 0;
    long threads = 0;
    long requests = 0;
};

long status_field(int pid, const char* field) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    std::size_t n = std::strlen(field);
    while (std::getline(in, line))
        if (line.compare(0, n, field) == 0) return std::atol(line.c_str() + n);
    return -1;
}

long open_fds(int pid) {
    DIR* d = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
    if (!d) return -1;
    long n = 0;
    while (dirent* e = ::readdir(d))
        if (e->d_name[0] != '.') ++n;
    ::closedir(d);
    return n;
}

bool contains(const std::string& s, const char* what) {
    return s.find(what) != std::string::npos;
}

const char* const kAnthropicBody =
    R"({"model":"%s","max_tokens":64,%s"messages":[{"role":"user","content":"soak %s"}]})";
const char* const kOpenAiBody =
    R"({"model":"%s",%s"messages":[{"role":"user","content":"soak %s"}]})";

std::string body(const char* format, const char* model, bool stream, const char* tag) {
    char buf[512];
    std::snprintf(buf, sizeof buf, format, model, stream ? "\"stream\":true," : "", tag);
    return buf;
}

class Soak {
  public:
    explicit Soak(Options o) : m_opt(std::move(o)) {}

    int run() {
        if (!setup()) return 2;
        const auto start = Clock::now();
        const auto end =
            start + std::chrono::milliseconds(static_cast<long>(m_opt.minutes * 60000));
        std::vector<std::thread> load;
        for (int i = 0; i < m_opt.clients; ++i)
            load.emplace_back([this, i, end] { client_loop(static_cast<unsigned>(i) + 1, end); });
        std::thread reloader([this, end] { reload_loop(end); });
        std::printf("soak: litellmd pid %d on port %d, %d clients, %.1f min, a sample every %d s\n",
                    m_pid, m_port, m_opt.clients, m_opt.minutes, m_opt.interval_s);
        while (Clock::now() < end) {
            auto next = Clock::now() + std::chrono::seconds(m_opt.interval_s);
            while (Clock::now() < next && Clock::now() < end && alive())
                std::this_thread::sleep_for(100ms);
            if (!alive()) break;
            take_sample(start);
        }
        m_stop = true;
        for (auto& t : load)
            t.join();
        reloader.join();
        bool up = alive();
        if (up) {
            std::this_thread::sleep_for(2s);  // idle: what is held with no load
            take_sample(start);
        }
        int rc = verdict(up);
        shutdown();
        return rc;
    }

  private:
    bool setup() {
        char tmpl[] = "/tmp/litellm-soak-XXXXXX";
        if (!::mkdtemp(tmpl)) return false;
        m_home = tmpl;
        for (auto* f : {&m_anthropic, &m_openai, &m_failing})
            f->set_keep_history(false);
        m_qwen.set_keep_history(false);
        m_anthropic.set_responder([](const RecordedRequest& r) {
            bool stream = contains(r.body, "\"stream\":true");
            if (!stream) return anthropic_fake::text("soak answer from anthropic", 40, 12);
            FakeReply reply = anthropic_fake::stream_text(
                {"soak ", "streamed ", "answer ", "from ", "anthropic"});
            // Streams marked slow last long enough for a client to hang up in the middle.
            if (contains(r.body, "soak slow")) reply.delay_between_chunks_ms = 40;
            return reply;
        });
        m_openai.set_responder([](const RecordedRequest& r) {
            if (contains(r.body, "\"stream\":true"))
                return openai_fake::stream_text({"soak ", "answer ", "from ", "openai"});
            return openai_fake::text("soak answer from openai", 40, 12);
        });
        m_failing.set_default_reply(anthropic_fake::error(500, "api_error", "soak failure"));
        // Tokens that expire 310 s after issue: with the 300 s lead, a refresh every ~10 s.
        m_qwen.set_current(1);
        m_qwen.set_expires_in(310);
        std::string config =
            "model_list:\n"
            "  - model_name: claude-a\n"
            "    litellm_params: {model: anthropic/soak, api_base: " +
            m_anthropic.base_url() +
            ", api_key: soak-key-anthropic}\n"
            "  - model_name: gpt-b\n"
            "    litellm_params: {model: openai/soak, api_base: " +
            m_openai.base_url() +
            "/v1, api_key: soak-key-openai}\n"
            "  - model_name: flaky\n"
            "    litellm_params: {model: anthropic/soak, api_base: " +
            m_failing.base_url() +
            ", api_key: soak-key-failing}\n"
            "  - model_name: coder\n"
            "    litellm_params: {model: qwen_portal/qwen3-coder-plus}\n"
            "router_settings:\n"
            "  num_retries: 0\n"
            "  cooldown_time: 1\n"
            "  fallbacks: [{flaky: [claude-a]}]\n"
            "general_settings:\n"
            "  log_file: always\n"
            "  log_max_size_mb: 1\n";
        auto now = static_cast<long long>(std::time(nullptr));
        if (!write_file_atomic(m_home + "/config.yaml", config, 0600) ||
            !write_file_atomic(m_home + "/.env", m_qwen.dotenv(), 0600) ||
            !write_file_atomic(m_home + "/auth.qwen_portal.json", m_qwen.token_file(1, now + 310),
                               0600)) {
            std::fprintf(stderr, "soak: cannot write the home %s\n", m_home.c_str());
            return false;
        }
        SpawnOptions o;
        o.argv = {m_opt.litellmd, "--home", m_home, "--port", "0", "--quiet"};
        o.env_unset = {"LITELLM_SOCKET", "LITELLM_HOME", "NOTIFY_SOCKET", "LITELLMD_LISTEN_FD"};
        o.stdout_path = m_home + "/daemon.stdout";
        o.stderr_path = m_home + "/daemon.stderr";
        o.die_with_parent = true;
        std::string error;
        if (!m_daemon.spawn(o, &error)) {
            std::fprintf(stderr, "soak: cannot start %s: %s\n", m_opt.litellmd.c_str(),
                         error.c_str());
            return false;
        }
        m_pid = m_daemon.pid();
        m_socket = control_socket_path(m_home);
        for (auto until = Clock::now() + 15s; Clock::now() < until && m_port == 0;) {
            rpc::Client c;
            if (c.connect(m_socket, 200)) {
                if (auto r = c.call("status", "", 2000); r && !r->is_error)
                    m_port = static_cast<int>(json_get_int(r->payload()["listen"], "port"));
            }
            if (m_port == 0) std::this_thread::sleep_for(20ms);
        }
        if (m_port == 0) {
            std::fprintf(stderr, "soak: litellmd did not come up: %s\n",
                         read_file(m_home + "/daemon.stderr").value_or("").c_str());
            return false;
        }
        return true;
    }

    bool alive() { return !m_daemon.wait(0).has_value(); }

    // One client: a random mix until the end; every answer is checked.
    void client_loop(unsigned seed, Clock::time_point end) {
        std::mt19937 rng(seed);
        httplib::Client c("127.0.0.1", m_port);
        c.set_read_timeout(30, 0);
        c.set_keep_alive(true);
        while (!m_stop && Clock::now() < end) {
            int op = static_cast<int>(rng() % 9);
            bool ok = true;
            std::string what;
            switch (op) {
                case 0:
                    what = "anthropic passthrough";
                    ok = post(c, "/v1/messages", body(kAnthropicBody, "claude-a", false, "x"),
                              "from anthropic");
                    break;
                case 1:
                    what = "anthropic passthrough stream";
                    ok = post(c, "/v1/messages", body(kAnthropicBody, "claude-a", true, "x"),
                              "message_stop");
                    break;
                case 2:
                    what = "anthropic to openai";
                    ok = post(c, "/v1/messages", body(kAnthropicBody, "gpt-b", false, "x"),
                              "from openai");
                    break;
                case 3:
                    what = "anthropic to openai stream";
                    ok = post(c, "/v1/messages", body(kAnthropicBody, "gpt-b", true, "x"),
                              "message_stop");
                    break;
                case 4:
                    what = "openai to anthropic stream";
                    ok = post(c, "/v1/chat/completions", body(kOpenAiBody, "claude-a", true, "x"),
                              "[DONE]");
                    break;
                case 5:
                    what = "cancelled stream";
                    ok = cancelled_stream(rng);
                    break;
                case 6:
                    what = "failing upstream, fallback";
                    ok = post(c, "/v1/messages", body(kAnthropicBody, "flaky", false, "x"),
                              "from anthropic");
                    break;
                case 7:
                    what = "qwen oauth";
                    ok = post(c, "/v1/chat/completions", body(kOpenAiBody, "coder", false, "x"),
                              "from qwen");
                    break;
                default:
                    what = "responses to openai";
                    ok = post(c, "/v1/responses",
                              R"({"model":"gpt-b","input":"soak","max_output_tokens":32})",
                              "from openai");
                    break;
            }
            ++m_requests;
            if (!ok) {
                ++m_errors;
                std::lock_guard lock(m_mutex);
                if (m_error_kinds.size() < 20) m_error_kinds.push_back(what + ": " + m_last_error);
            }
        }
    }

    bool post(httplib::Client& c, const char* path, const std::string& b, const char* expect) {
        auto r = c.Post(path, b, "application/json");
        if (r && r->status == 200 && contains(r->body, expect)) return true;
        std::lock_guard lock(m_mutex);
        m_last_error = r ? "HTTP " + std::to_string(r->status) + " " + r->body.substr(0, 200)
                         : "transport: " + httplib::to_string(r.error());
        return false;
    }

    // A slow stream the client leaves after its first bytes (or before any).
    bool cancelled_stream(std::mt19937& rng) {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<uint16_t>(m_port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            ::close(fd);
            std::lock_guard lock(m_mutex);
            m_last_error = "connect failed";
            return false;
        }
        std::string b = body(kAnthropicBody, "claude-a", true, "slow");
        std::string req =
            "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
            "application/json\r\nContent-Length: " +
            std::to_string(b.size()) + "\r\n\r\n" + b;
        (void)!::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
        if (rng() % 4 != 0) {
            char buf[512];
            timeval tv{5, 0};
            ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
            (void)!::recv(fd, buf, sizeof buf, 0);
        }
        ::close(fd);
        return true;
    }

    void reload_loop(Clock::time_point end) {
        while (!m_stop && Clock::now() < end) {
            for (int i = 0; i < 70 && !m_stop; ++i)
                std::this_thread::sleep_for(100ms);
            if (m_stop) break;
            rpc::Client c;
            auto r = c.connect(m_socket, 2000) ? c.call("reload", "", 10000) : std::nullopt;
            ++m_reloads;
            if (!r || r->is_error) {
                ++m_errors;
                std::lock_guard lock(m_mutex);
                m_error_kinds.push_back("reload failed");
            }
        }
    }

    void take_sample(Clock::time_point start) {
        Sample s;
        s.t_s = std::chrono::duration<double>(Clock::now() - start).count();
        s.rss_kib = status_field(m_pid, "VmRSS:");
        s.threads = status_field(m_pid, "Threads:");
        s.fds = open_fds(m_pid);
        s.requests = m_requests.load();
        m_samples.push_back(s);
        std::printf(
            "soak: t=%5.0fs  rss=%7.1f MB  fds=%4ld  threads=%4ld  requests=%8ld  "
            "errors=%ld  reloads=%d  refreshes=%d\n",
            s.t_s, static_cast<double>(s.rss_kib) / 1024.0, s.fds, s.threads, s.requests,
            m_errors.load(), m_reloads.load(), m_qwen.refreshes());
        std::fflush(stdout);
    }

    int verdict(bool up) {
        int failures = 0;
        if (!up) {
            std::printf("soak: FAILED: litellmd died: %s\n",
                        read_file(m_home + "/daemon.stderr").value_or("").c_str());
            return 1;
        }
        // Warm-up: the first quarter of the run, at least 30 s; the pool, caches and malloc
        // arenas reach their working size there.
        double total = m_opt.minutes * 60;
        double warm = std::max(30.0, total / 4);
        std::vector<Sample> warmup, loaded;
        for (std::size_t i = 0; i + 1 < m_samples.size(); ++i)
            (m_samples[i].t_s <= warm + 1 ? warmup : loaded).push_back(m_samples[i]);
        const Sample& idle = m_samples.back();
        if (warmup.empty() || loaded.empty()) {
            std::printf("soak: FAILED: too short to judge (run at least %.0f s)\n", warm * 2);
            return 1;
        }
        auto max_of = [](const std::vector<Sample>& v, long Sample::*f) {
            long m = 0;
            for (const auto& s : v)
                m = std::max(m, s.*f);
            return m;
        };
        std::printf(
            "\n| metric | end of warm-up | highest after | idle at the end | bound | ok |\n"
            "|---|---:|---:|---:|---|---|\n");
        auto check = [&](const char* name, long Sample::*f, long slack, const char* unit,
                         double scale) {
            long base = warmup.back().*f;
            long ceiling = std::max(max_of(warmup, f), base) + slack;
            long peak = max_of(loaded, f);
            bool ok = peak <= ceiling && idle.*f <= ceiling;
            if (!ok) ++failures;
            std::printf("| %s | %.1f%s | %.1f%s | %.1f%s | <= %.1f%s | %s |\n", name,
                        static_cast<double>(base) / scale, unit, static_cast<double>(peak) / scale,
                        unit, static_cast<double>(idle.*f) / scale, unit,
                        static_cast<double>(ceiling) / scale, unit, ok ? "yes" : "**NO**");
        };
        long rss_slack = std::max(4L * 1024, max_of(warmup, &Sample::rss_kib) / 10);
        check("RSS", &Sample::rss_kib, rss_slack, " MB", 1024.0);
        check("open FDs", &Sample::fds, 16, "", 1.0);
        check("threads", &Sample::threads, 16, "", 1.0);
        long requests = m_requests.load();
        std::printf(
            "\nsoak: %ld requests (%.0f/s), %ld unexpected answers, %d reloads, %d token "
            "refreshes\n",
            requests, static_cast<double>(requests) / idle.t_s, m_errors.load(), m_reloads.load(),
            m_qwen.refreshes());
        for (const auto& e : m_error_kinds)
            std::printf("soak:   %s\n", e.c_str());
        if (m_errors.load() != 0) ++failures;
        if (m_reloads.load() == 0 || m_qwen.refreshes() == 0) {
            std::printf("soak: FAILED: no reload or no token refresh happened\n");
            ++failures;
        }
        std::printf("soak: %s\n", failures == 0 ? "PASSED" : "FAILED");
        return failures == 0 ? 0 : 1;
    }

    void shutdown() {
        m_daemon.kill(SIGTERM);
        if (!m_daemon.wait(10000)) {
            m_daemon.kill(SIGKILL);
            m_daemon.wait(-1);
        }
        std::error_code ec;
        if (!std::getenv("SOAK_KEEP_HOME")) std::filesystem::remove_all(m_home, ec);
    }

    Options m_opt;
    std::string m_home, m_socket;
    FakeUpstream m_anthropic, m_openai, m_failing;
    FakeQwen m_qwen;
    Subprocess m_daemon;
    int m_pid = 0;
    int m_port = 0;
    std::atomic<bool> m_stop{false};
    std::atomic<long> m_requests{0}, m_errors{0};
    std::atomic<int> m_reloads{0};
    std::mutex m_mutex;
    std::string m_last_error;
    std::vector<std::string> m_error_kinds;
    std::vector<Sample> m_samples;
};

}  // namespace

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "soak: %s needs a value\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--minutes") {
            o.minutes = std::atof(value().c_str());
        } else if (a == "--clients") {
            o.clients = std::max(1, std::atoi(value().c_str()));
        } else if (a == "--interval") {
            o.interval_s = std::max(1, std::atoi(value().c_str()));
        } else if (a == "--litellmd") {
            o.litellmd = value();
        } else if (a == "-h" || a == "--help") {
            std::printf(
                "usage: soak [--minutes M] [--clients N] [--interval S] --litellmd PATH\n"
                "Drives bounded mixed load through litellmd and fails when its RSS, open FDs or\n"
                "threads grow after warm-up (the first quarter, at least 30 s).\n");
            return 0;
        } else {
            std::fprintf(stderr, "soak: unknown argument %s (try --help)\n", a.c_str());
            return 2;
        }
    }
    ::signal(SIGPIPE, SIG_IGN);
    return Soak(o).run();
}
