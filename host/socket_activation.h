// Listening sockets systemd passes to keel (socket activation, etc/systemd/keel.socket).
#pragma once

#include <map>
#include <string>

namespace keel::host {

// Sockets passed by systemd (LISTEN_FDS, names from FileDescriptorName=), by name. The variables
// are cleared so that processes keel starts do not inherit them.
std::map<std::string, int> socketActivationListeners();

}  // namespace keel::host
