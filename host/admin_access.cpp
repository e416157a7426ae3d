#include "admin_access.h"

#include <Poco/Net/IPAddress.h>
#include <Poco/Net/MediaType.h>
#include <Poco/String.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "admin_console.h"
#include "config_store.h"
#include "keel/problem.h"

namespace keel::host {

namespace {

const std::string kAdminListenerName = "admin";

// Routes scrapers, load balancers and orchestrators call with whatever Host they use.
bool isOpenRoute(const std::string& pattern) {
    static const std::set<std::string> open{"/metrics", "/health", "/ready", "/live"};
    return open.count(pattern) != 0;
}

// "name", "name:port", "[v6]", "[v6]:port" -> the name or address, lower case.
std::string hostPart(const std::string& hostHeader) {
    std::string host = Poco::toLower(Poco::trim(hostHeader));
    if (!host.empty() && host[0] == '[') {
        const auto close = host.find(']');
        return close == std::string::npos ? std::string() : host.substr(1, close - 1);
    }
    if (std::count(host.begin(), host.end(), ':') == 1) host = host.substr(0, host.find(':'));
    return host;
}

bool isMutating(const std::string& method) {
    return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

bool isJson(const std::string& contentType) {
    return Poco::Net::MediaType(contentType).matches("application", "json");
}

}  // namespace

std::string readAdminToken(const std::string& tokenFile) {
    return tokenFile.empty() ? std::string() : readSecretFile("admin.token_file", tokenFile);
}

AdminToken::AdminToken(std::string file) : file_(std::move(file)), token_(readAdminToken(file_)) {}

bool AdminToken::configured() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return !token_.empty();
}

void AdminToken::reload() {
    std::string next = readAdminToken(file_);
    std::lock_guard<std::mutex> lock(mutex_);
    token_ = std::move(next);
}

bool AdminToken::accepts(const std::string& authorization) const {
    std::string expected;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        expected = "Bearer " + token_;
    }
    return constantTimeEquals(authorization, expected);
}

bool isAllowedAdminHost(const std::string& hostHeader, const std::vector<std::string>& allowedHosts) {
    const std::string host = hostPart(hostHeader);
    if (host.empty()) return false;
    Poco::Net::IPAddress address;
    if (Poco::Net::IPAddress::tryParse(host, address)) return true;
    if (host == "localhost") return true;
    return std::any_of(allowedHosts.begin(), allowedHosts.end(),
                       [&](const std::string& allowed) { return Poco::toLower(hostPart(allowed)) == host; });
}

bool isAllowedAdminOrigin(const std::string& origin, const std::string& hostHeader, const AdminAccessRules& rules) {
    const std::string lowered = Poco::toLower(Poco::trim(origin));
    if (!hostHeader.empty() && lowered == (rules.tls ? "https://" : "http://") + Poco::toLower(Poco::trim(hostHeader))) {
        return true;
    }
    return std::any_of(rules.allowedOrigins.begin(), rules.allowedOrigins.end(),
                       [&](const std::string& allowed) { return Poco::toLower(Poco::trim(allowed)) == lowered; });
}

bool isLoopbackAddress(const std::string& host) {
    if (Poco::toLower(host) == "localhost") return true;
    Poco::Net::IPAddress address;
    return Poco::Net::IPAddress::tryParse(hostPart(host), address) && address.isLoopback();
}

Middleware adminAccessMiddleware(AdminAccessRules rules, std::shared_ptr<AdminToken> token) {
    return Middleware{
        "admin-access", 40,
        [rules = std::move(rules), token = std::move(token)](Request& request, Response& response, const Next& next) {
            if (isOpenRoute(request.routePattern())) {
                next();
                return;
            }
            const std::string host = request.header("Host").value_or("");
            if (!host.empty() && !isAllowedAdminHost(host, rules.allowedHosts)) {
                writeProblem(response, Problem::of(421, "Misdirected Request",
                                                   "the admin API answers requests addressed to an IP address, "
                                                   "localhost or a name in admin.allowed_hosts"));
                return;
            }
            if (const auto origin = request.header("Origin")) {
                if (!isAllowedAdminOrigin(*origin, host, rules)) {
                    writeProblem(response, Problem::of(403, "Forbidden",
                                                       "cross-origin requests to the admin API are refused; list the "
                                                       "origin in admin.allowed_origins to allow it"));
                    return;
                }
            }
            // A cross-site form or fetch without a preflight can only send text/plain, form or
            // multipart bodies: changes must be JSON. A DELETE without a body cannot come from a
            // simple request (browsers preflight the method).
            if (isMutating(request.method()) && !(request.method() == "DELETE" && request.body().empty()) &&
                !isJson(request.header("Content-Type").value_or(""))) {
                writeProblem(response, Problem::of(415, "Unsupported Media Type",
                                                   "admin requests that change something must be sent as "
                                                   "Content-Type: application/json"));
                return;
            }
            if (token && token->configured() && !isAdminConsoleAsset(request.routePattern()) &&
                !token->accepts(request.header("Authorization").value_or(""))) {
                writeProblem(response, Problem::of(401, "Unauthorized",
                                                   "the admin API needs \"Authorization: Bearer <token>\" with the "
                                                   "token of admin.token_file"));
                response.setHeader("WWW-Authenticate", "Bearer realm=\"keel-admin\"");
                return;
            }
            next();
        },
        {kAdminListenerName},
        /*authenticates=*/false,
        /*nonBlocking=*/true};  // the token is held in memory; only SIGHUP re-reads its file
}

bool constantTimeEquals(const std::string& a, const std::string& b) {
    unsigned char difference = a.size() == b.size() ? 0 : 1;
    const std::size_t length = std::max(a.size(), b.size());
    for (std::size_t i = 0; i < length; ++i) {
        const unsigned char left = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
        const unsigned char right = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
        difference |= static_cast<unsigned char>(left ^ right);
    }
    return difference == 0;
}

}  // namespace keel::host
