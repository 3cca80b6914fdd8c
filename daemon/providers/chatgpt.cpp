// ChatGPT Codex: the Responses API at chatgpt.com/backend-api/codex, with a ChatGPT login's
// token (daemon/auth). It only streams (a whole answer is gathered), takes only its own body
// fields, wants the Codex CLI's headers, and mints reasoning items that return to it on the
// next turn (family "chatgpt"). A spent plan quota is a 429 `usage_limit_reached` with the
// reset time, which becomes the deployment's cooldown.

#include <chrono>
#include <cmath>
#include <cstdlib>

#include "daemon/auth/token_store.hpp"
#include "daemon/http/message.hpp"
#include "daemon/providers/provider.hpp"
#include "daemon/wire/json_scan.hpp"
#include "daemon/wire/json_util.hpp"
#include "daemon/wire/openai_responses.hpp"

namespace litellm::providers {

namespace {

// A quota reset days ahead is re-checked rather than trusted for that long: a plan can reset
// early or be topped up. The cooldown ends at the reset, or after this, whichever is first.
constexpr double kMaxQuotaCooldownS = 6 * 3600;

// The client's session, which the backend keys its prompt cache on.
std::string session_of(const http::Request& req) {
    for (const char* h : {"x-claude-code-session-id", "session-id", "session_id"}) {
        if (const std::string* v = req.find_header(h); v && !v->empty()) return *v;
    }
    return {};
}

// A Responses client's own body made fit for the backend (a passthrough route): the body
// rules of the Codex CLI, applied to the bytes. Everything else stays as the client wrote it.
std::string fit_body(std::string_view body, const std::string& session) {
    bool has_tools = false;
    if (auto tools = wire::find_top_level_value(body, "tools")) {
        has_tools = body.substr(tools->begin, tools->end - tools->begin) != "[]";
    }
    std::string out = wire::remove_top_level_if(body, [&](std::string_view k, std::string_view v) {
        static constexpr std::string_view kRefused[] = {
            "max_output_tokens", "max_completion_tokens",
            "temperature",       "top_p",
            "truncation",        "user",
            "stream_options",    "previous_response_id",
            "metadata",          "store"};
        for (std::string_view r : kRefused)
            if (k == r) return true;
        if (k == "service_tier") return v != "\"priority\"";
        if (k == "parallel_tool_calls") return !has_tools;
        if (k == "instructions") return v == "null";
        return false;
    });
    out = wire::insert_top_level_if_absent(out, "store", "false");
    out = wire::insert_top_level_if_absent(out, "instructions", "\"\"");
    if (!session.empty()) {
        out = wire::insert_top_level_if_absent(out, "prompt_cache_key", wire::json_quote(session));
    }
    constexpr std::string_view kEncrypted = "\"reasoning.encrypted_content\"";
    if (auto inc = wire::find_top_level_value(out, "include")) {
        std::string_view v(out.data() + inc->begin, inc->end - inc->begin);
        if (v.find(kEncrypted) == std::string_view::npos && v.size() >= 2 && v.front() == '[') {
            std::string list(v.substr(0, v.size() - 1));
            while (!list.empty() && (list.back() == ' ' || list.back() == '\n'))
                list.pop_back();
            list += list.size() > 1 ? "," : "";
            list.append(kEncrypted).push_back(']');
            out.replace(inc->begin, inc->end - inc->begin, list);
        }
    } else {
        out = wire::insert_top_level_if_absent(out, "include", "[" + std::string(kEncrypted) + "]");
    }
    // Input items: role "system" is "developer" to the backend, and a reasoning item comes
    // without its id (with store:false the backend refuses ids it never kept).
    auto input = wire::find_top_level_value(out, "input");
    if (!input || out[input->begin] != '[') return out;
    std::string_view items(out.data() + input->begin, input->end - input->begin);
    if (items.find("\"system\"") == std::string_view::npos &&
        items.find("\"reasoning\"") == std::string_view::npos) {
        return out;
    }
    auto spans = wire::array_elements(items);
    if (!spans) return out;
    std::string rebuilt = "[";
    for (const auto& sp : *spans) {
        std::string item(items.substr(sp.begin, sp.end - sp.begin));
        auto value = [&](std::string_view key) -> std::string_view {
            auto v = wire::find_top_level_value(item, key);
            return v ? std::string_view(item).substr(v->begin, v->end - v->begin)
                     : std::string_view();
        };
        if (value("role") == "\"system\"") {
            item = wire::replace_top_level_value(item, "role", "\"developer\"");
        } else if (value("type") == "\"reasoning\"" && !value("id").empty()) {
            item = wire::remove_top_level_if(
                item, [](std::string_view k, std::string_view) { return k == "id"; });
        }
        if (rebuilt.size() > 1) rebuilt += ',';
        rebuilt += item;
    }
    rebuilt += ']';
    out.replace(input->begin, input->end - input->begin, rebuilt);
    return out;
}

class ChatGpt final : public Provider {
  public:
    WireFormat format() const override { return WireFormat::kOpenAIResponses; }
    std::string_view signature_family() const override { return wire::openai_responses::kFamily; }
    bool accepts_signature(std::string_view family) const override {
        return family == wire::openai_responses::kFamily;
    }
    bool always_streams() const override { return true; }

    std::string missing_credentials(const UpstreamCall& call, const std::string&,
                                    const std::string&) const override {
        if (!call.token) return "the ChatGPT token store is not running";
        if (!call.token->usable()) return "ChatGPT: " + call.token->reason;
        return {};
    }

    std::string url(const UpstreamCall& call) const override { return call.base() + "/responses"; }

    void headers(const UpstreamCall& call, Headers& out) const override {
        if (call.token) {
            out.emplace_back("Authorization", "Bearer " + call.token->access_token);
            if (!call.token->account_id.empty()) {
                out.emplace_back("ChatGPT-Account-Id", call.token->account_id);
            }
        }
        out.emplace_back("originator", "codex_cli_rs");
        out.emplace_back("User-Agent", "codex_cli_rs/0.169.0 (Linux; x86_64) litellmd");
        if (std::string s = session_of(call.client); !s.empty()) out.emplace_back("session-id", s);
    }

    wire::EncodeOptions encode_options(const UpstreamCall& call) const override {
        wire::EncodeOptions o;
        o.responses_minimal = true;  // the backend refuses max_output_tokens, temperature, ...
        o.prompt_cache_key = session_of(call.client);
        return o;
    }

    bool takes_client_bytes(std::string_view body, bool stream) const override {
        // The Codex CLI's own requests pass through as they are; previous_response_id goes
        // the decoding way, which refuses it clearly (no response store here or there).
        if (!stream) return false;
        auto prev = wire::find_top_level_value(body, "previous_response_id");
        return !prev || body.substr(prev->begin, prev->end - prev->begin) == "null";
    }

    std::string wrap(std::string body, const UpstreamCall& call) const override {
        if (!call.passthrough) return body;  // the encoder followed the rules already
        return fit_body(body, session_of(call.client));
    }

    std::string quota_account(const UpstreamCall& call) const override {
        std::string account = call.token ? call.token->account_id : std::string();
        return "chatgpt:" + (account.empty() ? std::string("default") : account);
    }

    std::optional<QuotaReading> quota_from_headers(const Headers& headers) const override {
        auto get = [&](const char* name) -> const std::string* {
            for (const auto& [k, v] : headers)
                if (k == name) return &v;
            return nullptr;
        };
        const std::string* used = get("x-codex-primary-used-percent");
        if (!used) return std::nullopt;
        QuotaReading r;
        r.source = "headers";
        r.primary_used_percent = std::atof(used->c_str());
        if (const std::string* v = get("x-codex-primary-reset-at"))
            r.primary_reset_at = std::atoll(v->c_str());
        if (const std::string* v = get("x-codex-secondary-used-percent")) {
            r.secondary_used_percent = std::atof(v->c_str());
        }
        if (const std::string* v = get("x-codex-secondary-reset-at")) {
            r.secondary_reset_at = std::atoll(v->c_str());
        }
        return r;
    }

    std::optional<QuotaReading> quota_from_stream(std::string_view report) const override {
        // {"type":"codex.rate_limits","rate_limits":{"primary":{"used_percent":..,
        //  "window_minutes":..,"reset_at":..},"secondary":{..}}} (older: resets_at).
        wire::element doc;
        std::string ignored;
        if (!wire::parse_json(report, doc, &ignored) || !doc.is_object()) return std::nullopt;
        auto limits = wire::get_field(doc, "rate_limits");
        if (!limits || !limits->is_object()) return std::nullopt;
        QuotaReading r;
        r.source = "stream";
        auto window = [&](const char* name, double& used, std::int64_t& reset_at) {
            auto w = wire::get_field(*limits, name);
            if (!w || !w->is_object()) return false;
            used = wire::get_double(*w, "used_percent").value_or(-1);
            reset_at =
                wire::get_int(*w, "reset_at").value_or(wire::get_int(*w, "resets_at").value_or(0));
            return used >= 0;
        };
        bool primary = window("primary", r.primary_used_percent, r.primary_reset_at);
        bool secondary = window("secondary", r.secondary_used_percent, r.secondary_reset_at);
        if (!primary && !secondary) return std::nullopt;
        r.limit_reached = wire::get_bool(*limits, "limit_reached").value_or(false);
        return r;
    }

    std::optional<QuotaCheck> quota_check(const UpstreamCall& call) const override {
        if (!call.token || !call.token->usable()) return std::nullopt;
        // The usage endpoint lives beside the Codex API: .../backend-api/wham/usage.
        std::string base = call.base();
        constexpr std::string_view kCodex = "/codex";
        if (base.size() > kCodex.size() &&
            base.compare(base.size() - kCodex.size(), kCodex.size(), kCodex) == 0) {
            base.resize(base.size() - kCodex.size());
        }
        QuotaCheck c;
        c.url = base + "/wham/usage";
        c.headers = {{"Authorization", "Bearer " + call.token->access_token},
                     {"Accept", "application/json"},
                     {"originator", "codex_cli_rs"},
                     {"User-Agent", "codex_cli_rs/0.169.0 (Linux; x86_64) litellmd"}};
        if (!call.token->account_id.empty()) {
            c.headers.emplace_back("ChatGPT-Account-Id", call.token->account_id);
        }
        return c;
    }

    std::optional<QuotaReading> parse_quota(std::string_view body) const override {
        wire::element doc;
        std::string ignored;
        if (!wire::parse_json(body, doc, &ignored) || !doc.is_object()) return std::nullopt;
        QuotaReading r;
        r.source = "usage endpoint";
        auto limit = wire::get_field(doc, "rate_limit");
        if (!limit || !limit->is_object()) return r;  // no limit reported: room
        r.limit_reached = wire::get_bool(*limit, "limit_reached").value_or(false) ||
                          !wire::get_bool(*limit, "allowed").value_or(true);
        if (auto w = wire::get_field(*limit, "primary_window"); w && w->is_object()) {
            r.primary_used_percent = wire::get_double(*w, "used_percent").value_or(-1);
            r.primary_reset_at = wire::get_int(*w, "reset_at").value_or(0);
        }
        if (auto w = wire::get_field(*limit, "secondary_window"); w && w->is_object()) {
            r.secondary_used_percent = wire::get_double(*w, "used_percent").value_or(-1);
            r.secondary_reset_at = wire::get_int(*w, "reset_at").value_or(0);
        }
        return r;
    }

    wire::Error classify(int status, std::string_view body, const Headers& headers) const override {
        wire::Error e = Provider::classify(status, body, headers);
        wire::element doc;
        std::string ignored;
        if (!wire::parse_json(body, doc, &ignored) || !doc.is_object()) return e;
        if (status == 400) {
            // {"detail":"The 'X' model is not supported when using Codex with a ChatGPT
            // account."}: this deployment cannot answer for this plan, whatever the request;
            // the next deployment may.
            std::string_view detail = wire::get_string(doc, "detail").value_or("");
            if (detail.find("not supported when using Codex") != std::string_view::npos) {
                e.kind = wire::ErrorKind::kNotFound;
                e.message = std::string(detail) +
                            " Pick a model this plan offers for the deployment in config.yaml "
                            "(`litellmctl auth status chatgpt` shows the plan).";
            }
            return e;
        }
        if (status != 429) return e;
        wire::element err = wire::get_field(doc, "error").value_or(doc);
        std::string_view type = wire::get_string(err, "type").value_or("");
        if (type == "usage_not_included") {
            // The plan has no Codex at all: a quota that does not come back by waiting. The
            // account's deployments rest for the longest quota cooldown; the quota watcher's
            // probe finds out when the plan is upgraded.
            e.kind = wire::ErrorKind::kRateLimit;
            e.quota_exhausted = true;
            e.retry_after_s = kMaxQuotaCooldownS;
            e.message =
                "this ChatGPT plan does not include Codex (usage_not_included): upgrade the "
                "plan, or log in with another account (`litellmctl auth chatgpt`)";
            return e;
        }
        if (type != "usage_limit_reached") return e;
        e.quota_exhausted = true;
        // The plan's quota: cool until it resets (capped; see kMaxQuotaCooldownS).
        double wait = 0;
        if (auto at = wire::get_int(err, "resets_at")) {
            auto now =
                std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
                    .count();
            wait = static_cast<double>(*at) - now;
        } else if (auto in = wire::get_int(err, "resets_in_seconds")) {
            wait = static_cast<double>(*in);
        }
        if (wait > 0) e.retry_after_s = std::min(wait, kMaxQuotaCooldownS);
        return e;
    }
};

const ChatGpt kChatGpt;
const ProviderRegistration kRow("chatgpt", kChatGpt);

}  // namespace

}  // namespace litellm::providers
