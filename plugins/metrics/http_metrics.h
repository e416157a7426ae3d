// RED metrics of every request, labelled by route pattern (never the raw path) so that label
// cardinality stays bounded whatever clients send. Thread-safe after construction.
#pragma once

#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <keel/metrics.h>
#include <keel/route.h>

namespace keel::plugins::metrics {

class HttpMetrics {
public:
    HttpMetrics(Metrics& metrics, std::vector<double> buckets);

    // The middleware body: counts, times and tracks the request around `next`.
    void observe(Request& request, Response& response, const Next& next);

    // Standard methods as sent; anything else "other" (a method token is client input).
    static std::string methodLabel(const std::string& method);
    // The route pattern, or "unmatched" for requests no route took.
    static std::string routeLabel(const Request& request);
    // "0.005,0.01,0.1" -> {0.005, 0.01, 0.1}; throws std::invalid_argument unless strictly increasing positive numbers.
    static std::vector<double> parseBuckets(const std::string& text);

private:
    struct Finished {
        prometheus::Counter* requests;
        prometheus::Histogram* duration;
    };
    // Series are resolved once per label values and then found under a shared lock: Family::Add
    // builds a label map, hashes it and takes the family's lock on every call, which cost more
    // than the rest of this middleware. Label values are bounded (methods, route patterns,
    // statuses), so the caches are too.
    prometheus::Gauge& activeSeries(const std::string& method, const std::string& route);
    Finished finishedSeries(const std::string& method, const std::string& route, int status);

    prometheus::Family<prometheus::Counter>& requests_;
    prometheus::Family<prometheus::Histogram>& duration_;
    prometheus::Family<prometheus::Gauge>& active_;
    std::vector<double> buckets_;
    std::shared_mutex cacheMutex_;
    std::unordered_map<std::string, prometheus::Gauge*> activeByKey_;
    std::unordered_map<std::string, Finished> finishedByKey_;
};

}  // namespace keel::plugins::metrics
