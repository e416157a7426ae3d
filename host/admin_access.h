// Who may drive the admin API. A browser is the threat: a web page can send "simple" cross-site
// requests to 127.0.0.1 and, through DNS rebinding, read the answers under a name of its own.
// So every admin-listener request (except the probes and /metrics) must name the listener by an
// address or an allowed host name (Host), must come from the listener's own origin or an allowed
// one when it carries Origin, must be JSON when it changes anything, and must carry the bearer
// token when one is configured.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "keel/registrar.h"

namespace keel::host {

// The admin token of admin.token_file, re-read on SIGHUP. Thread-safe.
class AdminToken {
public:
    // Reads `file` ("" : no token). Throws ConfigError (see readAdminToken).
    explicit AdminToken(std::string file);
    bool configured() const;
    // Re-reads the file; on error the previous token stays and ConfigError is thrown.
    void reload();
    // Whether `authorization` is "Bearer <token>", compared in constant time.
    bool accepts(const std::string& authorization) const;

private:
    const std::string file_;
    mutable std::mutex mutex_;
    std::string token_;
};

// The token in `tokenFile` ("" when no file is configured). Throws ConfigError naming
// admin.token_file when the file cannot be read, is empty, or others may read or write it.
std::string readAdminToken(const std::string& tokenFile);

struct AdminAccessRules {
    std::vector<std::string> allowedHosts;    // admin.allowed_hosts: names besides addresses and localhost
    std::vector<std::string> allowedOrigins;  // admin.allowed_origins: "https://console.example:8443"
    bool tls = false;                         // the admin listener's scheme, for its own origin
};

// Whether a Host header value names the listener: an IP address literal (a rebinding page can
// only send a name), "localhost", or one of `allowedHosts` (case-insensitive, port ignored).
bool isAllowedAdminHost(const std::string& hostHeader, const std::vector<std::string>& allowedHosts);
// Whether `origin` is the request's own (scheme of the listener and the Host it was sent to) or
// one of `allowedOrigins`. "null" and anything else: no.
bool isAllowedAdminOrigin(const std::string& origin, const std::string& hostHeader, const AdminAccessRules& rules);
// Whether `host` (an admin.host value) is a loopback address or "localhost".
bool isLoopbackAddress(const std::string& host);

// The checks above, then the token: 421, 403, 415 and 401 problems. Order 40, admin listener.
Middleware adminAccessMiddleware(AdminAccessRules rules, std::shared_ptr<AdminToken> token);

// Equal without revealing through timing where two strings differ.
bool constantTimeEquals(const std::string& a, const std::string& b);

}  // namespace keel::host
