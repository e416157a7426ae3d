// socketActivationListeners: sd_listen_fds_with_names.
#include "socket_activation.h"

#include <systemd/sd-daemon.h>
#include <sys/socket.h>

#include <cstdlib>

namespace keel::host {

std::map<std::string, int> socketActivationListeners() {
    std::map<std::string, int> sockets;
    char** names = nullptr;
    const int count = sd_listen_fds_with_names(1, &names);
    for (int i = 0; i < count; ++i) {
        const std::string name = names != nullptr && names[i] != nullptr ? names[i] : "unknown";
        if (sd_is_socket(SD_LISTEN_FDS_START + i, 0, SOCK_STREAM, 1) > 0) sockets[name] = SD_LISTEN_FDS_START + i;
    }
    if (names != nullptr) {
        for (int i = 0; i < count; ++i) std::free(names[i]);
        std::free(names);
    }
    return sockets;
}

}  // namespace keel::host
