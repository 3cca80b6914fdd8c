#pragma once
// The service layer behind `litellmctl start/stop/restart/uninstall-service/status`: a systemd
// user unit on Linux, a launchd agent on macOS, and a detached daemon with a pid file where
// neither exists (containers, no user systemd). Unit and plist come from templates in etc/.

#include <optional>
#include <string>
#include <vector>

namespace litellm::ctl {

/// Which service manager runs litellmd.
enum class ServiceManager { kSystemd, kLaunchd, kDetached };

/// "systemd", "launchd", "detached".
const char* service_manager_name(ServiceManager m);

/// The manager for this machine: LITELLM_SERVICE_MANAGER when set (tests), else launchd on
/// macOS, systemd when `systemctl --user` answers, else detached.
ServiceManager detect_service_manager();

/// What a service runs.
struct ServiceSpec {
    std::string home;
    std::string config_path;  ///< empty = home/config.yaml
    int port = 4000;
    std::string litellmd;    ///< absolute path of the daemon binary
    std::string litellmctl;  ///< absolute path of this binary (ExecReload)
};

/// The systemd user unit for `spec` (from etc/litellmd.service.in).
std::string render_systemd_unit(const ServiceSpec& spec);
/// The launchd agent plist for `spec` (from etc/com.litellm.litellmd.plist.in).
std::string render_launchd_plist(const ServiceSpec& spec);

/// Where the unit / plist / pid file lives.
std::string systemd_unit_path();
std::string launchd_plist_path();

/// What the service manager knows.
struct ServiceState {
    ServiceManager manager = ServiceManager::kDetached;
    bool installed = false;  ///< unit/plist file present, or pid file for detached
    bool active = false;     ///< the manager says it runs
    std::string path;        ///< unit / plist / pid file
    std::string detail;      ///< e.g. "active (running)", "pid 123", "inactive"
    int pid = 0;
    std::optional<int> port;  ///< from the installed unit / plist, when readable
};

/// The current state for `home` under `manager`.
ServiceState service_state(ServiceManager manager, const std::string& home);

/// Options shared by the service commands.
struct ServiceOptions {
    std::string home;
    std::string socket_path;
    std::string config_path;
    std::optional<int> port;
    int timeout_ms = 20000;  ///< how long `start`/`restart` wait for rpc.hello
    int drain_s = 30;
    std::optional<ServiceManager> manager;  ///< --manager
    bool json = false;
};

/// `litellmctl start`. Returns the exit code.
int service_start(const ServiceOptions& options);
/// `litellmctl stop`.
int service_stop(const ServiceOptions& options);
/// `litellmctl restart`: in place through the daemon when it runs, else a start.
int service_restart(const ServiceOptions& options);
/// `litellmctl uninstall-service`.
int service_uninstall(const ServiceOptions& options);

}  // namespace litellm::ctl
