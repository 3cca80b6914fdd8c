#pragma once
// What a Google login for Gemini CLI / Code Assist needs beyond OAuth itself: the Gemini CLI's
// OAuth client (its id and secret, from the environment or from an installed @google/gemini-cli,
// whichever layout it ships), the account's email, and the Code Assist project the account
// works in (loadCodeAssist, then onboardUser polled until its operation is done).

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/oauth.hpp"

namespace litellm {

/// The Gemini CLI's OAuth client, and where it was found.
struct GeminiClientCredentials {
    std::string client_id;
    std::string client_secret;
    std::string source;                 ///< "environment" or the file it came from
    std::vector<std::string> searched;  ///< where it was looked for (when not found)
    bool found() const { return !client_id.empty() && !client_secret.empty(); }
};

/// GEMINI_CLI_OAUTH_CLIENT_ID / _SECRET, else the first installed @google/gemini-cli that
/// holds them: next to `gemini` on PATH (up to 10 parents), the global node_modules of npm,
/// bun and nvm, and `npm root -g` when `ask_npm` (a process: only where a person waits); both
/// its older layout (gemini-cli-core's oauth2.js) and the newer bundle are read.
GeminiClientCredentials find_gemini_client_credentials(const EnvGetter& env, bool ask_npm = true);

/// The client id and secret written in a Gemini CLI source or bundle file; false when `text`
/// does not hold both.
bool extract_gemini_client_credentials(std::string_view text, std::string& id, std::string& secret);

/// How finding the account's Code Assist project ended.
struct CodeAssistSetup {
    bool ok = false;
    std::string project_id;  ///< empty on the free tier, which takes none
    std::string tier;        ///< "standard-tier", "free-tier", ...
    std::string error;       ///< why not, naming what to do
};

/// Finds (or onboards) the account's project at `api_base` (".../v1internal") with
/// `access_token`; GOOGLE_CLOUD_PROJECT (or _ID) in `env` is the user's choice. `progress` is
/// told about the wait while onboarding runs; `poll_ms` is the wait between polls.
CodeAssistSetup setup_code_assist(const OAuthClient& client, const std::string& api_base,
                                  const std::string& access_token, const EnvGetter& env,
                                  const std::function<void(const std::string&)>& progress,
                                  int poll_ms = 5000);

/// The account's email from Google's userinfo endpoint, or "" when it does not say.
std::string fetch_google_email(const OAuthClient& client, const std::string& userinfo_url,
                               const std::string& access_token);

}  // namespace litellm
