// keel under a pretend systemd: a unix datagram socket in NOTIFY_SOCKET receives the sd_notify
// messages of start, SIGHUP, watchdog pings (none while the host is wedged) and stop.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fstream>
#include <future>

#include <Poco/Net/ServerSocket.h>

#include "keel_process.h"

namespace keel::testing {
namespace {

class NotifySocket {
public:
    NotifySocket() : path_("/tmp/keel-notify-" + std::to_string(::getpid()) + ".sock") {
        ::unlink(path_.c_str());
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path_.c_str());
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) throw std::runtime_error("bind");
    }
    ~NotifySocket() {
        ::close(fd_);
        ::unlink(path_.c_str());
    }
    const std::string& path() const { return path_; }
    // The next datagram, or "" after `timeout`.
    std::string next(std::chrono::milliseconds timeout) {
        pollfd poll{fd_, POLLIN, 0};
        if (::poll(&poll, 1, static_cast<int>(timeout.count())) <= 0) return "";
        char buffer[4096];
        const auto size = ::recv(fd_, buffer, sizeof buffer, 0);
        return size > 0 ? std::string(buffer, static_cast<std::size_t>(size)) : "";
    }
    // Reads until a message containing `what` arrives; false after `timeout`.
    bool waitFor(const std::string& what, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            const auto message = next(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
            if (message.find(what) != std::string::npos) return true;
        }
        return false;
    }
    // Every message that arrives within `window`.
    std::vector<std::string> drain(std::chrono::milliseconds window) {
        std::vector<std::string> messages;
        const auto deadline = std::chrono::steady_clock::now() + window;
        while (std::chrono::steady_clock::now() < deadline) {
            auto message = next(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
            if (!message.empty()) messages.push_back(std::move(message));
        }
        return messages;
    }

private:
    std::string path_;
    int fd_ = -1;
};

TEST(Systemd, NotifiesReadyReloadingWatchdogAndStoppingAndStopsPingingWhenWedged) {
    NotifySocket systemd;
    const std::string config = "/tmp/keel-systemd-" + std::to_string(::getpid()) + ".ini";
    std::ofstream(config) << "[log]\nlevel = info\n";
    // The probe's middleware is declared non-blocking, so /live is answered on an I/O thread as in
    // production: the watchdog must see stuck workers some other way.
    KeelProcess keel(withPlugins("health, hello", {"--config", config, "--define", "server.max_threads=2", "--define",
                                                   "probe.non_blocking_middleware=true"}),
                     {{"NOTIFY_SOCKET", systemd.path()}, {"WATCHDOG_USEC", "400000"}});
    ASSERT_TRUE(systemd.waitFor("READY=1")) << keel.output();
    EXPECT_TRUE(keel.waitUntilLive());
    EXPECT_TRUE(systemd.waitFor("WATCHDOG=1", std::chrono::seconds(2))) << keel.output();

    keel.signal(SIGHUP);
    EXPECT_TRUE(systemd.waitFor("RELOADING=1"));
    EXPECT_TRUE(systemd.waitFor("READY=1"));

    // Wedge the public listener: both of its threads sleep in a slow handler.
    auto first = std::async(std::launch::async, [&] {
        return httpRequest(keel.publicPort(), "GET", "/probe/slow?ms=2500", "", "", std::chrono::seconds(10));
    });
    auto second = std::async(std::launch::async, [&] {
        return httpRequest(keel.publicPort(), "GET", "/probe/slow?ms=2500", "", "", std::chrono::seconds(10));
    });
    ASSERT_TRUE(eventually([&] {
        return httpRequest(keel.adminPort(), "GET", "/admin/status").body.find("\"in_flight\":3") != std::string::npos;
    })) << keel.output();
    // /live is answered at once by the event loop (a worker would be free only after 2.5 s)...
    EXPECT_EQ(httpRequest(keel.publicPort(), "GET", "/live", "", "", std::chrono::milliseconds(500)).status, 200);
    // ...yet the watchdog stops pinging.
    systemd.drain(std::chrono::milliseconds(400));  // a ping already on its way
    int pings = 0;
    for (const auto& message : systemd.drain(std::chrono::milliseconds(1200))) {
        pings += message.find("WATCHDOG=1") != std::string::npos ? 1 : 0;
    }
    EXPECT_EQ(pings, 0) << "a wedged host must not tell systemd it is fine";
    EXPECT_EQ(first.get().status, 200);
    EXPECT_EQ(second.get().status, 200);
    EXPECT_TRUE(systemd.waitFor("WATCHDOG=1", std::chrono::seconds(3))) << "pings resume once it answers again";

    keel.signal(SIGTERM);
    EXPECT_TRUE(systemd.waitFor("STOPPING=1"));
    EXPECT_EQ(keel.waitForExit(), 0);
    std::remove(config.c_str());
}

TEST(Systemd, ServesOnSocketsPassedBySocketActivation) {
    // Play systemd: bind both listeners here, hand them over as descriptors 3 and 4.
    Poco::Net::ServerSocket publicSocket(Poco::Net::SocketAddress("127.0.0.1", 0));
    Poco::Net::ServerSocket adminSocket(Poco::Net::SocketAddress("127.0.0.1", 0));
    const int publicPort = publicSocket.address().port();
    const int adminPort = adminSocket.address().port();
    std::string command = std::string("LISTEN_PID=$$ exec ") + KEEL_BINARY;
    // Ports that cannot be bound prove the passed sockets are used.
    for (const auto& argument : withPlugins("health, hello", {"--define", "server.port=1", "--define", "admin.port=1"})) {
        command += " '" + argument + "'";
    }
    ChildProcess keel({"/bin/sh", "-c", command},
                      {{"LISTEN_FDS", "2"}, {"LISTEN_FDNAMES", "public:admin"}},
                      {publicSocket.impl()->sockfd(), adminSocket.impl()->sockfd()});
    EXPECT_TRUE(eventually([&] { return httpRequest(publicPort, "GET", "/hello/Ada").status == 200; })) << keel.output();
    EXPECT_EQ(httpRequest(adminPort, "GET", "/health").status, 200);
    EXPECT_NE(keel.output().find("(socket activation)"), std::string::npos) << keel.output();
    keel.signal(SIGTERM);
    EXPECT_EQ(keel.waitForExit(std::chrono::seconds(30)), 0) << keel.output();
}

TEST(Systemd, SendsNothingWithoutNotifySocket) {
    KeelProcess keel(withPlugins("health", {}));
    ASSERT_TRUE(keel.waitUntilLive());
    keel.signal(SIGTERM);
    EXPECT_EQ(keel.waitForExit(), 0);
    EXPECT_EQ(keel.output().find("sd_notify failed"), std::string::npos);
}

}  // namespace
}  // namespace keel::testing
