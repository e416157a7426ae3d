// RED metrics of every request, labelled by route pattern (never the raw path) so that label
// cardinality stays bounded whatever clients send. Thread-safe after construction.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <keel/metrics.h>
#include <keel/route.h>

namespace keel::plugins::metrics {

class HttpMetrics {
public:
    HttpMetrics(Metrics& metrics, std::vector<double> buckets);

    // The middleware body: counts, times and tracks the request around `next`.
    void observe(Request& request, Response& response, const Next& next);
    // Copies the requests in flight into http_server_active_requests; called before a scrape.
    // (Counted in plain integers per request: a prometheus::Gauge is a compare-and-swap loop on a
    // double that every worker contends for, twice per request.)
    void publishActive();

    // Standard methods as sent; anything else "other" (a method token is client input).
    static std::string_view methodLabel(const std::string& method);
    // The route pattern, or "unmatched" for requests no route took.
    static const std::string& routeLabel(const Request& request);
    // "0.005,0.01,0.1" -> {0.005, 0.01, 0.1}; throws std::invalid_argument unless strictly increasing positive numbers.
    static std::vector<double> parseBuckets(const std::string& text);

private:
    // Series are resolved once per label values (Family::Add builds a label map, hashes it and
    // takes the family's lock: more than the rest of this middleware) and kept in append-only
    // chains: a request finds its series without a lock, an allocation or a write to memory
    // other threads read. Label values are bounded (methods, route patterns, statuses), so the
    // chains are too; nodes live as long as this object.
    struct StatusSeries {
        int status;
        prometheus::Counter* requests;
        prometheus::Histogram* duration;
        std::atomic<StatusSeries*> next{nullptr};
    };
    struct RouteSeries {
        std::string method;
        std::string route;
        std::size_t hash;
        prometheus::Gauge* active;
        std::atomic<std::int64_t> inFlight{0};
        std::atomic<StatusSeries*> statuses{nullptr};
        std::atomic<RouteSeries*> next{nullptr};
    };
    RouteSeries& routeSeries(std::string_view method, const std::string& route);
    StatusSeries& statusSeries(RouteSeries& route, int status);

    prometheus::Family<prometheus::Counter>& requests_;
    prometheus::Family<prometheus::Histogram>& duration_;
    prometheus::Family<prometheus::Gauge>& active_;
    std::vector<double> buckets_;
    std::array<std::atomic<RouteSeries*>, 64> routes_{};  // chains by hash of method and route
    std::mutex resolveMutex_;                             // taken only to add a series
    std::vector<std::unique_ptr<RouteSeries>> ownedRoutes_;
    std::vector<std::unique_ptr<StatusSeries>> ownedStatuses_;
};

}  // namespace keel::plugins::metrics
