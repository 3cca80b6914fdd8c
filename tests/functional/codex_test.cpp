// ChatGPT Codex as an upstream, through the real daemon: a fake backend that checks the Codex
// headers and body rules and streams Responses events; an Anthropic client (streamed and whole)
// over a two-turn tool loop whose encrypted reasoning must come back; an OpenAI client; the
// in-band capacity error and the usage limit that fall back.

#include <atomic>
#include <chrono>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <httplib.h>

#include "common/fs.hpp"
#include "common/json.hpp"
#include "fakes/fake_upstream.hpp"
#include "functional/harness.hpp"

namespace litellm::test {
namespace {

std::string sse(const std::string& type, const std::string& json) {
    return "event: " + type + "\ndata: " + json + "\n\n";
}

// Turn 1: reasoning with a summary, then a call. Turn 2 (after the call's output): text.
std::vector<std::string> turn_one() {
    return {
        sse("response.created",
            R"({"type":"response.created","sequence_number":0,"response":{"id":"resp_1","object":"response","status":"in_progress","model":"gpt-5.5","output":[]}})"),
        sse("codex.rate_limits",
            R"({"type":"codex.rate_limits","rate_limits":{"primary":{"used_percent":12.5,"window_minutes":300,"reset_at":1900000000}}})"),
        sse("response.output_item.added",
            R"({"type":"response.output_item.added","output_index":0,"item":{"id":"rs_1","type":"reasoning","summary":[]}})"),
        sse("response.reasoning_summary_part.added",
            R"({"type":"response.reasoning_summary_part.added","item_id":"rs_1","output_index":0,"summary_index":0,"part":{"type":"summary_text","text":""}})"),
        sse("response.reasoning_summary_text.delta",
            R"({"type":"response.reasoning_summary_text.delta","item_id":"rs_1","output_index":0,"summary_index":0,"delta":"Need the weather."})"),
        sse("response.output_item.done",
            R"({"type":"response.output_item.done","output_index":0,"item":{"id":"rs_1","type":"reasoning","summary":[{"type":"summary_text","text":"Need the weather."}],"encrypted_content":"enc-ONE"}})"),
        sse("response.output_item.added",
            R"({"type":"response.output_item.added","output_index":1,"item":{"id":"fc_1","type":"function_call","status":"in_progress","call_id":"call_1","name":"get_weather","arguments":""}})"),
        sse("response.function_call_arguments.delta",
            R"({"type":"response.function_call_arguments.delta","item_id":"fc_1","output_index":1,"delta":"{\"city\":"})"),
        sse("response.function_call_arguments.delta",
            R"({"type":"response.function_call_arguments.delta","item_id":"fc_1","output_index":1,"delta":"\"Paris\"}"})"),
        sse("response.output_item.done",
            R"({"type":"response.output_item.done","output_index":1,"item":{"id":"fc_1","type":"function_call","status":"completed","call_id":"call_1","name":"get_weather","arguments":"{\"city\":\"Paris\"}"}})"),
        // An empty output list, as the backend often sends: the items above stand.
        sse("response.completed",
            R"({"type":"response.completed","response":{"id":"resp_1","status":"completed","output":[],"usage":{"input_tokens":120,"input_tokens_details":{"cached_tokens":100},"output_tokens":30,"output_tokens_details":{"reasoning_tokens":10},"total_tokens":150}}})"),
    };
}

std::vector<std::string> turn_two() {
    return {
        sse("response.created",
            R"({"type":"response.created","response":{"id":"resp_2","status":"in_progress","model":"gpt-5.5","output":[]}})"),
        sse("response.output_item.added",
            R"({"type":"response.output_item.added","output_index":0,"item":{"id":"msg_1","type":"message","role":"assistant","content":[]}})"),
        sse("response.content_part.added",
            R"({"type":"response.content_part.added","item_id":"msg_1","output_index":0,"content_index":0,"part":{"type":"output_text","text":""}})"),
        sse("response.output_text.delta",
            R"({"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"content_index":0,"delta":"It is sunny "})"),
        sse("response.output_text.delta",
            R"({"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"content_index":0,"delta":"in Paris."})"),
        sse("response.output_item.done",
            R"({"type":"response.output_item.done","output_index":0,"item":{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"output_text","text":"It is sunny in Paris."}]}})"),
        sse("response.completed",
            R"({"type":"response.completed","response":{"id":"resp_2","status":"completed","output":[],"usage":{"input_tokens":200,"output_tokens":8}}})"),
    };
}

FakeReply stream_of(const std::vector<std::string>& events) {
    FakeReply r;
    r.content_type = "text/event-stream";
    r.chunks = events;
    return r;
}

FakeReply json_error(int status, const std::string& body) {
    FakeReply r;
    r.status = status;
    r.body = body;
    return r;
}

// The Codex backend's checks: what a real one refuses, this one refuses with a 400 too.
FakeReply codex_backend(const RecordedRequest& req, std::string& why) {
    auto fail = [&](const std::string& reason) {
        why = reason;
        return json_error(400, R"({"detail":")" + reason + R"("})");
    };
    if (req.path != "/backend-api/codex/responses") return fail("wrong path " + req.path);
    if (req.header("Authorization") != "Bearer codex-access-1") return fail("bad token");
    if (req.header("ChatGPT-Account-Id") != "acct-7") return fail("no account id");
    if (req.header("originator") != "codex_cli_rs") return fail("no originator");
    rapidjson::Document d;
    if (!json_parse(req.body, d) || !d.IsObject()) return fail("not JSON");
    if (!d.HasMember("store") || d["store"].GetBool()) return fail("Store must be set to false");
    if (!d.HasMember("stream") || !d["stream"].GetBool()) return fail("Stream must be set to true");
    if (!d.HasMember("instructions")) return fail("Instructions are required");
    for (const char* forbidden :
         {"max_output_tokens", "temperature", "top_p", "max_tokens", "messages", "metadata"}) {
        if (d.HasMember(forbidden)) return fail(std::string("Unsupported parameter: ") + forbidden);
    }
    if (json_stringify(d["include"]).find("reasoning.encrypted_content") == std::string::npos) {
        return fail("include lacks reasoning.encrypted_content");
    }
    std::string input = json_stringify(d["input"]);
    if (input.find(R"("role":"system")") != std::string::npos) {
        return fail("System messages are not allowed; use developer");
    }
    if (input.find("litellm1:") != std::string::npos) {
        return fail("The encrypted content could not be decrypted");  // another provider's
    }
    if (input.find("\"id\":\"rs_") != std::string::npos) {
        return fail("Item with id 'rs_1' not found. Items are not persisted when store is false");
    }
    bool answered = input.find("function_call_output") != std::string::npos;
    if (!answered) return stream_of(turn_one());
    // The second turn must bring back the reasoning item with its encrypted content.
    if (input.find(R"("type":"reasoning")") == std::string::npos ||
        input.find("enc-ONE") == std::string::npos) {
        return fail("the reasoning item of the previous turn is missing");
    }
    if (input.find(R"("type":"function_call","call_id":"call_1")") == std::string::npos) {
        return fail("the function call is missing");
    }
    return stream_of(turn_two());
}

class Codex : public ::testing::Test {
  protected:
    void SetUp() override {
        m_codex.set_responder([this](const RecordedRequest& req) {
            std::string why;
            FakeReply r = codex_backend(req, why);
            if (!why.empty()) m_refusals.push_back(why);
            return r;
        });
        m_backup.set_default_reply(anthropic_fake::text("from the backup"));
        m_home.write("config.yaml",
                     "model_list:\n"
                     "  - model_name: codex-model\n"
                     "    litellm_params:\n"
                     "      model: chatgpt/gpt-5.5\n"
                     "      api_base: " +
                         m_codex.base_url() +
                         "/backend-api/codex\n"
                         "  - model_name: backup\n"
                         "    litellm_params:\n"
                         "      model: anthropic/backup-1\n"
                         "      api_base: " +
                         m_backup.base_url() +
                         "\n"
                         "      api_key: k\n"
                         "router_settings:\n"
                         "  num_retries: 0\n"
                         "  fallbacks:\n"
                         "    - codex-model: [backup]\n");
        long long exp = static_cast<long long>(std::time(nullptr)) + 3600;
        m_home.write("auth.chatgpt.json",
                     "{\"access_token\":\"codex-access-1\",\"refresh_token\":\"codex-rt\","
                     "\"account_id\":\"acct-7\",\"expires_at\":" +
                         std::to_string(exp) + ",\"last_refresh\":" + std::to_string(exp - 3600) +
                         "}\n");
        std::string error;
        ASSERT_TRUE(m_daemon.start({}, &error)) << error;
        m_port = m_daemon.http_port();
    }

    httplib::Result post(const std::string& path, const std::string& body) {
        httplib::Client c("127.0.0.1", m_port);
        c.set_read_timeout(20, 0);
        httplib::Headers h = {{"anthropic-version", "2023-06-01"},
                              {"x-claude-code-session-id", "sess-123"}};
        return c.Post(path, h, body, "application/json");
    }

    // Before the fakes, so it outlives their threads (the responder writes it).
    std::vector<std::string> m_refusals;
    FakeUpstream m_codex;
    FakeUpstream m_backup;
    TempHome m_home;
    DaemonProcess m_daemon{m_home};
    int m_port = 0;
};

const char* const kTools =
    R"("tools":[{"name":"get_weather","description":"Weather for a city","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}])";

TEST_F(Codex, AnthropicClientToolLoopCarriesTheEncryptedReasoning) {
    // Turn 1, streamed, with thinking on and sampling settings the backend would refuse.
    std::string turn1 =
        std::string(
            R"({"model":"codex-model","max_tokens":4096,"temperature":0.7,"stream":true,)") +
        R"("thinking":{"type":"enabled","budget_tokens":6000},"system":"Be brief.",)" + kTools +
        R"(,"messages":[{"role":"user","content":"Weather in Paris?"}]})";
    auto r1 = post("/v1/messages", turn1);
    ASSERT_TRUE(r1);
    ASSERT_EQ(r1->status, 200) << r1->body;
    EXPECT_TRUE(m_refusals.empty()) << m_refusals.front();
    const std::string& s = r1->body;
    EXPECT_NE(s.find(R"("type":"thinking_delta","thinking":"Need the weather.")"),
              std::string::npos)
        << s;
    // The signature delta's data line, parsed.
    std::string signature;
    for (std::size_t at = s.find("data: "); at != std::string::npos;
         at = s.find("data: ", at + 1)) {
        std::string line = s.substr(at + 6, s.find('\n', at) - at - 6);
        if (line.find("signature_delta") == std::string::npos) continue;
        auto ev = parse_json(line);
        signature = ev["delta"]["signature"].GetString();
    }
    ASSERT_FALSE(signature.empty()) << s;
    std::string sig_json = json_quote(signature);
    EXPECT_EQ(signature.rfind("litellm1:chatgpt:", 0), 0u) << signature;
    EXPECT_NE(s.find(R"("type":"tool_use","id":"call_1","name":"get_weather")"), std::string::npos)
        << s;
    EXPECT_NE(s.find(R"("stop_reason":"tool_use")"), std::string::npos) << s;
    EXPECT_NE(s.find(R"("cache_read_input_tokens":100)"), std::string::npos) << s;
    auto first = m_codex.requests().at(0);
    EXPECT_EQ(first.header("session-id"), "sess-123");
    rapidjson::Document body;
    ASSERT_TRUE(json_parse(first.body, body));
    EXPECT_STREQ(body["prompt_cache_key"].GetString(), "sess-123");
    EXPECT_STREQ(body["reasoning"]["effort"].GetString(), "medium");
    EXPECT_STREQ(body["input"][0]["role"].GetString(), "developer");  // the system prompt
    EXPECT_STREQ(body["tools"][0]["name"].GetString(), "get_weather");

    // Turn 2, whole: the thinking block (with the opaque signature), the call and its result.
    std::string turn2 =
        std::string(R"({"model":"codex-model","max_tokens":4096,)") + kTools +
        R"(,"messages":[{"role":"user","content":"Weather in Paris?"},)"
        R"({"role":"assistant","content":[{"type":"thinking","thinking":"Need the weather.","signature":)" +
        sig_json +
        R"(},{"type":"tool_use","id":"call_1","name":"get_weather","input":{"city":"Paris"}}]},)"
        R"({"role":"user","content":[{"type":"tool_result","tool_use_id":"call_1","content":"sunny, 20C"}]}]})";
    auto r2 = post("/v1/messages", turn2);
    ASSERT_TRUE(r2);
    ASSERT_EQ(r2->status, 200) << r2->body << (m_refusals.empty() ? "" : m_refusals.back());
    auto d = parse_json(r2->body);
    EXPECT_STREQ(d["stop_reason"].GetString(), "end_turn");
    std::string text;
    for (const auto& b : d["content"].GetArray())
        if (std::string(b["type"].GetString()) == "text") text += b["text"].GetString();
    EXPECT_EQ(text, "It is sunny in Paris.");
    EXPECT_EQ(r2->get_header_value("x-litellm-model"), "chatgpt/gpt-5.5");
}

TEST_F(Codex, OpenAIClientGetsTheCallAndTheAnswer) {
    std::string body =
        R"({"model":"codex-model","stream":true,"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],"messages":[{"role":"user","content":"Weather?"}]})";
    auto r = post("/v1/chat/completions", body);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_NE(r->body.find(R"("name":"get_weather")"), std::string::npos) << r->body;
    EXPECT_NE(r->body.find(R"("finish_reason":"tool_calls")"), std::string::npos) << r->body;
    EXPECT_NE(r->body.find("data: [DONE]"), std::string::npos);
}

TEST_F(Codex, ACapacityErrorInsideA200FallsBack) {
    m_codex.set_responder([](const RecordedRequest&) {
        return stream_of(
            {sse("response.created",
                 R"({"type":"response.created","response":{"id":"resp_x","status":"in_progress","output":[]}})"),
             sse("response.failed",
                 R"({"type":"response.failed","response":{"id":"resp_x","status":"failed","error":{"code":"server_is_overloaded","message":"Our servers are currently overloaded."}}})")});
    });
    auto r = post(
        "/v1/messages",
        R"({"model":"codex-model","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"hi"}]})");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_NE(r->body.find("from the backup"), std::string::npos) << r->body;
}

TEST_F(Codex, AUsageLimitCoolsTheDeploymentUntilItsReset) {
    long long reset = static_cast<long long>(std::time(nullptr)) + 1800;
    m_codex.set_responder([reset](const RecordedRequest&) {
        return json_error(
            429,
            R"({"error":{"type":"usage_limit_reached","message":"The usage limit has been reached","plan_type":"plus","resets_at":)" +
                std::to_string(reset) + "}}");
    });
    auto r = post(
        "/v1/messages",
        R"({"model":"codex-model","max_tokens":100,"messages":[{"role":"user","content":"hi"}]})");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_NE(r->body.find("from the backup"), std::string::npos);
    auto cd = parse_json(run_ctl(m_home, {"cooldowns", "--json"}).out);
    bool found = false;
    for (const auto& c : cd["cooldowns"].GetArray()) {
        if (std::string(c["deployment"].GetString()).find("chatgpt/gpt-5.5") == std::string::npos)
            continue;
        found = true;
        EXPECT_TRUE(c["cooling"].GetBool());
        EXPECT_GT(c["remaining_s"].GetDouble(), 1700);  // until the reset, not a minute
    }
    EXPECT_TRUE(found) << json_stringify(cd);
}

// ---- the Responses API for clients ---------------------------------------------------------

TEST_F(Codex, ResponsesClientToAnAnthropicUpstreamWholeAndStreamed) {
    // `backup` is an Anthropic fake; the Responses client neither knows nor cares.
    auto whole = post(
        "/v1/responses",
        R"({"model":"backup","instructions":"Be brief.","input":"hi","max_output_tokens":50})");
    ASSERT_TRUE(whole);
    ASSERT_EQ(whole->status, 200) << whole->body;
    auto d = parse_json(whole->body);
    EXPECT_STREQ(d["object"].GetString(), "response");
    EXPECT_STREQ(d["status"].GetString(), "completed");
    EXPECT_STREQ(d["output"][0]["type"].GetString(), "message");
    EXPECT_STREQ(d["output"][0]["content"][0]["text"].GetString(), "from the backup");
    EXPECT_TRUE(d["usage"]["input_tokens"].IsInt64());
    auto sent = parse_json(m_backup.requests().back().body);
    EXPECT_STREQ(sent["system"][0]["text"].GetString(), "Be brief.");
    EXPECT_EQ(sent["max_tokens"].GetInt(), 50);

    auto streamed = post(
        "/v1/responses",
        R"({"model":"backup","stream":true,"input":[{"role":"user","content":[{"type":"input_text","text":"hi"}]}]})");
    ASSERT_TRUE(streamed);
    ASSERT_EQ(streamed->status, 200) << streamed->body;
    const std::string& s = streamed->body;
    for (const char* type :
         {"response.created", "response.output_item.added", "response.output_text.delta",
          "response.output_item.done", "response.completed"}) {
        EXPECT_NE(s.find(std::string("event: ") + type), std::string::npos) << type << "\n" << s;
    }
    EXPECT_LT(s.find("event: response.created"), s.find("event: response.completed"));
}

TEST_F(Codex, ResponsesClientToolLoopThroughCodex) {
    std::string tools =
        R"("tools":[{"type":"function","name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}},{"type":"web_search"}])";
    auto r1 =
        post("/v1/responses",
             R"({"model":"codex-model","stream":true,"input":"Weather in Paris?",)" + tools + "}");
    ASSERT_TRUE(r1);
    ASSERT_EQ(r1->status, 200) << r1->body << (m_refusals.empty() ? "" : m_refusals.back());
    // The reasoning item comes back to the client with its encrypted content.
    EXPECT_NE(r1->body.find(R"("encrypted_content":"enc-ONE")"), std::string::npos) << r1->body;
    EXPECT_NE(r1->body.find(R"("call_id":"call_1")"), std::string::npos);
    // The client sends the whole conversation back, as a store:false client does.
    std::string turn2 =
        R"({"model":"codex-model","store":false,"input":[{"role":"user","content":"Weather in Paris?"},)"
        R"({"type":"reasoning","id":"rs_client","summary":[{"type":"summary_text","text":"Need the weather."}],"encrypted_content":"enc-ONE"},)"
        R"({"type":"function_call","call_id":"call_1","name":"get_weather","arguments":"{\"city\":\"Paris\"}"},)"
        R"({"type":"function_call_output","call_id":"call_1","output":"sunny"}],)" +
        tools + "}";
    auto r2 = post("/v1/responses", turn2);
    ASSERT_TRUE(r2);
    ASSERT_EQ(r2->status, 200) << r2->body << (m_refusals.empty() ? "" : m_refusals.back());
    auto d = parse_json(r2->body);
    EXPECT_STREQ(d["output"][0]["content"][0]["text"].GetString(), "It is sunny in Paris.");
    // The client's item id did not reach the backend (store:false refuses unknown ids).
    EXPECT_TRUE(m_refusals.empty()) << m_refusals.back();
}

TEST_F(Codex, ResponsesFeaturesThatNeedAStoreAreRefusedClearly) {
    auto r = post("/v1/responses",
                  R"({"model":"codex-model","previous_response_id":"resp_1","input":"and then?"})");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    EXPECT_NE(r->body.find("keeps no response store"), std::string::npos) << r->body;
    EXPECT_NE(r->body.find(R"("type":"invalid_request_error")"), std::string::npos) << r->body;
}

// The quota cooldown re-checks its source: the usage endpoint says there is room long before
// the reset the 429 named, and the deployment is re-admitted through one probe.
TEST_F(Codex, AQuotaCooldownClearsItselfWhenTheUsageEndpointShowsRoom) {
    m_home.write("config.yaml", read_file(m_home.file("config.yaml")).value_or("") +
                                    "general_settings:\n  quota_check_interval_s: 1\n");
    ASSERT_EQ(run_ctl(m_home, {"reload"}).exit_code, 0);
    std::atomic<bool> quota_back{false};
    std::atomic<int> usage_checks{0};
    long long far = static_cast<long long>(std::time(nullptr)) + 3 * 86400;  // days ahead
    m_codex.set_responder([&, far](const RecordedRequest& req) {
        if (req.path == "/backend-api/wham/usage") {
            ++usage_checks;
            if (req.header("Authorization") != "Bearer codex-access-1" ||
                req.header("ChatGPT-Account-Id") != "acct-7") {
                return json_error(401, R"({"detail":"bad token"})");
            }
            return json_error(
                200,
                quota_back
                    ? R"({"plan_type":"plus","rate_limit":{"allowed":true,"limit_reached":false,"primary_window":{"used_percent":4,"reset_at":1900000000}}})"
                    : R"({"plan_type":"plus","rate_limit":{"allowed":false,"limit_reached":true,"primary_window":{"used_percent":100,"reset_at":1900000000}}})");
        }
        if (!quota_back) {
            return json_error(
                429,
                R"({"error":{"type":"usage_limit_reached","message":"The usage limit has been reached","resets_at":)" +
                    std::to_string(far) + "}}");
        }
        std::string why;
        return codex_backend(req, why);
    });
    const char* body =
        R"({"model":"codex-model","max_tokens":100,"messages":[{"role":"user","content":"hi"}]})";
    auto limited = post("/v1/messages", body);
    ASSERT_TRUE(limited);
    EXPECT_NE(limited->body.find("from the backup"), std::string::npos) << limited->body;
    auto cooldown = [&]() -> rapidjson::Document {
        auto d = parse_json(run_ctl(m_home, {"cooldowns", "--json"}).out);
        rapidjson::Document one;
        for (const auto& c : d["cooldowns"].GetArray()) {
            if (std::string(c["deployment"].GetString()).find("chatgpt/gpt-5.5") !=
                std::string::npos) {
                one.CopyFrom(c, one.GetAllocator());
            }
        }
        return one;
    };
    auto c = cooldown();
    ASSERT_TRUE(c.IsObject());
    EXPECT_TRUE(c["cooling"].GetBool());
    EXPECT_STREQ(c["quota_account"].GetString(), "chatgpt:acct-7");
    // The watcher reads the quota (still spent) and shows the reading.
    for (int i = 0; i < 100 && usage_checks.load() == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_GT(usage_checks.load(), 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    c = cooldown();
    EXPECT_NE(std::string(c["quota"].GetString()).find("primary 100%"), std::string::npos)
        << json_stringify(c);
    EXPECT_TRUE(c["cooling"].GetBool());
    // The plan resets early: the next reading reopens the deployment for one probe.
    quota_back = true;
    bool half_open = false;
    for (int i = 0; i < 100 && !half_open; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        c = cooldown();
        half_open = c.IsObject() && c["half_open"].GetBool();
    }
    ASSERT_TRUE(half_open) << json_stringify(c);
    EXPECT_NE(run_ctl(m_home, {"cooldowns"}).out.find("half-open"), std::string::npos);
    auto probe = post(
        "/v1/messages",
        R"({"model":"codex-model","max_tokens":100,"tools":[{"name":"get_weather","input_schema":{"type":"object"}}],"messages":[{"role":"user","content":"hi"}]})");
    ASSERT_TRUE(probe);
    EXPECT_EQ(probe->status, 200) << probe->body;
    EXPECT_EQ(probe->get_header_value("x-litellm-model"), "chatgpt/gpt-5.5");
    EXPECT_FALSE(cooldown().IsObject());  // closed: no cooldown left
}

// ---- what the earlier tests leave out ------------------------------------------------------

// The codex.rate_limits event of a stream is a quota reading of the account, shown whether or
// not anything cools.
TEST_F(Codex, TheStreamsQuotaReportIsKeptForTheAccount) {
    auto r = post("/v1/messages",
                  std::string(R"({"model":"codex-model","max_tokens":100,"stream":true,)") +
                      kTools + R"(,"messages":[{"role":"user","content":"Weather in Paris?"}]})");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    auto d = parse_json(run_ctl(m_home, {"cooldowns", "--json"}).out);
    ASSERT_TRUE(d.HasMember("quotas")) << json_stringify(d);
    ASSERT_EQ(d["quotas"].Size(), 1u) << json_stringify(d);
    const auto& q = d["quotas"][0];
    EXPECT_STREQ(q["account"].GetString(), "chatgpt:acct-7");
    std::string reading = q["reading"].GetString();
    EXPECT_NE(reading.find("primary 12%"), std::string::npos) << reading;
    EXPECT_NE(reading.find("[stream]"), std::string::npos) << reading;
    EXPECT_TRUE(q["room"].GetBool());
    std::string text = run_ctl(m_home, {"cooldowns"}).out;
    EXPECT_NE(text.find("chatgpt:acct-7"), std::string::npos) << text;
    EXPECT_NE(text.find("primary 12%"), std::string::npos) << text;
}

// A streaming Responses client (the Codex CLI's way) reaches Codex with its own bytes: only
// the model, the auth and the backend's body rules change, and the backend's events come back
// as they were sent.
TEST_F(Codex, AStreamingResponsesClientPassesThroughToCodex) {
    std::string body =
        R"({"model":"codex-model","stream":true,"temperature":0.2,"max_output_tokens":500,)"
        R"("metadata":{"k":"v"},"store":true,"include":[],"parallel_tool_calls":true,)"
        R"("input":[{"role":"system","content":"Be brief."},)"
        R"({"role":"user","content":"Weather in Paris?"},)"
        R"({"type":"reasoning","summary":[],"encrypted_content":"litellm1:anthropic:sig-from-claude"},)"
        R"({"type":"reasoning","id":"rs_kept_by_client","summary":[],"encrypted_content":"enc-ONE"},)"
        R"({"type":"function_call","call_id":"call_1","name":"get_weather","arguments":"{\"city\":\"Paris\"}"},)"
        R"({"type":"function_call_output","call_id":"call_1","output":"sunny"}],)"
        R"("tools":[{"type":"function","name":"get_weather","parameters":{"type":"object"}}]})";
    auto r = post("/v1/responses", body);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body << (m_refusals.empty() ? "" : m_refusals.back());
    EXPECT_TRUE(m_refusals.empty()) << m_refusals.back();
    // The backend's own events and ids, unchanged.
    EXPECT_NE(r->body.find(R"("item_id":"msg_1")"), std::string::npos) << r->body;
    EXPECT_NE(r->body.find(R"("id":"resp_2")"), std::string::npos) << r->body;
    EXPECT_NE(r->body.find("It is sunny "), std::string::npos);
    EXPECT_EQ(r->get_header_value("x-litellm-model"), "chatgpt/gpt-5.5");
    auto sent = parse_json(m_codex.requests().back().body);
    EXPECT_STREQ(sent["model"].GetString(), "gpt-5.5");
    EXPECT_FALSE(sent["store"].GetBool());
    EXPECT_STREQ(sent["prompt_cache_key"].GetString(), "sess-123");
    EXPECT_STREQ(sent["input"][0]["role"].GetString(), "developer");
    EXPECT_STREQ(sent["instructions"].GetString(), "");
    EXPECT_TRUE(sent["parallel_tool_calls"].GetBool());  // kept: there are tools
    // Claude's signature never reaches Codex; Codex's own reasoning returns without its id.
    std::string input = json_stringify(sent["input"]);
    EXPECT_EQ(input.find("sig-from-claude"), std::string::npos) << input;
    EXPECT_EQ(input.find("rs_kept_by_client"), std::string::npos) << input;
    EXPECT_NE(input.find("enc-ONE"), std::string::npos) << input;
}

// An OpenAI-chat client gets Codex's encrypted reasoning in LiteLLM's thinking_blocks and
// sends it back with the tool result: the second turn reaches Codex with its reasoning item.
TEST_F(Codex, OpenAIClientToolLoopCarriesTheEncryptedReasoningInThinkingBlocks) {
    std::string tools =
        R"("tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}])";
    auto r1 = post("/v1/chat/completions",
                   R"({"model":"codex-model","stream":true,)" + tools +
                       R"(,"messages":[{"role":"user","content":"Weather in Paris?"}]})");
    ASSERT_TRUE(r1);
    ASSERT_EQ(r1->status, 200) << r1->body;
    std::string signature, thinking;
    for (std::size_t at = r1->body.find("data: {"); at != std::string::npos;
         at = r1->body.find("data: {", at + 1)) {
        std::string line = r1->body.substr(at + 6, r1->body.find('\n', at) - at - 6);
        if (line.find("thinking_blocks") == std::string::npos) continue;
        auto c = parse_json(line);
        const auto& b = c["choices"][0]["delta"]["thinking_blocks"][0];
        signature = b["signature"].GetString();
        thinking = b["thinking"].GetString();
    }
    ASSERT_EQ(signature.rfind("litellm1:chatgpt:", 0), 0u) << r1->body;
    EXPECT_EQ(thinking, "Need the weather.");

    // The whole answer carries them too.
    auto whole1 = post("/v1/chat/completions",
                       R"({"model":"codex-model",)" + tools +
                           R"(,"messages":[{"role":"user","content":"Weather in Paris?"}]})");
    ASSERT_TRUE(whole1);
    ASSERT_EQ(whole1->status, 200) << whole1->body;
    auto w1 = parse_json(whole1->body);
    EXPECT_EQ(
        std::string(w1["choices"][0]["message"]["thinking_blocks"][0]["signature"].GetString()),
        signature);

    std::string turn2 =
        R"({"model":"codex-model",)" + tools +
        R"(,"messages":[{"role":"user","content":"Weather in Paris?"},)"
        R"({"role":"assistant","content":null,"thinking_blocks":[{"type":"thinking","thinking":"Need the weather.","signature":)" +
        json_quote(signature) +
        R"(}],"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},)"
        R"({"role":"tool","tool_call_id":"call_1","content":"sunny"}]})";
    auto r2 = post("/v1/chat/completions", turn2);
    ASSERT_TRUE(r2);
    ASSERT_EQ(r2->status, 200) << r2->body << (m_refusals.empty() ? "" : m_refusals.back());
    auto d = parse_json(r2->body);
    EXPECT_STREQ(d["choices"][0]["message"]["content"].GetString(), "It is sunny in Paris.");
    EXPECT_TRUE(m_refusals.empty()) << m_refusals.back();
}

// A plan without Codex is not a one-minute hiccup: the deployment rests, and the reason says
// what to do.
TEST_F(Codex, APlanWithoutCodexFallsBackAndSaysWhy) {
    m_codex.set_responder([](const RecordedRequest&) {
        return json_error(429,
                          R"({"error":{"type":"usage_not_included","message":"Upgrade to Plus"}})");
    });
    auto r = post(
        "/v1/messages",
        R"({"model":"codex-model","max_tokens":100,"messages":[{"role":"user","content":"hi"}]})");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_NE(r->body.find("from the backup"), std::string::npos);
    auto cd = parse_json(run_ctl(m_home, {"cooldowns", "--json"}).out);
    ASSERT_EQ(cd["cooldowns"].Size(), 1u) << json_stringify(cd);
    const auto& c = cd["cooldowns"][0];
    EXPECT_NE(std::string(c["reason"].GetString()).find("does not include Codex"),
              std::string::npos)
        << json_stringify(c);
    EXPECT_STREQ(c["quota_account"].GetString(), "chatgpt:acct-7");
    EXPECT_GT(c["remaining_s"].GetDouble(), 3000);  // the longest quota rest (capped)
}

// A model the plan does not offer is the deployment's problem, not the client's: the next
// deployment answers.
TEST_F(Codex, AModelThePlanLacksFallsBack) {
    m_codex.set_responder([](const RecordedRequest&) {
        return json_error(
            400,
            R"({"detail":"The 'gpt-5.5' model is not supported when using Codex with a ChatGPT account."})");
    });
    auto r = post(
        "/v1/messages",
        R"({"model":"codex-model","max_tokens":100,"messages":[{"role":"user","content":"hi"}]})");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_NE(r->body.find("from the backup"), std::string::npos) << r->body;
}

// Parallel calls keyed by item id (argument deltas interleaved), whole and streamed, and the
// x-codex-* headers of the answer as the account's reading.
TEST_F(Codex, ParallelCallsAndTheQuotaHeaders) {
    m_codex.set_responder([](const RecordedRequest&) {
        FakeReply r = stream_of({
            sse("response.created",
                R"({"type":"response.created","response":{"id":"resp_p","status":"in_progress","output":[]}})"),
            sse("response.output_item.added",
                R"({"type":"response.output_item.added","output_index":0,"item":{"id":"fc_a","type":"function_call","call_id":"call_a","name":"get_weather","arguments":""}})"),
            sse("response.output_item.added",
                R"({"type":"response.output_item.added","output_index":1,"item":{"id":"fc_b","type":"function_call","call_id":"call_b","name":"get_weather","arguments":""}})"),
            sse("response.function_call_arguments.delta",
                R"({"type":"response.function_call_arguments.delta","item_id":"fc_b","output_index":1,"delta":"{\"city\":\"Rome\"}"})"),
            sse("response.function_call_arguments.delta",
                R"({"type":"response.function_call_arguments.delta","item_id":"fc_a","output_index":0,"delta":"{\"city\":\"Oslo\"}"})"),
            sse("response.output_item.done",
                R"({"type":"response.output_item.done","output_index":0,"item":{"id":"fc_a","type":"function_call","call_id":"call_a","name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}})"),
            sse("response.output_item.done",
                R"({"type":"response.output_item.done","output_index":1,"item":{"id":"fc_b","type":"function_call","call_id":"call_b","name":"get_weather","arguments":"{\"city\":\"Rome\"}"}})"),
            sse("response.completed",
                R"({"type":"response.completed","response":{"id":"resp_p","status":"completed","output":[],"usage":{"input_tokens":10,"output_tokens":5,"total_tokens":15}}})"),
        });
        r.headers = {{"x-codex-primary-used-percent", "61"},
                     {"x-codex-primary-window-minutes", "300"},
                     {"x-codex-primary-reset-at", "1900000000"},
                     {"x-codex-secondary-used-percent", "22"}};
        return r;
    });
    std::string body = std::string(R"({"model":"codex-model","max_tokens":100,)") + kTools +
                       R"(,"messages":[{"role":"user","content":"Oslo and Rome?"}]})";
    auto whole = post("/v1/messages", body);
    ASSERT_TRUE(whole);
    ASSERT_EQ(whole->status, 200) << whole->body;
    auto d = parse_json(whole->body);
    ASSERT_EQ(d["content"].Size(), 2u) << whole->body;
    EXPECT_STREQ(d["content"][0]["id"].GetString(), "call_a");
    EXPECT_STREQ(d["content"][0]["input"]["city"].GetString(), "Oslo");
    EXPECT_STREQ(d["content"][1]["id"].GetString(), "call_b");
    EXPECT_STREQ(d["content"][1]["input"]["city"].GetString(), "Rome");
    EXPECT_STREQ(d["stop_reason"].GetString(), "tool_use");

    body.insert(1, R"("stream":true,)");
    auto streamed = post("/v1/messages", body);
    ASSERT_TRUE(streamed);
    ASSERT_EQ(streamed->status, 200);
    EXPECT_NE(streamed->body.find(R"(\"city\":\"Rome\")"), std::string::npos) << streamed->body;
    EXPECT_NE(streamed->body.find(R"(\"city\":\"Oslo\")"), std::string::npos);

    auto cd = parse_json(run_ctl(m_home, {"cooldowns", "--json"}).out);
    ASSERT_EQ(cd["quotas"].Size(), 1u) << json_stringify(cd);
    std::string reading = cd["quotas"][0]["reading"].GetString();
    EXPECT_NE(reading.find("primary 61%"), std::string::npos) << reading;
    EXPECT_NE(reading.find("weekly 22%"), std::string::npos) << reading;
    EXPECT_NE(reading.find("[headers]"), std::string::npos) << reading;
}

}  // namespace
}  // namespace litellm::test
