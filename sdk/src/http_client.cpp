// Pooled Poco client sessions with timeouts and W3C trace propagation.
#include "keel/http_client.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <map>
#include <mutex>
#include <vector>

#include "keel/request_context.h"
#include "keel/tracing.h"

namespace keel {

HttpClientError::HttpClientError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
HttpClientError::~HttpClientError() = default;

namespace {

std::mutex defaultCaMutex;
std::string defaultCaFile;

// TLS 1.2 or later, the server certificate verified against `caFile` (or the system store) and
// its name checked by Poco against the host the URL names.
Poco::Net::Context::Ptr clientTlsContext(const std::string& caFile) {
    Poco::Net::Context::Params params;
    params.caLocation = caFile;
    params.loadDefaultCAs = caFile.empty();
    params.verificationMode = Poco::Net::Context::VERIFY_RELAXED;
    params.cipherList = "HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES";
    Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
    context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    return context;
}

}  // namespace

void setDefaultHttpClientCaFile(const std::string& caFile) {
    std::lock_guard<std::mutex> lock(defaultCaMutex);
    defaultCaFile = caFile;
}

struct HttpClient::Pool {
    std::mutex mutex;
    std::map<std::string, std::vector<std::unique_ptr<Poco::Net::HTTPClientSession>>> idle;
    std::once_flag tlsOnce;
    Poco::Net::Context::Ptr tls;  // created on the first https:// call

    // The TLS context, created once: `caFile`, else the process default, else the system store.
    Poco::Net::Context::Ptr tlsContext(const std::string& caFile, const std::string& host) {
        try {
            std::call_once(tlsOnce, [&] {
                std::string file = caFile;
                if (file.empty()) {
                    std::lock_guard<std::mutex> lock(defaultCaMutex);
                    file = defaultCaFile;
                }
                tls = clientTlsContext(file);
            });
        } catch (const Poco::Exception& error) {
            throw HttpClientError(HttpClientError::Kind::Connect,
                                  "cannot set up TLS for '" + host + "': " + error.displayText());
        }
        return tls;
    }

    // An idle keep-alive session to `key`, or nullptr.
    std::unique_ptr<Poco::Net::HTTPClientSession> take(const std::string& key) {
        std::lock_guard<std::mutex> lock(mutex);
        auto& sessions = idle[key];
        if (sessions.empty()) return nullptr;
        auto session = std::move(sessions.back());
        sessions.pop_back();
        return session;
    }

    void giveBack(const std::string& key, std::unique_ptr<Poco::Net::HTTPClientSession> session,
                  std::size_t maxIdle) {
        std::lock_guard<std::mutex> lock(mutex);
        auto& sessions = idle[key];
        if (sessions.size() < maxIdle) sessions.push_back(std::move(session));
    }
};

HttpClient::HttpClient(HttpClientOptions options) : options_(std::move(options)), pool_(std::make_unique<Pool>()) {}
HttpClient::~HttpClient() = default;

namespace {

Poco::Timespan span(std::chrono::milliseconds duration) {
    return Poco::Timespan(std::chrono::duration_cast<std::chrono::microseconds>(duration).count());
}

bool idempotent(const std::string& method) {
    return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" || method == "OPTIONS";
}

// An absolute http:// or https:// URL with a host; HttpClientError InvalidUrl otherwise.
Poco::URI parseUrl(const std::string& url) {
    Poco::URI uri;
    try {
        uri = Poco::URI(url);
    } catch (const Poco::Exception& error) {
        throw HttpClientError(HttpClientError::Kind::InvalidUrl, "invalid URL '" + url + "': " + error.message());
    }
    if ((uri.getScheme() != "http" && uri.getScheme() != "https") || uri.getHost().empty()) {
        throw HttpClientError(HttpClientError::Kind::InvalidUrl,
                              "unsupported URL '" + url + "' (expected http:// or https://host[:port]/path)");
    }
    return uri;
}

// The request line and headers: the caller's, the user agent, and the current trace context.
Poco::Net::HTTPRequest outgoingRequest(const ClientRequest& request, const Poco::URI& uri,
                                       const std::string& userAgent) {
    Poco::Net::HTTPRequest outgoing(request.method, uri.getPathAndQuery().empty() ? "/" : uri.getPathAndQuery(),
                                    Poco::Net::HTTPMessage::HTTP_1_1);
    outgoing.setKeepAlive(true);
    outgoing.set("User-Agent", userAgent);
    for (const auto& [name, value] : request.headers.fields()) outgoing.add(name, value);
    if (const RequestContext* context = currentRequestContext(); context != nullptr && !context->traceId.empty()) {
        outgoing.set("traceparent", formatTraceParent(context->traceId, context->spanId, context->sampled));
        if (!context->traceState.empty()) outgoing.set("tracestate", context->traceState);
    }
    if (!request.body.empty() || request.method == "POST" || request.method == "PUT" || request.method == "PATCH") {
        outgoing.setContentLength(static_cast<std::streamsize>(request.body.size()));
    }
    return outgoing;
}

ClientResponse exchange(Poco::Net::HTTPClientSession& session, Poco::Net::HTTPRequest& outgoing,
                        const std::string& body, bool& keepAlive) {
    session.sendRequest(outgoing) << body;
    Poco::Net::HTTPResponse incoming;
    std::istream& stream = session.receiveResponse(incoming);
    ClientResponse response;
    response.status = incoming.getStatus();
    for (const auto& [name, value] : incoming) response.headers.add(name, value);
    Poco::StreamCopier::copyToString(stream, response.body);
    keepAlive = incoming.getKeepAlive();
    return response;
}

}  // namespace

ClientResponse HttpClient::send(const ClientRequest& request) {
    const Poco::URI uri = parseUrl(request.url);
    const bool https = uri.getScheme() == "https";
    const Poco::Net::Context::Ptr tls = https ? pool_->tlsContext(options_.caFile, uri.getHost()) : nullptr;
    const std::string key = uri.getScheme() + "://" + uri.getHost() + ":" + std::to_string(uri.getPort());
    const auto timeout = request.timeout.value_or(options_.requestTimeout);

    Span clientSpan(request.method, SpanKind::Client);
    clientSpan.setAttribute("http.request.method", request.method);
    clientSpan.setAttribute("url.full", key + uri.getPath());
    clientSpan.setAttribute("server.address", uri.getHost());
    clientSpan.setAttribute("server.port", static_cast<std::int64_t>(uri.getPort()));
    Poco::Net::HTTPRequest outgoing = outgoingRequest(request, uri, options_.userAgent);

    for (int attempt = 0;; ++attempt) {
        std::unique_ptr<Poco::Net::HTTPClientSession> session = pool_->take(key);
        const bool reused = session != nullptr;
        if (!session && https) {
            session = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(), tls);
        } else if (!session) {
            session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
        }
        session->setTimeout(span(options_.connectTimeout), span(timeout), span(timeout));
        session->setKeepAlive(true);
        try {
            bool keepAlive = false;
            ClientResponse response = exchange(*session, outgoing, request.body, keepAlive);
            clientSpan.setAttribute("http.response.status_code", static_cast<std::int64_t>(response.status));
            if (response.status >= 500) clientSpan.setStatus(SpanStatus::Error, "HTTP " + std::to_string(response.status));
            if (keepAlive) pool_->giveBack(key, std::move(session), options_.maxIdlePerHost);
            return response;
        } catch (const Poco::TimeoutException& error) {
            clientSpan.setStatus(SpanStatus::Error, "timeout");
            throw HttpClientError(HttpClientError::Kind::Timeout,
                                  request.method + " " + key + uri.getPath() + " timed out: " + error.displayText());
        } catch (const Poco::Exception& error) {
            // A pooled keep-alive connection the server already closed: try once on a new one,
            // but only when repeating the request cannot do anything twice.
            if (reused && attempt == 0 && idempotent(request.method)) continue;
            clientSpan.setStatus(SpanStatus::Error, error.displayText());
            const bool connect = dynamic_cast<const Poco::Net::ConnectionRefusedException*>(&error) != nullptr ||
                                 dynamic_cast<const Poco::Net::NetException*>(&error) != nullptr;
            throw HttpClientError(connect ? HttpClientError::Kind::Connect : HttpClientError::Kind::Protocol,
                                  request.method + " " + key + uri.getPath() + " failed: " + error.displayText());
        }
    }
}

}  // namespace keel
