#pragma once
// The browser half of an authorization-code login (ChatGPT, Gemini): a one-shot HTTP server on
// 127.0.0.1 that takes the provider's redirect, on its fixed port or the documented fallback,
// racing a redirect URL pasted into the terminal (a headless machine's browser is elsewhere).

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace litellm::ctl {

/// The query of a redirect, taken apart.
struct RedirectParams {
    std::string code;
    std::string state;
    std::string error;
    std::string error_description;
};

/// Parses a pasted or received redirect: a full URL, a path with a query, or the bare query
/// ("code=...&state=...").
RedirectParams parse_redirect(std::string_view text);

/// What the login waits with.
struct CallbackOptions {
    std::vector<int> ports;               ///< the fixed port first, then fallbacks
    std::string path = "/auth/callback";  ///< the redirect path
    std::string state;                    ///< the state the authorize URL carried
    int timeout_s = 300;
    int paste_fd = 0;  ///< where a pasted URL is read (stdin); -1 = none
    /// Told why a redirect was ignored (another login's state) while the wait goes on.
    std::function<void(const std::string&)> on_ignored;
};

/// How the wait ended.
struct CallbackResult {
    bool ok = false;
    std::string code;
    std::string error;  ///< why not (denied, timeout)
    bool pasted = false;
    bool foreign = false;  ///< the redirect's state is not this login's (the wait goes on)
};

class LoopbackCallback {
  public:
    LoopbackCallback() = default;
    ~LoopbackCallback();
    LoopbackCallback(const LoopbackCallback&) = delete;
    LoopbackCallback& operator=(const LoopbackCallback&) = delete;

    /// Listens on the first free port of options.ports; false with `error` when none is.
    bool listen(const CallbackOptions& options, std::string* error);
    int port() const { return m_port; }
    /// http://localhost:<port><path>, the redirect_uri the authorize URL names.
    std::string redirect_uri() const;

    /// Waits for the redirect (answering the browser with a page) or a pasted one. A redirect
    /// whose state is not this login's (an old tab, another login, a local attacker) is refused
    /// and does not end the wait: it must not complete the login, nor be able to cancel it.
    CallbackResult wait();

  private:
    /// Answers one connection's request; the wait's result when it ends the wait.
    std::optional<CallbackResult> answer(int fd, const std::string& request);
    CallbackResult judge(const RedirectParams& p, bool pasted) const;
    /// Reports a redirect that was ignored through options.on_ignored.
    void ignored(const CallbackResult& r, bool pasted) const;

    CallbackOptions m_options;
    int m_listen = -1;
    int m_port = 0;
};

/// The command that forwards `port` from a laptop to this machine over SSH.
std::string ssh_tunnel_hint(int port);

}  // namespace litellm::ctl
