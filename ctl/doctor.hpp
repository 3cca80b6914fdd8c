#pragma once
// `litellmctl doctor`: checks everything that can keep litellmd from working and says what to
// do about each problem.

#include <string>

namespace litellm::ctl {

/// Options of `litellmctl doctor`.
struct DoctorOptions {
    std::string home;         ///< LITELLM_HOME (absolute)
    std::string config_path;  ///< empty = home/config.yaml
    std::string socket_path;  ///< control socket
    int port = 4000;          ///< the port the service uses (from the unit or --port)
    int probe_timeout_ms = 2000;
    bool skip_network = false;  ///< --offline: no DNS/TCP probes of upstream hosts
    bool json = false;
};

/// Runs every check, prints one line per check (ok / warn / FAIL + how to fix), and returns 0
/// when nothing failed, 1 otherwise.
int doctor(const DoctorOptions& options);

}  // namespace litellm::ctl
