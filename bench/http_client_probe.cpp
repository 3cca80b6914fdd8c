// http_client_probe: what one upstream round trip costs with litellmd's own HTTP client
// (proxy::UpstreamPool) and with libcurl (an easy handle reused, so its connection is kept
// alive), against the same upstream, in alternating rounds. Issue 12 asks for libcurl
// unless it costs the passthrough path more than 10 us at p50; this is that measurement.
//
//   http_client_probe --port N [--requests R] [--rounds K]
//
// Prints one JSON line per client and round, and a summary line of medians.

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "daemon/proxy/upstream.hpp"

namespace {

using Clock = std::chrono::steady_clock;

const char* kBody =
    R"({"model":"bench","max_tokens":64,"messages":[{"role":"user","content":"Say hi."}]})";

double percentile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

size_t collect(char* data, size_t size, size_t n, void* out) {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
}

// One round of `n` requests through libcurl; microseconds per request.
std::vector<double> curl_round(CURL* h, std::string& answer, int n) {
    std::vector<double> us;
    for (int i = 0; i < n; ++i) {
        answer.clear();
        auto t0 = Clock::now();
        CURLcode rc = curl_easy_perform(h);
        auto t1 = Clock::now();
        if (rc != CURLE_OK || answer.empty()) {
            std::fprintf(stderr, "curl: %s\n", curl_easy_strerror(rc));
            std::exit(1);
        }
        us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    }
    return us;
}

// One round of `n` requests through litellmd's client.
std::vector<double> own_round(litellm::proxy::UpstreamPool& pool,
                              const litellm::proxy::UpstreamRequest& req, int n) {
    std::vector<double> us;
    std::string answer;
    for (int i = 0; i < n; ++i) {
        answer.clear();
        auto t0 = Clock::now();
        auto r = pool.send_collect(req, answer);
        auto t1 = Clock::now();
        if (r.transport != litellm::proxy::TransportStatus::kOk || r.status != 200) {
            std::fprintf(stderr, "own client: %s (status %d)\n", r.transport_error.c_str(),
                         r.status);
            std::exit(1);
        }
        us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    }
    return us;
}

}  // namespace

int main(int argc, char** argv) {
    int port = 0, requests = 2000, rounds = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i];
        if (a == "--port") port = std::atoi(argv[i + 1]);
        if (a == "--requests") requests = std::atoi(argv[i + 1]);
        if (a == "--rounds") rounds = std::atoi(argv[i + 1]);
    }
    if (port <= 0) {
        std::fprintf(stderr, "usage: http_client_probe --port N [--requests R] [--rounds K]\n");
        return 2;
    }
    std::string url = "http://127.0.0.1:" + std::to_string(port) + "/v1/messages";

    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL* h = curl_easy_init();
    std::string curl_answer;
    curl_slist* headers = nullptr;
    headers = curl_slist_append(headers, "content-type: application/json");
    headers = curl_slist_append(headers, "x-api-key: k");
    headers = curl_slist_append(headers, "anthropic-version: 2023-06-01");
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, kBody);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &curl_answer);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    // The same as the own client does: no Expect: 100-continue round trip for a small body.
    headers = curl_slist_append(headers, "Expect:");

    litellm::proxy::UpstreamPool pool;
    litellm::proxy::UpstreamRequest req;
    req.url = url;
    req.headers = {{"x-api-key", "k"}, {"anthropic-version", "2023-06-01"}};
    req.body = kBody;

    curl_round(h, curl_answer, 200);  // warm both: connections open, caches filled
    own_round(pool, req, 200);
    std::vector<double> curl_p50, own_p50;
    for (int r = 0; r < rounds; ++r) {
        auto c = curl_round(h, curl_answer, requests);
        auto o = own_round(pool, req, requests);
        curl_p50.push_back(percentile(c, 0.5));
        own_p50.push_back(percentile(o, 0.5));
        std::printf(
            "{\"round\":%d,\"client\":\"libcurl %s\",\"p50_us\":%.1f,\"p99_us\":%.1f}\n"
            "{\"round\":%d,\"client\":\"own\",\"p50_us\":%.1f,\"p99_us\":%.1f}\n",
            r + 1, curl_version_info(CURLVERSION_NOW)->version, percentile(c, 0.5),
            percentile(c, 0.99), r + 1, percentile(o, 0.5), percentile(o, 0.99));
    }
    std::printf("{\"summary\":true,\"libcurl_p50_median_us\":%.1f,\"own_p50_median_us\":%.1f}\n",
                percentile(curl_p50, 0.5), percentile(own_p50, 0.5));
    curl_slist_free_all(headers);
    curl_easy_cleanup(h);
    curl_global_cleanup();
    return 0;
}
