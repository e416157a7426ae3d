// Blocking sockets with poll() deadlines: simple enough to trust in a test.
#include "raw_connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace keel::testing {

RawConnection::RawConnection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        connectError_ = std::strerror(errno);
        ::close(fd_);
        fd_ = -1;
        return;
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

RawConnection::~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
}

bool RawConnection::send(const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        const auto n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) return false;
        sent += static_cast<std::size_t>(n);
    }
    return true;
}

void RawConnection::closeSending() { ::shutdown(fd_, SHUT_WR); }

std::string RawConnection::readAll(std::chrono::milliseconds timeout) {
    return readUntil(std::string(), 0, timeout);
}

RawConnection::Received RawConnection::receiveBefore(std::chrono::steady_clock::time_point deadline, std::string& into) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return Received::Timeout;
    pollfd wait{fd_, POLLIN, 0};
    if (::poll(&wait, 1, static_cast<int>(left.count())) <= 0) return Received::Timeout;
    char buffer[16384];
    const auto n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) return Received::Closed;
    into.append(buffer, static_cast<std::size_t>(n));
    return Received::Data;
}

std::string RawConnection::readUntil(const std::string& marker, int count, std::chrono::milliseconds timeout) {
    std::string received;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        if (!marker.empty()) {
            int found = 0;
            for (auto at = received.find(marker); at != std::string::npos; at = received.find(marker, at + 1)) ++found;
            if (found >= count) return received;
        }
        if (receiveBefore(deadline, received) != Received::Data) return received;
    }
}

bool RawConnection::closedWithin(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string discarded;
    while (true) {
        switch (receiveBefore(deadline, discarded)) {
            case Received::Closed: return true;
            case Received::Timeout: return false;
            case Received::Data: discarded.clear(); break;
        }
    }
}

int statusOf(const std::string& bytes) {
    if (bytes.rfind("HTTP/1.", 0) != 0 || bytes.size() < 12) return 0;
    return std::atoi(bytes.substr(9, 3).c_str());
}

void raiseOpenFileLimit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
}

}  // namespace keel::testing
