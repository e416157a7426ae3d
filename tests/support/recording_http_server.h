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
    std::size_t count() const { return count_.load(); }

private:
    friend class RecordingHandler;
    void record(RecordedRequest request);

    std::atomic<int> status_;
    std::atomic<Mode> mode_;
    Poco::Net::ServerSocket socket_;
    std::unique_ptr<Poco::Net::HTTPServer> server_;
    mutable std::mutex mutex_;
    std::vector<RecordedRequest> requests_;
    std::atomic<std::size_t> count_{0};
    std::promise<void> release_;
    std::shared_future<void> released_;
};

}  // namespace keel::testing
