// The resilience families in the host's registry, and each pipeline's labelled children.
#pragma once

#include <string>

#include <keel/metrics.h>

#include "circuit_breaker.h"

namespace keel::plugins::resilience {

struct PipelineMetrics {
    prometheus::Family<prometheus::Gauge>* breakerState = nullptr;  // {pipeline, state}: 1 current, 0 others
    prometheus::Family<prometheus::Counter>* calls = nullptr;       // {pipeline, outcome}
    prometheus::Counter* succeeded = nullptr;  // calls {pipeline, "success"}, resolved once: every call counts
    prometheus::Counter* retries = nullptr;
    prometheus::Counter* budgetExhausted = nullptr;
    prometheus::Gauge* bulkheadInUse = nullptr;
    prometheus::Counter* bulkheadRejections = nullptr;
    std::string pipeline;

    void setBreakerState(BreakerState state) const;
    void countCall(const std::string& outcome) const;
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
