// One named pipeline: bulkhead -> overall timeout -> retry -> circuit breaker -> per-attempt
// timeout -> the call. Outermost first, because:
// - the bulkhead bounds everything a caller holds, retries and backoff waits included;
// - the overall timeout bounds the whole call as the caller sees it, so retries never outlive it;
// - retry sits outside the breaker, so each attempt asks the breaker again and an opening breaker
//   stops the retries at once;
// - the per-attempt timeout is inside the breaker, so a timed-out attempt counts as a failure
//   (and as a slow call) of the downstream.
#pragma once

#include <spdlog/logger.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <keel/resilience.h>

#include "bulkhead.h"
#include "circuit_breaker.h"
#include "resilience_metrics.h"
#include "retry_policy.h"

namespace keel::plugins::resilience {

struct PolicyConfig {
    BulkheadConfig bulkhead;
    std::chrono::milliseconds timeout{10000};         // overall, retries and waits included
    std::chrono::milliseconds attemptTimeout{2000};   // each attempt
    RetryConfig retry;
    CircuitBreakerConfig breaker;
};

class ResiliencePipeline final : public keel::resilience::Pipeline {
public:
    ResiliencePipeline(std::string name, PolicyConfig config, TimeSource& time, std::function<double()> uniform01,
                       std::shared_ptr<spdlog::logger> logger, PipelineMetrics metrics = {});

    const std::string& name() const override { return name_; }
    using keel::resilience::Pipeline::execute;
    keel::resilience::Result execute(const std::function<keel::resilience::Outcome(const keel::resilience::Attempt&)>& call,
                                     const keel::resilience::Policies& policies) override;

    CircuitBreaker& breaker() { return breaker_; }
    const Bulkhead& bulkhead() const { return bulkhead_; }
    const PolicyConfig& config() const { return config_; }

private:
    // One call of `call`, and what it tells the breaker (when `breakerCounts`).
    struct AttemptRecord {
        keel::resilience::Outcome outcome;
        bool timedOut = false;  // answered after its deadline: counted as a retryable failure
        keel::resilience::Clock::time_point end;
    };
    AttemptRecord attempt(const std::function<keel::resilience::Outcome(const keel::resilience::Attempt&)>& call,
                          int number, keel::resilience::Clock::time_point start,
                          keel::resilience::Clock::time_point deadline, bool breakerCounts);
    // After a failed attempt: when to try again, or std::nullopt with `result` saying why not.
    std::optional<keel::resilience::Clock::time_point> nextAttemptAt(const AttemptRecord& record, int number,
                                                                     int maxAttempts,
                                                                     keel::resilience::Clock::time_point deadline,
                                                                     keel::resilience::Result& result);
    keel::resilience::Result finish(keel::resilience::Result result) const;

    const std::string name_;
    const PolicyConfig config_;
    TimeSource& time_;
    std::function<double()> uniform01_;
    std::shared_ptr<spdlog::logger> logger_;
    PipelineMetrics metrics_;
    Bulkhead bulkhead_;
    CircuitBreaker breaker_;
    RetryBudget budget_;
};

}  // namespace keel::plugins::resilience
