// Snapshot construction (route conflicts found before publishing) and the request chain.
#include "pipeline.h"

#include <algorithm>

#include "keel/database.h"
#include "keel/problem.h"

namespace keel::host {

PipelineSnapshot::PipelineSnapshot(const std::vector<PipelineContributor>& contributors,
                                   std::shared_ptr<spdlog::logger> logger,
                                   const std::set<std::string>& authenticatedListeners)
    : logger_(std::move(logger)) {
    for (const auto& listener : authenticatedListeners) listeners_[listener].authenticated = true;
    std::map<std::string, std::map<std::string, std::string>> owners;  // listener -> "METHOD pattern" -> plugin
    for (const auto& contributor : contributors) {
        pins_.push_back(Pin{contributor.pin, contributor.liveSnapshots});
        if (contributor.liveSnapshots != nullptr) contributor.liveSnapshots->fetch_add(1, std::memory_order_relaxed);
        for (const auto& route : *contributor.routes) {
            for (const auto& listener : route.listeners) {
                try {
                    listeners_[listener].router.add(route.method, route.pattern,
                                                    RouteTarget{&route.handler, contributor.name, &route.access, contributor.ready,
                                                                route.nonBlocking});
                } catch (const std::invalid_argument& error) {
                    throw std::invalid_argument("plugin " + contributor.name + ": " + error.what() +
                                                " on listener " + listener);
                }
            }
        }
        for (const auto& middleware : *contributor.middleware) {
            for (const auto& listener : middleware.listeners) {
                listeners_[listener].middleware.push_back(MiddlewareEntry{contributor.name, &middleware});
                if (middleware.authenticates) listeners_[listener].authenticated = true;
            }
        }
    }
    for (auto& [listener, pipeline] : listeners_) {
        // Stable, and deterministic for equal orders: by plugin name, then registration order.
        std::stable_sort(pipeline.middleware.begin(), pipeline.middleware.end(), [](const auto& a, const auto& b) {
            if (a.middleware->order != b.middleware->order) return a.middleware->order < b.middleware->order;
            return a.plugin < b.plugin;
        });
        pipeline.middlewareNonBlocking = std::all_of(pipeline.middleware.begin(), pipeline.middleware.end(),
                                                     [](const auto& entry) { return entry.middleware->nonBlocking; });
    }
}

namespace {
thread_local const PipelineSnapshot* threadSnapshot = nullptr;
}  // namespace

const PipelineSnapshot* currentThreadSnapshot() { return threadSnapshot; }
void setCurrentThreadSnapshot(const PipelineSnapshot* snapshot) { threadSnapshot = snapshot; }

std::set<std::string> PipelineSnapshot::authenticatedListeners() const {
    std::set<std::string> names;
    for (const auto& [listener, pipeline] : listeners_) {
        if (pipeline.authenticated) names.insert(listener);
    }
    return names;
}

bool PipelineSnapshot::references(const void* plugin) const {
    for (const auto& pin : pins_) {
        if (pin.plugin.get() == plugin) return true;
    }
    return false;
}

PipelineSnapshot::~PipelineSnapshot() {
    listeners_.clear();
    while (!pins_.empty()) {
        // Release: whatever this snapshot's requests did with the plugin happens before an unload
        // that sees the count drop (the counter lives in the plugin, so before the pin goes).
        if (pins_.back().liveSnapshots != nullptr) pins_.back().liveSnapshots->fetch_sub(1, std::memory_order_release);
        pins_.pop_back();
    }
}

std::vector<std::string> PipelineSnapshot::middlewareOrder(const std::string& listener) const {
    std::vector<std::string> names;
    const auto found = listeners_.find(listener);
    if (found == listeners_.end()) return names;
    for (const auto& entry : found->second.middleware) names.push_back(entry.middleware->name);
    return names;
}

void answerException(std::exception_ptr error, Request& request, Response& response, spdlog::logger& logger) {
    try {
        std::rethrow_exception(std::move(error));
    } catch (const HttpError& httpError) {
        response.clear();
        writeProblem(response, httpError.problem());
    } catch (const std::exception& exception) {
        logger.error("unhandled exception in {} {}: {}", request.method(),
                     request.routePattern().empty() ? "(unmatched)" : request.routePattern(), describeError(exception));
        response.clear();
        writeProblem(response, Problem::of(500, "Internal Server Error", "the server failed to handle the request; request id " + request.requestId()));
    } catch (...) {
        logger.error("unhandled non-standard exception in {} {}", request.method(), request.routePattern());
        response.clear();
        writeProblem(response, Problem::of(500, "Internal Server Error", "the server failed to handle the request; request id " + request.requestId()));
    }
}

PipelineSnapshot::Routed PipelineSnapshot::route(Request& request) const {
    Routed routed;
    const auto found = listeners_.find(request.listener());
    if (found == listeners_.end()) return routed;
    routed.pipeline = &found->second;
    auto match = found->second.router.match(request.method(), request.path());
    if (match.target != nullptr) {
        request.setAccess(match.target->access);
        request.setRoutePattern(std::string(match.pattern));
        request.setPathParameters(std::move(match.parameters));
    }
    routed.target = match.target;
    routed.allowed = std::move(match.allowedMethods);
    routed.nonBlocking = found->second.middlewareNonBlocking && (match.target == nullptr || match.target->nonBlocking);
    return routed;
}

void PipelineSnapshot::run(const Routed& routed, Request& request, Response& response) const {
    try {
        if (routed.pipeline == nullptr) {
            writeProblem(response, Problem::of(404, "Not Found", "no route for " + request.path()));
            return;
        }
        const Chain chain{*routed.pipeline, request, response, routed.target, routed.allowed};
        runChain(chain, 0);
    } catch (...) {
        answerException(std::current_exception(), request, response, *logger_);
    }
}

// The host's half of Route::requireScope: whoever set the principal, a caller without a scope the
// route needs never reaches the handler. Without a principal, routes stay open only on a listener
// that never had authenticating middleware (no auth plugin, or auth.mode = none): once one served
// it, its absence (unloaded, failed reload) is a 401, never an open route.
namespace {
void checkScopes(const Request& request) {
    const Principal* principal = request.principal();
    if (principal == nullptr) return;
    for (const auto& scope : request.access().scopes) {
        if (principal->hasScope(scope)) continue;
        Problem problem = Problem::of(403, "Forbidden",
                                      request.method() + " " + request.routePattern() + " needs the scope " + scope +
                                          ", which the caller's credentials do not grant");
        problem.extensions["required_scope"] = scope;
        throw HttpError(std::move(problem));
    }
}
}  // namespace

void PipelineSnapshot::runChain(const Chain& chain, std::size_t index) {
    const ListenerPipeline& pipeline = chain.pipeline;
    Request& request = chain.request;
    Response& response = chain.response;
    const RouteTarget* target = chain.target;
    const std::set<std::string>& allowed = chain.allowed;
    if (index < pipeline.middleware.size()) {
        const Next next = [state = &chain, index] { runChain(*state, index + 1); };
        pipeline.middleware[index].middleware->run(request, response, next);
        return;
    }
    if (target != nullptr) {
        if (pipeline.authenticated && request.principal() == nullptr && request.access().authenticated) {
            writeProblem(response, Problem::of(401, "Unauthorized",
                                               request.method() + " " + request.routePattern() +
                                                   " needs an authenticated caller, and no authenticating plugin "
                                                   "is loaded to verify credentials"));
            response.setHeader("WWW-Authenticate", "Bearer realm=\"keel\"");
            return;
        }
        checkScopes(request);
        if (target->ready != nullptr && !target->ready->load(std::memory_order_acquire)) {
            // Generic on purpose: the reason (host, port, driver text) is in the log and on /admin.
            writeProblem(response, Problem::of(503, "Service Unavailable", "database unavailable; retry later"));
            response.setHeader("Retry-After", "5");
            return;
        }
        (*target->handler)(request, response);
        return;
    }
    if (!allowed.empty()) {
        std::string allow;
        for (const auto& method : allowed) allow += (allow.empty() ? "" : ", ") + method;
        writeProblem(response, Problem::of(405, "Method Not Allowed", "method " + request.method() + " is not allowed for " + request.path() +
                                           "; allowed: " + allow));
        response.setHeader("Allow", allow);
        return;
    }
    writeProblem(response, Problem::of(404, "Not Found", "no route for " + request.path()));
}

}  // namespace keel::host
