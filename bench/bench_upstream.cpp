// bench_upstream: a fast, dumb upstream for scripts/bench. Serves canned Anthropic and OpenAI
// answers, whole or streamed, with a configurable delay and chunk count, and nothing else: it
// must cost as little as possible so the numbers measure litellmd.
//
//   bench_upstream [--port N] [--delay-ms D] [--chunks K] [--chunk-gap-ms G]
//
// Prints "PORT <n>" when ready. "bench:chunks=N" and "bench:gap=MS" in a request's body
// override the defaults, so one upstream serves every scenario.

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include <httplib.h>

namespace {

struct Settings {
    int delay_ms = 0;
    int chunks = 8;
    int gap_ms = 0;
};

// "bench:chunks=20" style settings inside the request body: they survive litellmd's
// translation (headers do not reach the upstream), so one upstream serves every scenario.
int body_int(const std::string& body, const char* key, int fallback) {
    size_t pos = body.find(key);
    return pos == std::string::npos ? fallback : std::atoi(body.c_str() + pos + std::strlen(key));
}

const char* kAnthropicWhole =
    R"({"id":"msg_bench","type":"message","role":"assistant","model":"bench","content":)"
    R"([{"type":"text","text":"Hello from the bench upstream."}],"stop_reason":"end_turn",)"
    R"("stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":7}})";
const char* kOpenAIWhole =
    R"({"id":"chatcmpl-bench","object":"chat.completion","created":1,"model":"bench",)"
    R"("choices":[{"index":0,"message":{"role":"assistant","content":"Hello from the bench )"
    R"(upstream."},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,)"
    R"("completion_tokens":7,"total_tokens":19}})";

std::string anthropic_stream_event(int i, int n) {
    if (i == 0) {
        return "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":"
               "\"msg_bench\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"bench\","
               "\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":"
               "{\"input_tokens\":12,\"output_tokens\":1}}}\n\nevent: content_block_start\n"
               "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":"
               "\"text\",\"text\":\"\"}}\n\n";
    }
    if (i == n + 1) {
        return "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}"
               "\n\nevent: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":"
               "{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":"
               "{\"output_tokens\":" +
               std::to_string(n) +
               "}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    }
    return "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
           "\"delta\":{\"type\":\"text_delta\",\"text\":\"tok" +
           std::to_string(i) + " \"}}\n\n";
}

std::string openai_stream_event(int i, int n) {
    std::string head =
        "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\","
        "\"created\":1,\"model\":\"bench\",\"choices\":";
    if (i == 0) {
        return head +
               "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
               "\"finish_reason\":null}]}\n\n";
    }
    if (i == n + 1) {
        return head + "[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n" + head +
               "[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":" + std::to_string(n) +
               ",\"total_tokens\":" + std::to_string(n + 12) + "}}\n\ndata: [DONE]\n\n";
    }
    return head + "[{\"index\":0,\"delta\":{\"content\":\"tok" + std::to_string(i) +
           " \"},\"finish_reason\":null}]}\n\n";
}

// Exposes the listening socket so the backlog can be raised (cpp-httplib 0.11.4 uses 5).
class BenchServer : public httplib::Server {
  public:
    int fd() const { return static_cast<int>(svr_sock_.load()); }
};

}  // namespace

int main(int argc, char** argv) {
    Settings s;
    int port = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i];
        int v = std::atoi(argv[i + 1]);
        if (k == "--port")
            port = v;
        else if (k == "--delay-ms")
            s.delay_ms = v;
        else if (k == "--chunks")
            s.chunks = v;
        else if (k == "--chunk-gap-ms")
            s.gap_ms = v;
    }
    std::signal(SIGPIPE, SIG_IGN);
    BenchServer server;
    server.set_tcp_nodelay(true);
    server.set_keep_alive_max_count(1000000);
    server.set_keep_alive_timeout(30);
    server.set_payload_max_length(64 << 20);
    // One thread per held connection: enough for the 2,000-stream scenario.
    server.new_task_queue = [] { return new httplib::ThreadPool(2600); };
    server.set_socket_options([](socket_t sock) {
        int yes = 1;
        setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    auto handler = [s](bool anthropic) {
        return [s, anthropic](const httplib::Request& req, httplib::Response& res) {
            if (s.delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(s.delay_ms));
            // A deployment pointed at model "rate-limited" measures one fallback hop.
            if (req.body.find("\"model\":\"rate-limited\"") != std::string::npos) {
                res.status = 429;
                res.set_content(
                    anthropic
                        ? R"({"type":"error","error":{"type":"rate_limit_error","message":"bench 429"}})"
                        : R"({"error":{"message":"bench 429","type":"rate_limit_error","code":"rate_limit_exceeded"}})",
                    "application/json");
                return;
            }
            bool stream = req.body.find("\"stream\":true") != std::string::npos;
            if (!stream) {
                res.set_content(anthropic ? kAnthropicWhole : kOpenAIWhole, "application/json");
                return;
            }
            int n = body_int(req.body, "bench:chunks=", s.chunks);
            int gap = body_int(req.body, "bench:gap=", s.gap_ms);
            res.set_chunked_content_provider(
                "text/event-stream", [anthropic, n, gap](size_t, httplib::DataSink& sink) {
                    for (int i = 0; i <= n + 1; ++i) {
                        if (i > 0 && gap > 0) {
                            std::this_thread::sleep_for(std::chrono::milliseconds(gap));
                        }
                        std::string ev =
                            anthropic ? anthropic_stream_event(i, n) : openai_stream_event(i, n);
                        if (!sink.write(ev.data(), ev.size())) return false;
                    }
                    sink.done();
                    return true;
                });
        };
    };
    server.Post("/v1/messages", handler(true));
    server.Post("/v1/chat/completions", handler(false));
    server.Post("/chat/completions", handler(false));
    int bound = port > 0 ? (server.bind_to_port("127.0.0.1", port) ? port : -1)
                         : server.bind_to_any_port("127.0.0.1");
    if (bound <= 0) {
        std::fprintf(stderr, "bench_upstream: cannot bind\n");
        return 1;
    }
    ::listen(server.fd(), 4096);
    std::printf("PORT %d\n", bound);
    std::fflush(stdout);
    server.listen_after_bind();
    return 0;
}
