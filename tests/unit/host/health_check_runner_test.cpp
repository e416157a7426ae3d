// The health check runner: checks run in parallel, each cut at its own timeout; a check still
// hanging is not started again; exceptions and missing functions become failures.
#include "health_check_runner.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace keel::host {
namespace {

using namespace std::chrono_literals;

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

HealthCheckEntry entry(const std::string& plugin, const std::string& name,
                       std::function<HealthCheckResult()> run, std::chrono::milliseconds timeout = 5s,
                       bool critical = true) {
    HealthCheckEntry result;
    result.plugin = plugin;
    result.check.name = name;
    result.check.timeout = timeout;
    result.check.critical = critical;
    result.check.run = std::move(run);
    return result;
}

// Lets checks wait until all of them are running at once; a check run alone gives up after
// `patience` and reports that it ran alone.
class Rendezvous {
public:
    explicit Rendezvous(int expected) : expected_(expected) {}

    HealthCheckResult arriveAndWait(std::chrono::milliseconds patience) {
        std::unique_lock<std::mutex> lock(mutex_);
        ++arrived_;
        allArrived_.notify_all();
        if (allArrived_.wait_for(lock, patience, [this] { return arrived_ >= expected_; })) {
            return {HealthStatus::Pass, ""};
        }
        return {HealthStatus::Fail, "ran alone"};
    }

private:
    std::mutex mutex_;
    std::condition_variable allArrived_;
    const int expected_;
    int arrived_ = 0;
};

// A check that blocks until the test releases it; released at the latest when the gate is
// destroyed, so no check thread outlives its test waiting forever.
class Gate {
public:
    Gate() : released_(promise_.get_future().share()) {}
    ~Gate() { release(); }

    std::function<HealthCheckResult()> check() {
        auto released = released_;
        auto starts = starts_;
        return [released, starts] {
            ++*starts;
            released.wait();
            return HealthCheckResult{HealthStatus::Pass, "released"};
        };
    }
    void release() {
        if (!releasedOnce_.exchange(true)) promise_.set_value();
    }
    int starts() const { return *starts_; }

private:
    std::promise<void> promise_;
    std::shared_future<void> released_;
    std::shared_ptr<std::atomic<int>> starts_ = std::make_shared<std::atomic<int>>(0);
    std::atomic<bool> releasedOnce_{false};
};

// Runs `entries` until the hanging check's earlier run has returned (bounded), so its thread
// has finished before the test ends.
std::vector<HealthCheckReport> runUntilNotHanging(HealthCheckRunner& runner,
                                                  const std::vector<HealthCheckEntry>& entries) {
    std::vector<HealthCheckReport> reports;
    for (int attempt = 0; attempt < 500; ++attempt) {
        reports = runner.run(entries);
        if (!contains(reports.at(0).output, "previous run")) return reports;
        std::this_thread::sleep_for(10ms);
    }
    return reports;
}

TEST(HealthCheckRunner, RunsChecksInParallel) {
    auto rendezvous = std::make_shared<Rendezvous>(2);
    HealthCheckRunner runner;
    const std::vector<HealthCheckEntry> entries = {
        entry("db", "primary", [rendezvous] { return rendezvous->arriveAndWait(3s); }),
        entry("cache", "redis", [rendezvous] { return rendezvous->arriveAndWait(3s); }),
    };

    const auto reports = runner.run(entries);
    ASSERT_EQ(reports.size(), 2u);
    for (const auto& report : reports) {
        EXPECT_EQ(report.status, HealthStatus::Pass)
            << report.plugin << ":" << report.name << " " << report.output;
    }
}

TEST(HealthCheckRunner, ReportsResultsInEntryOrderWithPluginNameAndCriticality) {
    HealthCheckRunner runner;
    auto warn = entry(
        "db", "replica",
        [] {
            return HealthCheckResult{HealthStatus::Warn, "lagging 5s"};
        },
        5s, false);
    warn.check.componentType = "datastore";
    const std::vector<HealthCheckEntry> entries = {
        entry("db", "primary",
              [] {
                  return HealthCheckResult{HealthStatus::Pass, ""};
              }),
        warn,
    };

    const auto reports = runner.run(entries);
    ASSERT_EQ(reports.size(), 2u);
    EXPECT_EQ(reports[0].plugin, "db");
    EXPECT_EQ(reports[0].name, "primary");
    EXPECT_TRUE(reports[0].critical);
    EXPECT_EQ(reports[0].status, HealthStatus::Pass);
    EXPECT_EQ(reports[0].componentType, "component");
    EXPECT_EQ(reports[1].plugin, "db");
    EXPECT_EQ(reports[1].name, "replica");
    EXPECT_FALSE(reports[1].critical);
    EXPECT_EQ(reports[1].status, HealthStatus::Warn);
    EXPECT_EQ(reports[1].output, "lagging 5s");
    EXPECT_EQ(reports[1].componentType, "datastore");
    EXPECT_GT(reports[1].time.time_since_epoch().count(), 0);
}

TEST(HealthCheckRunner, ReportsAHangingCheckAsFailedAtItsTimeout) {
    Gate gate;
    HealthCheckRunner runner;
    const std::vector<HealthCheckEntry> entries = {entry("db", "primary", gate.check(), 100ms)};

    const auto started = std::chrono::steady_clock::now();
    const auto reports = runner.run(entries);
    const auto took = std::chrono::steady_clock::now() - started;

    ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].status, HealthStatus::Fail);
    EXPECT_TRUE(contains(reports[0].output, "timed out")) << reports[0].output;
    EXPECT_TRUE(contains(reports[0].output, "100ms")) << reports[0].output;
    EXPECT_TRUE(reports[0].critical);
    EXPECT_LT(took, 2s);

    gate.release();
    runUntilNotHanging(runner, entries);
}

TEST(HealthCheckRunner, DoesNotStartACheckWhosePreviousRunHasNotReturned) {
    Gate gate;
    HealthCheckRunner runner;
    const std::vector<HealthCheckEntry> entries = {entry("db", "primary", gate.check(), 100ms)};
    runner.run(entries);

    const auto started = std::chrono::steady_clock::now();
    const auto again = runner.run(entries);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);

    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0].status, HealthStatus::Fail);
    EXPECT_TRUE(contains(again[0].output, "previous run has not returned")) << again[0].output;
    EXPECT_EQ(again[0].plugin, "db");
    EXPECT_EQ(again[0].name, "primary");
    EXPECT_EQ(gate.starts(), 1);

    gate.release();
    runUntilNotHanging(runner, entries);
}

TEST(HealthCheckRunner, TwoProbesAtOnceShareOneRunOfACheckWithinItsTimeout) {
    // /health and /ready asked together: the second joins the first run instead of failing it.
    Gate gate;
    HealthCheckRunner runner;
    const std::vector<HealthCheckEntry> entries = {entry("db", "primary", gate.check(), 5s)};
    auto first = std::async(std::launch::async, [&] { return runner.run(entries); });
    for (int i = 0; i < 500 && gate.starts() == 0; ++i) std::this_thread::sleep_for(1ms);
    ASSERT_EQ(gate.starts(), 1);
    auto second = std::async(std::launch::async, [&] { return runner.run(entries); });
    for (int i = 0; i < 5000 && runner.joinedRuns() == 0; ++i) std::this_thread::sleep_for(1ms);
    ASSERT_EQ(runner.joinedRuns(), 1u) << "the second probe did not join the first run";
    gate.release();
    const auto a = first.get();
    const auto b = second.get();
    EXPECT_EQ(a.at(0).status, HealthStatus::Pass) << a.at(0).output;
    EXPECT_EQ(b.at(0).status, HealthStatus::Pass) << b.at(0).output;
    EXPECT_EQ(b.at(0).output, "released");
    EXPECT_EQ(gate.starts(), 1) << "one run served both";
}

TEST(HealthCheckRunner, RunsACheckAgainOnceItsHangingRunHasReturned) {
    Gate gate;
    HealthCheckRunner runner;
    const std::vector<HealthCheckEntry> entries = {entry("db", "primary", gate.check(), 100ms)};
    runner.run(entries);
    gate.release();

    const auto reports = runUntilNotHanging(runner, entries);
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].status, HealthStatus::Pass) << reports[0].output;
    EXPECT_EQ(reports[0].output, "released");
    EXPECT_EQ(gate.starts(), 2);
}

TEST(HealthCheckRunner, AHangingCheckDoesNotDelayTheOthers) {
    Gate gate;
    HealthCheckRunner runner;
    const std::vector<HealthCheckEntry> entries = {
        entry("db", "primary", gate.check(), 100ms),
        entry(
            "cache", "redis",
            [] {
                return HealthCheckResult{HealthStatus::Pass, ""};
            },
            5s, false),
    };

    const auto started = std::chrono::steady_clock::now();
    const auto reports = runner.run(entries);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
    ASSERT_EQ(reports.size(), 2u);
    EXPECT_EQ(reports[0].status, HealthStatus::Fail);
    EXPECT_EQ(reports[1].status, HealthStatus::Pass);

    gate.release();
    runUntilNotHanging(runner, entries);
}

TEST(HealthCheckRunner, ReportsAnExceptionAsFailWithItsMessage) {
    HealthCheckRunner runner;
    const auto reports = runner.run({
        entry("db", "primary", []() -> HealthCheckResult { throw std::runtime_error("connection refused"); }),
        entry("db", "odd", []() -> HealthCheckResult { throw 42; }),
    });
    ASSERT_EQ(reports.size(), 2u);
    EXPECT_EQ(reports[0].status, HealthStatus::Fail);
    EXPECT_TRUE(contains(reports[0].output, "connection refused")) << reports[0].output;
    EXPECT_EQ(reports[1].status, HealthStatus::Fail);
    EXPECT_FALSE(reports[1].output.empty());
}

TEST(HealthCheckRunner, ReportsACheckWithoutAFunctionAsFail) {
    HealthCheckRunner runner;
    const auto reports = runner.run({entry("db", "primary", nullptr)});
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].status, HealthStatus::Fail);
    EXPECT_FALSE(reports[0].output.empty());
}

TEST(HealthCheckRunner, KeepsThePluginAlivePinnedUntilTheCheckHasReturned) {
    Gate gate;
    HealthCheckRunner runner;
    auto pin = std::make_shared<int>(7);
    std::weak_ptr<int> watched = pin;
    auto hanging = entry("db", "primary", gate.check(), 100ms);
    hanging.pin = std::move(pin);
    std::vector<HealthCheckEntry> entries = {hanging};
    hanging.pin.reset();

    runner.run(entries);
    entries.clear();
    EXPECT_FALSE(watched.expired()) << "the library was released while its check still runs";

    gate.release();
    for (int attempt = 0; attempt < 500 && !watched.expired(); ++attempt) std::this_thread::sleep_for(10ms);
    EXPECT_TRUE(watched.expired()) << "the check thread never released its pin";
}

}  // namespace
}  // namespace keel::host
