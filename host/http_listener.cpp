// Poco request <-> SDK Request/Response translation, body limits and socket timeouts.
#include "http_listener.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocketImpl.h>
#include <Poco/URI.h>

#include "keel/problem.h"

namespace keel::host {

namespace {

void sendResponse(const Response& response, Poco::Net::HTTPServerResponse& out) {
    for (const auto& [name, value] : response.headers().fields()) {
        if (Poco::icompare(name, "Content-Length") == 0 || Poco::icompare(name, "Transfer-Encoding") == 0) continue;
        out.add(name, value);
    }
    const std::string reason = response.reason().empty() ? std::string(reasonPhrase(response.status()))
                                                         : response.reason();
    out.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(response.status()),
                           reason.empty() ? "Unknown" : reason);
    out.sendBuffer(response.body().data(), response.body().size());
}

// The request target as origin-form: absolute-form targets (proxies) are reduced to path?query.
std::string originForm(const std::string& uri) {
    if (!uri.empty() && uri[0] == '/') return uri;
    try {
        Poco::URI parsed(uri);
        return parsed.getPathAndQuery().empty() ? "/" : parsed.getPathAndQuery();
    } catch (const Poco::Exception&) {
        return "/";
    }
}

class DispatchingHandler final : public Poco::Net::HTTPRequestHandler {
public:
    DispatchingHandler(const std::string& listener, const ConnectionLimits& limits, Dispatcher& dispatcher)
        : listener_(listener), limits_(limits), dispatcher_(dispatcher) {}

    void handleRequest(Poco::Net::HTTPServerRequest& in, Poco::Net::HTTPServerResponse& out) override {
        auto& socket = static_cast<Poco::Net::HTTPServerRequestImpl&>(in).socket();
        socket.setSendTimeout(Poco::Timespan(std::chrono::microseconds(limits_.writeTimeout).count()));

        Request request(in.getMethod(), originForm(in.getURI()));
        for (const auto& [name, value] : in) request.headers().add(name, value);
        request.setListener(listener_);
        request.setRemoteAddress(in.clientAddress().toString());

        const auto declared = in.getContentLength64();
        if (declared != Poco::Net::HTTPMessage::UNKNOWN_CONTENT_LENGTH &&
            static_cast<std::uint64_t>(declared) > limits_.maxBodySize) {
            rejectTooLarge(out);
            return;
        }
        if (declared > 0 || in.getChunkedTransferEncoding()) {
            std::string body;
            body.reserve(declared > 0 ? static_cast<std::size_t>(declared) : 0);
            char buffer[8192];
            auto& stream = in.stream();
            while (stream.read(buffer, sizeof buffer) || stream.gcount() > 0) {
                body.append(buffer, static_cast<std::size_t>(stream.gcount()));
                if (body.size() > limits_.maxBodySize) {
                    rejectTooLarge(out);
                    return;
                }
            }
            request.setBody(std::move(body));
        }

        Response response;
        dispatcher_.dispatch(request, response);
        sendResponse(response, out);
    }

private:
    void rejectTooLarge(Poco::Net::HTTPServerResponse& out) {
        Response response;
        writeProblem(response, Problem::of(413, "Content Too Large", "the request body exceeds the limit of " + std::to_string(limits_.maxBodySize) +
                                           " bytes (server.max_body_size)"));
        out.setKeepAlive(false);  // the unread body makes the connection unusable
        sendResponse(response, out);
    }

    const std::string& listener_;
    const ConnectionLimits& limits_;
    Dispatcher& dispatcher_;
};

// Poco can only adopt an existing descriptor through its protected constructors.
class AdoptedServerSocketImpl final : public Poco::Net::ServerSocketImpl {
public:
    explicit AdoptedServerSocketImpl(int fd) { reset(fd); }
};

class AdoptedServerSocket final : public Poco::Net::ServerSocket {
public:
    explicit AdoptedServerSocket(int fd) : Poco::Net::ServerSocket(new AdoptedServerSocketImpl(fd), true) {}
};

class DispatchingHandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
public:
    DispatchingHandlerFactory(std::string listener, ConnectionLimits limits, Dispatcher& dispatcher)
        : listener_(std::move(listener)), limits_(limits), dispatcher_(dispatcher) {}

    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
        return new DispatchingHandler(listener_, limits_, dispatcher_);  // Poco takes ownership
    }

private:
    std::string listener_;
    ConnectionLimits limits_;
    Dispatcher& dispatcher_;
};

}  // namespace

HttpListener::HttpListener(ListenerSettings settings, ConnectionLimits limits, Dispatcher& dispatcher,
                           std::shared_ptr<spdlog::logger> logger)
    : settings_(std::move(settings)), limits_(limits), dispatcher_(dispatcher), logger_(std::move(logger)) {}

HttpListener::~HttpListener() {
    if (server_) {
        server_->stopAll(true);
        socket_.close();
    }
}

void HttpListener::start(int inheritedSocket) {
    const std::string address = settings_.host + ":" + std::to_string(settings_.port);
    if (inheritedSocket >= 0) {
        socket_ = AdoptedServerSocket(inheritedSocket);
    } else {
        try {
            socket_.bind(Poco::Net::SocketAddress(settings_.host, static_cast<Poco::UInt16>(settings_.port)), true);
            socket_.listen(std::max(64, settings_.maxQueued));
        } catch (const Poco::Exception& error) {
            throw std::runtime_error("cannot listen on " + address + " (" + settings_.name + " listener): " +
                                     error.displayText());
        }
    }
    boundPort_ = socket_.address().port();

    auto params = new Poco::Net::HTTPServerParams();  // ref-counted by Poco
    params->setMaxThreads(settings_.maxThreads);
    params->setMaxQueued(settings_.maxQueued);
    params->setTimeout(Poco::Timespan(std::chrono::microseconds(limits_.readTimeout).count()));
    params->setKeepAlive(true);
    params->setKeepAliveTimeout(Poco::Timespan(std::chrono::microseconds(limits_.keepAliveTimeout).count()));
    params->setMaxKeepAliveRequests(limits_.maxKeepAliveRequests);
    params->setServerName("keel");
    threads_ = std::make_unique<Poco::ThreadPool>(2, settings_.maxThreads, 60);
    server_ = std::make_unique<Poco::Net::HTTPServer>(
        new DispatchingHandlerFactory(settings_.name, limits_, dispatcher_), *threads_, socket_, params);
    server_->start();
    logger_->info("{} listener on {}{}", settings_.name, socket_.address().toString(),
                  inheritedSocket >= 0 ? " (socket activation)" : "");
}

void HttpListener::stopAccepting() {
    if (!server_) return;
    server_->stopAll(false);
    socket_.close();
}

}  // namespace keel::host
