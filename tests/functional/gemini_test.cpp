// Gemini through the real daemon: a fake Code Assist backend (the envelope, the login's project,
// thought signatures that must come back on their calls, each refusal) and a fake Gemini API
// (the key header); Anthropic and OpenAI clients over a two-turn loop with parallel calls; a
// Gemini client (the Gemini CLI's requests) to an Anthropic upstream.

#include <chrono>
#include <ctime>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <httplib.h>

#include "common/json.hpp"
#include "fakes/fake_upstream.hpp"
#include "functional/harness.hpp"

namespace litellm::test {
namespace {

FakeReply reply(int status, const std::string& body) {
    FakeReply r;
    r.status = status;
    r.body = body;
    return r;
}

std::string envelope(const std::string& chunk) {
    return R"({"response":)" + chunk + R"(,"traceId":"trace-1"})";
}

// Turn 1: a thought, then two calls at once (the first signed). Turn 2: the answer.
const char* const kTurnOne[] = {
    R"({"candidates":[{"content":{"role":"model","parts":[{"text":"Two cities.","thought":true}]},"index":0}],"responseId":"r-1","modelVersion":"gemini-3-pro-preview"})",
    R"({"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{"city":"Oslo"}},"thoughtSignature":"SIG-OSLO"},{"functionCall":{"name":"get_weather","args":{"city":"Rome"}}}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":50,"candidatesTokenCount":12,"thoughtsTokenCount":4,"totalTokenCount":66}})",
};
const char* const kTurnTwo =
    R"({"candidates":[{"content":{"role":"model","parts":[{"text":"Oslo is sunny, Rome rainy."}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":80,"candidatesTokenCount":7,"totalTokenCount":87}})";

// Code Assist's checks: what the real backend refuses, this one refuses too.
FakeReply code_assist(const RecordedRequest& req, std::string& why) {
    auto fail = [&](const std::string& reason) {
        why = reason;
        return reply(400, R"({"error":{"code":400,"message":")" + reason +
                              R"(","status":"INVALID_ARGUMENT"}})");
    };
    bool stream = req.path == "/v1internal:streamGenerateContent";
    if (!stream && req.path != "/v1internal:generateContent") return fail("wrong path " + req.path);
    if (stream && req.query != "alt=sse") return fail("no alt=sse");
    if (req.header("Authorization") != "Bearer ya29.gemini-access") return fail("bad token");
    rapidjson::Document d;
    if (!json_parse(req.body, d) || !d.IsObject()) return fail("not JSON");
    if (std::string(json_get_string(d, "model")) != "gemini-3-pro-preview") return fail("model");
    if (std::string(json_get_string(d, "project")) != "proj-123") return fail("project");
    if (!d.HasMember("request") || !d["request"].HasMember("contents")) return fail("no request");
    std::string request = json_stringify(d["request"]);
    if (request.find("additionalProperties") != std::string::npos) {
        return fail("Invalid JSON payload: Unknown name additionalProperties");
    }
    bool answered = request.find("functionResponse") != std::string::npos;
    std::vector<std::string> chunks;
    if (!answered) {
        for (const char* c : kTurnOne)
            chunks.push_back(c);
    } else {
        // Gemini 3: the replayed first call must bring its own signature back.
        const auto& contents = d["request"]["contents"];
        const rapidjson::Value* model = nullptr;
        for (const auto& c : contents.GetArray())
            if (std::string(json_get_string(c, "role")) == "model") model = &c;
        if (!model) return fail("the model turn is missing");
        const auto& parts = (*model)["parts"];
        int calls = 0;
        for (const auto& p : parts.GetArray()) {
            if (!p.HasMember("functionCall")) continue;
            ++calls;
            std::string sig(json_get_string(p, "thoughtSignature"));
            if (calls == 1 && sig != "SIG-OSLO") {
                return fail("Function call is missing a thought_signature in functionCall parts");
            }
        }
        if (calls != 2) return fail("expected the two calls of the previous turn");
        int responses = 0;
        for (const auto& c : contents.GetArray())
            if (std::string(json_get_string(c, "role")) == "user")
                for (const auto& p : c["parts"].GetArray())
                    if (p.HasMember("functionResponse")) {
                        ++responses;
                        if (std::string(json_get_string(p["functionResponse"], "name")) !=
                            "get_weather")
                            return fail("functionResponse.name does not match the call");
                    }
        if (responses != 2)
            return fail(
                "Please ensure that the number of function response parts is equal to the number "
                "of function call parts");
        chunks.push_back(kTurnTwo);
    }
    FakeReply r;
    if (stream) {
        r.content_type = "text/event-stream";
        for (const auto& c : chunks)
            r.chunks.push_back("data: " + envelope(c) + "\r\n\r\n");
    } else {
        // A whole answer is the last chunk's shape with every part: enough for the fake.
        rapidjson::Document whole;
        json_parse(chunks.back(), whole);
        if (chunks.size() > 1) {
            rapidjson::Document first;
            json_parse(chunks.front(), first);
            auto& parts = whole["candidates"][0]["content"]["parts"];
            rapidjson::Value copy(first["candidates"][0]["content"]["parts"][0],
                                  whole.GetAllocator());
            parts.PushBack(copy, whole.GetAllocator());
        }
        r.body = envelope(json_stringify(whole));
    }
    return r;
}

class Gemini : public ::testing::Test {
  protected:
    void SetUp() override {
        m_ca.set_responder([this](const RecordedRequest& req) {
            std::string why;
            FakeReply r = code_assist(req, why);
            if (!why.empty()) {
                std::lock_guard lock(m_mutex);
                m_refusals.push_back(why);
            }
            return r;
        });
        m_backup.set_default_reply(anthropic_fake::text("from the backup"));
        m_api.set_responder([](const RecordedRequest& req) {
            if (req.header("x-goog-api-key") != "AIza-test-key") {
                return reply(
                    400,
                    R"({"error":{"code":400,"message":"API key not valid.","status":"INVALID_ARGUMENT"}})");
            }
            if (req.path != "/v1beta/models/gemini-2.5-flash:generateContent") {
                return reply(
                    404, R"({"error":{"code":404,"message":"not found","status":"NOT_FOUND"}})");
            }
            return reply(
                200,
                R"({"candidates":[{"content":{"role":"model","parts":[{"text":"keyed answer"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":4,"candidatesTokenCount":2}})");
        });
        m_home.write(".env", "GEMINI_API_KEY=AIza-test-key\n");
        m_home.write("config.yaml",
                     "model_list:\n"
                     "  - model_name: gem\n"
                     "    litellm_params:\n"
                     "      model: gemini-cli/gemini-3-pro-preview\n"
                     "      api_base: " +
                         m_ca.base_url() +
                         "/v1internal\n"
                         "  - model_name: backup\n"
                         "    litellm_params:\n"
                         "      model: anthropic/backup-1\n"
                         "      api_base: " +
                         m_backup.base_url() +
                         "\n"
                         "      api_key: k\n"
                         "  - model_name: keyed\n"
                         "    litellm_params:\n"
                         "      model: gemini/gemini-2.5-flash\n"
                         "      api_base: " +
                         m_api.base_url() +
                         "/v1beta\n"
                         "router_settings:\n"
                         "  num_retries: 0\n"
                         "  fallbacks:\n"
                         "    - gem: [backup]\n");
        long long exp = static_cast<long long>(std::time(nullptr)) + 3600;
        m_home.write("auth.gemini_cli.json",
                     "{\"access_token\":\"ya29.gemini-access\",\"refresh_token\":\"1//rt\","
                     "\"project_id\":\"proj-123\",\"email\":\"dev@example.com\",\"expires_at\":" +
                         std::to_string(exp) + "}\n");
        std::string error;
        ASSERT_TRUE(m_daemon.start({}, &error)) << error;
        m_port = m_daemon.http_port();
    }

    httplib::Result post(const std::string& path, const std::string& body,
                         httplib::Headers h = {{"anthropic-version", "2023-06-01"}}) {
        httplib::Client c("127.0.0.1", m_port);
        c.set_read_timeout(20, 0);
        return c.Post(path, h, body, "application/json");
    }

    std::string last_refusal() {
        std::lock_guard lock(m_mutex);
        return m_refusals.empty() ? std::string() : m_refusals.back();
    }

    // Before the fakes, so they outlive their threads (the responder writes them).
    std::mutex m_mutex;
    std::vector<std::string> m_refusals;
    FakeUpstream m_ca, m_backup, m_api;
    TempHome m_home;
    DaemonProcess m_daemon{m_home};
    int m_port = 0;
};

const char* const kTools =
    R"("tools":[{"name":"get_weather","description":"Weather","input_schema":{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","additionalProperties":false,"properties":{"city":{"type":"string"}},"required":["city"]}}])";

// The Anthropic-client tool loop, streamed (turn 1) then whole (turn 2).
TEST_F(Gemini, AnthropicClientParallelCallsKeepTheirSignatures) {
    auto r1 = post("/v1/messages",
                   std::string(R"({"model":"gem","max_tokens":500,"stream":true,)") + kTools +
                       R"(,"messages":[{"role":"user","content":"Oslo and Rome?"}]})");
    ASSERT_TRUE(r1);
    ASSERT_EQ(r1->status, 200) << r1->body << last_refusal();
    EXPECT_EQ(last_refusal(), "");
    EXPECT_EQ(r1->get_header_value("x-litellm-model"), "gemini_cli/gemini-3-pro-preview");
    // Collect the blocks the client got: the thought, the call's signature, two calls.
    std::vector<rapidjson::Document> blocks;
    std::string signature;
    std::vector<std::pair<std::string, std::string>> calls;  // id, input
    const std::string& s = r1->body;
    for (std::size_t at = s.find("data: "); at != std::string::npos;
         at = s.find("data: ", at + 1)) {
        auto ev = parse_json(s.substr(at + 6, s.find('\n', at) - at - 6));
        std::string type(json_get_string(ev, "type"));
        if (type == "content_block_start" &&
            std::string(json_get_string(ev["content_block"], "type")) == "tool_use") {
            calls.emplace_back(std::string(json_get_string(ev["content_block"], "id")), "");
        }
        if (type == "content_block_delta") {
            std::string dt(json_get_string(ev["delta"], "type"));
            if (dt == "signature_delta")
                signature = std::string(json_get_string(ev["delta"], "signature"));
            if (dt == "input_json_delta" && !calls.empty())
                calls.back().second += std::string(json_get_string(ev["delta"], "partial_json"));
        }
    }
    ASSERT_EQ(calls.size(), 2u) << s;
    EXPECT_EQ(signature.rfind("litellm1:gemini:", 0), 0u) << signature;
    EXPECT_NE(s.find(R"("stop_reason":"tool_use")"), std::string::npos) << s;
    EXPECT_NE(s.find(R"("thinking":"Two cities.")"), std::string::npos) << s;

    std::string turn2 =
        std::string(R"({"model":"gem","max_tokens":500,)") + kTools +
        R"(,"messages":[{"role":"user","content":"Oslo and Rome?"},{"role":"assistant","content":[)"
        R"({"type":"thinking","thinking":"Two cities.","signature":""},)"
        R"({"type":"thinking","thinking":"","signature":)" +
        json_quote(signature) +
        R"(},)"
        R"({"type":"tool_use","id":")" +
        calls[0].first + R"(","name":"get_weather","input":)" + calls[0].second +
        R"(},)"
        R"({"type":"tool_use","id":")" +
        calls[1].first + R"(","name":"get_weather","input":)" + calls[1].second +
        R"(}]},)"
        R"({"role":"user","content":[{"type":"tool_result","tool_use_id":")" +
        calls[0].first + R"(","content":"sunny"},{"type":"tool_result","tool_use_id":")" +
        calls[1].first + R"(","content":"rain"}]}]})";
    auto r2 = post("/v1/messages", turn2);
    ASSERT_TRUE(r2);
    ASSERT_EQ(r2->status, 200) << r2->body << last_refusal();
    auto d = parse_json(r2->body);
    EXPECT_STREQ(d["content"][0]["text"].GetString(), "Oslo is sunny, Rome rainy.");
    EXPECT_STREQ(d["stop_reason"].GetString(), "end_turn");
    EXPECT_EQ(d["usage"]["input_tokens"].GetInt(), 80);
}

// An OpenAI client that drops the signature (as most do): litellmd remembers it by call id.
TEST_F(Gemini, OpenAIClientParallelCallsWholeAndStreamed) {
    std::string tools =
        R"("tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","additionalProperties":false,"properties":{"city":{"type":"string"}}}}}])";
    auto whole = post("/v1/chat/completions",
                      R"({"model":"gem",)" + tools +
                          R"(,"messages":[{"role":"user","content":"Oslo and Rome?"}]})");
    ASSERT_TRUE(whole);
    ASSERT_EQ(whole->status, 200) << whole->body << last_refusal();
    auto w = parse_json(whole->body);
    const auto& calls = w["choices"][0]["message"]["tool_calls"];
    ASSERT_EQ(calls.Size(), 2u) << whole->body;
    EXPECT_STREQ(w["choices"][0]["finish_reason"].GetString(), "tool_calls");

    auto streamed = post("/v1/chat/completions",
                         R"({"model":"gem","stream":true,)" + tools +
                             R"(,"messages":[{"role":"user","content":"Oslo and Rome?"}]})");
    ASSERT_TRUE(streamed);
    ASSERT_EQ(streamed->status, 200);
    EXPECT_NE(streamed->body.find(R"("finish_reason":"tool_calls")"), std::string::npos);
    EXPECT_NE(streamed->body.find("data: [DONE]"), std::string::npos);

    std::string id0 = calls[0]["id"].GetString(), id1 = calls[1]["id"].GetString();
    std::string turn2 =
        R"({"model":"gem","stream":true,)" + tools +
        R"(,"messages":[{"role":"user","content":"Oslo and Rome?"},)"
        R"({"role":"assistant","content":null,"tool_calls":[)"
        R"({"id":")" +
        id0 +
        R"(","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}},)"
        R"({"id":")" +
        id1 +
        R"(","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Rome\"}"}}]},)"
        R"({"role":"tool","tool_call_id":")" +
        id0 +
        R"(","content":"sunny"},)"
        R"({"role":"tool","tool_call_id":")" +
        id1 + R"(","content":"rain"}]})";
    auto r2 = post("/v1/chat/completions", turn2);
    ASSERT_TRUE(r2);
    ASSERT_EQ(r2->status, 200) << r2->body << last_refusal();
    EXPECT_NE(r2->body.find("Oslo is sunny"), std::string::npos) << r2->body << last_refusal();
    EXPECT_EQ(last_refusal(), "");
}

TEST_F(Gemini, AKeyDeploymentUsesTheGeminiApi) {
    auto r =
        post("/v1/messages",
             R"({"model":"keyed","max_tokens":50,"messages":[{"role":"user","content":"hi"}]})");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    auto d = parse_json(r->body);
    EXPECT_STREQ(d["content"][0]["text"].GetString(), "keyed answer");
    EXPECT_EQ(r->get_header_value("x-litellm-model"), "gemini/gemini-2.5-flash");
}

// Google accepts the token but will not serve the account: the chain moves on, and the cooldown
// says why and what to do.
TEST_F(Gemini, ARefusedLoginFallsBackAndSaysWhy) {
    m_ca.set_responder([](const RecordedRequest&) {
        return reply(
            403,
            R"([{"error":{"code":403,"message":"IneligibleTierError: reasonCode: UNSUPPORTED_CLIENT, tierId: free-tier","status":"PERMISSION_DENIED"}}])");
    });
    auto r = post("/v1/messages",
                  R"({"model":"gem","max_tokens":50,"messages":[{"role":"user","content":"hi"}]})");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_NE(r->body.find("from the backup"), std::string::npos);
    auto cd = parse_json(run_ctl(m_home, {"cooldowns", "--json"}).out);
    std::string reasons = json_stringify(cd);
    EXPECT_NE(reasons.find("UNSUPPORTED_CLIENT"), std::string::npos) << reasons;
    EXPECT_NE(reasons.find("Standard or Enterprise"), std::string::npos) << reasons;
    // The login is "login needed" now: the next request does not try it, and auth status says
    // why; a new login brings it back.
    auto status = run_ctl(m_home, {"auth", "status", "--json"});
    EXPECT_NE(status.out.find("login_needed"), std::string::npos) << status.out;
    EXPECT_NE(status.out.find("UNSUPPORTED_CLIENT"), std::string::npos) << status.out;
    ASSERT_EQ(run_ctl(m_home, {"cooldowns", "reset"}).exit_code, 0);  // only the state skips
    std::size_t before = m_ca.requests().size();
    const char* body =
        R"({"model":"gem","max_tokens":50,"messages":[{"role":"user","content":"again"}]})";
    auto skipped = post("/v1/messages", body);
    ASSERT_TRUE(skipped);
    EXPECT_NE(skipped->body.find("from the backup"), std::string::npos);
    EXPECT_EQ(m_ca.requests().size(), before);
    // A new login (new tokens in the file) is tried again.
    long long exp = static_cast<long long>(std::time(nullptr)) + 3600;
    m_home.write("auth.gemini_cli.json",
                 "{\"access_token\":\"ya29.new-login\",\"refresh_token\":\"1//rt2\","
                 "\"project_id\":\"proj-123\",\"expires_at\":" +
                     std::to_string(exp) + "}\n");
    bool tried = false;
    for (int i = 0; i < 100 && !tried; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        std::string s = run_ctl(m_home, {"auth", "status", "--json"}).out;
        tried = s.find("login_needed") == std::string::npos;
    }
    ASSERT_TRUE(tried);
    ASSERT_EQ(run_ctl(m_home, {"cooldowns", "reset"}).exit_code, 0);
    auto retried = post("/v1/messages", body);
    ASSERT_TRUE(retried);
    EXPECT_EQ(m_ca.requests().size(), before + 1);
}

// The Gemini CLI's requests (model in the path, key in x-goog-api-key) reach any upstream.
TEST_F(Gemini, AGeminiClientReachesAnAnthropicUpstream) {
    std::string body =
        R"({"contents":[{"role":"user","parts":[{"text":"hello"}]}],"generationConfig":{"maxOutputTokens":64}})";
    auto whole = post("/v1beta/models/backup:generateContent", body, {});
    ASSERT_TRUE(whole);
    ASSERT_EQ(whole->status, 200) << whole->body;
    auto d = parse_json(whole->body);
    EXPECT_STREQ(d["candidates"][0]["content"]["parts"][0]["text"].GetString(), "from the backup");
    EXPECT_STREQ(d["candidates"][0]["finishReason"].GetString(), "STOP");
    auto sent = parse_json(m_backup.requests().back().body);
    EXPECT_STREQ(sent["model"].GetString(), "backup-1");
    EXPECT_EQ(sent["max_tokens"].GetInt(), 64);

    m_backup.set_default_reply(anthropic_fake::stream_text({"from ", "the ", "stream"}));
    auto streamed = post("/v1beta/models/backup:streamGenerateContent?alt=sse", body, {});
    ASSERT_TRUE(streamed);
    ASSERT_EQ(streamed->status, 200) << streamed->body;
    std::string text;
    for (std::size_t at = streamed->body.find("data: "); at != std::string::npos;
         at = streamed->body.find("data: ", at + 1)) {
        auto c = parse_json(streamed->body.substr(at + 6, streamed->body.find('\n', at) - at - 6));
        for (const auto& p : c["candidates"][0]["content"]["parts"].GetArray())
            if (p.HasMember("text")) text += p["text"].GetString();
    }
    EXPECT_EQ(text, "from the stream");

    auto models = httplib::Client("127.0.0.1", m_port).Get("/v1beta/models");
    ASSERT_TRUE(models);
    EXPECT_NE(models->body.find(R"("name":"models/gem")"), std::string::npos) << models->body;
    auto unknown = post("/v1beta/models/nope:generateContent", body, {});
    ASSERT_TRUE(unknown);
    EXPECT_EQ(unknown->status, 404);
    EXPECT_NE(unknown->body.find(R"("status":"NOT_FOUND")"), std::string::npos) << unknown->body;
    auto bad = post("/v1beta/models/backup:generateContent", R"({"contents":"hi"})", {});
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 400);
    EXPECT_NE(bad->body.find(R"("status":"INVALID_ARGUMENT")"), std::string::npos) << bad->body;
    auto count = post("/v1beta/models/backup:countTokens", body, {});
    ASSERT_TRUE(count);
    EXPECT_NE(count->body.find("totalTokens"), std::string::npos) << count->body;
}

}  // namespace
}  // namespace litellm::test
