#include "daemon/wire/json_util.hpp"

#include <emmintrin.h>

#include <array>
#include <atomic>
#include <cmath>
#include <cstring>

#include <random>

#include <fmt/format.h>

#include "common/log.hpp"

namespace litellm::wire {

namespace {

// Two per thread, reused so steady-state parsing allocates nothing (see parse_json's slot).
thread_local simdjson::dom::parser t_parsers[2];
// The on-demand parser request bodies are decoded with (see iterate_request_body).
thread_local simdjson::ondemand::parser t_ondemand;
std::atomic<std::size_t> g_max_depth{128};
// A parser that grew past this for one large body gives the memory back after the request.
constexpr std::size_t kKeptParserCapacity = 4u << 20;

}  // namespace

void set_json_depth_limit(std::size_t depth) {
    g_max_depth.store(depth, std::memory_order_relaxed);
}

void trim_thread_parsers() {
    for (auto& p : t_parsers) {
        if (p.capacity() > kKeptParserCapacity) p = simdjson::dom::parser();
    }
    if (t_ondemand.capacity() > kKeptParserCapacity) t_ondemand = simdjson::ondemand::parser();
}

std::size_t json_depth_limit() {
    return g_max_depth.load(std::memory_order_relaxed);
}

namespace {
// The text PaddedInput vouches for on this thread (nullptr: none).
thread_local const char* t_padded_data = nullptr;
thread_local std::size_t t_padded_size = 0;
}  // namespace

PaddedInput::PaddedInput(std::string& body) {
    if (body.capacity() - body.size() < simdjson::SIMDJSON_PADDING) {
        body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
    }
    t_padded_data = body.data();
    t_padded_size = body.size();
}

PaddedInput::~PaddedInput() {
    t_padded_data = nullptr;
    t_padded_size = 0;
}

bool parse_json(std::string_view text, element& out, std::string* error, int slot) {
    auto& parser = t_parsers[slot == 0 ? 0 : 1];
    // The depth bound is what keeps every recursive walk over a parsed body (tool schemas,
    // extra params) inside a worker thread's stack.
    std::size_t depth = g_max_depth.load(std::memory_order_relaxed);
    if (parser.max_depth() != depth && parser.allocate(parser.capacity(), depth) != 0) {
        if (error) *error = "out of memory";
        return false;
    }
    // Text known to be padded is read in place; any other is copied into a padded buffer.
    bool padded = text.data() == t_padded_data && text.size() == t_padded_size;
    auto result = parser.parse(text.data(), text.size(), !padded);
    if (result.error() == simdjson::DEPTH_ERROR) {
        if (error) *error = fmt::format("JSON nested deeper than {} levels", depth);
        return false;
    }
    if (result.error()) {
        if (error) *error = simdjson::error_message(result.error());
        return false;
    }
    out = result.value_unsafe();
    return true;
}

bool parse_request_body(std::string_view body, element& out, std::string* error) {
    std::string perr;
    if (!parse_json(body, out, &perr)) {
        if (error) *error = "request body is not valid JSON: " + perr;
        return false;
    }
    if (!out.is_object()) {
        if (error) *error = "request body must be a JSON object";
        return false;
    }
    return true;
}

bool iterate_request_body(std::string_view body, simdjson::ondemand::document& doc,
                          simdjson::ondemand::object& root,
                          std::shared_ptr<const std::string>& copy, std::string* error,
                          std::string_view what) {
    auto fail = [&](simdjson::error_code e) {
        if (error) *error = std::string(what) + " is not valid JSON: " + simdjson::error_message(e);
        return false;
    };
    const char* data = body.data();
    std::size_t capacity = body.size() + simdjson::SIMDJSON_PADDING;
    if (!(body.data() == t_padded_data && body.size() == t_padded_size)) {
        // Not known to be padded: the decoder's own copy, which the views then point into.
        auto owned = std::make_shared<std::string>();
        owned->reserve(capacity);
        owned->assign(body);
        data = owned->data();
        capacity = owned->capacity();
        copy = std::move(owned);
    }
    auto err =
        t_ondemand.iterate(simdjson::padded_string_view(data, body.size(), capacity)).get(doc);
    if (err) return fail(err);
    simdjson::ondemand::json_type type;
    if ((err = doc.type().get(type))) return fail(err);
    if (type != simdjson::ondemand::json_type::object) {
        // Not an object: the DOM parser says whether it is JSON at all (on demand reads a
        // scalar only when asked).
        element ignored;
        std::string perr;
        if (error) {
            *error = parse_json(body, ignored, &perr)
                         ? std::string(what) + " must be a JSON object"
                         : std::string(what) + " is not valid JSON: " + perr;
        }
        return false;
    }
    if ((err = doc.get_object().get(root))) return fail(err);
    return true;
}

std::string_view trim_json_right(std::string_view raw) {
    while (!raw.empty() &&
           (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' || raw.back() == '\t')) {
        raw.remove_suffix(1);
    }
    return raw;
}

simdjson::error_code raw_json_of(simdjson::ondemand::value v, std::string_view& out) {
    // The first byte of the token tells the type (no type() peek).
    std::string_view token = v.raw_json_token();
    simdjson::error_code err = simdjson::SUCCESS;
    if (!token.empty() && token.front() == '{') {
        simdjson::ondemand::object o;
        if ((err = v.get_object().get(o))) return err;
        err = o.raw_json().get(out);
    } else if (!token.empty() && token.front() == '[') {
        simdjson::ondemand::array a;
        if ((err = v.get_array().get(a))) return err;
        err = a.raw_json().get(out);
    } else {
        out = token;
    }
    out = trim_json_right(out);
    return err;
}

simdjson::error_code escaped_string_of(simdjson::ondemand::value v, std::string_view& out) {
    std::string_view token = trim_json_right(v.raw_json_token());
    if (token.empty() || token.front() != '"') return simdjson::INCORRECT_TYPE;
    if (token.size() < 2 || token.back() != '"') return simdjson::STRING_ERROR;
    out = token.substr(1, token.size() - 2);
    return simdjson::SUCCESS;
}

RawJsonCheck check_raw_json(std::string_view json, std::size_t limit) {
    // On-demand parsing skips what it does not read by counting brackets of either kind, so a
    // slice it hands out can hold `[1}}`. Balanced counts of each kind with no more opens than
    // the limit (the usual case, counted 16 bytes at a time) are enough to pass; any other
    // text is walked exactly, strings skipped, and must nest properly. What the counts let
    // through (`[1}]`: balanced, crossed) cannot end the slice early in the body it goes into
    // (it ends where the skip ended) and is a syntax error to any JSON parser upstream.
    unsigned counts[4] = {0, 0, 0, 0};  // { } [ ]
    const char* p = json.data();
    const char* e = p + json.size();
    const __m128i brace_open = _mm_set1_epi8('{');
    const __m128i brace_close = _mm_set1_epi8('}');
    const __m128i bracket_open = _mm_set1_epi8('[');
    const __m128i bracket_close = _mm_set1_epi8(']');
    // Per-byte-lane counters (a match is -1, subtracted), summed before they could wrap.
    const __m128i zero = _mm_setzero_si128();
    auto lanes_sum = [&](__m128i acc) {
        __m128i sums = _mm_sad_epu8(acc, zero);
        return static_cast<unsigned>(_mm_cvtsi128_si32(sums) +
                                     _mm_cvtsi128_si32(_mm_srli_si128(sums, 8)));
    };
    while (e - p >= 16) {
        __m128i acc0 = zero, acc1 = zero, acc2 = zero, acc3 = zero;
        for (int round = 0; round < 255 && e - p >= 16; ++round, p += 16) {
            __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
            acc0 = _mm_sub_epi8(acc0, _mm_cmpeq_epi8(x, brace_open));
            acc1 = _mm_sub_epi8(acc1, _mm_cmpeq_epi8(x, brace_close));
            acc2 = _mm_sub_epi8(acc2, _mm_cmpeq_epi8(x, bracket_open));
            acc3 = _mm_sub_epi8(acc3, _mm_cmpeq_epi8(x, bracket_close));
        }
        counts[0] += lanes_sum(acc0);
        counts[1] += lanes_sum(acc1);
        counts[2] += lanes_sum(acc2);
        counts[3] += lanes_sum(acc3);
    }
    if (p < e && json.size() >= 16) {
        // The last 1-15 bytes: the 16 that end the text, with the lanes already counted off.
        const int rem = static_cast<int>(e - p);
        __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(e - 16));
        const __m128i lane = _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        const __m128i fresh = _mm_cmpgt_epi8(lane, _mm_set1_epi8(static_cast<char>(15 - rem)));
        auto count = [&](__m128i c) {
            unsigned m = static_cast<unsigned>(
                _mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(x, c), fresh)));
            unsigned n = 0;
            for (; m != 0; m &= m - 1)
                ++n;
            return n;
        };
        counts[0] += count(brace_open);
        counts[1] += count(brace_close);
        counts[2] += count(bracket_open);
        counts[3] += count(bracket_close);
        p = e;
    }
    for (; p < e; ++p) {
        counts[0] += *p == '{';
        counts[1] += *p == '}';
        counts[2] += *p == '[';
        counts[3] += *p == ']';
    }
    if (counts[0] == counts[1] && counts[2] == counts[3] && counts[0] + counts[2] <= limit) {
        return RawJsonCheck::kOk;
    }
    std::string stack;  // the closers owed, innermost last
    bool in_string = false;
    for (std::size_t i = 0; i < json.size(); ++i) {
        char c = json[i];
        if (in_string) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (stack.size() >= limit) return RawJsonCheck::kTooDeep;
            stack.push_back(c == '{' ? '}' : ']');
        } else if (c == '}' || c == ']') {
            if (stack.empty() || stack.back() != c) return RawJsonCheck::kMalformed;
            stack.pop_back();
        }
    }
    return stack.empty() && !in_string ? RawJsonCheck::kOk : RawJsonCheck::kMalformed;
}

std::optional<element> get_field(element obj, std::string_view key) {
    if (!obj.is_object()) return std::nullopt;
    element v;
    if (obj.at_key(key).get(v)) return std::nullopt;
    return v;
}

std::optional<std::string_view> get_string(element obj, std::string_view key) {
    auto f = get_field(obj, key);
    if (!f || !f->is_string()) return std::nullopt;
    return std::string_view(f->get_string().value_unsafe());
}

std::optional<std::int64_t> get_int(element obj, std::string_view key) {
    auto f = get_field(obj, key);
    if (!f) return std::nullopt;
    if (f->is_int64()) return f->get_int64().value_unsafe();
    // 2^63 and above do not fit (a cast would make them negative): not an integer we take.
    if (f->is_uint64()) return std::nullopt;
    if (f->is_double()) {
        double d = f->get_double().value_unsafe();
        // In range before the cast (out of range is undefined behaviour), then whole.
        if (d >= -9.2e18 && d <= 9.2e18 && d == std::floor(d)) return static_cast<std::int64_t>(d);
    }
    return std::nullopt;
}

std::optional<double> get_double(element obj, std::string_view key) {
    auto f = get_field(obj, key);
    if (!f || !f->is_number()) return std::nullopt;
    double d = 0;
    if (f->get_double().get(d)) {
        if (f->is_int64()) return static_cast<double>(f->get_int64().value_unsafe());
        if (f->is_uint64()) return static_cast<double>(f->get_uint64().value_unsafe());
        return std::nullopt;
    }
    return d;
}

std::optional<bool> get_bool(element obj, std::string_view key) {
    auto f = get_field(obj, key);
    if (!f || !f->is_bool()) return std::nullopt;
    return f->get_bool().value_unsafe();
}

simdjson::dom::array as_array(element e) {
    simdjson::dom::array arr;
    if (e.get_array().get(arr)) return {};
    return arr;
}

namespace {

// Writes `e` minified. Strings go through the fast escaper (simdjson's minify escapes one
// character at a time, and tool schemas are most of a Claude Code request's structure).
void write_element(JsonWriter& w, element e) {
    using T = simdjson::dom::element_type;
    switch (e.type()) {
        case T::OBJECT:
            w.StartObject();
            for (auto field : simdjson::dom::object(e)) {
                w.fast_string(field.key);
                write_element(w, field.value);
            }
            w.EndObject();
            break;
        case T::ARRAY:
            w.StartArray();
            for (element v : simdjson::dom::array(e))
                write_element(w, v);
            w.EndArray();
            break;
        case T::STRING:
            w.fast_string(std::string_view(e));
            break;
        case T::INT64:
            w.Int64(std::int64_t(e));
            break;
        case T::UINT64:
            w.Uint64(std::uint64_t(e));
            break;
        case T::BOOL:
            w.Bool(bool(e));
            break;
        case T::NULL_VALUE:
            w.Null();
            break;
        default: {
            // Doubles keep simdjson's own shortest form, as before.
            std::string number = simdjson::minify(e);
            w.raw_json(number, rapidjson::kNumberType);
        }
    }
}

}  // namespace

std::string object_json_or_empty(std::string_view text) {
    element parsed;
    if (text.empty() || !parse_json(text, parsed, nullptr, 1) || !parsed.is_object()) return "{}";
    return to_json_text(parsed);
}

std::string to_json_text(element e) {
    thread_local JsonOut sb;
    sb.Clear();
    JsonWriter w(sb);
    write_element(w, e);
    std::string out(sb.GetString(), sb.GetSize());
    if (sb.GetSize() > 1024 * 1024) {  // one huge schema does not pin memory
        sb.Clear();
        sb.ShrinkToFit();
    }
    return out;
}

void write_raw(JsonWriter& w, std::string_view json_text) {
    if (json_text.empty()) json_text = "{}";
    rapidjson::Type type = json_text.front() == '['   ? rapidjson::kArrayType
                           : json_text.front() == '"' ? rapidjson::kStringType
                                                      : rapidjson::kObjectType;
    w.raw_json(json_text, type);
}

namespace {

// For each byte: 0 = copied as is; otherwise the character after the backslash ('u' for the
// \u00XX form). The same escapes RapidJSON's scalar writer chooses.
constexpr std::array<char, 256> kEscape = [] {
    std::array<char, 256> t{};
    for (int c = 0; c < 0x20; ++c)
        t[c] = 'u';
    t['\b'] = 'b';
    t['\f'] = 'f';
    t['\n'] = 'n';
    t['\r'] = 'r';
    t['\t'] = 't';
    t['"'] = '"';
    t['\\'] = '\\';
    return t;
}();

}  // namespace

namespace {

// Writes `s` escaped at `p`, which has room for s.size() * 6 + 16 bytes; returns the end.
char* escape_to(char* p, std::string_view s) {
    const char* b = s.data();
    const char* e = b + s.size();
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i control = _mm_set1_epi8(0x1F);
    auto escape = [&](unsigned char c) {
        char esc = kEscape[c];
        *p++ = '\\';
        *p++ = esc;
        if (esc == 'u') {
            static constexpr char kHex[] = "0123456789ABCDEF";
            *p++ = '0';
            *p++ = '0';
            *p++ = kHex[c >> 4];
            *p++ = kHex[c & 15];
        }
    };
    // 16 bytes at a time: each block is stored whole before it is checked (the reservation
    // leaves room for it), and
    // only the part before the first byte that needs escaping ('"', '\\' or <= 0x1F, which
    // max(x, 0x1F) == 0x1F finds) is kept. No memcpy call per run: Claude Code's texts have
    // a newline every few dozen bytes.
    while (e - b >= 16) {
        __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(p), x);
        __m128i hit =
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash)),
                         _mm_cmpeq_epi8(_mm_max_epu8(x, control), control));
        unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(hit));
        if (mask == 0) {
            b += 16;
            p += 16;
            continue;
        }
        unsigned n = static_cast<unsigned>(__builtin_ctz(mask));
        b += n;
        p += n;
        escape(static_cast<unsigned char>(*b++));
    }
    // The last 1-15 bytes (all of a key or an id) the same way, from a zeroed copy the loads
    // may read past; the bytes past the end are masked out.
    if (b < e) {
        alignas(16) char tail[32] = {};
        const unsigned n = static_cast<unsigned>(e - b);
        std::memcpy(tail, b, n);
        unsigned k = 0;
        while (k < n) {
            __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(tail + k));
            _mm_storeu_si128(reinterpret_cast<__m128i*>(p), x);
            __m128i hit =
                _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash)),
                             _mm_cmpeq_epi8(_mm_max_epu8(x, control), control));
            unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(hit)) & ((1u << (n - k)) - 1);
            if (mask == 0) {
                p += n - k;
                break;
            }
            unsigned j = static_cast<unsigned>(__builtin_ctz(mask));
            p += j;
            k += j;
            escape(static_cast<unsigned char>(tail[k++]));
        }
    }
    return p;
}

}  // namespace

void JsonWriter::fast_string(std::string_view s) {
    Prefix(rapidjson::kStringType);
    // Worst case every byte becomes \u00XX, plus room for one 16-byte store past the last
    // byte written; the unused tail is given back below.
    std::size_t worst = s.size() * 6 + 2 + 16;
    char* out = os_->Push(worst);
    char* p = out;
    *p++ = '"';
    p = escape_to(p, s);
    *p++ = '"';
    os_->Pop(worst - static_cast<std::size_t>(p - out));
}

void JsonWriter::text(const Text& t) {
    if (!t.is_json()) {
        fast_string(t.decoded());
        return;
    }
    Prefix(rapidjson::kStringType);
    std::string_view j = t.json();
    os_->Put('"');
    os_->append(j.data(), j.size());
    os_->Put('"');
}

void JsonWriter::begin_string() {
    Prefix(rapidjson::kStringType);
    *os_->Push(1) = '"';
}

void JsonWriter::append(std::string_view plain) {
    std::size_t worst = plain.size() * 6 + 16;
    char* out = os_->Push(worst);
    char* p = escape_to(out, plain);
    os_->Pop(worst - static_cast<std::size_t>(p - out));
}

void JsonWriter::append(const Text& t) {
    if (!t.is_json()) {
        append(t.decoded());
        return;
    }
    std::string_view j = t.json();
    os_->append(j.data(), j.size());
}

void JsonWriter::end_string() {
    *os_->Push(1) = '"';
}

void JsonWriter::raw_json(std::string_view json, rapidjson::Type type) {
    Prefix(type);
    os_->append(json.data(), json.size());
}

std::string random_id(std::string_view prefix) {
    static constexpr char kAlphabet[] =
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    thread_local std::mt19937_64 rng{std::random_device{}()};
    std::string id(prefix);
    for (int i = 0; i < 24; ++i)
        id.push_back(kAlphabet[rng() % 62]);
    return id;
}

namespace {

// The code unit of a `\uXXXX` escape at `s[i]` (the backslash), or -1 (model.hpp's).
int escape_unit(std::string_view s, std::size_t i) {
    return static_cast<int>(json_escape_unit(s, i));
}

// Length of the UTF-8 sequence led by `lead`, 0 when it cannot lead one.
int utf8_length(unsigned char lead) {
    if (lead >= 0xC2 && lead <= 0xDF) return 2;
    if (lead >= 0xE0 && lead <= 0xEF) return 3;
    if (lead >= 0xF0 && lead <= 0xF4) return 4;
    return 0;
}

// Whether `b` may follow `lead` as the sequence's second byte (no overlongs, no surrogates,
// nothing past U+10FFFF).
bool valid_second(unsigned char lead, unsigned char b) {
    if (lead == 0xE0) return b >= 0xA0 && b <= 0xBF;
    if (lead == 0xED) return b >= 0x80 && b <= 0x9F;
    if (lead == 0xF0) return b >= 0x90 && b <= 0xBF;
    if (lead == 0xF4) return b >= 0x80 && b <= 0x8F;
    return b >= 0x80 && b <= 0xBF;
}

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

}  // namespace

std::string StreamTextRepair::repair(std::string_view s, bool* changed) {
    std::string out;
    out.reserve(s.size() + 8);
    bool any = false;
    bool in_string = false;
    bool at_string_start = false;
    std::string carry_utf8 = std::move(m_carry_utf8);
    std::string carry_escape = std::move(m_carry_escape);
    m_carry_utf8.clear();
    m_carry_escape.clear();
    std::size_t i = 0;
    while (i < s.size()) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (!in_string) {
            out.push_back(static_cast<char>(c));
            ++i;
            if (c == '"') in_string = at_string_start = true;
            continue;
        }
        if (at_string_start) {
            at_string_start = false;
            // The other half of what the previous event cut off.
            int unit = escape_unit(s, i);
            if (!carry_escape.empty() && unit >= 0xDC00 && unit <= 0xDFFF) {
                out += carry_escape;
                out.append(s.substr(i, 6));
                i += 6;
                carry_escape.clear();
                any = true;
                continue;
            } else if (!carry_utf8.empty() && (c & 0xC0) == 0x80) {
                std::size_t need = utf8_length(static_cast<unsigned char>(carry_utf8[0]));
                std::size_t have = carry_utf8.size();
                bool fits = i + (need - have) <= s.size();
                for (std::size_t k = 0; fits && k < need - have; ++k) {
                    unsigned char b = static_cast<unsigned char>(s[i + k]);
                    fits = have + k == 1
                               ? valid_second(static_cast<unsigned char>(carry_utf8[0]), b)
                               : (b & 0xC0) == 0x80;
                }
                if (fits) {
                    out += carry_utf8;
                    out.append(s.substr(i, need - have));
                    i += need - have;
                    carry_utf8.clear();
                    any = true;
                    continue;
                }
            }
        }
        if (c == '"') {
            in_string = false;
            out.push_back('"');
            ++i;
        } else if (c == '\\') {
            int unit = escape_unit(s, i);
            if (unit >= 0xD800 && unit <= 0xDBFF) {
                int next = escape_unit(s, i + 6);
                if (next >= 0xDC00 && next <= 0xDFFF) {
                    out.append(s.substr(i, 12));
                    i += 12;
                } else if (i + 6 < s.size() && s[i + 6] == '"') {
                    m_carry_escape.assign(s.substr(i, 6));  // its pair may start the next event
                    i += 6;
                    any = true;
                } else {
                    out += "\\ufffd";
                    i += 6;
                    any = true;
                }
            } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
                out += "\\ufffd";
                i += 6;
                any = true;
            } else {
                std::size_t n = unit >= 0 ? 6 : std::min<std::size_t>(2, s.size() - i);
                out.append(s.substr(i, n));
                i += n;
            }
        } else if (c < 0x80) {
            out.push_back(static_cast<char>(c));
            ++i;
        } else {
            int len = utf8_length(c);
            if (len == 0) {  // a stray continuation byte, or a byte UTF-8 never uses
                out += kReplacement;
                ++i;
                any = true;
                continue;
            }
            int ok = 1;  // bytes of the sequence that are valid so far
            while (ok > 0 && ok < len && i + ok < s.size()) {
                unsigned char b = static_cast<unsigned char>(s[i + ok]);
                if (!(ok == 1 ? valid_second(c, b) : (b & 0xC0) == 0x80)) break;
                ++ok;
            }
            if (ok == len) {
                out.append(s.substr(i, len));
                i += len;
            } else if (i + ok < s.size() && s[i + ok] == '"') {
                m_carry_utf8.assign(s.substr(i, ok));  // completed by the next event
                i += ok;
                any = true;
            } else {
                out += kReplacement;
                ++i;
                any = true;
            }
        }
    }
    if (changed) *changed = any;
    return out;
}

bool parse_stream_event(std::string_view data, element& out, StreamTextRepair& repair,
                        const char* component) {
    if (parse_json(data, out, nullptr)) return true;
    bool changed = false;
    std::string fixed = repair.repair(data, &changed);
    std::string error;
    if (changed && parse_json(fixed, out, &error)) return true;
    if (error.empty()) parse_json(data, out, &error);
    log_warn(component, "dropped an upstream stream event that is not valid JSON ({}): {}", error,
             log_safe_text(data, 512));
    return false;
}

}  // namespace litellm::wire
