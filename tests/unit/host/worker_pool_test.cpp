// The request worker pool: every queued job finds a worker while one is free, the queue bound
// holds, and stopping runs what was queued.
#include "worker_pool.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace keel::host {
namespace {

using namespace std::chrono_literals;

// Jobs that hold their worker until released, and report how many are running.
class HeldJobs {
public:
    std::function<void()> job() {
        return [this] {
            std::unique_lock<std::mutex> lock(mutex_);
            ++running_;
            changed_.notify_all();
            changed_.wait_for(lock, 10s, [this] { return released_; });
            --running_;
            ++finished_;
            changed_.notify_all();
        };
    }
    bool waitRunning(int count) {
        std::unique_lock<std::mutex> lock(mutex_);
        return changed_.wait_for(lock, 5s, [&] { return running_ >= count; });
    }
    bool waitFinished(int count) {
        std::unique_lock<std::mutex> lock(mutex_);
        return changed_.wait_for(lock, 5s, [&] { return finished_ >= count; });
    }
    void release(bool released) {
        std::lock_guard<std::mutex> lock(mutex_);
        released_ = released;
        changed_.notify_all();
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    int running_ = 0;
    int finished_ = 0;
    bool released_ = false;
};

// Declared after the pool: releases held jobs first, so the pool's join never waits on them.
struct ReleaseOnExit {
    HeldJobs& jobs;
    ~ReleaseOnExit() { jobs.release(true); }
};

TEST(WorkerPool, JobsSubmittedTogetherRunTogether) {
    // After each pair one idle worker polls for the next job while the other sleeps: both jobs of
    // the next pair must still start at once, not the second only after the first finishes.
    HeldJobs jobs;
    WorkerPool pool("test", 2, 2);
    ReleaseOnExit releaser{jobs};
    for (int round = 0; round < 50; ++round) {
        jobs.release(false);
        ASSERT_TRUE(pool.trySubmit(jobs.job()));
        ASSERT_TRUE(pool.trySubmit(jobs.job()));
        ASSERT_TRUE(jobs.waitRunning(2)) << "round " << round << ": the second job waited for the first";
        jobs.release(true);
        ASSERT_TRUE(jobs.waitFinished(2 * (round + 1)));
    }
}

TEST(WorkerPool, RefusesBeyondFreeWorkersAndQueue) {
    HeldJobs jobs;
    WorkerPool pool("test", 1, 1);
    ReleaseOnExit releaser{jobs};
    ASSERT_TRUE(pool.trySubmit(jobs.job()));
    ASSERT_TRUE(jobs.waitRunning(1));
    EXPECT_TRUE(pool.trySubmit(jobs.job()));   // waits in the queue
    EXPECT_FALSE(pool.trySubmit(jobs.job()));  // the queue is full
    EXPECT_EQ(pool.queued(), 1u);
    EXPECT_EQ(pool.busy(), 1u);
    jobs.release(true);
    EXPECT_TRUE(jobs.waitFinished(2));
}

TEST(WorkerPool, StopRunsQueuedJobsThenRefuses) {
    HeldJobs jobs;
    WorkerPool pool("test", 1, 4);
    ReleaseOnExit releaser{jobs};
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(pool.trySubmit(jobs.job()));
    ASSERT_TRUE(jobs.waitRunning(1));
    pool.stop();
    EXPECT_FALSE(pool.trySubmit(jobs.job()));
    jobs.release(true);
    pool.join();
    EXPECT_EQ(pool.completed(), 3u);
}

}  // namespace
}  // namespace keel::host
