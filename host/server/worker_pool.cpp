// Worker threads for request handlers: a mutex-guarded deque with a hard bound.
#include "worker_pool.h"

#include <pthread.h>
#include <sched.h>

namespace keel::host {

namespace {
// The pool whose job runs on this thread, and whether that job has answered.
thread_local WorkerPool* currentPool = nullptr;
thread_local bool currentAnswered = false;
}  // namespace

void IdlePollPolicy::recordJob(std::chrono::nanoseconds duration) {
    // Racing updates may lose one sample; the average stays an average of recent jobs.
    const std::int64_t average = averageNanos_.load(std::memory_order_relaxed);
    averageNanos_.store(average + (duration.count() - average) / 8, std::memory_order_relaxed);
}

WorkerPool::WorkerPool(std::string name, std::size_t threads, std::size_t maxQueued)
    : name_(std::move(name)), maxQueued_(maxQueued) {
    threads_.reserve(threads);
    for (std::size_t i = 0; i < threads; ++i) {
        threads_.emplace_back([this] { run(); });
        // Thread names show up in top -H and in debuggers; 15 characters at most.
        pthread_setname_np(threads_.back().native_handle(), (name_ + "-w").substr(0, 15).c_str());
    }
}

WorkerPool::~WorkerPool() {
    stop();
    join();
}

bool WorkerPool::trySubmit(std::function<void()> job) {
    std::size_t queued = 0;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        const std::size_t busy = running_ - answered_.load(std::memory_order_acquire);
        if (stopping_ || queue_.size() >= maxQueued_ + (threads_.size() - std::min(busy, threads_.size()))) {
            return false;
        }
        queue_.push_back(std::move(job));
        queued = queue_.size();
        waiting_.store(queued, std::memory_order_release);
    }
    // A spinning worker takes one job without a wake-up; a second queued job (several requests
    // read in one pass) needs a sleeping worker, or it waits for the spinner's job to finish.
    if (queued > 1 || spinning_.load(std::memory_order_acquire) == 0) wake_.notify_one();
    return true;
}

void WorkerPool::stop() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
}

void WorkerPool::join() {
    for (auto& thread : threads_) {
        if (thread.joinable()) thread.join();
    }
}

void WorkerPool::currentJobAnswered() {
    if (currentPool == nullptr || currentAnswered) return;
    currentAnswered = true;
    currentPool->answered_.fetch_add(1, std::memory_order_release);
}

std::size_t WorkerPool::busy() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return running_ - answered_.load(std::memory_order_acquire);
}

std::size_t WorkerPool::running() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return running_;
}

std::size_t WorkerPool::queued() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return queue_.size();
}

void WorkerPool::run() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
        if (queue_.empty() && !stopping_ && spinning_.load() == 0 && idlePoll_.poll()) {
            // One worker at a time polls for the next job for a moment before it sleeps: under
            // load the next short request comes within microseconds, and a sleeping worker costs
            // two context switches to wake (IdlePollPolicy says when that is worth it).
            spinning_.store(1);
            lock.unlock();
            for (int i = 0; i < 200 && waiting_.load(std::memory_order_acquire) == 0; ++i) sched_yield();
            lock.lock();
            spinning_.store(0);
        }
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping and drained
        auto job = std::move(queue_.front());
        queue_.pop_front();
        waiting_.store(queue_.size(), std::memory_order_release);
        ++running_;
        lock.unlock();
        const auto started = std::chrono::steady_clock::now();
        currentPool = this;
        currentAnswered = false;
        job();  // jobs catch their own exceptions: a job is the whole request pipeline
        job = nullptr;
        currentPool = nullptr;
        idlePoll_.recordJob(std::chrono::steady_clock::now() - started);
        completed_.fetch_add(1, std::memory_order_relaxed);
        lock.lock();
        if (currentAnswered) answered_.fetch_sub(1, std::memory_order_relaxed);
        --running_;
    }
}

}  // namespace keel::host
