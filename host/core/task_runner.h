// Runs one plugin's periodic and long-running tasks on threads the host owns, and stops them
// within a deadline. A task that ignores its stop token is reported, never waited on forever.
#pragma once

#include <spdlog/logger.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "keel/registrar.h"
#include "keel/stop_token.h"

namespace keel::host {

class TaskRunner {
public:
    explicit TaskRunner(std::shared_ptr<spdlog::logger> logger);
    ~TaskRunner();

    void start(const std::vector<PeriodicTask>& periodic, const std::vector<LongRunningTask>& longRunning);
    // Requests every task to stop and waits until `deadline`. Returns the names of tasks still
    // running then (their threads are detached; the caller must keep their code mapped).
    std::vector<std::string> stop(std::chrono::steady_clock::time_point deadline);
    // Number of task runs completed (for the watchdog and tests).
    std::uint64_t completedRuns() const;

private:
    struct Worker {
        std::string name;
        std::thread thread;
        bool finished = false;  // guarded by TaskRunner::mutex_
    };
    void launch(const std::string& name, std::function<void()> body);

    std::shared_ptr<spdlog::logger> logger_;
    StopToken stopToken_;
    mutable std::mutex mutex_;
    std::condition_variable finishedChanged_;
    std::vector<std::unique_ptr<Worker>> workers_;
    std::uint64_t completedRuns_ = 0;
};

}  // namespace keel::host
