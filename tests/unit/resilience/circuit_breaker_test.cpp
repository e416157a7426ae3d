// Every breaker transition, driven by a manual clock: no test waits for time to pass.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "circuit_breaker.h"

namespace keel::plugins::resilience {
namespace {

using namespace std::chrono_literals;

class CircuitBreakerTest : public ::testing::Test {
protected:
    CircuitBreaker make(CircuitBreakerConfig config) {
        return CircuitBreaker(config, time, [this](BreakerState from, BreakerState to, const std::string& why) {
            transitions.push_back(std::string(breakerStateName(from)) + "->" + breakerStateName(to) + ": " + why);
        });
    }
    static CircuitBreakerConfig small() {
        CircuitBreakerConfig config;
        config.windowSize = 10;
        config.minimumCalls = 4;
        config.failureRateThreshold = 50;
        config.openDuration = 1s;
        config.halfOpenCalls = 2;
        return config;
    }
    void calls(CircuitBreaker& breaker, int successes, int failures, std::chrono::nanoseconds elapsed = 1ms) {
        for (int i = 0; i < successes; ++i) {
            ASSERT_TRUE(breaker.tryAcquire());
            breaker.recordSuccess(elapsed);
        }
        for (int i = 0; i < failures; ++i) {
            ASSERT_TRUE(breaker.tryAcquire());
            breaker.recordFailure(elapsed);
        }
    }
    ManualTimeSource time;
    std::vector<std::string> transitions;
};

TEST_F(CircuitBreakerTest, AnOpenBreakerSaysHowLongUntilItsNextTrial) {
    auto breaker = make(small());
    EXPECT_FALSE(breaker.snapshot().untilTrial.has_value()) << "closed: no trial to wait for";
    calls(breaker, 2, 2);
    ASSERT_EQ(breaker.state(), BreakerState::Open);
    EXPECT_EQ(breaker.snapshot().untilTrial, std::chrono::milliseconds(1000));
    time.advance(400ms);
    EXPECT_EQ(breaker.snapshot().untilTrial, std::chrono::milliseconds(600));
    time.advance(700ms);
    EXPECT_EQ(breaker.snapshot().untilTrial, std::chrono::milliseconds(0)) << "past due: the next call is the trial";
}

TEST_F(CircuitBreakerTest, StaysClosedBeforeTheMinimumNumberOfCalls) {
    auto breaker = make(small());
    calls(breaker, 0, 3);
    EXPECT_EQ(breaker.state(), BreakerState::Closed);
}

TEST_F(CircuitBreakerTest, OpensWhenFailureRateCrossesThresholdAfterMinimumCalls) {
    auto breaker = make(small());
    calls(breaker, 2, 1);
    EXPECT_EQ(breaker.state(), BreakerState::Closed);
    calls(breaker, 0, 1);  // 2 of 4 = 50 %
    EXPECT_EQ(breaker.state(), BreakerState::Open);
    EXPECT_FALSE(breaker.tryAcquire());
    ASSERT_EQ(transitions.size(), 1u);
    EXPECT_EQ(transitions[0], "closed->open: failure rate 50% >= 50% over 4 calls");
}

TEST_F(CircuitBreakerTest, OpensOnSlowCallRateEvenWhenCallsSucceed) {
    auto config = small();
    config.slowCallRateThreshold = 75;
    config.slowCallDuration = 100ms;
    auto breaker = make(config);
    calls(breaker, 1, 0, 1ms);
    calls(breaker, 3, 0, 150ms);
    EXPECT_EQ(breaker.state(), BreakerState::Open);
}

TEST_F(CircuitBreakerTest, CountWindowRemembersOnlyTheLastCalls) {
    auto config = small();
    config.windowSize = 4;
    auto breaker = make(config);
    calls(breaker, 0, 1);
    calls(breaker, 3, 0);  // window: F S S S = 25 %
    calls(breaker, 1, 0);  // the failure leaves the window
    EXPECT_EQ(breaker.snapshot().failureRate, 0);
    EXPECT_EQ(breaker.snapshot().calls, 4);
}

TEST_F(CircuitBreakerTest, TimeWindowForgetsCallsOlderThanTheWindow) {
    auto config = small();
    config.window = CircuitBreakerConfig::Window::Time;
    config.windowSize = 10;  // seconds
    auto breaker = make(config);
    calls(breaker, 0, 3);
    time.advance(11s);
    calls(breaker, 1, 0);
    EXPECT_EQ(breaker.snapshot().calls, 1);
    calls(breaker, 2, 1);  // 1 failure of 4 in the window: stays closed
    EXPECT_EQ(breaker.state(), BreakerState::Closed);
}

TEST_F(CircuitBreakerTest, MovesToHalfOpenOnlyAfterTheOpenDuration) {
    auto breaker = make(small());
    calls(breaker, 0, 4);
    time.advance(999ms);
    EXPECT_FALSE(breaker.tryAcquire());
    time.advance(1ms);
    EXPECT_TRUE(breaker.tryAcquire());
    EXPECT_EQ(breaker.state(), BreakerState::HalfOpen);
}

TEST_F(CircuitBreakerTest, HalfOpenAdmitsOnlyThePermittedTrialsAndClosesWhenTheySucceed) {
    auto breaker = make(small());
    calls(breaker, 0, 4);
    time.advance(1s);
    ASSERT_TRUE(breaker.tryAcquire());
    ASSERT_TRUE(breaker.tryAcquire());
    EXPECT_FALSE(breaker.tryAcquire());
    breaker.recordSuccess(1ms);
    EXPECT_EQ(breaker.state(), BreakerState::HalfOpen);
    breaker.recordSuccess(1ms);
    EXPECT_EQ(breaker.state(), BreakerState::Closed);
    EXPECT_EQ(breaker.snapshot().calls, 0) << "closing starts a fresh window";
}

TEST_F(CircuitBreakerTest, HalfOpenReopensAtTheFirstFailedTrial) {
    auto breaker = make(small());
    calls(breaker, 0, 4);
    time.advance(1s);
    ASSERT_TRUE(breaker.tryAcquire());
    breaker.recordFailure(1ms);
    EXPECT_EQ(breaker.state(), BreakerState::Open);
    EXPECT_FALSE(breaker.tryAcquire());
    time.advance(1s);
    EXPECT_TRUE(breaker.tryAcquire()) << "a new open period, then half-open again";
}

TEST_F(CircuitBreakerTest, HalfOpenTreatsASlowTrialAsFailedWhenSlowCallsCount) {
    auto config = small();
    config.slowCallRateThreshold = 50;
    config.slowCallDuration = 100ms;
    auto breaker = make(config);
    calls(breaker, 0, 4);
    time.advance(1s);
    ASSERT_TRUE(breaker.tryAcquire());
    breaker.recordSuccess(200ms);
    EXPECT_EQ(breaker.state(), BreakerState::Open);
}

TEST_F(CircuitBreakerTest, IgnoredResultsFreeAHalfOpenTrialWithoutCounting) {
    auto breaker = make(small());
    calls(breaker, 0, 4);
    time.advance(1s);
    ASSERT_TRUE(breaker.tryAcquire());
    ASSERT_TRUE(breaker.tryAcquire());
    breaker.recordIgnored();
    EXPECT_TRUE(breaker.tryAcquire());
    EXPECT_EQ(breaker.state(), BreakerState::HalfOpen);
}

TEST_F(CircuitBreakerTest, OpensAfterConsecutiveFailuresWhateverTheRate) {
    auto config = small();
    config.minimumCalls = 1000;
    config.consecutiveFailures = 3;
    auto breaker = make(config);
    calls(breaker, 0, 2);
    calls(breaker, 1, 0);
    calls(breaker, 0, 2);
    EXPECT_EQ(breaker.state(), BreakerState::Closed);
    calls(breaker, 0, 1);
    EXPECT_EQ(breaker.state(), BreakerState::Open);
    EXPECT_EQ(transitions.back(), "closed->open: 3 consecutive failures");
}

TEST_F(CircuitBreakerTest, OperatorsCanForceItOpenOrClosedAndReleaseIt) {
    auto breaker = make(small());
    breaker.force(BreakerState::ForcedOpen);
    EXPECT_FALSE(breaker.tryAcquire());
    time.advance(1h);
    EXPECT_FALSE(breaker.tryAcquire()) << "forced open does not go half-open";
    breaker.force(BreakerState::ForcedClosed);
    calls(breaker, 0, 50);
    EXPECT_EQ(breaker.state(), BreakerState::ForcedClosed);
    breaker.release();
    EXPECT_EQ(breaker.state(), BreakerState::Closed);
    EXPECT_EQ(transitions.back(), "forced_closed->closed: released to automatic by an operator");
}

TEST_F(CircuitBreakerTest, ConcurrentCallersGetExactlyThePermittedHalfOpenTrials) {
    auto config = small();
    config.halfOpenCalls = 5;
    auto breaker = make(config);
    calls(breaker, 0, 4);
    time.advance(1s);
    std::atomic<int> granted{0};
    std::vector<std::thread> threads;
    std::atomic<bool> go{false};
    for (int i = 0; i < 64; ++i) {
        threads.emplace_back([&] {
            while (!go.load()) std::this_thread::yield();
            for (int j = 0; j < 10; ++j) {
                if (breaker.tryAcquire()) ++granted;
            }
        });
    }
    go = true;
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(granted.load(), 5);
}

}  // namespace
}  // namespace keel::plugins::resilience
