// Aggregation of check reports into one IETF health response (draft-inadarei-api-health-check),
// and a short-lived cache so frequent probes cannot overload dependencies. Plain C++.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include <keel/health.h>

namespace keel::plugins::health {

// Fail if a critical check fails; warn if any check warns or a non-critical one fails; else pass.
HealthStatus aggregateStatus(const std::vector<HealthCheckReport>& reports);

// How much a /health answer tells: the admin listener shows each check's output (a database's
// error names its host and port); the public one only that the check failed.
enum class HealthDetail { Full, Public };

// The application/health+json body.
std::string renderHealth(HealthStatus overall, const std::vector<HealthCheckReport>& reports,
                         const std::string& version, HealthDetail detail = HealthDetail::Full,
                         const std::string& instanceId = "");

// 200 for pass and warn, 503 for fail.
int httpStatusFor(HealthStatus status);

// Runs `probe` at most once per `ttl`; concurrent callers share one run. Thread-safe.
class CachedProbe {
public:
    using Clock = std::function<std::chrono::steady_clock::time_point()>;
    using Probe = std::function<std::vector<HealthCheckReport>()>;

    CachedProbe(std::chrono::milliseconds ttl, Probe probe, Clock clock = std::chrono::steady_clock::now);
    std::vector<HealthCheckReport> get();

private:
    std::chrono::milliseconds ttl_;
    Probe probe_;
    Clock clock_;
    std::mutex mutex_;
    bool cached_ = false;
    std::chrono::steady_clock::time_point takenAt_;
    std::vector<HealthCheckReport> reports_;
};

}  // namespace keel::plugins::health
