// Token bucket refill and burst, the keyed limiter's memory bound, and the admission bound under
// concurrency, on a manual clock.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "token_bucket.h"

namespace keel::plugins::resilience {
namespace {

using namespace std::chrono_literals;

TEST(TokenBucket, AdmitsTheBurstThenRefillsAtTheRate) {
    ManualTimeSource time;
    TokenBucket bucket(2, 3, time.now());
    EXPECT_TRUE(bucket.tryTake(time.now()).allowed);
    EXPECT_TRUE(bucket.tryTake(time.now()).allowed);
    const auto last = bucket.tryTake(time.now());
    EXPECT_TRUE(last.allowed);
    EXPECT_EQ(last.remaining, 0);
    const auto refused = bucket.tryTake(time.now());
    EXPECT_FALSE(refused.allowed);
    EXPECT_EQ(refused.retryAfter, 500ms);
    time.advance(500ms);
    EXPECT_TRUE(bucket.tryTake(time.now()).allowed);
    EXPECT_FALSE(bucket.tryTake(time.now()).allowed);
}

TEST(TokenBucket, NeverHoldsMoreThanTheBurst) {
    ManualTimeSource time;
    TokenBucket bucket(100, 2, time.now());
    time.advance(1h);
    EXPECT_DOUBLE_EQ(bucket.available(time.now()), 2);
    EXPECT_TRUE(bucket.tryTake(time.now()).allowed);
    EXPECT_TRUE(bucket.tryTake(time.now()).allowed);
    const auto refused = bucket.tryTake(time.now());
    EXPECT_FALSE(refused.allowed);
    EXPECT_EQ(refused.retryAfter, 10ms);
}

TEST(TokenBucket, ARefundGivesBackOneTokenButNeverBeyondTheBurst) {
    ManualTimeSource time;
    TokenBucket bucket(1, 2, time.now());
    EXPECT_TRUE(bucket.tryTake(time.now()).allowed);
    EXPECT_TRUE(bucket.tryTake(time.now()).allowed);
    EXPECT_FALSE(bucket.tryTake(time.now()).allowed);
    bucket.refund();
    EXPECT_DOUBLE_EQ(bucket.available(time.now()), 1);
    const auto taken = bucket.tryTake(time.now());
    EXPECT_TRUE(taken.allowed);
    EXPECT_EQ(taken.remaining, 0);
    time.advance(1h);
    bucket.refund();
    EXPECT_DOUBLE_EQ(bucket.available(time.now()), 2) << "a full bucket stays at its burst";
    EXPECT_TRUE(bucket.tryTake(time.now()).allowed);
    EXPECT_TRUE(bucket.tryTake(time.now()).allowed);
    EXPECT_FALSE(bucket.tryTake(time.now()).allowed);
}

TEST(RateLimiter, GlobalTokensShowWhatIsLeftWithoutTakingAny) {
    ManualTimeSource time;
    RateLimiter limiter({2, 4, 0, 0, 100}, time);
    EXPECT_DOUBLE_EQ(limiter.globalTokens(), 4);
    EXPECT_DOUBLE_EQ(limiter.globalTokens(), 4) << "looking takes nothing";
    EXPECT_TRUE(limiter.admit("a").allowed);
    EXPECT_TRUE(limiter.admit("a").allowed);
    EXPECT_DOUBLE_EQ(limiter.globalTokens(), 2);
    time.advance(500ms);
    EXPECT_DOUBLE_EQ(limiter.globalTokens(), 3);
    time.advance(10s);
    EXPECT_DOUBLE_EQ(limiter.globalTokens(), 4) << "never more than the burst";
    EXPECT_DOUBLE_EQ(RateLimiter({0, 0, 1, 1, 100}, time).globalTokens(), 0) << "no global limit: its burst, 0";
}

TEST(RateLimiter, LimitsEachClientKeySeparately) {
    ManualTimeSource time;
    RateLimiter limiter({0, 0, 1, 1, 100}, time);
    EXPECT_TRUE(limiter.admit("a").allowed);
    EXPECT_FALSE(limiter.admit("a").allowed);
    EXPECT_TRUE(limiter.admit("b").allowed);
}

TEST(RateLimiter, AGlobalRefusalDoesNotSpendTheClientsToken) {
    ManualTimeSource time;
    RateLimiter limiter({1, 1, 10, 2, 100}, time);
    EXPECT_TRUE(limiter.admit("a").allowed);
    EXPECT_FALSE(limiter.admit("b").allowed);  // global empty; b's token refunded
    time.advance(1s);
    EXPECT_TRUE(limiter.admit("b").allowed);
}

TEST(RateLimiter, RemembersABoundedNumberOfKeys) {
    ManualTimeSource time;
    RateLimiter limiter({0, 0, 1, 1, 50}, time);
    for (int i = 0; i < 10000; ++i) limiter.admit("client-" + std::to_string(i));
    EXPECT_EQ(limiter.rememberedKeys(), 50u);
}

TEST(RateLimiter, ConcurrentCallersNeverGetMoreThanRateTimesTimePlusBurst) {
    ManualTimeSource time;
    const double rate = 100;
    const double burst = 20;
    RateLimiter limiter({rate, burst, 0, 0, 10}, time);
    std::atomic<int> admitted{0};
    auto hammer = [&] {
        std::vector<std::thread> threads;
        for (int t = 0; t < 16; ++t) {
            threads.emplace_back([&] {
                for (int i = 0; i < 100; ++i) {
                    if (limiter.admit("x").allowed) ++admitted;
                }
            });
        }
        for (auto& thread : threads) thread.join();
    };
    hammer();
    EXPECT_EQ(admitted.load(), 20);
    for (int step = 1; step <= 10; ++step) {
        time.advance(100ms);
        hammer();
        EXPECT_LE(admitted.load(), static_cast<int>(rate * 0.1 * step + burst)) << "after " << step * 100 << "ms";
    }
    EXPECT_EQ(admitted.load(), 120) << "and the refill is used in full";
}

}  // namespace
}  // namespace keel::plugins::resilience
