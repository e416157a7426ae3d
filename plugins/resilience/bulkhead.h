// Bulkhead: at most N calls at once; further callers wait in a bounded queue up to a maximum
// wait, and are rejected at once when the queue is full. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "time_source.h"

namespace keel::plugins::resilience {

struct BulkheadConfig {
    int maxConcurrent = 50;
    int maxQueue = 0;  // callers allowed to wait; 0: reject as soon as all slots are busy
    std::chrono::milliseconds maxWait{0};
};

class Bulkhead {
public:
    explicit Bulkhead(BulkheadConfig config) : config_(config) {}

    // Takes a slot, waiting until the earlier of `deadline` and now + maxWait when the queue has
    // room. False: rejected (queue full, or no slot before the wait ended).
    bool tryEnter(Clock::time_point deadline);
    void leave();
    int inUse() const;
    int waiting() const;
    const BulkheadConfig& config() const { return config_; }

private:
    const BulkheadConfig config_;
    mutable std::mutex mutex_;
    std::condition_variable freed_;
    int inUse_ = 0;
    int waiting_ = 0;
};

}  // namespace keel::plugins::resilience
