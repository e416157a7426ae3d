// Who is calling and what a route needs. An authenticating middleware (the auth plugin) sets the
// Principal on the request; routes declare their needs with Route::requireScope(); the host refuses
// a request whose principal lacks a required scope before the handler runs (403).
#pragma once

#include <set>
#include <string>
#include <vector>

namespace keel {

struct Principal {
    std::string subject;            // the caller's user id: a JWT's "sub", an API key's user
    std::set<std::string> scopes;   // "orders:read", "orders:write", ...
    std::string scheme;             // how it was proven: "jwt", "api_key"

    bool hasScope(const std::string& scope) const { return scopes.count(scope) != 0; }
};

// What a route needs from its caller. Empty: anyone, authenticated or not.
struct RouteAccess {
    // A caller must be authenticated (implied by any scope). With no authenticating middleware
    // loaded (auth.mode = none) nothing sets a principal and the route stays open.
    bool authenticated = false;
    std::vector<std::string> scopes;  // every one of them is needed

    bool empty() const { return !authenticated && scopes.empty(); }
};

}  // namespace keel
