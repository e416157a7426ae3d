// RecordingHttpServer: Poco's HTTPServer with one recording handler.
#include "recording_http_server.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/StreamCopier.h>

namespace keel::testing {

class RecordingHandler final : public Poco::Net::HTTPRequestHandler {
public:
    RecordingHandler(RecordingHttpServer& server, std::shared_future<void> released)
        : server_(server), released_(std::move(released)) {}

    void handleRequest(Poco::Net::HTTPServerRequest& in, Poco::Net::HTTPServerResponse& out) override {
        RecordedRequest request;
        request.method = in.getMethod();
        request.uri = in.getURI();
        for (const auto& [name, value] : in) request.headers[name] = value;
        Poco::StreamCopier::copyToString(in.stream(), request.body);
        server_.record(std::move(request));
        if (server_.mode_ == RecordingHttpServer::Mode::Hang) released_.wait_for(std::chrono::seconds(10));
        out.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(server_.status_.load()), "Recorded");
        out.setContentType("application/json");
        out.sendBuffer("{}", 2);
    }

private:
    RecordingHttpServer& server_;
    std::shared_future<void> released_;
};

namespace {
class RecordingFactory final : public Poco::Net::HTTPRequestHandlerFactory {
public:
    RecordingFactory(RecordingHttpServer& server, std::shared_future<void> released)
        : server_(server), released_(std::move(released)) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
        return new RecordingHandler(server_, released_);
    }

private:
    RecordingHttpServer& server_;
    std::shared_future<void> released_;
};
}  // namespace

RecordingHttpServer::RecordingHttpServer(int status, Mode mode)
    : status_(status), mode_(mode), socket_(Poco::Net::SocketAddress("127.0.0.1", 0)),
      released_(release_.get_future().share()) {
    auto params = new Poco::Net::HTTPServerParams();
    params->setMaxThreads(16);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new RecordingFactory(*this, released_), socket_, params);
    server_->start();
}

RecordingHttpServer::~RecordingHttpServer() {
    release_.set_value();
    server_->stopAll(true);
}

void RecordingHttpServer::answer(int status, Mode mode) {
    status_ = status;
    mode_ = mode;
}

std::string RecordingHttpServer::url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port()) + path;
}

void RecordingHttpServer::record(RecordedRequest request) {
    std::lock_guard<std::mutex> lock(mutex_);
    requests_.push_back(std::move(request));
    ++count_;
}

std::vector<RecordedRequest> RecordingHttpServer::requests() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
}

}  // namespace keel::testing
