// Circuit breaker: closed -> open when the failure rate or slow-call rate of a sliding window
// (count- or time-based) crosses its threshold after a minimum number of calls, or after N
// consecutive failures; open -> half-open after the open duration; half-open lets a fixed number
// of trial calls through and closes when all succeed, reopens at the first failure.
// Operators can force it open or closed. Thread-safe.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "time_source.h"

namespace keel::plugins::resilience {

struct CircuitBreakerConfig {
    enum class Window { Count, Time };
    Window window = Window::Count;
    int windowSize = 100;                // calls (count) or seconds (time)
    double failureRateThreshold = 50;    // percent of calls in the window
    double slowCallRateThreshold = 100;  // percent; 100 with no slow calls never opens
    std::chrono::milliseconds slowCallDuration{5000};
    int minimumCalls = 20;               // before the rates may open the breaker
    std::chrono::milliseconds openDuration{30000};
    int halfOpenCalls = 5;               // trial calls permitted in half-open
    int consecutiveFailures = 0;         // > 0: also open after this many failures in a row
};

enum class BreakerState { Closed, Open, HalfOpen, ForcedOpen, ForcedClosed };
const char* breakerStateName(BreakerState state);  // "closed", "open", "half_open", "forced_open", "forced_closed"

class CircuitBreaker {
public:
    using TransitionListener = std::function<void(BreakerState from, BreakerState to, const std::string& why)>;

    CircuitBreaker(CircuitBreakerConfig config, const TimeSource& time, TransitionListener onTransition);

    // Permission for one call; false means rejected (open, forced open, or half-open trials in use).
    // Every permitted call must be followed by exactly one record*().
    bool tryAcquire();
    void recordSuccess(std::chrono::nanoseconds elapsed);
    void recordFailure(std::chrono::nanoseconds elapsed);
    // The call ended without saying anything about the downstream (e.g. a 4xx): frees a
    // half-open trial slot without counting.
    void recordIgnored();

    BreakerState state() const;
    void force(BreakerState forced);  // ForcedOpen or ForcedClosed
    void release();                   // back to automatic, closed with an empty window

    struct Snapshot {
        BreakerState state;
        int calls;
        double failureRate;  // percent, of the calls in the window
        double slowCallRate;
        int consecutiveFailures;
        // Open: how long until the next call may go through as a half-open trial (0: the next one).
        std::optional<std::chrono::milliseconds> untilTrial;
    };
    Snapshot snapshot() const;
    const CircuitBreakerConfig& config() const { return config_; }

private:
    struct Sample {
        Clock::time_point at;
        bool failure;
        bool slow;
    };
    void record(bool failure, std::chrono::nanoseconds elapsed);
    void transition(BreakerState to, const std::string& why);
    void expireLocked(Clock::time_point now) const;
    Snapshot snapshotLocked() const;

    const CircuitBreakerConfig config_;
    const TimeSource& time_;
    TransitionListener onTransition_;
    mutable std::mutex mutex_;
    BreakerState state_ = BreakerState::Closed;
    mutable std::deque<Sample> window_;  // aged on read, too
    int consecutive_ = 0;
    Clock::time_point openedAt_{};
    int trialsIssued_ = 0;
    int trialsSucceeded_ = 0;
};

}  // namespace keel::plugins::resilience
