// Runs health checks in parallel, each cut at its own timeout. A check still hanging from an
// earlier run is not started again (so a stuck dependency cannot pile up threads); it reports
// fail until it returns. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "keel/health.h"

namespace keel::host {

struct HealthCheckEntry {
    std::string plugin;
    HealthCheck check;
    // Keeps the check's code mapped while it runs, even past its timeout.
    std::shared_ptr<const void> pin;
};

class HealthCheckRunner {
public:
    std::vector<HealthCheckReport> run(const std::vector<HealthCheckEntry>& entries);
    // How many times a probe joined a run another probe had started (instead of starting one).
    std::uint64_t joinedRuns() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return joinedRuns_;
    }

private:
    struct Execution;
    // Starts the check on a thread of its own, or joins the run another caller started while it is
    // within its timeout; nullptr when that run has hung past its timeout.
    std::shared_ptr<Execution> begin(const HealthCheckEntry& entry);
    // Waits for the run until its timeout, then reports its result or the timeout.
    static HealthCheckReport report(const HealthCheckEntry& entry, const std::shared_ptr<Execution>& execution);
    mutable std::mutex mutex_;
    std::map<std::string, std::shared_ptr<Execution>> running_;  // by "plugin/check"
    std::uint64_t joinedRuns_ = 0;
};

}  // namespace keel::host
