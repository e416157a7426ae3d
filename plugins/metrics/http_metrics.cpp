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

std::string HttpMetrics::methodLabel(const std::string& method) {
    static const char* known[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"};
    for (const char* candidate : known) {
        if (method == candidate) return method;
    }
    return "other";
}

std::string HttpMetrics::routeLabel(const Request& request) {
    return request.routePattern().empty() ? "unmatched" : request.routePattern();
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

// Finds `key` in `cache` under a shared lock, or resolves and inserts it under an exclusive one.
template <class Value, class Resolve>
Value cachedSeries(std::shared_mutex& mutex, std::unordered_map<std::string, Value>& cache, const std::string& key,
                   const Resolve& resolve) {
    {
        std::shared_lock<std::shared_mutex> lock(mutex);
        if (const auto found = cache.find(key); found != cache.end()) return found->second;
    }
    const Value resolved = resolve();  // Family::Add is thread-safe and returns the existing series
    std::unique_lock<std::shared_mutex> lock(mutex);
    return cache.emplace(key, resolved).first->second;
}

}  // namespace

prometheus::Gauge& HttpMetrics::activeSeries(const std::string& method, const std::string& route) {
    return *cachedSeries(cacheMutex_, activeByKey_, method + '\n' + route,
                         [&] { return &active_.Add({{"method", method}, {"route", route}}); });
}

HttpMetrics::Finished HttpMetrics::finishedSeries(const std::string& method, const std::string& route, int status) {
    const std::string statusText = std::to_string(status);
    return cachedSeries(cacheMutex_, finishedByKey_, method + '\n' + route + '\n' + statusText, [&] {
        const prometheus::Labels labels{{"method", method}, {"route", route}, {"status", statusText}};
        return Finished{&requests_.Add(labels), &duration_.Add(labels, prometheus::Histogram::BucketBoundaries(buckets_))};
    });
}

void HttpMetrics::observe(Request& request, Response& response, const Next& next) {
    const std::string method = methodLabel(request.method());
    const std::string route = routeLabel(request);
    auto& active = activeSeries(method, route);
    active.Increment();
    const auto started = std::chrono::steady_clock::now();
    // Every request is counted and timed under the status its client receives: an HttpError
    // escaping from here becomes its own status in the recovery middleware, anything else a 500.
    const auto record = [&](int status) {
        active.Decrement();
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        const Finished series = finishedSeries(method, route, status);
        series.requests->Increment();
        series.duration->Observe(seconds);
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

}  // namespace keel::plugins::metrics
