// One listener ("public" or "admin") on Boost.Beast/Asio: a few shared I/O threads own every
// socket and frame each request strictly and completely (whole-request deadlines, limits,
// RFC 9112 framing, optional TLS); only a complete request is admitted to the Dispatcher. One
// whose route and middleware are all non-blocking runs on the I/O thread at once; any other goes
// to this listener's bounded worker pool, which runs it and, on plain TCP, writes the answer and
// starts the next read itself (one thread hand-off per request, not two). Idle or slow clients
// cost a socket and a buffer, never a thread. start/stopAccepting/closeAll are called from the
// main thread; everything else runs on the I/O threads and the workers.
#pragma once

#include <boost/asio/io_context.hpp>
#include <spdlog/logger.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "dispatcher.h"
#include "request_framing.h"
#include "tls_settings.h"

namespace keel {
class Metrics;
}
namespace prometheus {
class Histogram;
}

namespace keel::host {

class LogManager;

struct ServerLimits {
    std::chrono::milliseconds headerTimeout{10000};    // first byte of a request to the end of its head
    std::chrono::milliseconds bodyTimeout{30000};      // end of the head to the end of the body
    std::chrono::milliseconds readTimeout{30000};      // whole request, head and body together
    std::chrono::milliseconds keepAliveTimeout{15000};  // idle between requests
    std::chrono::milliseconds writeTimeout{30000};     // a whole response
    HeadLimits head;
    std::size_t maxBodySize = 1024 * 1024;
    std::size_t maxConnections = 10000;
    std::size_t maxKeepAliveRequests = 1000;  // 0: unlimited
};

struct ListenerOptions {
    std::string name;
    std::string host;
    int port = 0;
    std::size_t workers = 64;
    std::size_t maxQueued = 1024;
    ServerLimits limits;
    TlsSettings tls;
    std::string tlsKeyPrefix;  // "server.tls" or "admin.tls": where `tls` came from, for messages
};

// The event loop shared by every listener: one io_context run by `threads` threads.
class IoThreads {
public:
    explicit IoThreads(std::size_t threads);
    ~IoThreads();
    IoThreads(const IoThreads&) = delete;
    IoThreads& operator=(const IoThreads&) = delete;
    boost::asio::io_context& context() { return context_; }
    // Stops the loop and joins the threads; pending handlers are dropped.
    void stop();

private:
    boost::asio::io_context context_;
    std::vector<std::thread> threads_;
    bool stopped_ = false;
};

// What every listener reports about requests that never reached the pipeline (the
// keel_http_rejected_total counter and an access-log line), its open connections, and the time
// requests wait for a worker.
class FrontDoorObserver {
public:
    FrontDoorObserver(Metrics& hostMetrics, LogManager& logs, const std::vector<std::string>& listeners);
    ~FrontDoorObserver();
    void rejected(const std::string& listener, RejectReason reason, int status, std::string_view method,
                  const std::string& remote, std::chrono::steady_clock::duration elapsed) const;
    void connectionOpened(const std::string& listener) const;
    void connectionClosed(const std::string& listener) const;
    // keel_http_queue_wait_seconds of `listener` (nullptr for a listener it was not made for):
    // how long a complete request waited for a worker. Resolved once by each listener; requests
    // that run on the I/O thread never wait and are not observed.
    prometheus::Histogram* queueWait(const std::string& listener) const;

private:
    struct State;
    std::unique_ptr<State> state_;
};

class HttpServer {
public:
    HttpServer(ListenerOptions options, Dispatcher& dispatcher, IoThreads& io, const FrontDoorObserver& observer,
               std::shared_ptr<spdlog::logger> logger);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Binds host:port (or adopts `inheritedSocket` from systemd) and starts accepting. Throws
    // std::runtime_error naming the address, or the TLS key and file that is wrong.
    void start(int inheritedSocket = -1);
    const std::string& name() const;
    int port() const;
    bool tls() const;
    const std::string& tlsKeyPrefix() const;

    // New TLS certificate, key and CA for connections accepted from now on; established ones keep
    // theirs. Throws (and keeps the running context) when the files are not usable.
    void reloadTls(const TlsSettings& settings);

    // Shutdown, step 1: closes the listening socket (new connections are refused), closes idle
    // and half-read connections, and lets dispatched requests finish and answer with
    // `Connection: close`.
    void stopAccepting();
    std::size_t openConnections() const;
    // True when no request waits for or runs on a worker of this listener.
    bool idle() const;
    // For the watchdog: a request answered on an I/O thread proves the event loop, not the workers.
    struct WorkerActivity {
        std::size_t busy = 0;
        std::size_t threads = 0;
        std::uint64_t completed = 0;  // jobs finished so far
    };
    WorkerActivity workerActivity() const;
    // "GET /path (request id, 5.2 s)" for every request a worker is still running.
    std::vector<std::string> runningRequests() const;
    // Shutdown, last step: closes every connection that is left, whatever it is doing.
    void closeAll();
    // Stops the workers once no job can block (after the dispatcher went idle) and joins them.
    void stopWorkers();

    struct Shared;

private:
    std::shared_ptr<Shared> shared_;
};

// Raises the soft RLIMIT_NOFILE to the hard limit (each connection is a descriptor); returns
// "soft S -> T (hard H)" for the start-up log.
std::string raiseOpenFileLimit();

}  // namespace keel::host
