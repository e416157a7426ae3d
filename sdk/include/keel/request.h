// An HTTP request as a plugin sees it: fully read, independent of the server that received it,
// so handlers can be unit-tested without sockets. Owned by the host for one request; handlers may
// read it from the request's thread only and must not keep references after they return.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "keel/auth.h"
#include "keel/export.h"
#include "keel/headers.h"

namespace keel {

class KEEL_SDK_API Request {
public:
    // `target` is the request target as sent: an absolute path with an optional query string.
    Request(std::string method, const std::string& target);

    const std::string& method() const { return method_; }
    // The percent-decoded path, without the query string.
    const std::string& path() const { return path_; }
    const std::string& rawQuery() const { return rawQuery_; }
    // The first value of a query parameter, decoded.
    std::optional<std::string> query(const std::string& name) const;
    const std::multimap<std::string, std::string>& queryParameters() const { return query_; }

    const Headers& headers() const { return headers_; }
    Headers& headers() { return headers_; }
    std::optional<std::string> header(const std::string& name) const { return headers_.get(name); }

    const std::string& body() const { return body_; }
    void setBody(std::string body) { body_ = std::move(body); }

    // A parameter captured by the route pattern (`{id}` in `/api/v1/orders/{id}`); throws
    // std::out_of_range naming the parameter when the route does not declare it.
    const std::string& pathParameter(const std::string& name) const;
    const std::map<std::string, std::string>& pathParameters() const { return pathParameters_; }
    void setPathParameters(std::map<std::string, std::string> parameters) { pathParameters_ = std::move(parameters); }

    // The pattern of the matched route ("/api/v1/orders/{id}"), or "" when nothing matched.
    // Metrics, traces and logs label with this, never with the raw path.
    const std::string& routePattern() const { return routePattern_; }
    void setRoutePattern(std::string pattern) { routePattern_ = std::move(pattern); }

    // Name of the listener that received the request ("public", "admin").
    const std::string& listener() const { return listener_; }
    void setListener(std::string listener) { listener_ = std::move(listener); }

    // "address:port" of the peer.
    const std::string& remoteAddress() const { return remoteAddress_; }
    void setRemoteAddress(std::string address) { remoteAddress_ = std::move(address); }

    // The subject (RFC 2253, "CN=alice,O=Example") of the client certificate the TLS listener
    // verified against its client CA; "" on plain HTTP or when the client sent none.
    const std::string& clientCertificateSubject() const { return clientCertificateSubject_; }
    void setClientCertificateSubject(std::string subject) { clientCertificateSubject_ = std::move(subject); }

    // What the matched route requires of its caller (empty when nothing matched); set by the host
    // before any middleware runs, so an authenticating middleware knows whether to insist.
    const RouteAccess& access() const;
    void setAccess(const RouteAccess* access) { access_ = access; }

    // The authenticated caller, set by an authenticating middleware; nullptr when there is none
    // (auth.mode = none, or a public route called without credentials).
    const Principal* principal() const { return principal_.get(); }
    // The host drops it before the request leaves the plugins' snapshot (docs/design-notes.md).
    void setPrincipal(std::shared_ptr<const Principal> principal) { principal_ = std::move(principal); }

    // Set by the request-id middleware before any plugin middleware runs.
    const std::string& requestId() const { return requestId_; }
    void setRequestId(std::string id) { requestId_ = std::move(id); }

private:
    std::string method_;
    std::string path_;
    std::string rawQuery_;
    std::multimap<std::string, std::string> query_;
    Headers headers_;
    std::string body_;
    std::map<std::string, std::string> pathParameters_;
    std::string routePattern_;
    std::string listener_;
    std::string remoteAddress_;
    std::string requestId_;
    std::string clientCertificateSubject_;
    const RouteAccess* access_ = nullptr;  // owned by the route, which outlives the request
    std::shared_ptr<const Principal> principal_;
};

}  // namespace keel
