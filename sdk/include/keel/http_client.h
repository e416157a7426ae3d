// An HTTP/1.1 client for calls to other services: pooled keep-alive connections, connect and
// request timeouts on every call, and trace propagation (a CLIENT span and a `traceparent`
// header continue the current request's trace). Thread-safe; one instance per downstream is
// typical. The object may live in a plugin; its code and connections belong to libkeel-sdk.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "keel/export.h"
#include "keel/headers.h"

namespace keel {

struct HttpClientOptions {
    std::chrono::milliseconds connectTimeout{2000};
    std::chrono::milliseconds requestTimeout{5000};  // per send/receive wait, not whole call
    std::size_t maxIdlePerHost = 8;
    std::string userAgent = "keel-http-client";
    // PEM CA certificates that https:// servers must chain to; empty: the host's
    // http_client.ca_file, and when that is empty too, the system's CA store. The server's name
    // is always checked against its certificate.
    std::string caFile;
};

// Set by the host from http_client.ca_file at start (and SIGHUP); clients created afterwards
// use it when their options name no CA file. Thread-safe.
KEEL_SDK_API void setDefaultHttpClientCaFile(const std::string& caFile);

struct ClientRequest {
    std::string method = "GET";
    std::string url;  // http://host:port/path?query or https://...
    Headers headers;
    std::string body;
    // Overrides HttpClientOptions::requestTimeout for this call (e.g. the caller's remaining deadline).
    std::optional<std::chrono::milliseconds> timeout;
};

struct ClientResponse {
    int status = 0;
    Headers headers;
    std::string body;
};

// A call that got no HTTP response. Any response, even a 5xx, is a ClientResponse.
class KEEL_SDK_API HttpClientError : public std::runtime_error {
public:
    enum class Kind { InvalidUrl, Connect, Timeout, Protocol };
    HttpClientError(Kind kind, const std::string& message);
    ~HttpClientError() override;
    Kind kind() const { return kind_; }

private:
    Kind kind_;
};

class KEEL_SDK_API HttpClient {
public:
    explicit HttpClient(HttpClientOptions options = {});
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    // Throws HttpClientError when no response arrives within the timeouts.
    ClientResponse send(const ClientRequest& request);

private:
    struct Pool;
    HttpClientOptions options_;
    std::unique_ptr<Pool> pool_;
};

}  // namespace keel
