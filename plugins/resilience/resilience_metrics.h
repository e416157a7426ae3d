// The resilience families in the host's registry, and each pipeline's labelled children.
#pragma once

#include <array>
#include <string>

#include <keel/metrics.h>
#include <keel/resilience.h>

#include "circuit_breaker.h"

namespace keel::plugins::resilience {

// Failure::None .. Failure::CallFailed.
constexpr std::size_t kOutcomeCount = static_cast<std::size_t>(keel::resilience::Failure::CallFailed) + 1;

struct PipelineMetrics {
    prometheus::Family<prometheus::Gauge>* breakerState = nullptr;  // {pipeline, state}: 1 current, 0 others
    // keel_resilience_calls_total {pipeline, outcome}, one per Failure value (None: "success"),
    // resolved when the pipeline is made: every call counts one.
    std::array<prometheus::Counter*, kOutcomeCount> calls{};
    prometheus::Counter* retries = nullptr;
    prometheus::Counter* budgetExhausted = nullptr;
    prometheus::Gauge* bulkheadInUse = nullptr;
    prometheus::Counter* bulkheadRejections = nullptr;
    std::string pipeline;

    void setBreakerState(BreakerState state) const;
    void countCall(keel::resilience::Failure outcome) const;
};

class ResilienceMetrics {
public:
    explicit ResilienceMetrics(Metrics& metrics);
    PipelineMetrics forPipeline(const std::string& name);
    prometheus::Counter& rateLimited(const std::string& listener);
    // Requests decided without Redis (it failed or timed out), by the redis_failure applied.
    prometheus::Counter& redisErrors(const std::string& mode);

private:
    prometheus::Family<prometheus::Gauge>& breakerState_;
    prometheus::Family<prometheus::Counter>& calls_;
    prometheus::Family<prometheus::Counter>& retries_;
    prometheus::Family<prometheus::Counter>& budgetExhausted_;
    prometheus::Family<prometheus::Gauge>& bulkheadInUse_;
    prometheus::Family<prometheus::Counter>& bulkheadRejections_;
    prometheus::Family<prometheus::Counter>& rateLimited_;
    prometheus::Family<prometheus::Counter>& redisErrors_;
};

}  // namespace keel::plugins::resilience
