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
    // `answerFirst`: the job declares its answer complete before it waits (as a request's job
    // does before it writes the answer).
    std::function<void()> job(bool answerFirst = false) {
        return [this, answerFirst] {
            if (answerFirst) WorkerPool::currentJobAnswered();
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

// A pool of one worker, running a held job that has answered or not, as the admission tests
// start.
struct OneBusyWorker {
    OneBusyWorker(std::size_t maxQueued, bool answered) : pool("test", 1, maxQueued) {
        EXPECT_TRUE(pool.trySubmit(jobs.job(answered)));
        EXPECT_TRUE(jobs.waitRunning(1));
    }
    HeldJobs jobs;
    WorkerPool pool;
    ReleaseOnExit releaser{jobs};  // last: releases the jobs before the pool joins its worker
};

TEST(WorkerPool, RefusesBeyondFreeWorkersAndQueue) {
    OneBusyWorker busy(1, false);
    HeldJobs& jobs = busy.jobs;
    WorkerPool& pool = busy.pool;
    EXPECT_TRUE(pool.trySubmit(jobs.job()));   // waits in the queue
    EXPECT_FALSE(pool.trySubmit(jobs.job()));  // the queue is full
    EXPECT_EQ(pool.queued(), 1u);
    EXPECT_EQ(pool.busy(), 1u);  // a job that has not answered holds its worker
    EXPECT_EQ(pool.running(), 1u);
    WorkerPool::currentJobAnswered();  // not on a worker: no effect
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

// A request's client may send its next request the moment the answer arrives, while the worker
// still runs the job's last steps: that request is queued for the worker, not refused, and
// shutdown still sees the job running.
TEST(WorkerPool, AnAnsweredJobsWorkerCountsAsFreeForAdmissionButStillRuns) {
    OneBusyWorker busy(0, true);  // no queue beyond free workers
    HeldJobs& jobs = busy.jobs;
    WorkerPool& pool = busy.pool;
    EXPECT_EQ(pool.busy(), 0u);
    EXPECT_EQ(pool.running(), 1u);
    EXPECT_TRUE(pool.trySubmit(jobs.job())) << "the answered job's worker takes it next";
    EXPECT_FALSE(pool.trySubmit(jobs.job())) << "but only that one";
    jobs.release(true);
    ASSERT_TRUE(jobs.waitFinished(2));
    pool.stop();
    pool.join();
    EXPECT_EQ(pool.running(), 0u);
    EXPECT_EQ(pool.busy(), 0u);
}

// Durations are handed in: the policy reads no clock of its own.
TEST(IdlePollPolicy, PollsForShortJobsAndStopsOnceJobsWaitLonger) {
    IdlePollPolicy policy;
    EXPECT_TRUE(policy.poll());  // nothing known yet: the cheap guess
    for (int i = 0; i < 20; ++i) policy.recordJob(5us);
    EXPECT_TRUE(policy.poll());
    EXPECT_LT(policy.averageJob(), IdlePollPolicy::kShortJob);
    // Handlers that wait on a database: after a handful the average is past the threshold.
    int jobs = 0;
    while (policy.poll() && jobs < 100) {
        policy.recordJob(300us);
        ++jobs;
    }
    EXPECT_FALSE(policy.poll());
    EXPECT_GE(jobs, 2);   // one slow job does not flip it
    EXPECT_LE(jobs, 10);  // and a few do
    EXPECT_GE(policy.averageJob(), IdlePollPolicy::kShortJob);
    EXPECT_LE(policy.averageJob(), 300us);
    // Back to short jobs: polling resumes.
    for (int i = 0; i < 40; ++i) policy.recordJob(5us);
    EXPECT_TRUE(policy.poll());
}

TEST(IdlePollPolicy, APoolThatRanLongJobsStillRunsEveryJob) {
    WorkerPool pool("test", 2, 16);
    std::mutex mutex;
    std::condition_variable done;
    int finished = 0;
    // Jobs of about 200 µs (a database round trip) make the idle workers sleep rather than
    // poll; the jobs that follow must still be picked up at once by a woken worker.
    for (int i = 0; i < 16; ++i) {
        ASSERT_TRUE(pool.trySubmit([&] {
            const auto until = std::chrono::steady_clock::now() + 200us;
            while (std::chrono::steady_clock::now() < until) {
            }
            std::lock_guard<std::mutex> lock(mutex);
            ++finished;
            done.notify_all();
        }));
    }
    std::unique_lock<std::mutex> lock(mutex);
    EXPECT_TRUE(done.wait_for(lock, 5s, [&] { return finished == 16; }));
}

}  // namespace
}  // namespace keel::host
