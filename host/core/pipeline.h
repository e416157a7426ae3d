// The routing state of one moment: per listener, a router and the ordered middleware, plus pins
// on every plugin whose code they reference. Immutable once built; requests share it.
#pragma once

#include <spdlog/logger.h>

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "keel/registrar.h"
#include "router.h"

namespace keel::host {

struct RouteTarget {
    const Handler* handler;
    std::string plugin;
    const RouteAccess* access;
    const std::atomic<bool>* ready;  // null: always; false: the plugin's database is not there yet (503)
    bool nonBlocking;                // Route::nonBlocking
};

struct MiddlewareEntry {
    std::string plugin;
    const Middleware* middleware;
};

// A contributor to a snapshot: a plugin (or the host itself) with its registrations.
struct PipelineContributor {
    std::string name;
    const std::vector<Route>* routes;
    const std::vector<Middleware>* middleware;
    std::shared_ptr<const void> pin;
    // Counts the snapshots alive that pin this contributor (null for the host's own): unloading
    // waits until those it can see are idle and no other is still being destroyed.
    std::atomic<int>* liveSnapshots = nullptr;
    const std::atomic<bool>* ready = nullptr;  // see RouteTarget::ready
};

class PipelineSnapshot {
public:
    // Throws std::invalid_argument on conflicting routes, naming both plugins.
    // `authenticatedListeners`: listeners where routes requiring authentication need a principal
    // even when no authenticating middleware is in this snapshot (one was before).
    PipelineSnapshot(const std::vector<PipelineContributor>& contributors, std::shared_ptr<spdlog::logger> logger,
                     const std::set<std::string>& authenticatedListeners = {});
    // Releases the pins latest-started first: when plugins die together, a dependent must go
    // before the plugin whose services it holds.
    ~PipelineSnapshot();

private:
    struct ListenerPipeline;

public:
    // A request matched to its route in this snapshot, once: made by route(), consumed by run().
    struct Routed {
        const ListenerPipeline* pipeline = nullptr;  // null: no such listener (404)
        const RouteTarget* target = nullptr;          // null: 404, or 405 when `allowed` is not empty
        std::set<std::string> allowed;
        // The route and every middleware of its listener never block (see Route::nonBlocking), so
        // the front door may run it on its I/O thread. Unmatched requests (404/405) need only the
        // middleware to say so.
        bool nonBlocking = false;
    };
    // Finds the route and puts its pattern, parameters and access on the request.
    Routed route(Request& request) const;
    // Runs the listener's middleware and the matched handler (or the 404/405 problem).
    // Exceptions that escape every middleware become a 500 here, as a last resort.
    void run(const Routed& routed, Request& request, Response& response) const;
    void handle(Request& request, Response& response) const { run(route(request), request, response); }

    // Middleware names in run order, for tests and /admin.
    std::vector<std::string> middlewareOrder(const std::string& listener) const;
    bool hasListener(const std::string& listener) const { return listeners_.count(listener) != 0; }

    // Requests running on this snapshot. Unloading a plugin waits until no request runs on a
    // snapshot that references it; holding the snapshot without running (as a request that
    // unloads a plugin does) does not count.
    void enter() const { active_.fetch_add(1); }
    void leave() const { active_.fetch_sub(1); }
    int active() const { return active_.load(); }
    bool references(const void* plugin) const;
    // Listeners that had, or have, authenticating middleware.
    std::set<std::string> authenticatedListeners() const;

private:
    struct ListenerPipeline {
        Router<RouteTarget> router;
        std::vector<MiddlewareEntry> middleware;
        bool authenticated = false;         // see authenticatedListeners()
        bool middlewareNonBlocking = true;  // every entry of `middleware` is Middleware::nonBlocking
    };
    // What every step of one request's chain needs, kept on the caller's stack: each step's `next`
    // then captures one pointer and an index, small enough for std::function to hold without
    // allocating (a capture of all six references cost an allocation per middleware per request).
    struct Chain {
        const ListenerPipeline& pipeline;
        Request& request;
        Response& response;
        const RouteTarget* target;
        const std::set<std::string>& allowed;
    };
    static void runChain(const Chain& chain, std::size_t index);

    std::map<std::string, ListenerPipeline> listeners_;
    struct Pin {
        std::shared_ptr<const void> plugin;
        std::atomic<int>* liveSnapshots;
    };
    std::vector<Pin> pins_;
    std::shared_ptr<spdlog::logger> logger_;
    mutable std::atomic<int> active_{0};
};

// The snapshot the calling thread's request runs on, or nullptr outside a request.
const PipelineSnapshot* currentThreadSnapshot();
void setCurrentThreadSnapshot(const PipelineSnapshot* snapshot);

// Answers a problem for an exception escaping a handler: HttpError keeps its problem, anything
// else is logged with the request and becomes a bare 500.
void answerException(std::exception_ptr error, Request& request, Response& response, spdlog::logger& logger);

}  // namespace keel::host
