// The bounded pool of threads that run the request pipeline. Handlers block on databases and
// downstream calls, so they never run on the I/O threads; a full queue is refused at once (the
// caller answers 503) instead of growing without bound. Thread-safe; owned by one HttpServer.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace keel::host {

// Whether an idle worker polls for the next job for a moment before it sleeps. Polling saves the
// two context switches of a wake-up, which pays when jobs are short (a handler answering from
// memory, where the wake-up would be most of the cost). Jobs that wait for a database for a
// hundred microseconds or more gain nothing from it, and on a machine with few cores the polling
// worker's sched_yield calls take CPU from that database (measured on the orders reads: up to 8%
// more CPU per request and lower throughput with polling). Decided from a running average of the
// pool's recent job durations. Thread-safe.
class IdlePollPolicy {
public:
    // Jobs shorter than this on average are worth polling for.
    static constexpr std::chrono::nanoseconds kShortJob{50'000};

    void recordJob(std::chrono::nanoseconds duration);
    bool poll() const { return averageNanos_.load(std::memory_order_relaxed) < kShortJob.count(); }
    std::chrono::nanoseconds averageJob() const {
        return std::chrono::nanoseconds(averageNanos_.load(std::memory_order_relaxed));
    }

private:
    // Exponentially weighted, 1/8 per job: a few jobs of the other kind change the decision.
    std::atomic<std::int64_t> averageNanos_{0};
};

class WorkerPool {
public:
    // `threads` workers are started at once; at most `maxQueued` jobs wait for one.
    WorkerPool(std::string name, std::size_t threads, std::size_t maxQueued);
    ~WorkerPool();  // stop() then joins
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    // Queues `job`; false (and `job` dropped) when the queue is full or the pool is stopping.
    bool trySubmit(std::function<void()> job);
    // Workers finish the jobs already queued, then exit. Does not wait.
    void stop();
    // Waits for the workers to exit (after stop()); only safe when no job can block forever.
    void join();

    // Called by a running job once its answer is complete, just before it is written: from then
    // on its worker counts as free for admission, so a request its client sends the moment the
    // answer arrives is queued for that worker rather than refused while the worker runs the
    // job's last few microseconds. No effect outside a job of a pool, or called twice.
    static void currentJobAnswered();

    // Jobs running that have not answered yet (what admission counts as taken workers).
    std::size_t busy() const;
    // Jobs whose code is still on a worker, answered or not (what shutdown waits for).
    std::size_t running() const;
    std::size_t queued() const;
    // Jobs finished since the pool started.
    std::uint64_t completed() const { return completed_.load(std::memory_order_relaxed); }
    std::size_t size() const { return threads_.size(); }

private:
    void run();

    std::string name_;
    std::size_t maxQueued_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> queue_;
    std::size_t running_ = 0;  // jobs on a worker; busy() is this minus answered_
    // Running jobs that have answered: counted by the job's own thread without the mutex (one
    // atomic add per request), uncounted under it together with running_, so never above it.
    std::atomic<std::size_t> answered_{0};
    std::atomic<std::size_t> waiting_{0};  // queue_.size(), readable without the mutex
    std::atomic<int> spinning_{0};
    std::atomic<std::uint64_t> completed_{0};
    IdlePollPolicy idlePoll_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace keel::host
