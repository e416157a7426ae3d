// Resilience policies as an SDK service. A plugin asks the `resilience` plugin for a named
// pipeline (configured under [resilience.policy.<name>]) and runs a call through it; it gets the
// outcome back, or a typed failure that keeps the underlying error.
//
//   auto resilience = context.service<keel::resilience::ResilienceService>("resilience");
//   auto pipeline = resilience->pipeline("inventory");
//   keel::ClientResponse reply;
//   auto result = pipeline->execute([&](const keel::resilience::Attempt& attempt) {
//       reply = client.send({"POST", url, {}, body, attempt.remaining()});
//       return keel::resilience::Outcome::fromHttpStatus(reply.status, reply.headers.get("Retry-After"));
//   });
//   if (!result.ok()) ...  // result.failure: CircuitOpen, BulkheadFull, Timeout, RetriesExhausted...
//
// Composition, outermost first, the same for every pipeline: bulkhead, overall timeout, retry,
// circuit breaker, per-attempt timeout, the call (docs/resilience.md says why).
// Timeouts are cooperative: a C++ call cannot be preempted safely, so every attempt receives its
// deadline to pass on (socket timeouts), and an attempt that returns after it counts as a timeout.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "keel/export.h"

namespace keel::resilience {

using Clock = std::chrono::steady_clock;

// What one attempt did, as the caller judges it.
struct Outcome {
    bool success = true;
    // Failure only: whether the downstream is at fault (counts for the circuit breaker). A 4xx
    // the caller caused is not the downstream's failure.
    bool countsAsFailure = true;
    // Failure only: whether trying again may help (connection failures, 502/503/504, 429).
    bool retryable = false;
    // A server's Retry-After, honoured as the least wait before the next attempt.
    std::optional<std::chrono::milliseconds> retryAfter;
    std::string detail;

    static Outcome ok() { return Outcome{}; }
    static Outcome failure(std::string detail, bool retryable, bool countsAsFailure = true,
                           std::optional<std::chrono::milliseconds> retryAfter = std::nullopt) {
        return Outcome{false, countsAsFailure, retryable, retryAfter, std::move(detail)};
    }
    // 2xx/3xx success; 429, 502, 503, 504 retryable; other 5xx failures; 4xx the caller's own
    // failure (not retried, not counted against the downstream).
    KEEL_SDK_API static Outcome fromHttpStatus(int status, const std::optional<std::string>& retryAfterHeader = {});
};

// Handed to each attempt.
class Attempt {
public:
    Attempt(int number, Clock::time_point deadline) : number_(number), deadline_(deadline) {}
    int number() const { return number_; }  // 1 for the first try
    Clock::time_point deadline() const { return deadline_; }
    // Time left for this attempt, never negative: pass it to socket timeouts.
    std::chrono::milliseconds remaining() const {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
        return left.count() > 0 ? left : std::chrono::milliseconds(0);
    }

private:
    int number_;
    Clock::time_point deadline_;
};

enum class Failure { None, CircuitOpen, BulkheadFull, Timeout, RetriesExhausted, RateLimited, CallFailed };

// "circuit_open", "bulkhead_full", ... (metric labels and problem types).
KEEL_SDK_API const char* failureName(Failure failure);

struct Result {
    Failure failure = Failure::None;
    std::string detail;    // why, for logs and problem details
    Outcome lastOutcome;   // the underlying error of the last attempt, when one ran
    int attempts = 0;
    bool ok() const { return failure == Failure::None; }
};

// Which of a pipeline's policies a call runs through (the configuration stays the pipeline's).
struct Policies {
    bool bulkhead = true;
    bool timeout = true;  // the overall and per-attempt deadlines
    bool retry = true;
    bool circuitBreaker = true;
    // For a call that must not run twice (it writes, and is not idempotent downstream): bounded
    // concurrency and a deadline, one attempt, and its failures do not open a breaker.
    static Policies atMostOnce() { return Policies{true, true, false, false}; }
};

class KEEL_SDK_API Pipeline {
public:
    virtual ~Pipeline();
    virtual const std::string& name() const = 0;
    // Runs `call` through the chosen policies; an exception escaping `call` is a non-retryable
    // failure of the attempt (its message kept) and never escapes execute(). Result::attempts
    // is 0 when a policy refused before the call ran (bulkhead full, breaker open).
    virtual Result execute(const std::function<Outcome(const Attempt&)>& call, const Policies& policies) = 0;
    // Through every policy.
    Result execute(const std::function<Outcome(const Attempt&)>& call) { return execute(call, Policies{}); }
};

class KEEL_SDK_API ResilienceService {
public:
    static constexpr const char* kInterfaceId = "keel.resilience/1";
    virtual ~ResilienceService();
    // The pipeline configured as [resilience.policy.<name>]; a name not configured gets the
    // default policy (with its own state). Pipelines live as long as the resilience plugin.
    virtual std::shared_ptr<Pipeline> pipeline(const std::string& name) = 0;
};

}  // namespace keel::resilience
