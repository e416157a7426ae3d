// The composition of the policies around one call.
#include "resilience_pipeline.h"

#include <algorithm>
#include <optional>

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
    metrics_.countCall(result.failure);
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
        const AttemptRecord record = attempt(call, number, attemptStart, attemptDeadline, policies.circuitBreaker);
        result.attempts = number;
        result.lastOutcome = record.outcome;
        if (record.outcome.success) return finish(result);
        const auto next = nextAttemptAt(record, number, maxAttempts, deadline, result);
        if (!next) return finish(result);
        if (metrics_.retries != nullptr) metrics_.retries->Increment();
        time_.sleepUntil(*next);
    }
}

ResiliencePipeline::AttemptRecord ResiliencePipeline::attempt(const std::function<Outcome(const Attempt&)>& call,
                                                              int number, keel::resilience::Clock::time_point start,
                                                              keel::resilience::Clock::time_point deadline,
                                                              bool breakerCounts) {
    AttemptRecord record;
    try {
        record.outcome = call(Attempt(number, deadline));
    } catch (const std::exception& error) {
        record.outcome = Outcome::failure(std::string("the call threw: ") + error.what(), false);
    } catch (...) {
        record.outcome = Outcome::failure("the call threw a non-standard exception", false);
    }
    record.end = time_.now();
    record.timedOut = record.end > deadline;
    if (record.timedOut) {
        // A late answer is no answer: the caller has already given up on it.
        record.outcome = Outcome::failure("attempt " + std::to_string(number) + " exceeded its deadline", true);
    }
    // A call that skips the breaker says nothing about the downstream's health.
    if (!breakerCounts) return record;
    const auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(record.end - start);
    if (record.outcome.success) {
        breaker_.recordSuccess(elapsed);
    } else if (record.outcome.countsAsFailure) {
        breaker_.recordFailure(elapsed);
    } else {
        breaker_.recordIgnored();
    }
    return record;
}

std::optional<keel::resilience::Clock::time_point> ResiliencePipeline::nextAttemptAt(
    const AttemptRecord& record, int number, int maxAttempts, keel::resilience::Clock::time_point deadline,
    Result& result) {
    const Outcome& outcome = record.outcome;
    if (!outcome.retryable) {
        result.failure = record.timedOut ? Failure::Timeout : Failure::CallFailed;
        result.detail = "pipeline " + name_ + ": " + outcome.detail;
        return std::nullopt;
    }
    if (number >= maxAttempts) {
        result.failure = record.timedOut && number == 1 ? Failure::Timeout : Failure::RetriesExhausted;
        result.detail =
            "pipeline " + name_ + ": " + std::to_string(number) + " attempt(s) failed, last: " + outcome.detail;
        return std::nullopt;
    }
    auto wait = backoffDelay(config_.retry, number, uniform01_);
    if (outcome.retryAfter) wait = std::max(wait, *outcome.retryAfter);
    if (record.end + wait >= deadline) {
        result.failure = Failure::RetriesExhausted;
        result.detail =
            "pipeline " + name_ + ": no time left for another attempt before the deadline, last: " + outcome.detail;
        return std::nullopt;
    }
    if (!budget_.tryRetry()) {
        if (metrics_.budgetExhausted != nullptr) metrics_.budgetExhausted->Increment();
        result.failure = Failure::RetriesExhausted;
        result.detail = "pipeline " + name_ + ": retry budget exhausted, last: " + outcome.detail;
        return std::nullopt;
    }
    return record.end + wait;
}

}  // namespace keel::plugins::resilience
