// Health checks: registered by any plugin, run by the host (in parallel, each cut at its
// timeout), reported by the health plugin.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "keel/export.h"

namespace keel {

enum class HealthStatus { Pass, Warn, Fail };

KEEL_SDK_API const char* healthStatusName(HealthStatus status);  // "pass", "warn", "fail"

struct HealthCheckResult {
    HealthStatus status = HealthStatus::Pass;
    std::string output;  // why, when not pass; never secrets
};

struct HealthCheck {
    std::string name;  // "database", "inventory"; unique per plugin
    std::chrono::milliseconds timeout{2000};
    bool critical = true;  // a failing critical check makes the host fail (503)
    std::string componentType = "component";
    // Runs on a host thread; may block up to `timeout`, after which its result is ignored.
    std::function<HealthCheckResult()> run;
    // Also gates /ready: a load balancer stops sending traffic while it fails. Keep such checks
    // cheap (a ping); the health plugin caches their result for health.ready_cache.
    bool readiness = false;  // after `run`: {name, timeout, critical, type, run} still compiles
};

// One check's outcome in one run.
struct HealthCheckReport {
    std::string plugin;
    std::string name;
    std::string componentType;
    bool critical = true;
    HealthStatus status = HealthStatus::Pass;
    std::string output;
    std::chrono::microseconds observed{0};
    std::chrono::system_clock::time_point time;
};

// The host's view of every registered check. Thread-safe.
class KEEL_SDK_API HealthChecks {
public:
    virtual ~HealthChecks();
    // Runs every check of every loaded plugin in parallel and returns when each finished or hit
    // its timeout (reported as fail, "timed out after ...").
    virtual std::vector<HealthCheckReport> runAll() = 0;
    // The same for the checks with `readiness` set only (what /ready waits for).
    virtual std::vector<HealthCheckReport> runReadiness() = 0;
};

// Start-up and shutdown state of the host, for readiness. Thread-safe.
class KEEL_SDK_API HostState {
public:
    virtual ~HostState();
    // True once start-up finished and until shutdown began.
    virtual bool ready() const = 0;
    virtual bool draining() const = 0;
    virtual std::chrono::system_clock::time_point startedAt() const = 0;
    virtual std::string version() const = 0;
    // server.instance_id: tells this process from the others of a fleet (logs, spans, metrics).
    virtual std::string instanceId() const = 0;
};

}  // namespace keel
