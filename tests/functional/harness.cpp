#include "functional/harness.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "common/fs.hpp"
#include "common/json.hpp"
#include "common/paths.hpp"

namespace litellm::test {

const char* const kSmallConfig = R"(model_list:
  - model_name: claude-test
    litellm_params:
      model: anthropic/claude-test-1
      api_key: os.environ/FT_ANTHROPIC_KEY
  - model_name: backup/model
    litellm_params:
      model: openai/backup-model
      api_base: http://127.0.0.1:9/v1
      api_key: os.environ/FT_BACKUP_KEY
  - model_name: other
    litellm_params:
      model: anthropic/other-1
      api_key: literal-key-for-tests
router_settings:
  num_retries: 1
  fallbacks:
    - claude-test: [backup/model]
general_settings:
  master_key: os.environ/FT_MASTER_KEY
)";

TempHome::TempHome() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "litellmd-ft-XXXXXX").string();
    char* made = ::mkdtemp(tmpl.data());
    if (!made) throw std::runtime_error("mkdtemp failed");
    m_path = made;
}

TempHome::~TempHome() {
    sweep();
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
}

void TempHome::write(const std::string& name, const std::string& content) const {
    std::filesystem::path p = std::filesystem::path(m_path) / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << content;
    m_written.push_back(p.lexically_normal().string());
    (void)secrets();  // remembers them, so a secret removed later is still looked for
}

namespace {

bool secret_name(const std::string& name) {
    for (const char* word : {"KEY", "TOKEN", "SECRET", "PASSWORD"})
        if (name.find(word) != std::string::npos) return true;
    return false;
}

std::string unquote(std::string v) {
    while (!v.empty() && (v.back() == '\r' || v.back() == ' '))
        v.pop_back();
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front())
        v = v.substr(1, v.size() - 2);
    return v;
}

}  // namespace

std::vector<std::string> TempHome::secrets() const {
    std::vector<std::string> found;
    auto add = [&](std::string v) {
        v = unquote(std::move(v));
        if (v.size() < 8 || v.rfind("os.environ/", 0) == 0 || v.find("://") != std::string::npos)
            return;
        found.push_back(v);
    };
    // .env: NAME=value for names that hold keys, tokens, secrets and passwords.
    std::istringstream env(read_file(file(".env")).value_or(""));
    for (std::string line; std::getline(env, line);) {
        auto eq = line.find('=');
        if (eq == std::string::npos || line[0] == '#') continue;
        std::string name = line.substr(0, eq);
        if (name.rfind("export ", 0) == 0) name = name.substr(7);
        if (secret_name(name)) add(line.substr(eq + 1));
    }
    // config.yaml: api_key and master_key written inline.
    std::string config = read_file(file("config.yaml")).value_or("");
    for (const char* key : {"api_key:", "master_key:"}) {
        for (std::size_t at = config.find(key); at != std::string::npos;
             at = config.find(key, at + 1)) {
            std::size_t v = config.find_first_not_of(' ', at + std::strlen(key));
            if (v == std::string::npos) break;
            std::size_t end = config.find_first_of(",}\n #", v);
            add(config.substr(v, end == std::string::npos ? std::string::npos : end - v));
        }
    }
    // Token files: every token a store holds.
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(m_path, ec)) {
        std::string name = e.path().filename().string();
        if (name.rfind("auth.", 0) != 0 || name.find(".json") == std::string::npos) continue;
        rapidjson::Document d;
        if (!json_parse(read_file(e.path().string()).value_or(""), d) || !d.IsObject()) continue;
        for (const char* field : {"access_token", "refresh_token", "id_token", "api_key"})
            if (d.HasMember(field) && d[field].IsString()) add(d[field].GetString());
    }
    for (const auto& s : found)
        if (std::find(m_seen.begin(), m_seen.end(), s) == m_seen.end()) m_seen.push_back(s);
    return found;
}

void TempHome::expect_no_secret(const std::string& text, const std::string& what) const {
    (void)secrets();
    for (const auto& s : m_seen) {
        if (text.find(s) != std::string::npos) {
            ADD_FAILURE() << "a secret (" << s.substr(0, 4) << "..., " << s.size()
                          << " bytes) appears in " << what;
        }
    }
}

void TempHome::sweep() const {
    (void)secrets();
    if (m_seen.empty()) return;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(m_path, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        if (!it->is_regular_file(ec)) continue;
        std::string path = it->path().lexically_normal().string();
        std::string rel = path.substr(m_path.size() + 1);
        if (std::find(m_written.begin(), m_written.end(), path) != m_written.end()) continue;
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0) continue;
        bool output = rel.rfind("logs/", 0) == 0 || rel.find(".log") != std::string::npos ||
                      rel == "daemon.stdout" || rel == "daemon.stderr";
        bool others_read = (st.st_mode & 0044) != 0;
        if (!output && !others_read) continue;
        expect_no_secret(read_file(path).value_or(""),
                         rel + (output ? "" : " (a file others can read)"));
    }
}

namespace {

// A sanitizer report in a program a test ran fails that test, even when the program's exit
// status is not checked (a race seen at shutdown, a leak at exit).
void expect_no_sanitizer_report(const std::string& text, const std::string& what) {
    for (const char* mark : {"WARNING: ThreadSanitizer", "ERROR: AddressSanitizer",
                             "ERROR: LeakSanitizer", "runtime error:"}) {
        auto at = text.find(mark);
        if (at != std::string::npos) {
            ADD_FAILURE() << what << " reported: " << text.substr(at, 4000);
            return;
        }
    }
}

}  // namespace

DaemonProcess::~DaemonProcess() {
    if (m_started && !m_proc.wait(0)) {
        m_proc.kill(SIGTERM);
        if (!m_proc.wait(5000)) {
            m_proc.kill(SIGKILL);
            m_proc.wait(-1);
        }
    }
    if (m_started) expect_no_sanitizer_report(stderr_text(), "litellmd");
}

std::string DaemonProcess::socket_path() const {
    return control_socket_path(m_home.path());
}

std::string DaemonProcess::stderr_text() const {
    return read_file(m_home.file("daemon.stderr")).value_or("");
}

bool DaemonProcess::start(const std::vector<std::string>& extra_args, std::string* error) {
    SpawnOptions opts;
    opts.argv = {m_binary, "--home", m_home.path(), "--port", "0"};
    for (const auto& a : extra_args)
        opts.argv.push_back(a);
    opts.stdout_path = m_home.file("daemon.stdout");
    opts.stderr_path = m_home.file("daemon.stderr");
    opts.env_unset = {"LITELLM_SOCKET", "NOTIFY_SOCKET", "LITELLM_HOME"};
    opts.die_with_parent = true;  // a crashed test leaves no daemon running
    if (!m_proc.spawn(opts, error)) return false;
    m_started = true;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
        if (auto rc = m_proc.wait(0)) {
            if (error)
                *error = "litellmd exited with " + std::to_string(*rc) + ": " + stderr_text();
            return false;
        }
        rpc::Client c;
        if (c.connect(socket_path(), 500)) {
            auto reply = c.call("rpc.hello", "", 2000);
            if (reply && !reply->is_error) return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (error) *error = "litellmd did not answer within 15 s: " + stderr_text();
    return false;
}

std::optional<int> DaemonProcess::signal_and_wait(int sig, int timeout_ms) {
    m_proc.kill(sig);
    return m_proc.wait(timeout_ms);
}

rpc::Client DaemonProcess::connect() const {
    rpc::Client c;
    c.connect(socket_path(), 2000);
    return c;
}

std::optional<rpc::Message> DaemonProcess::call(const std::string& method,
                                                const std::string& params) {
    rpc::Client c = connect();
    return c.call(method, params, 10000);
}

int DaemonProcess::http_port() {
    auto reply = call("status");
    if (!reply || reply->is_error) return 0;
    return static_cast<int>(json_get_int(reply->payload()["listen"], "port"));
}

RunResult run_ctl(const TempHome& home, const std::vector<std::string>& args, int timeout_ms) {
    SpawnOptions opts;
    opts.argv = {LITELLMCTL_BIN, "--home", home.path()};
    for (const auto& a : args)
        opts.argv.push_back(a);
    opts.env_unset = {"LITELLM_SOCKET", "LITELLM_HOME"};
    RunResult r = run_capture(opts, timeout_ms);
    expect_no_sanitizer_report(r.err, "litellmctl");
    home.expect_no_secret(r.out, "the stdout of litellmctl " + (args.empty() ? "" : args[0]));
    home.expect_no_secret(r.err, "the stderr of litellmctl " + (args.empty() ? "" : args[0]));
    return r;
}

bool send_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n <= 0) return false;
        bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
}

SpawnOptions litellmd_spawn_options(const TempHome& home) {
    SpawnOptions o;
    o.argv = {LITELLMD_BIN, "--home", home.path(), "--port", "0", "--quiet"};
    o.env_unset = {"LITELLM_SOCKET", "LITELLM_HOME", "NOTIFY_SOCKET", "LITELLMD_LISTEN_FD"};
    o.stdout_path = "/dev/null";
    o.stderr_path = "/dev/null";
    o.die_with_parent = true;
    return o;
}

RunResult run_daemon_binary(const std::vector<std::string>& args, int timeout_ms) {
    SpawnOptions opts;
    opts.argv = {LITELLMD_BIN};
    for (const auto& a : args)
        opts.argv.push_back(a);
    opts.env_unset = {"LITELLM_SOCKET", "NOTIFY_SOCKET"};
    return run_capture(opts, timeout_ms);
}

rapidjson::Document parse_json(const std::string& text) {
    rapidjson::Document doc;
    std::string err;
    EXPECT_TRUE(json_parse(text, doc, &err)) << err << "\n" << text;
    return doc;
}

int connect_tcp(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

std::string read_until(int fd, const std::function<bool(const std::string&)>& done, bool* closed,
                       int timeout_ms) {
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    if (closed) *closed = false;
    while (!done(out) && std::chrono::steady_clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
        char buf[65536];
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
            if (closed) *closed = true;
            break;
        }
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

long rss_kib(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
    }
    return -1;
}

std::string gzip(const std::string& in) {
    z_stream z{};
    deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
    std::string out(deflateBound(&z, in.size()), '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

// Writes a fresh self-signed P-256 certificate valid for IP 127.0.0.1 only.
bool make_test_certificate(const std::string& cert_path, const std::string& key_path) {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* x = X509_new();
    if (!key || !x) return false;
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 4242);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("litellmd test upstream"), -1,
                               -1, 0);
    X509_set_issuer_name(x, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
    for (auto [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1"},
                              std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
        X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
        if (!ext) return false;
        X509_add_ext(x, ext, -1);
        X509_EXTENSION_free(ext);
    }
    bool ok = X509_sign(x, key, EVP_sha256()) > 0;
    FILE* c = std::fopen(cert_path.c_str(), "w");
    FILE* k = std::fopen(key_path.c_str(), "w");
    ok = ok && c && k && PEM_write_X509(c, x) &&
         PEM_write_PrivateKey(k, key, nullptr, nullptr, 0, nullptr, nullptr);
    if (c) std::fclose(c);
    if (k) std::fclose(k);
    X509_free(x);
    EVP_PKEY_free(key);
    return ok;
}

}  // namespace litellm::test
