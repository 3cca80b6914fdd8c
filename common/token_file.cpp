#include "common/token_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <thread>

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include "common/fs.hpp"
#include "common/json.hpp"
#include "common/paths.hpp"
#include "common/providers.hpp"

namespace litellm {

namespace {

std::string string_member(const rapidjson::Value& obj, const char* key) {
    if (!obj.IsObject()) return {};
    auto it = obj.FindMember(key);
    if (it == obj.MemberEnd() || !it->value.IsString()) return {};
    return std::string(it->value.GetString(), it->value.GetStringLength());
}

// RFC 3339 ("2026-11-30T10:00:00.123Z", "+00:00" offsets) to Unix seconds.
std::optional<std::int64_t> parse_rfc3339(std::string_view s) {
    std::tm tm{};
    if (s.size() < 19) return std::nullopt;
    std::string head(s.substr(0, 19));
    if (!strptime(head.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return std::nullopt;
    std::int64_t t = timegm(&tm);
    std::string_view rest = s.substr(19);
    while (!rest.empty() && (rest[0] == '.' || std::isdigit(static_cast<unsigned char>(rest[0]))))
        rest.remove_prefix(1);
    if (rest.size() >= 6 && (rest[0] == '+' || rest[0] == '-')) {
        int h = std::atoi(std::string(rest.substr(1, 2)).c_str());
        int m = std::atoi(std::string(rest.substr(4, 2)).c_str());
        t -= (rest[0] == '+' ? 1 : -1) * (h * 3600 + m * 60);
    }
    return t;
}

// A time in seconds from a number or a numeric string; milliseconds are recognised by size (no
// expiry in seconds lies past the year 5000).
std::optional<std::int64_t> seconds_of(const rapidjson::Value& v, bool ms) {
    double d = 0;
    if (v.IsNumber()) {
        d = v.GetDouble();
    } else if (v.IsString()) {
        const char* s = v.GetString();
        char* end = nullptr;
        d = std::strtod(s, &end);
        if (end == s || *end != '\0') return parse_rfc3339(s);
    } else {
        return std::nullopt;
    }
    if (ms || d > 1e11) d /= 1000.0;
    if (!(d > 0) || d > 1e12) return std::nullopt;
    return static_cast<std::int64_t>(d);
}

const rapidjson::Value* member(const rapidjson::Value& obj, const char* key) {
    if (!obj.IsObject()) return nullptr;
    auto it = obj.FindMember(key);
    return it == obj.MemberEnd() ? nullptr : &it->value;
}

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

std::string age(std::int64_t s) {
    if (s < 0) s = 0;
    if (s < 60) return fmt::format("{}s", s);
    if (s < 3600) return fmt::format("{}m", s / 60);
    if (s < 86400) return fmt::format("{}h {}m", s / 3600, (s % 3600) / 60);
    return fmt::format("{}d {}h", s / 86400, (s % 86400) / 3600);
}

}  // namespace

TokenParse parse_token_file(std::string_view text) {
    TokenParse out;
    rapidjson::Document doc;
    std::string error;
    if (!json_parse(text, doc, &error)) {
        out.error = "is not valid JSON (" + error + ")";
        return out;
    }
    if (!doc.IsObject()) {
        out.error = "is not a JSON object";
        return out;
    }
    // Codex-style files keep the tokens one level down, under "tokens".
    const rapidjson::Value* tokens = &doc;
    const rapidjson::Value* nested = member(doc, "tokens");
    if (string_member(doc, "access_token").empty() && string_member(doc, "refresh_token").empty() &&
        nested && nested->IsObject()) {
        tokens = nested;
    }
    TokenRecord& r = out.record;
    r.access_token = string_member(*tokens, "access_token");
    r.refresh_token = string_member(*tokens, "refresh_token");
    r.id_token = string_member(*tokens, "id_token");
    r.token_type = string_member(*tokens, "token_type");
    r.account_id = string_member(*tokens, "account_id");
    if (r.account_id.empty()) r.account_id = string_member(doc, "account_id");
    r.email = string_member(doc, "email");
    r.project_id = string_member(doc, "project_id");
    r.resource_url = string_member(doc, "resource_url");
    r.plan = string_member(doc, "plan");
    r.imported_from = string_member(doc, "imported_from");
    for (const rapidjson::Value* obj : {tokens, static_cast<const rapidjson::Value*>(&doc)}) {
        if (r.expires_at) break;
        if (const auto* v = member(*obj, "expires_at")) r.expires_at = seconds_of(*v, false);
        if (const auto* v = member(*obj, "expiry_date"); v && !r.expires_at) {
            r.expires_at = seconds_of(*v, true);
        }
    }
    if (const auto* v = member(doc, "last_refresh")) r.last_refresh = seconds_of(*v, false);
    if (!r.usable()) {
        out.error = "has no access_token or refresh_token";
        return out;
    }
    r.original_json = std::string(text);
    out.ok = true;
    return out;
}

std::string serialize_token_file(const TokenRecord& r) {
    rapidjson::Document doc;
    if (r.original_json.empty() || !json_parse(r.original_json, doc) || !doc.IsObject()) {
        doc.SetObject();
    }
    auto& a = doc.GetAllocator();
    // A Codex-style file is rewritten flat: the known fields go at the top level, which is
    // where every reader (ours and the original's) looks first.
    if (doc.HasMember("tokens") && doc["tokens"].IsObject() && !doc.HasMember("access_token")) {
        while (doc.RemoveMember("tokens")) {
        }
    }
    // Every copy of a key goes: a file with duplicate keys (hand edits, a broken writer)
    // would otherwise keep a stale copy, read by us or by JSON.parse (which takes the last).
    auto remove_all = [&](const char* key) {
        while (doc.RemoveMember(key)) {
        }
    };
    auto set_string = [&](const char* key, const std::string& value) {
        remove_all(key);
        if (!value.empty()) doc.AddMember(rapidjson::StringRef(key), json_str(value, a), a);
    };
    auto set_time = [&](const char* key, const std::optional<std::int64_t>& value) {
        remove_all(key);
        if (value) doc.AddMember(rapidjson::StringRef(key), static_cast<int64_t>(*value), a);
    };
    set_string("access_token", r.access_token);
    set_string("refresh_token", r.refresh_token);
    set_string("id_token", r.id_token);
    set_string("token_type", r.token_type);
    set_time("expires_at", r.expires_at);
    remove_all("expiry_date");  // expires_at says it now, in seconds
    set_string("account_id", r.account_id);
    set_string("email", r.email);
    set_string("project_id", r.project_id);
    set_string("resource_url", r.resource_url);
    set_string("plan", r.plan);
    set_string("imported_from", r.imported_from);
    set_time("last_refresh", r.last_refresh);
    rapidjson::StringBuffer buf;
    rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
    w.SetIndent(' ', 2);
    doc.Accept(w);
    return std::string(buf.GetString(), buf.GetSize()) + "\n";
}

std::string token_file_path(const ProviderInfo& info, const std::string& home) {
    std::string p = upper(info.prefix);
    const char* dir = std::getenv((p + "_TOKEN_DIR").c_str());
    const char* file = std::getenv((p + "_AUTH_FILE").c_str());
    std::string d = dir && *dir ? std::string(dir) : home;
    std::string f = file && *file ? std::string(file) : std::string(info.token_file);
    if (!f.empty() && f[0] == '/') return f;
    return absolute_path(d) + "/" + f;
}

bool write_token_file(const std::string& path, const TokenRecord& record, std::string* error) {
    std::string dir = std::filesystem::path(path).parent_path().string();
    if (!dir.empty() && !ensure_directory(dir, 0700, error)) return false;
    return write_file_atomic(path, serialize_token_file(record), 0600, error);
}

TokenFileLock::TokenFileLock(const std::string& token_path) {
    std::filesystem::path p(token_path);
    m_path = (p.parent_path() / ("." + p.filename().string() + ".lock")).string();
}

TokenFileLock::~TokenFileLock() {
    if (m_fd >= 0) ::close(m_fd);  // closing releases the flock
}

bool TokenFileLock::acquire(int timeout_ms, std::string* error) {
    if (m_fd < 0) {
        std::string dir = std::filesystem::path(m_path).parent_path().string();
        if (!dir.empty()) ensure_directory(dir, 0700, nullptr);
        m_fd = ::open(m_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (m_fd < 0) {
            if (error) *error = fmt::format("cannot open {}: {}", m_path, std::strerror(errno));
            return false;
        }
    }
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (::flock(m_fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            if (error) *error = fmt::format("cannot lock {}: {}", m_path, std::strerror(errno));
            return false;
        }
        if (std::chrono::steady_clock::now() >= until) {
            if (error) *error = fmt::format("{} is held by another writer", m_path);
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

std::string expiry_text(const TokenRecord& record, std::int64_t now_s) {
    if (!record.expires_at) return "no expiry recorded";
    std::int64_t left = *record.expires_at - now_s;
    if (left > 0) return "expires in " + age(left);
    return "expired " + age(-left) + " ago";
}

}  // namespace litellm
