// RecordingHttpServer: Poco's HTTPServer with one recording handler.
#include "recording_http_server.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/StreamCopier.h>

namespace keel::testing {

namespace {

class RecordingHandler final : public Poco::Net::HTTPRequestHandler {
public:
    explicit RecordingHandler(std::shared_ptr<RecordingHttpServer::State> state) : state_(std::move(state)) {}

    void handleRequest(Poco::Net::HTTPServerRequest& in, Poco::Net::HTTPServerResponse& out) override {
        RecordedRequest request;
        request.method = in.getMethod();
        request.uri = in.getURI();
        for (const auto& [name, value] : in) request.headers[name] = value;
        Poco::StreamCopier::copyToString(in.stream(), request.body);
        {
            std::lock_guard<std::mutex> lock(state_->mutex);
            state_->requests.push_back(std::move(request));
        }
        if (state_->mode == RecordingHttpServer::Mode::Hang) state_->released.wait_for(std::chrono::seconds(10));
        out.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(state_->status.load()), "Recorded");
        out.setContentType("application/json");
        out.sendBuffer("{}", 2);
    }

private:
    std::shared_ptr<RecordingHttpServer::State> state_;
};

class RecordingFactory final : public Poco::Net::HTTPRequestHandlerFactory {
public:
    explicit RecordingFactory(std::shared_ptr<RecordingHttpServer::State> state) : state_(std::move(state)) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
        return new RecordingHandler(state_);
    }

private:
    std::shared_ptr<RecordingHttpServer::State> state_;
};

}  // namespace

RecordingHttpServer::RecordingHttpServer(int status, Mode mode)
    : state_(std::make_shared<State>()), socket_(Poco::Net::SocketAddress("127.0.0.1", 0)) {
    state_->status = status;
    state_->mode = mode;
    auto params = new Poco::Net::HTTPServerParams();
    params->setMaxThreads(16);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new RecordingFactory(state_), socket_, params);
    server_->start();
}

RecordingHttpServer::~RecordingHttpServer() {
    state_->release.set_value();
    server_->stopAll(true);
}

void RecordingHttpServer::answer(int status, Mode mode) {
    state_->status = status;
    state_->mode = mode;
}

std::string RecordingHttpServer::url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port()) + path;
}

std::vector<RecordedRequest> RecordingHttpServer::requests() const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    return state_->requests;
}

std::size_t RecordingHttpServer::count() const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    return state_->requests.size();
}

}  // namespace keel::testing
