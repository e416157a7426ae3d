// The composed pipeline on a manual clock: retries, deadlines, breaker and bulkhead interplay.
#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <spdlog/sinks/null_sink.h>

#include "resilience_pipeline.h"

namespace keel::plugins::resilience {
namespace {

using namespace std::chrono_literals;
using keel::resilience::Attempt;
using keel::resilience::Failure;
using keel::resilience::Outcome;

class PipelineTest : public ::testing::Test {
protected:
    std::unique_ptr<ResiliencePipeline> make(PolicyConfig config) {
        return std::make_unique<ResiliencePipeline>(
            "test", config, time, [this] { return jitter; },
            std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>()));
    }
    static PolicyConfig policy() {
        PolicyConfig config;
        config.timeout = 10s;
        config.attemptTimeout = 1s;
        config.retry.maxAttempts = 4;
        config.retry.baseDelay = 100ms;
        config.retry.maxDelay = 1s;
        config.retry.budgetMinimumRetries = 100;
        config.breaker.minimumCalls = 100;
        return config;
    }
    ManualTimeSource time;
    double jitter = 0.5;
};

TEST_F(PipelineTest, ReturnsTheFirstSuccess) {
    auto pipeline = make(policy());
    const auto result = pipeline->execute([](const Attempt&) { return Outcome::ok(); });
    EXPECT_TRUE(result.ok());
    EXPECT_EQ(result.attempts, 1);
    EXPECT_TRUE(time.sleeps().empty());
}

TEST_F(PipelineTest, RetriesRetryableFailuresWithJitteredBackoff) {
    auto pipeline = make(policy());
    int calls = 0;
    const auto result = pipeline->execute([&](const Attempt& attempt) {
        EXPECT_EQ(attempt.number(), ++calls);
        return calls < 3 ? Outcome::fromHttpStatus(503) : Outcome::ok();
    });
    EXPECT_TRUE(result.ok());
    EXPECT_EQ(result.attempts, 3);
    EXPECT_EQ(time.sleeps(), (std::vector<Clock::duration>{50ms, 100ms}));  // 0.5 x 100ms, 0.5 x 200ms
}

TEST_F(PipelineTest, StopsAtTheFirstNonRetryableFailureAndKeepsIt) {
    auto pipeline = make(policy());
    const auto result = pipeline->execute([](const Attempt&) { return Outcome::fromHttpStatus(400); });
    EXPECT_EQ(result.failure, Failure::CallFailed);
    EXPECT_EQ(result.attempts, 1);
    EXPECT_EQ(result.lastOutcome.detail, "HTTP 400");
}

TEST_F(PipelineTest, ReportsRetriesExhaustedWithTheUnderlyingError) {
    auto pipeline = make(policy());
    const auto result = pipeline->execute([](const Attempt&) { return Outcome::fromHttpStatus(502); });
    EXPECT_EQ(result.failure, Failure::RetriesExhausted);
    EXPECT_EQ(result.attempts, 4);
    EXPECT_NE(result.detail.find("HTTP 502"), std::string::npos);
}

TEST_F(PipelineTest, HonoursRetryAfterAsTheLeastWait) {
    auto pipeline = make(policy());
    int calls = 0;
    pipeline->execute([&](const Attempt&) {
        return ++calls == 1 ? Outcome::fromHttpStatus(429, std::string("2")) : Outcome::ok();
    });
    EXPECT_EQ(time.sleeps(), (std::vector<Clock::duration>{2s}));
}

TEST_F(PipelineTest, NeverRetriesPastTheOverallDeadline) {
    auto config = policy();
    config.timeout = 1500ms;
    config.retry.maxAttempts = 10;
    auto pipeline = make(config);
    const auto result = pipeline->execute([&](const Attempt& attempt) {
        EXPECT_LE(attempt.deadline(), time.now() + 1s);
        time.advance(600ms);
        return Outcome::fromHttpStatus(503);
    });
    EXPECT_EQ(result.failure, Failure::RetriesExhausted);
    EXPECT_LT(result.attempts, 10);
    EXPECT_NE(result.detail.find("no time left"), std::string::npos) << result.detail;
}

TEST_F(PipelineTest, AnAttemptThatOverrunsItsTimeoutCountsAsATimedOutFailure) {
    auto config = policy();
    config.retry.maxAttempts = 1;
    auto pipeline = make(config);
    const auto result = pipeline->execute([&](const Attempt&) {
        time.advance(1500ms);  // the attempt timeout is 1s
        return Outcome::ok();
    });
    EXPECT_EQ(result.failure, Failure::Timeout);
    EXPECT_EQ(pipeline->breaker().snapshot().failureRate, 100);
}

TEST_F(PipelineTest, FailsFastWithCircuitOpenOnceTheBreakerOpens) {
    auto config = policy();
    config.retry.maxAttempts = 1;
    config.breaker.minimumCalls = 2;
    config.breaker.failureRateThreshold = 50;
    auto pipeline = make(config);
    for (int i = 0; i < 2; ++i) pipeline->execute([](const Attempt&) { return Outcome::fromHttpStatus(500); });
    int calls = 0;
    const auto result = pipeline->execute([&](const Attempt&) {
        ++calls;
        return Outcome::ok();
    });
    EXPECT_EQ(result.failure, Failure::CircuitOpen);
    EXPECT_EQ(calls, 0);
}

TEST_F(PipelineTest, ClientErrorsDoNotOpenTheBreaker) {
    auto config = policy();
    config.retry.maxAttempts = 1;
    config.breaker.minimumCalls = 2;
    auto pipeline = make(config);
    for (int i = 0; i < 10; ++i) pipeline->execute([](const Attempt&) { return Outcome::fromHttpStatus(404); });
    EXPECT_EQ(pipeline->breaker().state(), BreakerState::Closed);
}

TEST_F(PipelineTest, RejectsWithBulkheadFullWhenEverySlotIsBusy) {
    auto config = policy();
    config.bulkhead.maxConcurrent = 1;
    auto pipeline = make(config);
    keel::resilience::Result inner;
    pipeline->execute([&](const Attempt&) {
        inner = pipeline->execute([](const Attempt&) { return Outcome::ok(); });
        return Outcome::ok();
    });
    EXPECT_EQ(inner.failure, Failure::BulkheadFull);
}

// Policies::atMostOnce(): the creation of an order runs once, bounded by the bulkhead and the
// deadline, and whatever it answers never trips the breaker the same pipeline has.
TEST_F(PipelineTest, AtMostOnceRunsTheCallOnceWithinTheBulkheadAndLeavesTheBreakerAlone) {
    auto config = policy();  // 4 attempts configured
    config.bulkhead.maxConcurrent = 1;
    config.breaker.minimumCalls = 1;
    config.breaker.failureRateThreshold = 1;
    auto pipeline = make(config);
    int calls = 0;
    const auto failed = pipeline->execute(
        [&](const Attempt&) {
            ++calls;
            return Outcome::fromHttpStatus(503);
        },
        keel::resilience::Policies::atMostOnce());
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(failed.attempts, 1);
    EXPECT_EQ(failed.failure, Failure::RetriesExhausted);
    EXPECT_TRUE(time.sleeps().empty());
    EXPECT_EQ(pipeline->breaker().state(), BreakerState::Closed);

    // A slow run is reported as a timeout, but it ran: attempts tells the caller so.
    const auto slow = pipeline->execute(
        [&](const Attempt&) {
            ++calls;
            time.advance(1500ms);
            return Outcome::ok();
        },
        keel::resilience::Policies::atMostOnce());
    EXPECT_EQ(calls, 2);
    EXPECT_EQ(slow.attempts, 1);
    EXPECT_EQ(slow.failure, Failure::Timeout);

    // The bulkhead still holds: a second call while one runs is refused before it runs.
    keel::resilience::Result inner;
    pipeline->execute(
        [&](const Attempt&) {
            inner = pipeline->execute([&](const Attempt&) { return Outcome::ok(); },
                                      keel::resilience::Policies::atMostOnce());
            return Outcome::ok();
        },
        keel::resilience::Policies::atMostOnce());
    EXPECT_EQ(inner.failure, Failure::BulkheadFull);
    EXPECT_EQ(inner.attempts, 0);
}

TEST_F(PipelineTest, WithoutTheTimeoutPolicyALongCallIsNotCutShort) {
    auto config = policy();
    auto pipeline = make(config);
    keel::resilience::Policies policies;
    policies.timeout = false;
    const auto result = pipeline->execute(
        [&](const Attempt&) {
            time.advance(30s);  // three times the overall timeout
            return Outcome::ok();
        },
        policies);
    EXPECT_TRUE(result.ok());
}

TEST_F(PipelineTest, AnExceptionFromTheCallIsAFailureNotACrash) {
    auto pipeline = make(policy());
    const auto result = pipeline->execute([](const Attempt&) -> Outcome { throw std::runtime_error("boom"); });
    EXPECT_EQ(result.failure, Failure::CallFailed);
    EXPECT_NE(result.detail.find("boom"), std::string::npos);
}

TEST_F(PipelineTest, TheRetryBudgetStopsARetryStorm) {
    auto config = policy();
    config.retry.budgetMinimumRetries = 3;
    config.retry.budgetRatio = 0.0;
    auto pipeline = make(config);
    int attempts = 0;
    for (int i = 0; i < 5; ++i) {
        pipeline->execute([&](const Attempt&) {
            ++attempts;
            return Outcome::fromHttpStatus(503);
        });
    }
    EXPECT_EQ(attempts, 5 + 3) << "each call once, plus the three retries the budget allows";
}

}  // namespace
}  // namespace keel::plugins::resilience
