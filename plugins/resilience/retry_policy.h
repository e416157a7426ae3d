// Retry timing: exponential backoff with full jitter, and a retry budget so that retries add at
// most a configured share of load over a sliding window (a failing downstream gets no storm).
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <mutex>

#include "time_source.h"

namespace keel::plugins::resilience {

struct RetryConfig {
    int maxAttempts = 3;  // including the first
    std::chrono::milliseconds baseDelay{100};
    std::chrono::milliseconds maxDelay{2000};
    double budgetRatio = 0.2;                     // retries / calls over the window
    std::chrono::milliseconds budgetWindow{10000};
    int budgetMinimumRetries = 10;                // always allowed per window, for low traffic
};

// The wait before retry number `retry` (1 for the first retry): uniform in
// [0, min(maxDelay, baseDelay * 2^(retry-1))]. `uniform01` returns values in [0, 1).
std::chrono::milliseconds backoffDelay(const RetryConfig& config, int retry, const std::function<double()>& uniform01);

// Counts calls and retries in one-second buckets over the window. Thread-safe.
class RetryBudget {
public:
    RetryBudget(const RetryConfig& config, const TimeSource& time);
    void recordCall();
    // Takes one retry from the budget; false when retries would exceed the allowed share.
    bool tryRetry();

private:
    struct Bucket {
        Clock::time_point start;
        int calls = 0;
        int retries = 0;
    };
    Bucket& currentLocked();

    const double ratio_;
    const std::chrono::milliseconds window_;
    const int minimum_;
    const TimeSource& time_;
    std::mutex mutex_;
    std::deque<Bucket> buckets_;
};

}  // namespace keel::plugins::resilience
