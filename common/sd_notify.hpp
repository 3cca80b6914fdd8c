#pragma once
// sd_notify without libsystemd: one datagram to $NOTIFY_SOCKET (the protocol is stable and is
// the API). A leading '@' names an abstract socket. Does nothing when the variable is unset.

#include <string_view>

namespace litellm {

/// Sends `state` (e.g. "READY=1\nSTATUS=serving") to the service manager; true when sent.
bool sd_notify(std::string_view state);

/// "RELOADING=1\nMONOTONIC_USEC=<now>", as Type=notify-reload wants before a reload.
bool sd_notify_reloading();

}  // namespace litellm
