// One Poco HTTPServer (a "listener": public or admin) that hands every request to the
// Dispatcher as SDK types. Owns its socket, thread pool and server; start/stop from one thread.
#pragma once

#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>
#include <spdlog/logger.h>

#include <chrono>
#include <memory>
#include <string>

#include "dispatcher.h"
#include "host_settings.h"

namespace keel::host {

struct ConnectionLimits {
    std::chrono::milliseconds readTimeout{30000};
    std::chrono::milliseconds writeTimeout{30000};
    std::chrono::milliseconds keepAliveTimeout{15000};
    int maxKeepAliveRequests = 1000;
    std::size_t maxBodySize = 1024 * 1024;
};

class HttpListener {
public:
    HttpListener(ListenerSettings settings, ConnectionLimits limits, Dispatcher& dispatcher,
                 std::shared_ptr<spdlog::logger> logger);
    ~HttpListener();

    // Binds and starts serving. Throws std::runtime_error naming the address on failure.
    // `inheritedSocket`: a listening socket handed over by systemd (socket activation), served
    // instead of binding host:port.
    void start(int inheritedSocket = -1);
    // Stops accepting and closes the listening socket (new connections are refused); requests
    // being served finish, idle keep-alive connections are closed.
    void stopAccepting();
    const std::string& name() const { return settings_.name; }
    // The bound port (useful with port 0).
    int port() const { return boundPort_; }

private:
    ListenerSettings settings_;
    ConnectionLimits limits_;
    Dispatcher& dispatcher_;
    std::shared_ptr<spdlog::logger> logger_;
    Poco::Net::ServerSocket socket_;
    std::unique_ptr<Poco::ThreadPool> threads_;
    std::unique_ptr<Poco::Net::HTTPServer> server_;
    int boundPort_ = 0;
};

}  // namespace keel::host
