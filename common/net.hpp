#pragma once
// Small network helpers: who holds a local TCP port (for "port in use" messages) and a quick
// DNS + TCP reachability probe (for `litellmctl doctor`).

#include <sys/uio.h>

#include <string>

namespace litellm {

/// The process listening on local TCP `port`: "pid 123 (python3)", or "" when unknown or free.
std::string port_holder(int port);

/// True when something listens on 127.0.0.1:`port` (a connect succeeds).
bool local_port_in_use(int port);

/// Outcome of a reachability probe.
struct ProbeResult {
    bool resolved = false;   ///< DNS gave an address
    bool connected = false;  ///< a TCP connect succeeded within the timeout
    std::string detail;      ///< the address tried, or the error
};

/// Resolves `host` and opens (then closes) a TCP connection to `port`, within `timeout_ms`.
ProbeResult probe_tcp(const std::string& host, int port, int timeout_ms);

/// Sends every byte of `iov[0..count)` on blocking socket `fd` (MSG_NOSIGNAL), across partial
/// writes and EINTR; `iov` is consumed. False on failure with errno set (EAGAIN: send timeout).
bool send_all_iov(int fd, iovec* iov, int count);

}  // namespace litellm
