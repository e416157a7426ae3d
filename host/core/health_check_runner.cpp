// One thread per check run: a check may block in a driver call we cannot interrupt, so only a
// thread lets the probe answer on time.
#include "health_check_runner.h"

#include <chrono>
#include <condition_variable>
#include <thread>

namespace keel::host {

struct HealthCheckRunner::Execution {
    std::mutex mutex;
    std::condition_variable done;
    bool finished = false;
    HealthCheckResult result;
    std::chrono::steady_clock::time_point started;
    std::chrono::steady_clock::duration took{};
};

namespace {
std::string describe(std::chrono::milliseconds duration) { return std::to_string(duration.count()) + "ms"; }
}  // namespace

std::vector<HealthCheckReport> HealthCheckRunner::run(const std::vector<HealthCheckEntry>& entries) {
    // Every check starts first and the waits come after, so they overlap: the slowest check
    // bounds the whole run.
    std::vector<std::shared_ptr<Execution>> executions;
    executions.reserve(entries.size());
    for (const auto& entry : entries) executions.push_back(begin(entry));
    std::vector<HealthCheckReport> reports;
    reports.reserve(entries.size());
    for (std::size_t i = 0; i < entries.size(); ++i) reports.push_back(report(entries[i], executions[i]));
    return reports;
}

std::shared_ptr<HealthCheckRunner::Execution> HealthCheckRunner::begin(const HealthCheckEntry& entry) {
    const std::string key = entry.plugin + "/" + entry.check.name;
    std::shared_ptr<Execution> execution;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        auto& slot = running_[key];
        if (slot) {
            std::lock_guard<std::mutex> executionLock(slot->mutex);
            if (!slot->finished) {
                // Another probe started it (/health and /ready at once): share its result while
                // it is within its timeout; past that, it hangs and is not started again.
                if (std::chrono::steady_clock::now() < slot->started + entry.check.timeout) {
                    ++joinedRuns_;
                    return slot;
                }
                return nullptr;
            }
        }
        slot = execution = std::make_shared<Execution>();
        execution->started = std::chrono::steady_clock::now();  // before others can see it
    }
    // The thread owns copies of everything it touches; pin is released last, after the
    // check's function (plugin code) is destroyed.
    struct Job {
        std::shared_ptr<const void> pin;
        std::function<HealthCheckResult()> run;
        std::shared_ptr<Execution> execution;
    };
    auto job = std::make_unique<Job>(Job{entry.pin, entry.check.run, execution});
    std::thread([job = std::move(job)]() mutable {
        HealthCheckResult result;
        try {
            result = job->run ? job->run() : HealthCheckResult{HealthStatus::Fail, "check has no function"};
        } catch (const std::exception& error) {
            result = {HealthStatus::Fail, std::string("check threw: ") + error.what()};
        } catch (...) {
            result = {HealthStatus::Fail, "check threw a non-standard exception"};
        }
        {
            std::lock_guard<std::mutex> lock(job->execution->mutex);
            job->execution->result = std::move(result);
            job->execution->took = std::chrono::steady_clock::now() - job->execution->started;
            job->execution->finished = true;
        }
        job->execution->done.notify_all();
        job->run = nullptr;
        job.reset();
    }).detach();
    return execution;
}

HealthCheckReport HealthCheckRunner::report(const HealthCheckEntry& entry,
                                            const std::shared_ptr<Execution>& execution) {
    HealthCheckReport report;
    report.plugin = entry.plugin;
    report.name = entry.check.name;
    report.componentType = entry.check.componentType;
    report.critical = entry.check.critical;
    report.time = std::chrono::system_clock::now();
    if (!execution) {
        report.status = HealthStatus::Fail;
        report.output = "previous run has not returned yet (exceeded its " + describe(entry.check.timeout) + " timeout)";
        return report;
    }
    std::unique_lock<std::mutex> lock(execution->mutex);
    // `started` is fixed before the execution is shared, so reading it needs no lock.
    const auto deadline = execution->started + entry.check.timeout;
    if (execution->done.wait_until(lock, deadline, [&] { return execution->finished; })) {
        report.status = execution->result.status;
        report.output = execution->result.output;
        report.observed = std::chrono::duration_cast<std::chrono::microseconds>(execution->took);
    } else {
        report.status = HealthStatus::Fail;
        report.output = "timed out after " + describe(entry.check.timeout);
        report.observed = std::chrono::duration_cast<std::chrono::microseconds>(entry.check.timeout);
    }
    return report;
}

}  // namespace keel::host
