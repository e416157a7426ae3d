// What serves a request: a Route (method, pattern, handler, the listeners it is on and the
// access it requires) and the Middleware around it. Plugin files that define handlers or
// middleware include this header; only plugin.cpp needs keel/registrar.h.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "keel/auth.h"
#include "keel/request.h"
#include "keel/response.h"

namespace keel {

using Handler = std::function<void(Request&, Response&)>;
// Calls the rest of the pipeline (later middleware, then the handler).
using Next = std::function<void()>;
using MiddlewareFunction = std::function<void(Request&, Response&, const Next&)>;

// Listener names every host has.
inline constexpr const char* kPublicListener = "public";
inline constexpr const char* kAdminListener = "admin";

struct Route {
    std::string method;   // "GET", "POST", ...; HEAD is answered by GET routes
    std::string pattern;  // "/api/v1/orders/{id}": literal segments and {parameter} segments
    Handler handler;
    std::vector<std::string> listeners{kPublicListener};
    RouteAccess access{};
    // The handler never blocks: no database, no downstream call, no file, no lock held for long.
    // When every middleware of its listener says the same, the host runs it on the I/O thread
    // that read the request, without waiting for a worker: cheaper, and answered even when every
    // worker is busy (a liveness probe under overload). A handler marked so that blocks stalls
    // every connection of that I/O thread; when in doubt, leave it false.
    bool nonBlocking = false;

    // registrar.post("/api/v1/orders", handler).requireScope("orders:write"): only callers whose
    // principal holds the scope reach the handler (403 otherwise; 401 without credentials when
    // an authenticating plugin is loaded).
    Route& requireScope(std::string scope) {
        access.authenticated = true;
        access.scopes.push_back(std::move(scope));
        return *this;
    }
    // Any authenticated caller, whatever its scopes.
    Route& requireAuthentication() {
        access.authenticated = true;
        return *this;
    }
    // See nonBlocking.
    Route& markNonBlocking() {
        nonBlocking = true;
        return *this;
    }
};

// Middleware runs outermost first by ascending `order`. The host's own middleware takes request
// id 10, tracing 15, access log 20, recovery 30 and the admin token 40; plugin middleware must
// use 100 or above (metrics uses 110, the rate limiter 200; see docs/writing-plugins.md).
struct Middleware {
    std::string name;
    int order = 1000;
    MiddlewareFunction run;
    std::vector<std::string> listeners{kPublicListener, kAdminListener};
    // This middleware authenticates (sets Request::principal). Once one has served a listener,
    // the host itself answers 401 to a route that requires authentication when no principal is
    // set, even after the plugin is unloaded: scoped routes fail closed, never open.
    bool authenticates = false;
    // Never blocks (see Route::nonBlocking): needed for a listener's non-blocking routes to run
    // on its I/O threads; one blocking middleware sends all of them to the workers.
    bool nonBlocking = false;
};

}  // namespace keel
