// http_server_* families.
#include "http_metrics.h"

#include <Poco/NumberParser.h>
#include <Poco/StringTokenizer.h>

#include <keel/problem.h>

#include <chrono>
#include <stdexcept>

namespace keel::plugins::metrics {

HttpMetrics::HttpMetrics(Metrics& metrics, std::vector<double> buckets)
    : requests_(metrics.counter("http_server_requests_total", "HTTP requests served, by method, route and status.")),
      duration_(metrics.histogram("http_server_request_duration_seconds",
                                  "Time from request read to response ready, by method, route and status.")),
      active_(metrics.gauge("http_server_active_requests", "Requests being served, by method and route.")),
      buckets_(std::move(buckets)) {}

std::string_view HttpMetrics::methodLabel(const std::string& method) {
    static constexpr std::string_view known[] = {"GET",   "HEAD",    "POST",    "PUT",  "DELETE",
                                                 "PATCH", "OPTIONS", "CONNECT", "TRACE"};
    for (const std::string_view candidate : known) {
        if (method == candidate) return candidate;
    }
    return "other";
}

const std::string& HttpMetrics::routeLabel(const Request& request) {
    static const std::string kUnmatched = "unmatched";
    return request.routePattern().empty() ? kUnmatched : request.routePattern();
}

std::vector<double> HttpMetrics::parseBuckets(const std::string& text) {
    std::vector<double> buckets;
    Poco::StringTokenizer tokens(text, ",", Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
    for (const auto& token : tokens) {
        double value = 0;
        if (!Poco::NumberParser::tryParseFloat(token, value) || value <= 0 ||
            (!buckets.empty() && value <= buckets.back())) {
            throw std::invalid_argument("'" + token + "' is not a positive number above the previous bucket");
        }
        buckets.push_back(value);
    }
    if (buckets.empty()) throw std::invalid_argument("no buckets given");
    return buckets;
}

namespace {

// First node of `chain` for which `matches` holds, or nullptr; safe against a concurrent insert.
template <class Node, class Matches>
Node* findIn(const std::atomic<Node*>& chain, const Matches& matches) {
    for (Node* node = chain.load(std::memory_order_acquire); node != nullptr;
         node = node->next.load(std::memory_order_acquire)) {
        if (matches(*node)) return node;
    }
    return nullptr;
}

// Publishes a fully built node at the head of `chain` (the caller holds the writers' lock).
template <class Node>
Node* pushFront(std::atomic<Node*>& chain, std::vector<std::unique_ptr<Node>>& owner, std::unique_ptr<Node> node) {
    node->next.store(chain.load(std::memory_order_relaxed), std::memory_order_relaxed);
    chain.store(node.get(), std::memory_order_release);
    owner.push_back(std::move(node));
    return owner.back().get();
}

}  // namespace

HttpMetrics::RouteSeries& HttpMetrics::routeSeries(std::string_view method, const std::string& route) {
    const std::size_t hash = std::hash<std::string_view>{}(route) * 31 + std::hash<std::string_view>{}(method);
    auto& chain = routes_[hash % routes_.size()];
    const auto matches = [&](const RouteSeries& node) {
        return node.hash == hash && node.method == method && node.route == route;
    };
    if (RouteSeries* found = findIn(chain, matches)) return *found;
    std::lock_guard<std::mutex> lock(resolveMutex_);
    if (RouteSeries* found = findIn(chain, matches)) return *found;
    auto node = std::make_unique<RouteSeries>();
    node->method = std::string(method);
    node->route = route;
    node->hash = hash;
    node->active = &active_.Add({{"method", node->method}, {"route", route}});  // thread-safe; returns an existing series
    return *pushFront(chain, ownedRoutes_, std::move(node));
}

HttpMetrics::StatusSeries& HttpMetrics::statusSeries(RouteSeries& route, int status) {
    const auto matches = [status](const StatusSeries& node) { return node.status == status; };
    if (StatusSeries* found = findIn(route.statuses, matches)) return *found;
    std::lock_guard<std::mutex> lock(resolveMutex_);
    if (StatusSeries* found = findIn(route.statuses, matches)) return *found;
    const prometheus::Labels labels{{"method", route.method}, {"route", route.route}, {"status", std::to_string(status)}};
    auto node = std::make_unique<StatusSeries>();
    node->status = status;
    node->requests = &requests_.Add(labels);
    node->duration = &duration_.Add(labels, prometheus::Histogram::BucketBoundaries(buckets_));
    return *pushFront(route.statuses, ownedStatuses_, std::move(node));
}

void HttpMetrics::observe(Request& request, Response& response, const Next& next) {
    RouteSeries& series = routeSeries(methodLabel(request.method()), routeLabel(request));
    series.inFlight.fetch_add(1, std::memory_order_relaxed);
    const auto started = std::chrono::steady_clock::now();
    // Every request is counted and timed under the status its client receives: an HttpError
    // escaping from here becomes its own status in the recovery middleware, anything else a 500.
    const auto record = [&](int status) {
        series.inFlight.fetch_sub(1, std::memory_order_relaxed);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        StatusSeries& finished = statusSeries(series, status);
        finished.requests->Increment();
        finished.duration->Observe(seconds);
    };
    try {
        next();
    } catch (const HttpError& error) {
        record(error.problem().status);
        throw;
    } catch (...) {
        record(500);
        throw;
    }
    record(response.status());
}

void HttpMetrics::publishActive() {
    std::lock_guard<std::mutex> lock(resolveMutex_);
    for (const auto& route : ownedRoutes_) {
        route->active->Set(static_cast<double>(route->inFlight.load(std::memory_order_relaxed)));
    }
}

}  // namespace keel::plugins::metrics
