// The baseline the router-floor benchmark compares Keel with: a bare Poco::Net::HTTPServer that
// answers every request with the bytes Keel's /hello/{name} returns, and nothing else (no
// routing, middleware, logging or metrics). Usage: bare_poco_server PORT [THREADS]
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <signal.h>

#include <cstdlib>
#include <iostream>
#include <string>

namespace {

class HelloHandler final : public Poco::Net::HTTPRequestHandler {
public:
    void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
        const std::string& uri = request.getURI();
        const std::string name = uri.substr(uri.rfind('/') + 1);
        const std::string body = "{\"message\":\"Hello, " + name + "!\"}";
        response.setContentType("application/json");
        response.setContentLength(static_cast<std::streamsize>(body.size()));
        response.sendBuffer(body.data(), body.size());
    }
};

class HelloFactory final : public Poco::Net::HTTPRequestHandlerFactory {
public:
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
        return new HelloHandler;
    }
};

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: bare_poco_server PORT [THREADS]\n";
        return 64;
    }
    const int port = std::atoi(argv[1]);
    const int threads = argc > 2 ? std::atoi(argv[2]) : 256;
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    auto* params = new Poco::Net::HTTPServerParams;  // reference-counted by the server
    params->setMaxThreads(threads);
    params->setMaxQueued(1024);
    params->setKeepAlive(true);
    params->setMaxKeepAliveRequests(0);
    Poco::ThreadPool pool(2, threads);
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)), 1024);
    Poco::Net::HTTPServer server(new HelloFactory, pool, socket, params);
    server.start();
    std::cerr << "bare Poco HTTPServer on 127.0.0.1:" << port << " with " << threads << " threads\n";
    int received = 0;
    sigwait(&signals, &received);
    server.stopAll(true);
    return 0;
}
