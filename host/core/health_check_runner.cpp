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
    struct Pending {
        const HealthCheckEntry* entry;
        std::shared_ptr<Execution> execution;  // null: previous run still hanging
        std::chrono::steady_clock::time_point deadline;
    };
    std::vector<Pending> pending;
    const auto now = std::chrono::steady_clock::now();
    for (const auto& entry : entries) {
        const std::string key = entry.plugin + "/" + entry.check.name;
        std::shared_ptr<Execution> execution;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            auto& slot = running_[key];
            if (slot) {
                std::lock_guard<std::mutex> executionLock(slot->mutex);
                if (!slot->finished) {
                    pending.push_back({&entry, nullptr, now});
                    continue;
                }
            }
            slot = execution = std::make_shared<Execution>();
        }
        execution->started = std::chrono::steady_clock::now();
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
        pending.push_back({&entry, execution, execution->started + entry.check.timeout});
    }

    std::vector<HealthCheckReport> reports;
    for (const auto& item : pending) {
        HealthCheckReport report;
        report.plugin = item.entry->plugin;
        report.name = item.entry->check.name;
        report.componentType = item.entry->check.componentType;
        report.critical = item.entry->check.critical;
        report.time = std::chrono::system_clock::now();
        if (!item.execution) {
            report.status = HealthStatus::Fail;
            report.output = "previous run has not returned yet (exceeded its " +
                            describe(item.entry->check.timeout) + " timeout)";
        } else {
            std::unique_lock<std::mutex> lock(item.execution->mutex);
            if (item.execution->done.wait_until(lock, item.deadline, [&] { return item.execution->finished; })) {
                report.status = item.execution->result.status;
                report.output = item.execution->result.output;
                report.observed = std::chrono::duration_cast<std::chrono::microseconds>(item.execution->took);
            } else {
                report.status = HealthStatus::Fail;
                report.output = "timed out after " + describe(item.entry->check.timeout);
                report.observed = std::chrono::duration_cast<std::chrono::microseconds>(item.entry->check.timeout);
            }
        }
        reports.push_back(std::move(report));
    }
    return reports;
}

}  // namespace keel::host
