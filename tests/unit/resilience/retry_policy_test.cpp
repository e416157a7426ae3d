// Backoff bounds and the retry budget, on a manual clock.
#include <gtest/gtest.h>

#include "retry_policy.h"

namespace keel::plugins::resilience {
namespace {

using namespace std::chrono_literals;

TEST(Backoff, IsFullJitterBetweenZeroAndTheExponentialCeiling) {
    RetryConfig config;
    config.baseDelay = 100ms;
    config.maxDelay = 1s;
    const auto lowest = [] { return 0.0; };
    const auto highest = [] { return 0.9999999; };
    EXPECT_EQ(backoffDelay(config, 1, lowest), 0ms);
    EXPECT_EQ(backoffDelay(config, 1, highest), 99ms);
    EXPECT_EQ(backoffDelay(config, 2, highest), 199ms);
    EXPECT_EQ(backoffDelay(config, 3, highest), 399ms);
    EXPECT_EQ(backoffDelay(config, 3, [] { return 0.5; }), 200ms);
}

TEST(Backoff, NeverExceedsTheCap) {
    RetryConfig config;
    config.baseDelay = 100ms;
    config.maxDelay = 250ms;
    for (int retry = 1; retry < 40; ++retry) {
        EXPECT_LE(backoffDelay(config, retry, [] { return 0.9999999; }), 250ms) << retry;
    }
}

TEST(RetryBudget, AllowsTheMinimumThenOnlyTheConfiguredShareOfCalls) {
    ManualTimeSource time;
    RetryConfig config;
    config.budgetRatio = 0.2;
    config.budgetMinimumRetries = 2;
    config.budgetWindow = 10s;
    RetryBudget budget(config, time);
    EXPECT_TRUE(budget.tryRetry());
    EXPECT_TRUE(budget.tryRetry());
    EXPECT_FALSE(budget.tryRetry()) << "minimum spent, no calls yet";
    for (int i = 0; i < 20; ++i) budget.recordCall();  // 20 % of 20 = 4 retries in the window
    EXPECT_TRUE(budget.tryRetry());
    EXPECT_TRUE(budget.tryRetry());
    EXPECT_FALSE(budget.tryRetry());
}

TEST(RetryBudget, RecoversWhenTheWindowMovesOn) {
    ManualTimeSource time;
    RetryConfig config;
    config.budgetMinimumRetries = 1;
    config.budgetWindow = 5s;
    RetryBudget budget(config, time);
    EXPECT_TRUE(budget.tryRetry());
    EXPECT_FALSE(budget.tryRetry());
    time.advance(5s);
    EXPECT_TRUE(budget.tryRetry());
}

}  // namespace
}  // namespace keel::plugins::resilience
