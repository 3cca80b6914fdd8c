#pragma once
// A fake Qwen Portal for tests: the device-code and token endpoints of chat.qwen.ai and the
// OpenAI-compatible chat of portal.qwen.ai, on one 127.0.0.1 port. Tokens are numbered
// ("qwen-at-1", "qwen-rt-1", ...); a refresh rotates both, and only the newest access token is
// accepted by the chat endpoint (unless revoke_access() says otherwise).

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "fakes/fake_upstream.hpp"

namespace litellm::test {

class FakeQwen {
  public:
    FakeQwen();

    /// Base for the OAuth endpoint variables, e.g. http://127.0.0.1:PORT
    std::string base_url() const { return m_server.base_url(); }
    std::string device_code_url() const { return base_url() + "/api/v1/oauth2/device/code"; }
    std::string token_url() const { return base_url() + "/api/v1/oauth2/token"; }
    /// .env lines pointing litellmd and litellmctl here.
    std::string dotenv() const;
    /// A token file as a login would leave it: numbered `n`, expiring at `expires_at`.
    std::string token_file(int n, long long expires_at) const;

    // ---- script ----
    /// Polls answered `authorization_pending`, then `slow_down`, before the approval.
    void set_login_script(int pending, int slow_down);
    /// The device-code request is refused with 403 (the retired free tier).
    void refuse_logins(bool refuse) { m_refuse_logins = refuse; }
    /// Refreshes fail: 0 = no, 400 = invalid_grant, 500 = server error.
    void fail_refreshes(int status) { m_refresh_failure = status; }
    /// Each refresh answer waits this long.
    void set_refresh_delay_ms(int ms) { m_refresh_delay_ms = ms; }
    /// Tokens issued expire after this many seconds.
    void set_expires_in(int s) { m_expires_in = s; }
    /// Makes `n` the current token pair (as if it had been issued).
    void set_current(int n);
    /// The chat endpoint refuses every access token (401 invalid access token).
    void revoke_access() { m_revoked = true; }
    /// Only the current access token is refused from now on; its refresh token still works
    /// (a server-side revocation a refresh recovers from).
    void revoke_current_access();
    /// Whether requests and chat tokens are kept (default true); a long soak turns it off.
    void set_keep_history(bool keep);
    /// Streamed chat answers ("stream": true) wait this long between chunks.
    void set_stream_chunk_delay_ms(int ms) { m_chunk_delay_ms = ms; }

    // ---- what happened ----
    int refreshes() const { return m_refreshes.load(); }
    int device_requests() const { return m_device_requests.load(); }
    int polls() const { return m_polls.load(); }
    /// Authorization headers the chat endpoint received, in order.
    std::vector<std::string> chat_tokens() const;
    /// The code_challenge of the last device request and the verifier of the last poll.
    std::string last_challenge() const;
    std::string last_verifier() const;
    std::vector<RecordedRequest> requests() const { return m_server.requests(); }

  private:
    FakeReply respond(const RecordedRequest& req);
    FakeReply token(const std::map<std::string, std::string>& form);

    mutable std::mutex m_mutex;
    int m_pending = 0, m_slow_down = 0;
    std::atomic<bool> m_refuse_logins{false};
    std::atomic<int> m_refresh_failure{0};
    std::atomic<int> m_refresh_delay_ms{0};
    std::atomic<int> m_expires_in{3600};
    std::atomic<bool> m_revoked{false};
    std::atomic<int> m_chunk_delay_ms{0};
    std::atomic<bool> m_keep_history{true};
    std::set<std::string> m_refused_access;  ///< revoked one by one (guarded by m_mutex)
    int m_issued = 0;                        ///< number of the newest token pair
    std::atomic<int> m_refreshes{0}, m_device_requests{0}, m_polls{0};
    std::vector<std::string> m_chat_tokens;
    std::string m_challenge, m_verifier;
    FakeUpstream m_server;  ///< last: its thread calls respond() until it is destroyed
};

/// Splits an x-www-form-urlencoded body.
std::map<std::string, std::string> parse_form(const std::string& body);

}  // namespace litellm::test
