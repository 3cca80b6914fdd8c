#include "daemon/http/message.hpp"

#include <cstring>

#include <fmt/format.h>

namespace litellm::http {

namespace {

char lower_ascii(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// RFC 9110 token characters (method and header names).
bool is_tchar(unsigned char c) {
    if (c >= '0' && c <= '9') return true;
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
    return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != 0;
}

std::string_view trim_ows(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

// Next line of `data` from `pos` (without CR LF or LF); npos when no full line is there yet.
std::size_t next_line(std::string_view data, std::size_t pos, std::string_view& line) {
    const void* nl = std::memchr(data.data() + pos, '\n', data.size() - pos);
    if (!nl) return std::string_view::npos;
    std::size_t end = static_cast<const char*>(nl) - data.data();
    std::size_t line_end = end > pos && data[end - 1] == '\r' ? end - 1 : end;
    line = data.substr(pos, line_end - pos);
    return end + 1;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Whether a comma-separated header value lists `token` (any case).
bool has_token(std::string_view value, std::string_view token) {
    while (!value.empty()) {
        std::size_t comma = value.find(',');
        std::string_view item = trim_ows(value.substr(0, comma));
        if (iequals(item, token)) return true;
        if (comma == std::string_view::npos) break;
        value.remove_prefix(comma + 1);
    }
    return false;
}

// The end of a message head starting at `from`: the offset just past its blank line (CRLF CRLF,
// or bare LFs), or npos while the blank line has not arrived.
std::size_t head_end(std::string_view data, std::size_t from) {
    std::size_t scan = from;
    while (scan < data.size()) {
        const void* nl = std::memchr(data.data() + scan, '\n', data.size() - scan);
        if (!nl) break;
        std::size_t i = static_cast<const char*>(nl) - data.data();
        if (i + 1 < data.size() && data[i + 1] == '\n') return i + 2;
        if (i + 2 < data.size() && data[i + 1] == '\r' && data[i + 2] == '\n') return i + 3;
        if (i + 2 >= data.size()) break;  // the blank line may still be arriving
        scan = i + 1;
    }
    return std::string_view::npos;
}

void append_headers(const Headers& headers, std::string& out) {
    for (const auto& [k, v] : headers) {
        out.append(k);
        out.append(": ");
        out.append(v);
        out.append("\r\n");
    }
}

}  // namespace

void Buffer::reserve_tail(std::size_t want) {
    if (cap - end >= want) return;
    if (start > 0) {
        std::memmove(data.get(), data.get() + start, end - start);
        end -= start;
        start = 0;
        if (cap - end >= want) return;
    }
    std::size_t ncap = std::max({cap * 2, end + want, std::size_t{16 * 1024}});
    std::unique_ptr<char[]> grown(new char[ncap]);
    if (end) std::memcpy(grown.get(), data.get(), end);
    data = std::move(grown);
    cap = ncap;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (lower_ascii(a[i]) != lower_ascii(b[i])) return false;
    }
    return true;
}

const std::string* Request::find_header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
        if (iequals(k, name)) return &v;
    }
    return nullptr;
}

std::string Request::get_header_value(std::string_view name) const {
    const std::string* v = find_header(name);
    return v ? *v : std::string();
}

namespace {

// Calls fn(name, raw value) for each query parameter until it returns true.
template <typename Fn>
bool for_each_param(std::string_view query, Fn&& fn) {
    while (!query.empty()) {
        std::size_t amp = query.find('&');
        std::string_view item = query.substr(0, amp);
        std::size_t eq = item.find('=');
        std::string_view name = item.substr(0, eq);
        std::string_view value =
            eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1);
        if (fn(name, value)) return true;
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    return false;
}

}  // namespace

bool Request::has_param(std::string_view name) const {
    return for_each_param(query, [&](std::string_view n, std::string_view) {
        return percent_decode(n, true) == name;
    });
}

std::string Request::get_param_value(std::string_view name) const {
    std::string out;
    for_each_param(query, [&](std::string_view n, std::string_view v) {
        if (percent_decode(n, true) != name) return false;
        out = percent_decode(v, true);
        return true;
    });
    return out;
}

void Response::set_header(std::string_view name, std::string value) {
    erase_header(name);
    headers.emplace_back(std::string(name), std::move(value));
}

void Response::erase_header(std::string_view name) {
    for (auto it = headers.begin(); it != headers.end();) {
        it = iequals(it->first, name) ? headers.erase(it) : it + 1;
    }
}

const std::string* Response::find_header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
        if (iequals(k, name)) return &v;
    }
    return nullptr;
}

void Response::set_content(std::string content, std::string_view content_type) {
    body = std::move(content);
    set_header("Content-Type", std::string(content_type));
}

bool Response::begin_stream(std::string_view content_type) {
    if (m_streaming) return !m_broken;
    set_header("Content-Type", std::string(content_type));
    m_streaming = true;
    if (!m_sink || !m_sink->send_stream_head(*this)) m_broken = true;
    return !m_broken;
}

bool Response::write(std::string_view bytes) {
    if (!m_streaming || m_broken) return false;
    if (bytes.empty()) return true;
    if (!m_sink->send_chunk(bytes)) m_broken = true;
    return !m_broken;
}

ParseStatus parse_request_head(std::string_view data, Request& req, std::size_t& head_len,
                               std::string& error) {
    // Find the blank line that ends the head before parsing anything.
    std::size_t pos = 0;
    // Robustness (RFC 9112 2.2): empty lines before the request line are ignored.
    while (pos < data.size() && (data[pos] == '\r' || data[pos] == '\n'))
        ++pos;
    std::size_t end = head_end(data, pos);
    if (end == std::string_view::npos) {
        return data.size() > kMaxHeadBytes ? ParseStatus::kTooLarge : ParseStatus::kIncomplete;
    }
    if (end > kMaxHeadBytes) return ParseStatus::kTooLarge;
    std::string_view head = data.substr(0, end);

    std::string_view line;
    pos = next_line(head, pos, line);
    // Request line: method SP target SP HTTP/1.x
    std::size_t sp1 = line.find(' ');
    std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
        error = "malformed request line";
        return ParseStatus::kBad;
    }
    std::string_view method = line.substr(0, sp1);
    std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    std::string_view version = line.substr(sp2 + 1);
    if (method.empty()) {
        error = "empty method";
        return ParseStatus::kBad;
    }
    for (unsigned char c : method) {
        if (!is_tchar(c)) {
            error = "malformed method";
            return ParseStatus::kBad;
        }
    }
    if (target.empty() || (target.front() != '/' && target != "*" &&
                           target.substr(0, 7) != "http://" && target.substr(0, 8) != "https://")) {
        error = "malformed request target";
        return ParseStatus::kBad;
    }
    if (version.size() != 8 || version.substr(0, 7) != "HTTP/1." || version[7] < '0' ||
        version[7] > '9') {
        error = "unsupported HTTP version (litellmd speaks HTTP/1.0 and HTTP/1.1)";
        return ParseStatus::kBad;
    }
    req.method.assign(method);
    req.target.assign(target);
    req.minor_version = version[7] - '0';
    // An absolute-form target (a client configured with the proxy as an HTTP proxy) keeps
    // only its path.
    std::string_view path_part = target;
    if (path_part.front() != '/' && path_part != "*") {
        std::size_t slash = path_part.find('/', path_part.find("//") + 2);
        path_part =
            slash == std::string_view::npos ? std::string_view("/") : path_part.substr(slash);
    }
    std::size_t q = path_part.find('?');
    req.path = percent_decode(path_part.substr(0, q));
    req.query.assign(q == std::string_view::npos ? std::string_view() : path_part.substr(q + 1));

    req.headers.clear();
    bool connection_close = false, connection_keep_alive = false;
    while (pos < head.size()) {
        pos = next_line(head, pos, line);
        if (line.empty()) break;
        if (line.front() == ' ' || line.front() == '\t') {
            error = "obsolete header line folding is not accepted";
            return ParseStatus::kBad;
        }
        std::size_t colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) {
            error = "malformed header line";
            return ParseStatus::kBad;
        }
        std::string_view name = line.substr(0, colon);
        for (unsigned char c : name) {
            if (!is_tchar(c)) {
                error = "malformed header name";
                return ParseStatus::kBad;
            }
        }
        if (req.headers.size() >= kMaxHeaders) return ParseStatus::kTooLarge;
        std::string_view value = trim_ows(line.substr(colon + 1));
        for (unsigned char c : value) {
            // Control bytes (a bare CR, NUL, ...) have no business in a header and could end
            // a line early once forwarded upstream.
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                error = "control character in header value";
                return ParseStatus::kBad;
            }
        }
        if (iequals(name, "connection")) {
            connection_close = connection_close || has_token(value, "close");
            connection_keep_alive = connection_keep_alive || has_token(value, "keep-alive");
        }
        req.headers.emplace_back(std::string(name), std::string(value));
    }
    req.keep_alive = req.minor_version >= 1 ? !connection_close : connection_keep_alive;
    head_len = end;
    return ParseStatus::kOk;
}

bool body_framing(const Request& req, BodyFraming& framing, std::string& error) {
    framing = BodyFraming{};
    bool have_length = false, have_host = false;
    for (const auto& [k, v] : req.headers) {
        if (iequals(k, "content-length")) {
            if (v.empty() || v.size() > 18 ||
                v.find_first_not_of("0123456789") != std::string::npos) {
                error = "malformed Content-Length";
                return false;
            }
            std::uint64_t n = std::stoull(v);
            if (have_length && n != framing.content_length) {
                error = "conflicting Content-Length headers";
                return false;
            }
            framing.content_length = n;
            have_length = true;
        } else if (iequals(k, "transfer-encoding")) {
            // Only "chunked" (last) is understood; anything else cannot be framed safely.
            std::string_view value = trim_ows(v);
            std::size_t comma = value.rfind(',');
            std::string_view last =
                trim_ows(comma == std::string_view::npos ? value : value.substr(comma + 1));
            if (!iequals(last, "chunked") ||
                (comma != std::string_view::npos &&
                 !iequals(trim_ows(value.substr(0, comma)), "identity"))) {
                error = "unsupported Transfer-Encoding '" + v + "'";
                return false;
            }
            framing.chunked = true;
        } else if (iequals(k, "expect")) {
            framing.expect_continue = iequals(trim_ows(v), "100-continue");
        } else if (iequals(k, "host")) {
            // RFC 9112 3.2: two Hosts are refused, or the checks on Host read one and a
            // proxy behind us another.
            if (have_host) {
                error = "more than one Host header";
                return false;
            }
            have_host = true;
        }
    }
    if (framing.chunked && have_length) {
        error = "both Content-Length and Transfer-Encoding are set";
        return false;
    }
    return true;
}

ParseStatus parse_response_head(std::string_view data, int& status, int& minor_version,
                                Headers& headers, std::size_t& head_len, std::string& error) {
    std::size_t end = head_end(data, 0);
    if (end == std::string_view::npos) {
        return data.size() > kMaxHeadBytes ? ParseStatus::kTooLarge : ParseStatus::kIncomplete;
    }
    if (end > kMaxHeadBytes) return ParseStatus::kTooLarge;
    std::string_view head = data.substr(0, end);
    std::string_view line;
    std::size_t pos = next_line(head, 0, line);
    // HTTP/1.x SP 3DIGIT [SP reason]
    if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || line[8] != ' ' || line[9] < '1' ||
        line[9] > '5' || line[10] < '0' || line[10] > '9' || line[11] < '0' || line[11] > '9' ||
        (line.size() > 12 && line[12] != ' ')) {
        error = "malformed status line";
        return ParseStatus::kBad;
    }
    minor_version = line[7] - '0';
    status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    headers.clear();
    while (pos < head.size()) {
        pos = next_line(head, pos, line);
        if (line.empty()) break;
        std::size_t colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0 || line.front() == ' ' ||
            line.front() == '\t') {
            error = "malformed header line";
            return ParseStatus::kBad;
        }
        std::string name(line.substr(0, colon));
        for (char& c : name)
            c = lower_ascii(c);
        headers.emplace_back(std::move(name), std::string(trim_ows(line.substr(colon + 1))));
    }
    head_len = end;
    return ParseStatus::kOk;
}

bool ChunkedDecoder::step(char c) {
    switch (m_state) {
        case State::kSize:
            if (c != '\n') {
                if (m_line.size() > 1024) return false;
                m_line.push_back(c);
                return true;
            } else {
                std::string_view text = m_line;
                if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
                text = trim_ows(text.substr(0, text.find(';')));
                if (text.empty() || text.size() > 15) return false;
                std::uint64_t size = 0;
                for (char h : text) {
                    int v = hex_value(h);
                    if (v < 0) return false;
                    size = size * 16 + static_cast<unsigned>(v);
                }
                m_line.clear();
                m_remaining = size;
                m_state = size == 0 ? State::kTrailer : State::kData;
                return true;
            }
        case State::kDataEnd:
            if (c == '\r') return true;
            if (c != '\n') return false;
            m_state = State::kSize;
            return true;
        case State::kTrailer:
            if (++m_trailer_bytes > kMaxTrailerBytes) return false;
            if (c != '\n') {
                m_line.push_back(c);
                return true;
            }
            if (m_line.empty() || m_line == "\r") {
                m_state = State::kDone;
            }
            m_line.clear();
            return true;
        default:
            return false;
    }
}

std::string_view reason_phrase(int status) {
    switch (status) {
        case 100:
            return "Continue";
        case 200:
            return "OK";
        case 201:
            return "Created";
        case 204:
            return "No Content";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 408:
            return "Request Timeout";
        case 409:
            return "Conflict";
        case 411:
            return "Length Required";
        case 413:
            return "Payload Too Large";
        case 422:
            return "Unprocessable Entity";
        case 429:
            return "Too Many Requests";
        case 431:
            return "Request Header Fields Too Large";
        case 500:
            return "Internal Server Error";
        case 501:
            return "Not Implemented";
        case 502:
            return "Bad Gateway";
        case 503:
            return "Service Unavailable";
        case 504:
            return "Gateway Timeout";
        case 529:
            return "Overloaded";
        default:
            return status < 300 ? "OK" : status < 500 ? "Client Error" : "Server Error";
    }
}

void serialize_head(const Response& res, std::size_t body_size, bool keep_alive, std::string& out) {
    out.append(fmt::format("HTTP/1.1 {} {}\r\n", res.status, reason_phrase(res.status)));
    append_headers(res.headers, out);
    // 1xx, 204 and 304 never carry a body, nor a length for one.
    if (res.status >= 200 && res.status != 204 && res.status != 304) {
        out.append(fmt::format("Content-Length: {}\r\n", body_size));
    }
    if (!keep_alive) out.append("Connection: close\r\n");
    out.append("\r\n");
}

void serialize_stream_head(const Response& res, bool keep_alive, std::string& out, bool chunked) {
    out.append(fmt::format("HTTP/1.1 {} {}\r\n", res.status, reason_phrase(res.status)));
    append_headers(res.headers, out);
    if (chunked) out.append("Transfer-Encoding: chunked\r\n");
    if (!keep_alive) out.append("Connection: close\r\n");
    out.append("\r\n");
}

std::string percent_decode(std::string_view s, bool plus_is_space) {
    if (s.find('%') == std::string_view::npos && (!plus_is_space || s.find('+') == s.npos)) {
        return std::string(s);
    }
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '%' && i + 2 < s.size()) {
            int h = hex_value(s[i + 1]), l = hex_value(s[i + 2]);
            if (h >= 0 && l >= 0) {
                out.push_back(static_cast<char>(h * 16 + l));
                i += 2;
                continue;
            }
        }
        out.push_back(plus_is_space && c == '+' ? ' ' : c);
    }
    return out;
}

}  // namespace litellm::http
