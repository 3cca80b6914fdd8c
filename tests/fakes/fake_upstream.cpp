#include "fakes/fake_upstream.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <dirent.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <stdexcept>

#include <httplib.h>
#include <rapidjson/document.h>

namespace litellm::test {

int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

namespace {

// cpp-httplib 0.11.4 hard-codes a listen backlog of 5; a burst of concurrent test clients would
// see dropped SYNs and 1 s retransmit stalls. Linux lets us listen() again to raise it.
constexpr int kListenBacklog = 1024;
// One worker per open connection: streams and idle keep-alive connections each hold one.
constexpr size_t kWorkerThreads = 32;

// Exposes the listening socket that cpp-httplib keeps protected.
class ListenServer : public httplib::Server {
  public:
    int listen_fd() const { return static_cast<int>(svr_sock_.load()); }
};

// httplib injects these pseudo-headers into requests; they were never on the wire.
bool is_injected_header(const std::string& name) {
    return name == "REMOTE_ADDR" || name == "REMOTE_PORT" || name == "LOCAL_ADDR" ||
           name == "LOCAL_PORT";
}

// The TCP port of a socket address, or -1.
int port_of(const sockaddr_storage& addr) {
    if (addr.ss_family == AF_INET)
        return ntohs(reinterpret_cast<const sockaddr_in&>(addr).sin_port);
    if (addr.ss_family == AF_INET6)
        return ntohs(reinterpret_cast<const sockaddr_in6&>(addr).sin6_port);
    return -1;
}

// Shuts down this process's accepted connections on `port`. cpp-httplib 0.11.4 lets an idle
// keep-alive connection hold its worker until keep_alive_timeout (5 s) even after stop(), so a
// client that keeps a pooled connection open would make every FakeUpstream teardown take 5 s.
// Its API exposes no accepted sockets, so find them: connected sockets whose local port is ours
// (client sockets in this process that talk to us have an ephemeral local port instead). The
// scan races with workers closing their own sockets (TSan reports it); a reused fd number would
// have to be another connection on our port, which is one we want shut down anyway.
void shutdown_accepted_connections(int port) {
    DIR* dir = ::opendir("/proc/self/fd");
    if (!dir) return;
    while (dirent* entry = ::readdir(dir)) {
        char* end = nullptr;
        long fd = std::strtol(entry->d_name, &end, 10);
        if (!end || *end || fd == ::dirfd(dir)) continue;
        struct stat st {};
        if (::fstat(static_cast<int>(fd), &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
        sockaddr_storage local{}, peer{};
        socklen_t local_len = sizeof local, peer_len = sizeof peer;
        if (::getsockname(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&local), &local_len) !=
                0 ||
            port_of(local) != port) {
            continue;
        }
        // Only connected sockets: the listening socket has no peer.
        if (::getpeername(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&peer), &peer_len) !=
            0) {
            continue;
        }
        ::shutdown(static_cast<int>(fd), SHUT_RDWR);
    }
    ::closedir(dir);
}

RecordedRequest to_recorded(const httplib::Request& req) {
    RecordedRequest rec;
    rec.method = req.method;
    rec.path = req.path;
    if (auto q = req.target.find('?'); q != std::string::npos) rec.query = req.target.substr(q + 1);
    rec.body = req.body;
    for (const auto& [name, value] : req.headers) {
        if (!is_injected_header(name)) rec.headers.emplace(name, value);
    }
    return rec;
}

// The reply for a request nobody scripted: an error both Anthropic and OpenAI parsers can read.
FakeReply unscripted_reply(const RecordedRequest& req) {
    FakeReply r;
    r.status = 500;
    r.body = R"({"type":"error","error":{"type":"api_error","message":)" +
             json_quote("FakeUpstream: no reply was scripted for " + req.method + " " + req.path) +
             "}}";
    return r;
}

// Shared by the chunked content provider's calls for one response.
struct StreamState {
    FakeReply reply;
    size_t next = 0;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// RecordedRequest

std::string RecordedRequest::header(const std::string& name) const {
    for (const auto& [k, v] : headers) {
        if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
    }
    return {};
}

bool RecordedRequest::has_header(const std::string& name) const {
    return std::any_of(headers.begin(), headers.end(), [&](const auto& kv) {
        return strcasecmp(kv.first.c_str(), name.c_str()) == 0;
    });
}

// ---------------------------------------------------------------------------------------------
// FakeUpstream

FakeUpstream::FakeUpstream() : FakeUpstream(0) {}

FakeUpstream::FakeUpstream(int port, const std::string& host)
    : m_server(new ListenServer), m_host(host) {
    m_default.status = -1;  // marks "not set": unscripted_reply() names the request
    auto& s = static_cast<ListenServer&>(*m_server);
    s.set_tcp_nodelay(true);  // else Nagle + delayed ACK add ~40 ms per request
    s.set_keep_alive_max_count(100000);
    s.set_read_timeout(30);
    s.set_write_timeout(30);
    s.new_task_queue = [] { return new httplib::ThreadPool(kWorkerThreads); };
    // httplib's default sets SO_REUSEPORT, under which a second server binds a busy port and
    // silently shares its traffic; a fixed --port must fail instead.
    s.set_socket_options([](int sock) {
        int yes = 1;
        ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    s.set_exception_handler([](const httplib::Request&, httplib::Response& res,
                               std::exception_ptr) {
        res.status = 500;
        res.set_content(
            R"({"type":"error","error":{"type":"api_error","message":"FakeUpstream: exception in handler"}})",
            "application/json");
    });

    auto handler = [this](const httplib::Request& req, httplib::Response& res) {
        FakeReply reply = take_reply(to_recorded(req));
        if (reply.delay_before_ms > 0 && !pause(reply.delay_before_ms)) {
            res.status = 503;
            return;
        }
        res.status = reply.status;
        for (const auto& [k, v] : reply.headers)
            res.set_header(k, v);
        if (reply.chunks.empty()) {
            res.set_content(reply.body, reply.content_type);
            return;
        }
        auto state = std::make_shared<StreamState>();
        state->reply = std::move(reply);
        const std::string content_type = state->reply.content_type;
        res.set_chunked_content_provider(content_type, [this, state](size_t,
                                                                     httplib::DataSink& sink) {
            const FakeReply& r = state->reply;
            // Returning false makes httplib drop the connection without the final chunk.
            if (r.cut_after_chunks >= 0 && state->next >= static_cast<size_t>(r.cut_after_chunks)) {
                return false;
            }
            if (state->next >= r.chunks.size()) {
                sink.done();
                return true;
            }
            if (state->next > 0 && r.delay_between_chunks_ms > 0 &&
                !pause(r.delay_between_chunks_ms)) {
                return false;
            }
            const std::string& chunk = r.chunks[state->next++];
            // An empty chunk would read as the end of the body: skip it.
            if (!chunk.empty() && !sink.write(chunk.data(), chunk.size())) return false;
            return true;
        });
    };
    const char* any = ".*";
    s.Get(any, handler);  // also serves HEAD
    s.Post(any, handler);
    s.Put(any, handler);
    s.Patch(any, handler);
    s.Delete(any, handler);
    s.Options(any, handler);

    if (port == 0) {
        m_port = s.bind_to_any_port(host);
    } else if (s.bind_to_port(host, port)) {
        m_port = port;
    }
    if (m_port <= 0) {
        throw std::runtime_error("FakeUpstream: cannot listen on " + host + ":" +
                                 std::to_string(port));
    }
    ::listen(s.listen_fd(), kListenBacklog);
    m_thread = std::thread([this] { m_server->listen_after_bind(); });
    // stop() is a no-op until the accept loop runs, so wait for it: the destructor relies on it.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!m_server->is_running() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::microseconds(200));
}

FakeUpstream::~FakeUpstream() {
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_cv.notify_all();
    m_server->stop();  // no new connections after this
    shutdown_accepted_connections(m_port);
    if (m_thread.joinable()) m_thread.join();
}

std::string FakeUpstream::base_url() const {
    return "http://" + m_host + ":" + std::to_string(m_port);
}

void FakeUpstream::push_reply(FakeReply reply) {
    std::lock_guard lock(m_mutex);
    m_queue.push_back(std::move(reply));
}

void FakeUpstream::set_default_reply(FakeReply reply) {
    std::lock_guard lock(m_mutex);
    m_default = std::move(reply);
}

void FakeUpstream::set_responder(std::function<FakeReply(const RecordedRequest&)> fn) {
    std::lock_guard lock(m_mutex);
    m_responder = std::move(fn);
}

std::vector<RecordedRequest> FakeUpstream::requests() const {
    std::lock_guard lock(m_mutex);
    return m_requests;
}

size_t FakeUpstream::request_count() const {
    std::lock_guard lock(m_mutex);
    return m_received;
}

RecordedRequest FakeUpstream::last_request() const {
    std::lock_guard lock(m_mutex);
    return m_requests.empty() ? RecordedRequest{} : m_requests.back();
}

void FakeUpstream::clear() {
    std::lock_guard lock(m_mutex);
    m_requests.clear();
    m_queue.clear();
    m_received = 0;
}

void FakeUpstream::set_keep_history(bool keep) {
    std::lock_guard lock(m_mutex);
    m_keep_history = keep;
}

bool FakeUpstream::wait_for_requests(size_t n, int timeout_ms) const {
    std::unique_lock lock(m_mutex);
    return m_cv.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] {
        return m_received >= n || m_stopping;
    }) && m_received >= n;
}

FakeReply FakeUpstream::take_reply(const RecordedRequest& req) {
    std::function<FakeReply(const RecordedRequest&)> responder;
    FakeReply reply;
    bool have_reply = false;
    {
        std::lock_guard lock(m_mutex);
        ++m_received;
        if (m_keep_history) m_requests.push_back(req);
        if (!m_queue.empty()) {
            reply = std::move(m_queue.front());
            m_queue.pop_front();
            have_reply = true;
        } else if (m_responder) {
            responder = m_responder;
        } else {
            reply = m_default;
            have_reply = m_default.status >= 0;
        }
    }
    m_cv.notify_all();
    if (have_reply) return reply;
    // The responder runs unlocked: it may be slow, and concurrent requests must not serialise.
    if (responder) return responder(req);
    return unscripted_reply(req);
}

bool FakeUpstream::pause(int ms) {
    std::unique_lock lock(m_mutex);
    return !m_cv.wait_for(lock, std::chrono::milliseconds(ms), [&] { return m_stopping; });
}

// ---------------------------------------------------------------------------------------------
// Shared wire helpers

FakeReply resplit(FakeReply reply, size_t every_bytes) {
    if (every_bytes == 0 || reply.chunks.empty()) return reply;
    std::string all = full_body(reply);
    reply.chunks.clear();
    for (size_t off = 0; off < all.size(); off += every_bytes)
        reply.chunks.push_back(all.substr(off, every_bytes));
    return reply;
}

std::string full_body(const FakeReply& reply) {
    if (reply.chunks.empty()) return reply.body;
    std::string all;
    for (const auto& c : reply.chunks)
        all += c;
    return all;
}

std::vector<SseEvent> parse_sse(const std::string& text) {
    std::vector<SseEvent> events;
    SseEvent cur;
    bool has_data = false;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t eol = text.find('\n', pos);
        if (eol == std::string::npos) break;  // an unterminated last line is not an event yet
        std::string line = text.substr(pos, eol - pos);
        pos = eol + 1;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) {
            if (has_data) events.push_back(cur);
            cur = {};
            has_data = false;
            continue;
        }
        if (line[0] == ':') continue;
        size_t colon = line.find(':');
        std::string field = line.substr(0, colon);
        std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
        if (!value.empty() && value[0] == ' ') value.erase(0, 1);
        if (field == "event") {
            cur.event = value;
        } else if (field == "data") {
            if (has_data) cur.data += '\n';
            cur.data += value;
            has_data = true;
        }
    }
    return events;
}

std::string json_quote(const std::string& s) {
    static const char* const kHex = "0123456789abcdef";
    std::string out;
    out.reserve(s.size() + 2);
    out += '"';
    for (unsigned char c : s) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            default:
                if (c < 0x20) {
                    out += "\\u00";
                    out += kHex[c >> 4];
                    out += kHex[c & 0xF];
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    out += '"';
    return out;
}

std::vector<std::string> split_utf8(const std::string& text, size_t size) {
    std::vector<std::string> parts;
    if (size == 0) size = 1;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = std::min(text.size(), pos + size);
        // Never end a piece before a continuation byte: each piece must be valid UTF-8 on its own.
        while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
            ++end;
        parts.push_back(text.substr(pos, end - pos));
        pos = end;
    }
    return parts;
}

namespace {

std::string join(const std::vector<std::string>& parts) {
    std::string all;
    for (const auto& p : parts)
        all += p;
    return all;
}

// Checks that `json` is a JSON object; builders embed it verbatim as a tool input.
const std::string& require_object(const std::string& json) {
    rapidjson::Document doc;
    doc.Parse(json.data(), json.size());
    if (doc.HasParseError() || !doc.IsObject()) {
        throw std::invalid_argument("fake tool input is not a JSON object: " + json);
    }
    return json;
}

FakeReply json_reply(int status, std::string body) {
    FakeReply r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

FakeReply sse_reply(std::vector<std::string> chunks, const ReplyOptions& opts) {
    FakeReply r;
    // Exactly "text/event-stream": httplib would gzip anything else under text/ for clients
    // that accept it, which merges the scripted chunks.
    r.content_type = "text/event-stream";
    r.chunks = std::move(chunks);
    r.headers.emplace_back("cache-control", "no-cache");
    return resplit(std::move(r), opts.split_every_bytes);
}

// --- Anthropic pieces ---

std::string a_model(const ReplyOptions& o) {
    return o.model.empty() ? "claude-fake-1" : o.model;
}

std::string a_id(const ReplyOptions& o) {
    return o.id.empty() ? "msg_fake01" : o.id;
}

std::string a_usage(const ReplyOptions& o, int output_tokens) {
    return R"({"input_tokens":)" + std::to_string(o.input_tokens) +
           R"(,"cache_creation_input_tokens":)" + std::to_string(o.cache_creation) +
           R"(,"cache_read_input_tokens":)" + std::to_string(o.cache_read) +
           R"(,"output_tokens":)" + std::to_string(output_tokens) + "}";
}

std::string a_message(const ReplyOptions& o, const std::string& content, const char* stop_reason,
                      int output_tokens) {
    std::string stop = stop_reason ? json_quote(stop_reason) : "null";
    return R"({"id":)" + json_quote(a_id(o)) + R"(,"type":"message","role":"assistant","model":)" +
           json_quote(a_model(o)) + R"(,"content":)" + content + R"(,"stop_reason":)" + stop +
           R"(,"stop_sequence":null,"usage":)" + a_usage(o, output_tokens) + "}";
}

FakeReply a_whole(const ReplyOptions& o, const std::string& content, const char* stop_reason) {
    FakeReply r = json_reply(200, a_message(o, content, stop_reason, o.output_tokens));
    r.headers.emplace_back("request-id", "req_fake01");
    return r;
}

std::string a_tool_block(const std::string& id, const std::string& name, const std::string& input) {
    return R"({"type":"tool_use","id":)" + json_quote(id) + R"(,"name":)" + json_quote(name) +
           R"(,"input":)" + input + "}";
}

// Builds an Anthropic SSE sequence, one chunk per event, with block indexes 0,1,2... in order.
class AnthropicStream {
  public:
    explicit AnthropicStream(const ReplyOptions& o) : m_opts(o) {}

    void event(const std::string& type, const std::string& data) {
        m_chunks.push_back("event: " + type + "\ndata: " + data + "\n\n");
    }
    void start() {
        event("message_start",
              R"({"type":"message_start","message":)" + a_message(m_opts, "[]", nullptr, 1) + "}");
    }
    void ping() { event("ping", R"({"type": "ping"})"); }
    int block_start(const std::string& block) {
        int index = m_next_index++;
        event("content_block_start", R"({"type":"content_block_start","index":)" +
                                         std::to_string(index) + R"(,"content_block":)" + block +
                                         "}");
        return index;
    }
    void delta(int index, const std::string& delta) {
        event("content_block_delta", R"({"type":"content_block_delta","index":)" +
                                         std::to_string(index) + R"(,"delta":)" + delta + "}");
    }
    void block_stop(int index) {
        event("content_block_stop",
              R"({"type":"content_block_stop","index":)" + std::to_string(index) + "}");
    }
    void text_block(const std::vector<std::string>& fragments) {
        int i = block_start(R"({"type":"text","text":""})");
        for (const auto& f : fragments)
            delta(i, R"({"type":"text_delta","text":)" + json_quote(f) + "}");
        block_stop(i);
    }
    void finish(const char* stop_reason) {
        event("message_delta", R"({"type":"message_delta","delta":{"stop_reason":)" +
                                   json_quote(stop_reason) + R"(,"stop_sequence":null},"usage":)" +
                                   a_usage(m_opts, m_opts.output_tokens) + "}");
        event("message_stop", R"({"type":"message_stop"})");
    }
    FakeReply reply() {
        FakeReply r = sse_reply(std::move(m_chunks), m_opts);
        r.headers.emplace_back("request-id", "req_fake01");
        return r;
    }

  private:
    const ReplyOptions& m_opts;
    std::vector<std::string> m_chunks;
    int m_next_index = 0;
};

// --- OpenAI pieces ---

constexpr const char* kCreated = "1700000000";

std::string o_model(const ReplyOptions& o) {
    return o.model.empty() ? "gpt-fake-1" : o.model;
}

std::string o_id(const ReplyOptions& o) {
    return o.id.empty() ? "chatcmpl-fake01" : o.id;
}

std::string o_usage(const ReplyOptions& o) {
    return R"({"prompt_tokens":)" + std::to_string(o.input_tokens) + R"(,"completion_tokens":)" +
           std::to_string(o.output_tokens) + R"(,"total_tokens":)" +
           std::to_string(o.input_tokens + o.output_tokens) +
           R"(,"prompt_tokens_details":{"cached_tokens":)" + std::to_string(o.cache_read) +
           R"(},"completion_tokens_details":{"reasoning_tokens":)" +
           std::to_string(o.reasoning_tokens) + "}}";
}

std::string o_head(const ReplyOptions& o, const char* object) {
    return R"({"id":)" + json_quote(o_id(o)) + R"(,"object":")" + object + R"(","created":)" +
           kCreated + R"(,"model":)" + json_quote(o_model(o));
}

FakeReply o_whole(const ReplyOptions& o, const std::string& message, const char* finish) {
    FakeReply r =
        json_reply(200, o_head(o, "chat.completion") + R"(,"choices":[{"index":0,"message":)" +
                            message + R"(,"logprobs":null,"finish_reason":")" + finish +
                            R"("}],"usage":)" + o_usage(o) + R"(,"system_fingerprint":"fp_fake"})");
    r.headers.emplace_back("x-request-id", "req_fake01");
    return r;
}

std::string o_tool_call(const ToolCall& c) {
    return R"({"id":)" + json_quote(c.id) + R"(,"type":"function","function":{"name":)" +
           json_quote(c.name) + R"(,"arguments":)" + json_quote(join(c.argument_fragments)) + "}}";
}

// Builds an OpenAI chat.completion.chunk SSE sequence, one chunk per `data:` line.
class OpenAIStream {
  public:
    explicit OpenAIStream(const ReplyOptions& o) : m_opts(o) {}

    void data(const std::string& json) { m_chunks.push_back("data: " + json + "\n\n"); }
    void chunk(const std::string& delta, const char* finish_reason = nullptr) {
        std::string finish = finish_reason ? json_quote(finish_reason) : "null";
        data(o_head(m_opts, "chat.completion.chunk") + R"(,"choices":[{"index":0,"delta":)" +
             delta + R"(,"logprobs":null,"finish_reason":)" + finish + "}]}");
    }
    void content(const std::string& text) { chunk(R"({"content":)" + json_quote(text) + "}"); }
    void finish(const char* finish_reason) {
        chunk("{}", finish_reason);
        if (m_opts.include_usage) {
            data(o_head(m_opts, "chat.completion.chunk") + R"(,"choices":[],"usage":)" +
                 o_usage(m_opts) + "}");
        }
        data("[DONE]");
    }
    FakeReply reply() {
        FakeReply r = sse_reply(std::move(m_chunks), m_opts);
        r.headers.emplace_back("x-request-id", "req_fake01");
        return r;
    }

  private:
    const ReplyOptions& m_opts;
    std::vector<std::string> m_chunks;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Anthropic builders

namespace anthropic_fake {

FakeReply text(const std::string& text, int input_tokens, int output_tokens, int cache_read,
               int cache_creation) {
    ReplyOptions o;
    o.input_tokens = input_tokens;
    o.output_tokens = output_tokens;
    o.cache_read = cache_read;
    o.cache_creation = cache_creation;
    return anthropic_fake::text(text, o);
}

FakeReply text(const std::string& text, const ReplyOptions& opts) {
    return a_whole(opts, R"([{"type":"text","text":)" + json_quote(text) + "}]", "end_turn");
}

FakeReply thinking_then_text(const std::string& thinking, const std::string& signature,
                             const std::string& text, const ReplyOptions& opts) {
    return a_whole(opts,
                   R"([{"type":"thinking","thinking":)" + json_quote(thinking) +
                       R"(,"signature":)" + json_quote(signature) + R"(},{"type":"text","text":)" +
                       json_quote(text) + "}]",
                   "end_turn");
}

FakeReply tool_use(const std::string& id, const std::string& name, const std::string& input_json,
                   const ReplyOptions& opts) {
    return a_whole(opts, "[" + a_tool_block(id, name, require_object(input_json)) + "]",
                   "tool_use");
}

FakeReply tool_calls(const std::vector<ToolCall>& calls, const ReplyOptions& opts) {
    std::string content = "[";
    for (const auto& c : calls) {
        if (content.size() > 1) content += ',';
        std::string input = join(c.argument_fragments);
        content += a_tool_block(c.id, c.name, input.empty() ? "{}" : require_object(input));
    }
    content += "]";
    return a_whole(opts, content, "tool_use");
}

FakeReply stream_text(const std::vector<std::string>& fragments, const ReplyOptions& opts) {
    AnthropicStream s(opts);
    s.start();
    s.ping();
    s.text_block(fragments);
    s.finish("end_turn");
    return s.reply();
}

FakeReply stream_thinking_then_text(const std::vector<std::string>& thinking_fragments,
                                    const std::string& signature,
                                    const std::vector<std::string>& text_fragments,
                                    const ReplyOptions& opts) {
    AnthropicStream s(opts);
    s.start();
    s.ping();
    int t = s.block_start(R"({"type":"thinking","thinking":""})");
    for (const auto& f : thinking_fragments)
        s.delta(t, R"({"type":"thinking_delta","thinking":)" + json_quote(f) + "}");
    // The signature arrives as the last delta, just before the thinking block stops.
    s.delta(t, R"({"type":"signature_delta","signature":)" + json_quote(signature) + "}");
    s.block_stop(t);
    s.text_block(text_fragments);
    s.finish("end_turn");
    return s.reply();
}

FakeReply stream_tool_calls(const std::vector<ToolCall>& calls, const ReplyOptions& opts,
                            const std::vector<std::string>& text_before) {
    AnthropicStream s(opts);
    s.start();
    s.ping();
    if (!text_before.empty()) s.text_block(text_before);
    for (const auto& c : calls) {
        int i = s.block_start(a_tool_block(c.id, c.name, "{}"));
        for (const auto& f : c.argument_fragments)
            s.delta(i, R"({"type":"input_json_delta","partial_json":)" + json_quote(f) + "}");
        s.block_stop(i);
    }
    s.finish("tool_use");
    return s.reply();
}

FakeReply stream_error_after_start(const ReplyOptions& opts) {
    AnthropicStream s(opts);
    s.start();
    s.event("error",
            R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})");
    return s.reply();
}

FakeReply error(int status, const std::string& type, const std::string& message) {
    FakeReply r = json_reply(status, R"({"type":"error","error":{"type":)" + json_quote(type) +
                                         R"(,"message":)" + json_quote(message) +
                                         R"(},"request_id":"req_fake01"})");
    r.headers.emplace_back("request-id", "req_fake01");
    return r;
}

FakeReply context_length_error() {
    return error(400, "invalid_request_error",
                 "prompt is too long: 210000 tokens > 200000 maximum");
}

FakeReply rate_limited(int retry_after_s) {
    FakeReply r = error(429, "rate_limit_error",
                        "This request would exceed your organization's rate limit of 50,000 input "
                        "tokens per minute. Please try again later.");
    r.headers.emplace_back("retry-after", std::to_string(retry_after_s));
    return r;
}

FakeReply overloaded() {
    return error(529, "overloaded_error", "Overloaded");
}

FakeReply count_tokens(int input_tokens) {
    return json_reply(200, R"({"input_tokens":)" + std::to_string(input_tokens) + "}");
}

}  // namespace anthropic_fake

// ---------------------------------------------------------------------------------------------
// OpenAI builders

namespace openai_fake {

FakeReply text(const std::string& text, int input_tokens, int output_tokens, int cache_read,
               int cache_creation) {
    ReplyOptions o;
    o.input_tokens = input_tokens;
    o.output_tokens = output_tokens;
    o.cache_read = cache_read;
    o.cache_creation = cache_creation;
    return openai_fake::text(text, o);
}

FakeReply text(const std::string& text, const ReplyOptions& opts) {
    return o_whole(opts,
                   R"({"role":"assistant","content":)" + json_quote(text) + R"(,"refusal":null})",
                   "stop");
}

FakeReply thinking_then_text(const std::string& reasoning, const std::string& text,
                             const ReplyOptions& opts) {
    return o_whole(opts,
                   R"({"role":"assistant","content":)" + json_quote(text) +
                       R"(,"reasoning_content":)" + json_quote(reasoning) + R"(,"refusal":null})",
                   "stop");
}

FakeReply tool_use(const std::string& id, const std::string& name, const std::string& input_json,
                   const ReplyOptions& opts) {
    return tool_calls({ToolCall{id, name, {require_object(input_json)}}}, opts);
}

FakeReply tool_calls(const std::vector<ToolCall>& calls, const ReplyOptions& opts) {
    std::string list;
    for (const auto& c : calls) {
        if (!list.empty()) list += ',';
        list += o_tool_call(c);
    }
    return o_whole(
        opts,
        R"({"role":"assistant","content":null,"tool_calls":[)" + list + R"(],"refusal":null})",
        "tool_calls");
}

FakeReply stream_text(const std::vector<std::string>& fragments, const ReplyOptions& opts) {
    OpenAIStream s(opts);
    s.chunk(R"({"role":"assistant","content":""})");
    for (const auto& f : fragments)
        s.content(f);
    s.finish("stop");
    return s.reply();
}

FakeReply stream_thinking_then_text(const std::vector<std::string>& thinking_fragments,
                                    const std::vector<std::string>& text_fragments,
                                    const ReplyOptions& opts) {
    OpenAIStream s(opts);
    s.chunk(R"({"role":"assistant","content":""})");
    for (const auto& f : thinking_fragments)
        s.chunk(R"({"reasoning_content":)" + json_quote(f) + "}");
    for (const auto& f : text_fragments)
        s.content(f);
    s.finish("stop");
    return s.reply();
}

FakeReply stream_tool_calls(const std::vector<ToolCall>& calls, const ReplyOptions& opts,
                            const std::vector<std::string>& text_before) {
    OpenAIStream s(opts);
    // OpenAI sends content null in the role chunk when the answer starts with tool calls.
    s.chunk(text_before.empty() ? R"({"role":"assistant","content":null})"
                                : R"({"role":"assistant","content":""})");
    for (const auto& f : text_before)
        s.content(f);
    auto tool_delta = [](size_t index, const std::string& call_json) {
        return R"({"tool_calls":[{"index":)" + std::to_string(index) + "," + call_json + "}]}";
    };
    for (size_t i = 0; i < calls.size(); ++i) {
        s.chunk(tool_delta(i, R"("id":)" + json_quote(calls[i].id) +
                                  R"(,"type":"function","function":{"name":)" +
                                  json_quote(calls[i].name) + R"(,"arguments":""})"));
    }
    // Round-robin over the calls so a proxy must route fragments by index, not by order.
    size_t rounds = 0;
    for (const auto& c : calls)
        rounds = std::max(rounds, c.argument_fragments.size());
    for (size_t r = 0; r < rounds; ++r) {
        for (size_t i = 0; i < calls.size(); ++i) {
            if (r >= calls[i].argument_fragments.size()) continue;
            s.chunk(tool_delta(i, R"("function":{"arguments":)" +
                                      json_quote(calls[i].argument_fragments[r]) + "}"));
        }
    }
    s.finish("tool_calls");
    return s.reply();
}

FakeReply stream_error_after_start(const ReplyOptions& opts) {
    OpenAIStream s(opts);
    s.chunk(R"({"role":"assistant","content":""})");
    s.content("Hel");
    s.data(
        R"({"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}})");
    return s.reply();
}

FakeReply error(int status, const std::string& type, const std::string& message,
                const std::string& code) {
    FakeReply r = json_reply(
        status, R"({"error":{"message":)" + json_quote(message) + R"(,"type":)" + json_quote(type) +
                    R"(,"param":null,"code":)" + (code.empty() ? "null" : json_quote(code)) + "}}");
    r.headers.emplace_back("x-request-id", "req_fake01");
    return r;
}

FakeReply context_length_error() {
    FakeReply r = error(400, "invalid_request_error",
                        "This model's maximum context length is 128000 tokens. However, your "
                        "messages resulted in 210000 tokens. Please reduce the length of the "
                        "messages.",
                        "context_length_exceeded");
    // OpenAI names the offending parameter here.
    const std::string from = R"("param":null)";
    r.body.replace(r.body.find(from), from.size(), R"("param":"messages")");
    return r;
}

FakeReply rate_limited(int retry_after_s) {
    FakeReply r = error(429, "tokens",
                        "Rate limit reached for gpt-fake-1 on tokens per min (TPM): Limit 30000, "
                        "Used 29000, Requested 2000. Please try again in " +
                            std::to_string(retry_after_s) + "s.",
                        "rate_limit_exceeded");
    r.headers.emplace_back("retry-after", std::to_string(retry_after_s));
    return r;
}

}  // namespace openai_fake

}  // namespace litellm::test
