#pragma once
// Small network helpers: who holds a local TCP port (for "port in use" messages), a quick
// DNS + TCP reachability probe (for `litellmctl doctor`), and the reading of host names in
// Host and Origin headers.

#include <sys/uio.h>

#include <string>
#include <string_view>

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

/// True when `host` (no brackets) is an IPv4 or IPv6 address, not a name.
bool is_ip_literal(const std::string& host);

/// The host of an authority ("h", "h:port", "[v6]", "[v6]:port"), lower-cased, without
/// brackets or a trailing dot; "" when it is malformed.
std::string authority_host(std::string_view authority);

/// True when `host` (as authority_host gives it) can only mean this machine: "localhost", a
/// name under ".localhost", an address in 127.0.0.0/8, or ::1.
bool is_loopback_host(const std::string& host);

/// This machine's host name, lower-cased ("" when unknown).
std::string local_host_name();

}  // namespace litellm
