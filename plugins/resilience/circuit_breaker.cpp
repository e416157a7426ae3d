// Breaker state machine and its sliding windows.
#include "circuit_breaker.h"

#include <sstream>

namespace keel::plugins::resilience {

const char* breakerStateName(BreakerState state) {
    switch (state) {
        case BreakerState::Closed: return "closed";
        case BreakerState::Open: return "open";
        case BreakerState::HalfOpen: return "half_open";
        case BreakerState::ForcedOpen: return "forced_open";
        case BreakerState::ForcedClosed: return "forced_closed";
    }
    return "closed";
}

CircuitBreaker::CircuitBreaker(CircuitBreakerConfig config, const TimeSource& time, TransitionListener onTransition)
    : config_(config), time_(time), onTransition_(std::move(onTransition)) {}

void CircuitBreaker::transition(BreakerState to, const std::string& why) {
    const BreakerState from = state_;
    if (from == to) return;
    state_ = to;
    if (to == BreakerState::Open) openedAt_ = time_.now();
    if (to == BreakerState::HalfOpen) trialsIssued_ = trialsSucceeded_ = 0;
    if (to == BreakerState::Closed) {
        window_.clear();
        consecutive_ = 0;
    }
    if (onTransition_) onTransition_(from, to, why);
}

void CircuitBreaker::expireLocked(Clock::time_point now) const {
    if (config_.window == CircuitBreakerConfig::Window::Count) {
        while (static_cast<int>(window_.size()) > config_.windowSize) window_.pop_front();
    } else {
        const auto horizon = now - std::chrono::seconds(config_.windowSize);
        while (!window_.empty() && window_.front().at <= horizon) window_.pop_front();
    }
}

bool CircuitBreaker::tryAcquire() {
    std::lock_guard<std::mutex> lock(mutex_);
    switch (state_) {
        case BreakerState::Closed:
        case BreakerState::ForcedClosed: return true;
        case BreakerState::ForcedOpen: return false;
        case BreakerState::Open:
            if (time_.now() - openedAt_ < config_.openDuration) return false;
            transition(BreakerState::HalfOpen, "open for " + std::to_string(config_.openDuration.count()) + "ms");
            [[fallthrough]];
        case BreakerState::HalfOpen:
            if (trialsIssued_ >= config_.halfOpenCalls) return false;
            ++trialsIssued_;
            return true;
    }
    return false;
}

void CircuitBreaker::recordSuccess(std::chrono::nanoseconds elapsed) { record(false, elapsed); }
void CircuitBreaker::recordFailure(std::chrono::nanoseconds elapsed) { record(true, elapsed); }

void CircuitBreaker::recordIgnored() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (state_ == BreakerState::HalfOpen && trialsIssued_ > trialsSucceeded_) --trialsIssued_;
}

void CircuitBreaker::record(bool failure, std::chrono::nanoseconds elapsed) {
    std::lock_guard<std::mutex> lock(mutex_);
    const bool slow = elapsed >= config_.slowCallDuration;
    const auto now = time_.now();
    switch (state_) {
        case BreakerState::ForcedOpen:
        case BreakerState::ForcedClosed:
        case BreakerState::Open: return;  // a late result of a call admitted before opening
        case BreakerState::HalfOpen: {
            const bool slowFails = slow && config_.slowCallRateThreshold < 100;
            if (failure || slowFails) {
                transition(BreakerState::Open, failure ? "a half-open trial call failed" : "a half-open trial call was slow");
                return;
            }
            if (++trialsSucceeded_ >= config_.halfOpenCalls) {
                transition(BreakerState::Closed, std::to_string(config_.halfOpenCalls) + " trial calls succeeded");
            }
            return;
        }
        case BreakerState::Closed: break;
    }
    window_.push_back(Sample{now, failure, slow});
    expireLocked(now);
    consecutive_ = failure ? consecutive_ + 1 : 0;
    if (config_.consecutiveFailures > 0 && consecutive_ >= config_.consecutiveFailures) {
        transition(BreakerState::Open, std::to_string(consecutive_) + " consecutive failures");
        return;
    }
    const auto snapshot = snapshotLocked();
    if (snapshot.calls < config_.minimumCalls) return;
    if (snapshot.failureRate >= config_.failureRateThreshold) {
        std::ostringstream why;
        why << "failure rate " << snapshot.failureRate << "% >= " << config_.failureRateThreshold << "% over "
            << snapshot.calls << " calls";
        transition(BreakerState::Open, why.str());
    } else if (config_.slowCallRateThreshold < 100 && snapshot.slowCallRate >= config_.slowCallRateThreshold) {
        std::ostringstream why;
        why << "slow-call rate " << snapshot.slowCallRate << "% >= " << config_.slowCallRateThreshold << "% over "
            << snapshot.calls << " calls";
        transition(BreakerState::Open, why.str());
    }
}

BreakerState CircuitBreaker::state() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return state_;
}

void CircuitBreaker::force(BreakerState forced) {
    std::lock_guard<std::mutex> lock(mutex_);
    transition(forced, "forced by an operator");
}

void CircuitBreaker::release() {
    std::lock_guard<std::mutex> lock(mutex_);
    transition(BreakerState::Closed, "released to automatic by an operator");
    window_.clear();
    consecutive_ = 0;
}

CircuitBreaker::Snapshot CircuitBreaker::snapshotLocked() const {
    Snapshot snapshot{state_, static_cast<int>(window_.size()), 0, 0, consecutive_, std::nullopt};
    if (window_.empty()) return snapshot;
    int failures = 0;
    int slow = 0;
    for (const auto& sample : window_) {
        failures += sample.failure ? 1 : 0;
        slow += sample.slow ? 1 : 0;
    }
    snapshot.failureRate = 100.0 * failures / static_cast<double>(window_.size());
    snapshot.slowCallRate = 100.0 * slow / static_cast<double>(window_.size());
    return snapshot;
}

CircuitBreaker::Snapshot CircuitBreaker::snapshot() const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto now = time_.now();
    expireLocked(now);  // time-based windows age even without calls
    Snapshot snapshot = snapshotLocked();
    if (state_ == BreakerState::Open) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(openedAt_ + config_.openDuration - now);
        snapshot.untilTrial = std::max(left, std::chrono::milliseconds(0));
    }
    return snapshot;
}

}  // namespace keel::plugins::resilience
