// Google Gemini, two ways in: `gemini/<model>` with an API key (the Gemini API, LiteLLM's
// default base), and `gemini_cli/<model>` with a Google login (Code Assist, as the Gemini CLI
// reaches it: the request inside an envelope naming the model and the project, each answer and
// stream chunk inside `{response: ...}`). Both speak the Gemini codec (daemon/wire/gemini) and
// carry thought signatures back to the model that made them (family "gemini").

#include <sys/utsname.h>

#include <memory>
#include <string>

#include "common/json.hpp"
#include "common/oauth.hpp"
#include "daemon/auth/token_store.hpp"
#include "daemon/http/message.hpp"
#include "daemon/providers/provider.hpp"
#include "daemon/wire/gemini.hpp"
#include "daemon/wire/json_scan.hpp"
#include "daemon/wire/json_util.hpp"
#include "daemon/wire/sse.hpp"

namespace litellm::providers {

namespace {

// The model id as the URL and the envelope take it ("models/" is the API's resource prefix).
std::string bare_model(const std::string& model) {
    constexpr std::string_view kPrefix = "models/";
    return model.rfind(kPrefix, 0) == 0 ? model.substr(kPrefix.size()) : model;
}

class GeminiBase : public Provider {
  public:
    WireFormat format() const override { return WireFormat::kGemini; }
    std::string_view signature_family() const override { return wire::gemini::kFamily; }
    bool accepts_signature(std::string_view family) const override {
        return family == wire::gemini::kFamily;
    }
    wire::Error classify(int status, std::string_view body, const Headers&) const override {
        return wire::gemini::parse_error(status, body);
    }
};

// ---- gemini/: the Gemini API with a key -----------------------------------------------------

class GeminiApi final : public GeminiBase {
  public:
    std::string url(const UpstreamCall& call) const override {
        std::string base = call.base() + "/models/" + bare_model(call.deployment.upstream_model);
        return base + (call.stream ? ":streamGenerateContent?alt=sse" : ":generateContent");
    }
    void headers(const UpstreamCall& call, Headers& out) const override {
        out.emplace_back("x-goog-api-key", call.key());
    }
};

// ---- gemini_cli/: Code Assist with a Google login -------------------------------------------

std::string gemini_cli_user_agent(const std::string& model) {
    utsname u{};
    std::string os = "linux", arch = "x64";
    if (::uname(&u) == 0) {
        std::string sys = u.sysname, machine = u.machine;
        os = sys == "Darwin" ? "darwin" : "linux";
        arch = machine == "aarch64" || machine == "arm64" ? "arm64" : "x64";
    }
    return "GeminiCLI/0.20.0/" + model + " (" + os + "; " + arch + ")";
}

// Code Assist's stream: each event is `{"response": <chunk>, "traceId": ...}`; the chunk goes
// to the Gemini decoder as the Gemini API would have sent it.
class EnvelopeDecoder final : public wire::StreamDecoder {
  public:
    explicit EnvelopeDecoder(std::unique_ptr<wire::StreamDecoder> inner)
        : m_inner(std::move(inner)),
          m_parser([this](std::string_view, std::string_view data) { on_data(data); }) {}

    void feed(std::string_view bytes, std::vector<wire::StreamEvent>& out) override {
        m_out = &out;
        m_parser.feed(bytes);
        m_out = nullptr;
    }
    void finish(std::vector<wire::StreamEvent>& out) override {
        m_out = &out;
        m_parser.finish();
        m_out = nullptr;
        m_inner->finish(out);
    }
    bool complete() const override { return m_inner->complete(); }
    bool overflowed() const override { return m_parser.overflowed() || m_inner->overflowed(); }

  private:
    void on_data(std::string_view data) {
        auto inner = wire::find_top_level_value(data, "response");
        std::string_view chunk =
            inner ? data.substr(inner->begin, inner->end - inner->begin) : data;
        m_event.assign("data: ").append(chunk).append("\n\n");
        m_inner->feed(m_event, *m_out);
    }

    std::unique_ptr<wire::StreamDecoder> m_inner;
    wire::SseParser m_parser;
    std::vector<wire::StreamEvent>* m_out = nullptr;
    std::string m_event;
};

// What Google says when it will not serve this login (after the token was accepted).
bool refused_login(std::string_view body) {
    for (std::string_view mark : {"UNSUPPORTED_CLIENT", "IneligibleTier", "ineligible",
                                  "valid license", "not eligible", "SERVICE_DISABLED"}) {
        if (body.find(mark) != std::string_view::npos) return true;
    }
    return false;
}

class GeminiCli final : public GeminiBase {
  public:
    std::string missing_credentials(const UpstreamCall& call, const std::string&,
                                    const std::string&) const override {
        if (!call.token) return "the Gemini CLI token store is not running";
        if (!call.token->usable()) return "Gemini CLI: " + call.token->reason;
        return {};
    }

    std::string url(const UpstreamCall& call) const override {
        return call.base() + (call.stream ? ":streamGenerateContent?alt=sse" : ":generateContent");
    }

    void headers(const UpstreamCall& call, Headers& out) const override {
        if (call.token) out.emplace_back("Authorization", "Bearer " + call.token->access_token);
        out.emplace_back("User-Agent",
                         gemini_cli_user_agent(bare_model(call.deployment.upstream_model)));
    }

    std::string wrap(std::string body, const UpstreamCall& call) const override {
        std::string out;
        out.reserve(body.size() + 160);
        out += "{\"model\":";
        out += json_quote(bare_model(call.deployment.upstream_model));
        // The project the login discovered; none for the free tier, which refuses one.
        if (call.token && !call.token->project_id.empty()) {
            out += ",\"project\":";
            out += json_quote(call.token->project_id);
        }
        out += ",\"user_prompt_id\":";
        out += json_quote(wire::random_id("prompt-"));
        out += ",\"request\":";
        out += body;
        out += '}';
        return out;
    }

    std::string_view unwrap(std::string_view body) const override {
        auto inner = wire::find_top_level_value(body, "response");
        return inner ? body.substr(inner->begin, inner->end - inner->begin) : body;
    }

    std::unique_ptr<wire::StreamDecoder> stream_decoder(const wire::Codec& codec) const override {
        return std::make_unique<EnvelopeDecoder>(codec.stream_decoder());
    }

    wire::Error classify(int status, std::string_view body, const Headers& h) const override {
        wire::Error e = GeminiBase::classify(status, body, h);
        if ((status == 400 || status == 403) && refused_login(body)) {
            // The token is good but Google will not serve it: no retry helps, the next
            // deployment may.
            e.kind = wire::ErrorKind::kPermission;
            e.login_refused = true;
            const OAuthSpec* spec = find_oauth_spec("gemini_cli");
            e.message = "Google refused this Gemini CLI login for Code Assist (" + e.message + ")" +
                        (spec ? "; " + retired_tier_hint(*spec) : std::string());
        }
        return e;
    }
};

const GeminiApi kGeminiApi;
const ProviderRegistration kApiRow("gemini", kGeminiApi);
const GeminiCli kGeminiCli;
const ProviderRegistration kCliRow("gemini_cli", kGeminiCli);

}  // namespace

}  // namespace litellm::providers
