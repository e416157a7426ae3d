// Bulkhead limits, its bounded wait queue, and its behaviour under contention.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>
#include <vector>

#include "bulkhead.h"

namespace keel::plugins::resilience {
namespace {

using namespace std::chrono_literals;

Clock::time_point later() { return Clock::now() + 10s; }

TEST(Bulkhead, RejectsAtOnceWhenFullWithoutAQueue) {
    Bulkhead bulkhead({2, 0, 0ms});
    EXPECT_TRUE(bulkhead.tryEnter(later()));
    EXPECT_TRUE(bulkhead.tryEnter(later()));
    const auto started = Clock::now();
    EXPECT_FALSE(bulkhead.tryEnter(later()));
    EXPECT_LT(Clock::now() - started, 1s);
    bulkhead.leave();
    EXPECT_TRUE(bulkhead.tryEnter(later()));
}

TEST(Bulkhead, AWaitingCallerEntersWhenASlotIsFreed) {
    Bulkhead bulkhead({1, 1, 10s});
    ASSERT_TRUE(bulkhead.tryEnter(later()));
    auto waiter = std::async(std::launch::async, [&] { return bulkhead.tryEnter(later()); });
    while (bulkhead.waiting() == 0) std::this_thread::yield();
    bulkhead.leave();
    EXPECT_TRUE(waiter.get());
    EXPECT_EQ(bulkhead.inUse(), 1);
}

TEST(Bulkhead, RejectsWhenTheQueueIsFullAndWhenTheWaitEnds) {
    Bulkhead bulkhead({1, 1, 50ms});
    ASSERT_TRUE(bulkhead.tryEnter(later()));
    std::promise<void> queued;
    auto waiter = std::async(std::launch::async, [&] { return bulkhead.tryEnter(later()); });
    while (bulkhead.waiting() == 0) std::this_thread::yield();
    EXPECT_FALSE(bulkhead.tryEnter(later())) << "queue of one is full: rejected at once";
    EXPECT_FALSE(waiter.get()) << "no slot within max_wait";
    EXPECT_FALSE(bulkhead.tryEnter(Clock::now())) << "a passed deadline bounds the wait too";
}

TEST(Bulkhead, SixtyFourThreadsHammeringItNeverExceedTheLimit) {
    Bulkhead bulkhead({8, 64, 5s});
    std::atomic<int> inside{0};
    std::atomic<int> peak{0};
    std::atomic<int> entered{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 64; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 200; ++i) {
                if (!bulkhead.tryEnter(later())) continue;
                const int now = ++inside;
                int seen = peak.load();
                while (now > seen && !peak.compare_exchange_weak(seen, now)) {
                }
                ++entered;
                --inside;
                bulkhead.leave();
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_LE(peak.load(), 8);
    EXPECT_GT(entered.load(), 0);
    EXPECT_EQ(bulkhead.inUse(), 0);
}

}  // namespace
}  // namespace keel::plugins::resilience
