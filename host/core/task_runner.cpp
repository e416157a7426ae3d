// Task threads: periodic with jitter, long-running with a stop token; exceptions are logged.
#include "task_runner.h"

#include <random>

#include "keel/database.h"

namespace keel::host {

TaskRunner::TaskRunner(std::shared_ptr<spdlog::logger> logger) : logger_(std::move(logger)) {}

TaskRunner::~TaskRunner() { stop(std::chrono::steady_clock::now() + std::chrono::seconds(5)); }

void TaskRunner::launch(const std::string& name, std::function<void()> body) {
    auto worker = std::make_unique<Worker>();
    worker->name = name;
    Worker* raw = worker.get();
    {
        std::lock_guard<std::mutex> lock(mutex_);
        workers_.push_back(std::move(worker));
    }
    raw->thread = std::thread([this, raw, body = std::move(body)] {
        body();
        std::lock_guard<std::mutex> lock(mutex_);
        raw->finished = true;
        finishedChanged_.notify_all();
    });
}

void TaskRunner::start(const std::vector<PeriodicTask>& periodic, const std::vector<LongRunningTask>& longRunning) {
    for (const auto& task : periodic) {
        launch(task.name, [this, task] {
            std::mt19937_64 random(std::random_device{}());
            bool first = true;
            while (true) {
                auto wait = task.interval;
                if (first && task.runImmediately) wait = std::chrono::milliseconds(0);
                if (task.jitter.count() > 0) {
                    wait += std::chrono::milliseconds(random() % static_cast<std::uint64_t>(task.jitter.count()));
                }
                first = false;
                if (stopToken_.waitFor(wait)) return;
                try {
                    task.run();
                } catch (const std::exception& error) {
                    logger_->error("periodic task {} failed: {}", task.name, describeError(error));
                } catch (...) {
                    logger_->error("periodic task {} failed with a non-standard exception", task.name);
                }
                std::lock_guard<std::mutex> lock(mutex_);
                ++completedRuns_;
            }
        });
    }
    for (const auto& task : longRunning) {
        launch(task.name, [this, task] {
            try {
                task.run(stopToken_);
            } catch (const std::exception& error) {
                logger_->error("long-running task {} failed: {}", task.name, describeError(error));
            } catch (...) {
                logger_->error("long-running task {} failed with a non-standard exception", task.name);
            }
            if (!stopToken_.stopRequested()) logger_->warn("long-running task {} returned before stop", task.name);
        });
    }
}

std::vector<std::string> TaskRunner::stop(std::chrono::steady_clock::time_point deadline) {
    stopToken_.requestStop();
    std::vector<std::string> stuck;
    std::unique_lock<std::mutex> lock(mutex_);
    for (auto& worker : workers_) {
        if (!worker->thread.joinable()) continue;
        if (finishedChanged_.wait_until(lock, deadline, [&] { return worker->finished; })) {
            lock.unlock();
            worker->thread.join();
            lock.lock();
        } else {
            logger_->error("task {} did not stop before its deadline; its thread is abandoned", worker->name);
            stuck.push_back(worker->name);
            worker->thread.detach();
        }
    }
    return stuck;
}

std::uint64_t TaskRunner::completedRuns() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return completedRuns_;
}

}  // namespace keel::host
