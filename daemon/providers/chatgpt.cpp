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
        if (status != 429) return e;
        wire::element doc;
        std::string ignored;
        if (!wire::parse_json(body, doc, &ignored)) return e;
        wire::element err = wire::get_field(doc, "error").value_or(doc);
        std::string_view type = wire::get_string(err, "type").value_or("");
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
