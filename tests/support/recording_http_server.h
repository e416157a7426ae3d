// A loopback HTTP server for tests that plays a downstream service or an OTLP collector: it
// records every request and answers as told (a status, or hanging until released or 10 s pass).
#pragma once

#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/ServerSocket.h>

#include <atomic>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace keel::testing {

struct RecordedRequest {
    std::string method;
    std::string uri;
    std::map<std::string, std::string> headers;
    std::string body;
};

class RecordingHttpServer {
public:
    enum class Mode { Answer, Hang };
    explicit RecordingHttpServer(int status = 200, Mode mode = Mode::Answer);
    ~RecordingHttpServer();

    // Changes how later requests are answered (a downstream that fails, hangs and recovers).
    void answer(int status, Mode mode = Mode::Answer);

    int port() const { return socket_.address().port(); }
    std::string url(const std::string& path = "") const;
    std::vector<RecordedRequest> requests() const;
    std::size_t count() const;

    // What the handlers share with the server. Poco's stopAll() does not wait for a handler that
    // is already running, so handlers hold this, not the server: one finishing after the server
    // is gone records into state nobody reads, never into freed memory.
    struct State {
        std::atomic<int> status;
        std::atomic<Mode> mode;
        mutable std::mutex mutex;
        std::vector<RecordedRequest> requests;
        std::promise<void> release;
        std::shared_future<void> released{release.get_future().share()};
    };

private:
    std::shared_ptr<State> state_;
    Poco::Net::ServerSocket socket_;
    std::unique_ptr<Poco::Net::HTTPServer> server_;
};

}  // namespace keel::testing
