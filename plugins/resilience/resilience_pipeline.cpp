// The composition of the policies around one call.
#include "resilience_pipeline.h"

#include <algorithm>

namespace keel::plugins::resilience {

using keel::resilience::Attempt;
using keel::resilience::Failure;
using keel::resilience::Outcome;
using keel::resilience::Policies;
using keel::resilience::Result;

ResiliencePipeline::ResiliencePipeline(std::string name, PolicyConfig config, TimeSource& time,
                                       std::function<double()> uniform01, std::shared_ptr<spdlog::logger> logger,
                                       PipelineMetrics metrics)
    : name_(std::move(name)),
      config_(config),
      time_(time),
      uniform01_(std::move(uniform01)),
      logger_(std::move(logger)),
      metrics_(std::move(metrics)),
      bulkhead_(config.bulkhead),
      breaker_(config.breaker, time,
               [this](BreakerState from, BreakerState to, const std::string& why) {
                   if (logger_) {
                       logger_->warn("circuit breaker {}: {} -> {} ({})", name_, breakerStateName(from),
                                     breakerStateName(to), why);
                   }
                   metrics_.setBreakerState(to);
               }),
      budget_(config.retry, time) {
    metrics_.setBreakerState(BreakerState::Closed);
}

Result ResiliencePipeline::finish(Result result) const {
    metrics_.countCall(result.ok() ? "success" : keel::resilience::failureName(result.failure));
    return result;
}

Result ResiliencePipeline::execute(const std::function<Outcome(const Attempt&)>& call, const Policies& policies) {
    const auto started = time_.now();
    const auto deadline = policies.timeout ? started + config_.timeout : keel::resilience::Clock::time_point::max();
    const int maxAttempts = policies.retry ? config_.retry.maxAttempts : 1;
    const bool entered = policies.bulkhead && bulkhead_.tryEnter(deadline);
    if (policies.bulkhead && !entered) {
        if (metrics_.bulkheadRejections != nullptr) metrics_.bulkheadRejections->Increment();
        return finish(Result{Failure::BulkheadFull,
                             "pipeline " + name_ + ": all " + std::to_string(config_.bulkhead.maxConcurrent) +
                                 " slots busy",
                             {}, 0});
    }
    if (entered && metrics_.bulkheadInUse != nullptr) metrics_.bulkheadInUse->Increment();
    struct Slot {
        ResiliencePipeline& pipeline;
        bool entered;
        ~Slot() {
            if (!entered) return;
            pipeline.bulkhead_.leave();
            if (pipeline.metrics_.bulkheadInUse != nullptr) pipeline.metrics_.bulkheadInUse->Decrement();
        }
    } slot{*this, entered};

    if (policies.retry) budget_.recordCall();
    Result result;
    for (int number = 1;; ++number) {
        if (time_.now() >= deadline) {
            result.failure = Failure::Timeout;
            result.detail = "pipeline " + name_ + ": overall timeout of " + std::to_string(config_.timeout.count()) +
                            "ms reached";
            return finish(result);
        }
        if (policies.circuitBreaker && !breaker_.tryAcquire()) {
            result.failure = Failure::CircuitOpen;
            result.detail = "pipeline " + name_ + ": circuit breaker is " + breakerStateName(breaker_.state());
            return finish(result);
        }
        const auto attemptStart = time_.now();
        const auto attemptDeadline =
            policies.timeout ? std::min(deadline, attemptStart + config_.attemptTimeout) : deadline;
        Outcome outcome;
        try {
            outcome = call(Attempt(number, attemptDeadline));
        } catch (const std::exception& error) {
            outcome = Outcome::failure(std::string("the call threw: ") + error.what(), false);
        } catch (...) {
            outcome = Outcome::failure("the call threw a non-standard exception", false);
        }
        const auto attemptEnd = time_.now();
        const bool timedOut = attemptEnd > attemptDeadline;
        if (timedOut) {
            // A late answer is no answer: the caller has already given up on it.
            outcome = Outcome::failure("attempt " + std::to_string(number) + " exceeded its deadline", true);
        }
        const auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(attemptEnd - attemptStart);
        if (!policies.circuitBreaker) {
            // Not this call's breaker: its outcome says nothing about the downstream's health.
        } else if (outcome.success) {
            breaker_.recordSuccess(elapsed);
        } else if (outcome.countsAsFailure) {
            breaker_.recordFailure(elapsed);
        } else {
            breaker_.recordIgnored();
        }
        result.attempts = number;
        result.lastOutcome = outcome;
        if (outcome.success) return finish(result);

        if (!outcome.retryable) {
            result.failure = timedOut ? Failure::Timeout : Failure::CallFailed;
            result.detail = "pipeline " + name_ + ": " + outcome.detail;
            return finish(result);
        }
        if (number >= maxAttempts) {
            result.failure = timedOut && number == 1 ? Failure::Timeout : Failure::RetriesExhausted;
            result.detail = "pipeline " + name_ + ": " + std::to_string(number) + " attempt(s) failed, last: " +
                            outcome.detail;
            return finish(result);
        }
        auto wait = backoffDelay(config_.retry, number, uniform01_);
        if (outcome.retryAfter) wait = std::max(wait, *outcome.retryAfter);
        if (attemptEnd + wait >= deadline) {
            result.failure = Failure::RetriesExhausted;
            result.detail = "pipeline " + name_ + ": no time left for another attempt before the deadline, last: " +
                            outcome.detail;
            return finish(result);
        }
        if (!budget_.tryRetry()) {
            if (metrics_.budgetExhausted != nullptr) metrics_.budgetExhausted->Increment();
            result.failure = Failure::RetriesExhausted;
            result.detail = "pipeline " + name_ + ": retry budget exhausted, last: " + outcome.detail;
            return finish(result);
        }
        if (metrics_.retries != nullptr) metrics_.retries->Increment();
        time_.sleepUntil(attemptEnd + wait);
    }
}

}  // namespace keel::plugins::resilience
