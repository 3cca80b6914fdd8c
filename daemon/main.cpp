// litellmd: the gateway daemon. Runs in the foreground; `litellmctl start` wraps it in a
// service manager.

#include <pthread.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include <CLI/CLI.hpp>

#include "common/config.hpp"
#include "common/dotenv.hpp"
#include "common/log.hpp"
#include "common/paths.hpp"
#include "daemon/daemon.hpp"
#include "proto/commit.hpp"
#include "proto/errors.hpp"
#include "proto/version.hpp"

namespace {

// --check-config: 0 when the file loads, 5 (config_invalid, as everywhere) when it has errors;
// diagnostics on stderr.
int check_config(const std::string& file, const std::string& home) {
    litellm::load_dotenv_file(litellm::home_paths(home).dotenv);
    auto result = litellm::load_config_file(file);
    for (const auto& d : result.diagnostics)
        std::fprintf(stderr, "%s\n", d.to_string().c_str());
    if (!result.ok()) {
        std::fprintf(stderr, "%s: %zu error(s)\n", file.c_str(), result.errors().size());
        return static_cast<int>(litellm::proto::ExitCode::kConfigInvalid);
    }
    std::printf("%s: OK (%zu models, %zu fallback chains, %zu warnings)\n", file.c_str(),
                result.config->model_names().size(), result.config->router.fallbacks.size(),
                result.warnings().size());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    // One thread per open connection and per stream: small stacks keep thousands of streams
    // cheap (the default 8 MiB is reserved address space per thread). The only recursion is
    // over JSON nesting, which max_json_depth bounds; 512 KiB leaves a wide margin. ASan's
    // redzones make frames several times larger, so the sanitizer build gets 4 MiB.
#ifdef LITELLM_SANITIZE_BUILD
    constexpr std::size_t kWorkerStackBytes = 4u << 20;
#else
    constexpr std::size_t kWorkerStackBytes = 512u << 10;
#endif
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) == 0) {
        pthread_attr_setstacksize(&attr, kWorkerStackBytes);
        pthread_setattr_default_np(&attr);
        pthread_attr_destroy(&attr);
    }
    CLI::App app{
        "litellmd: a local LLM gateway speaking the Anthropic and OpenAI APIs, with "
        "fallback chains across providers.\nRuns in the foreground; use `litellmctl "
        "start` to run it as a service."};
    app.set_version_flag("--version", std::string("litellmd ") + litellm::proto::kVersion +
                                          " (commit " + litellm::build::kCommit + ")");
    litellm::DaemonOptions options;
    options.home = litellm::default_home();
    std::string check_file;
    std::string level = "info";
    bool quiet = false;
    app.add_option("--home", options.home, "LITELLM_HOME: config, .env, tokens, logs, socket")
        ->capture_default_str();
    app.add_option("-c,--config", options.config_path, "Config file (default: HOME/config.yaml)");
    app.add_option("-p,--port", options.port, "HTTP port; 0 picks a free one")
        ->capture_default_str()
        ->check(CLI::Range(0, 65535));
    app.add_option("--host", options.host,
                   "Address to listen on; anything but loopback needs a master_key")
        ->capture_default_str();
    app.add_option("--log-level", level, "debug, info, warn or error")
        ->capture_default_str()
        ->check(CLI::IsMember({"debug", "info", "warn", "warning", "error"}));
    app.add_flag("-q,--quiet", quiet,
                 "Do not copy log lines to stderr (the log file still has them)");
    app.add_option("--check-config", check_file,
                   "Validate FILE and exit: 0 when it loads, 5 when it has errors");
    app.footer(
        "Exit codes: 0 ok, 1 failure, 2 usage, 5 config invalid, 8 already running.\n"
        "Docs: docs/ARCHITECTURE.md, docs/control-protocol.md");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);
        return rc == 0 ? 0 : static_cast<int>(litellm::proto::ExitCode::kUsage);
    }
    options.home = litellm::absolute_path(options.home);
    options.argv.assign(argv, argv + argc);
    // Set by the previous process when it restarted in place (Daemon::request_restart).
    if (const char* fd = std::getenv("LITELLMD_LISTEN_FD")) {
        options.inherited_listen_fd = std::atoi(fd);
        ::unsetenv("LITELLMD_LISTEN_FD");
    }
    if (!check_file.empty()) return check_config(check_file, options.home);
    options.log_level = litellm::parse_log_level(level).value_or(litellm::LogLevel::kInfo);
    options.log_to_stderr = !quiet;
    litellm::Daemon daemon(options);
    return daemon.run();
}
