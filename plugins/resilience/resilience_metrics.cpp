// keel_circuit_breaker_state, keel_resilience_*, keel_bulkhead_*, keel_rate_limited_requests_total.
#include "resilience_metrics.h"

namespace keel::plugins::resilience {

void PipelineMetrics::setBreakerState(BreakerState state) const {
    if (breakerState == nullptr) return;
    // Forced states report as the state they impose.
    const BreakerState shown = state == BreakerState::ForcedOpen     ? BreakerState::Open
                               : state == BreakerState::ForcedClosed ? BreakerState::Closed
                                                                     : state;
    for (const auto candidate : {BreakerState::Closed, BreakerState::Open, BreakerState::HalfOpen}) {
        breakerState->Add({{"pipeline", pipeline}, {"state", breakerStateName(candidate)}})
            .Set(candidate == shown ? 1 : 0);
    }
}

void PipelineMetrics::countCall(keel::resilience::Failure outcome) const {
    if (auto* counter = calls[static_cast<std::size_t>(outcome)]) counter->Increment();
}

ResilienceMetrics::ResilienceMetrics(Metrics& metrics)
    : breakerState_(metrics.gauge("keel_circuit_breaker_state", "Circuit breaker state per pipeline (1: current).")),
      calls_(metrics.counter("keel_resilience_calls_total", "Calls through a resilience pipeline, by outcome.")),
      retries_(metrics.counter("keel_resilience_retries_total", "Retries made by a pipeline.")),
      budgetExhausted_(metrics.counter("keel_resilience_retry_budget_exhausted_total",
                                       "Retries refused because the retry budget was spent.")),
      bulkheadInUse_(metrics.gauge("keel_bulkhead_in_use", "Calls holding a bulkhead slot.")),
      bulkheadRejections_(metrics.counter("keel_bulkhead_rejections_total", "Calls rejected by a full bulkhead.")),
      rateLimited_(metrics.counter("keel_rate_limited_requests_total", "Requests answered 429 by the rate limiter.")),
      redisErrors_(metrics.counter("keel_rate_limit_redis_errors_total",
                                   "Requests the shared rate limit decided without Redis (error or timeout), by the "
                                   "redis_failure mode applied.")) {}

PipelineMetrics ResilienceMetrics::forPipeline(const std::string& name) {
    PipelineMetrics metrics;
    metrics.pipeline = name;
    metrics.breakerState = &breakerState_;
    for (std::size_t outcome = 0; outcome < kOutcomeCount; ++outcome) {
        const auto failure = static_cast<keel::resilience::Failure>(outcome);
        const std::string label = failure == keel::resilience::Failure::None ? "success" : keel::resilience::failureName(failure);
        metrics.calls[outcome] = &calls_.Add({{"pipeline", name}, {"outcome", label}});
    }
    metrics.retries = &retries_.Add({{"pipeline", name}});
    metrics.budgetExhausted = &budgetExhausted_.Add({{"pipeline", name}});
    metrics.bulkheadInUse = &bulkheadInUse_.Add({{"pipeline", name}});
    metrics.bulkheadRejections = &bulkheadRejections_.Add({{"pipeline", name}});
    return metrics;
}

prometheus::Counter& ResilienceMetrics::rateLimited(const std::string& listener) {
    return rateLimited_.Add({{"listener", listener}});
}

prometheus::Counter& ResilienceMetrics::redisErrors(const std::string& mode) {
    return redisErrors_.Add({{"mode", mode}});
}

}  // namespace keel::plugins::resilience
