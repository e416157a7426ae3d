// The health plugin's logic: aggregating check reports, the HTTP status, the IETF health JSON
// body, and the probe cache (driven by a fake clock, no sleeps).
#include "health_report.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

namespace keel::plugins::health {
namespace {

using namespace std::chrono_literals;

HealthCheckReport report(const std::string& plugin, const std::string& name, HealthStatus status,
                         bool critical = true, const std::string& output = "") {
    HealthCheckReport result;
    result.plugin = plugin;
    result.name = name;
    result.componentType = "datastore";
    result.critical = critical;
    result.status = status;
    result.output = output;
    result.observed = 1500us;
    result.time = std::chrono::system_clock::now();
    return result;
}

Poco::JSON::Object::Ptr parse(const std::string& json) {
    Poco::JSON::Parser parser;
    return parser.parse(json).extract<Poco::JSON::Object::Ptr>();
}

// The single entry of check `key` ("plugin:check") in a parsed health body.
Poco::JSON::Object::Ptr checkEntry(const Poco::JSON::Object::Ptr& body, const std::string& key) {
    const auto checks = body->getObject("checks");
    if (!checks || !checks->has(key)) return nullptr;
    const auto list = checks->getArray(key);
    if (!list || list->size() != 1) return nullptr;
    return list->getObject(0);
}

// --- aggregateStatus and httpStatusFor ------------------------------------------------------

TEST(AggregateStatus, PassesWhenEveryCheckPassesOrThereAreNone) {
    EXPECT_EQ(aggregateStatus({}), HealthStatus::Pass);
    EXPECT_EQ(aggregateStatus({report("db", "primary", HealthStatus::Pass),
                               report("cache", "redis", HealthStatus::Pass, false)}),
              HealthStatus::Pass);
}

TEST(AggregateStatus, WarnsWhenACheckWarns) {
    EXPECT_EQ(aggregateStatus({report("db", "primary", HealthStatus::Pass),
                               report("db", "replica", HealthStatus::Warn, true, "lagging 5s")}),
              HealthStatus::Warn);
}

TEST(AggregateStatus, WarnsWhenANonCriticalCheckFails) {
    EXPECT_EQ(aggregateStatus({report("db", "primary", HealthStatus::Pass),
                               report("cache", "redis", HealthStatus::Fail, false, "connection refused")}),
              HealthStatus::Warn);
}

TEST(AggregateStatus, FailsWhenACriticalCheckFailsWhateverTheOrder) {
    EXPECT_EQ(aggregateStatus({report("cache", "redis", HealthStatus::Warn, false),
                               report("db", "primary", HealthStatus::Fail, true, "timed out")}),
              HealthStatus::Fail);
    EXPECT_EQ(aggregateStatus({report("db", "primary", HealthStatus::Fail, true, "timed out"),
                               report("cache", "redis", HealthStatus::Warn, false)}),
              HealthStatus::Fail);
}

TEST(HttpStatusFor, AnswersOkForPassAndWarnAndServiceUnavailableForFail) {
    EXPECT_EQ(httpStatusFor(HealthStatus::Pass), 200);
    EXPECT_EQ(httpStatusFor(HealthStatus::Warn), 200);
    EXPECT_EQ(httpStatusFor(HealthStatus::Fail), 503);
}

// --- renderHealth ---------------------------------------------------------------------------

TEST(RenderHealth, WritesTheOverallStatusAndRelease) {
    const auto body = parse(renderHealth(HealthStatus::Warn, {}, "1.2.3", HealthDetail::Full, "web-1:8080"));
    EXPECT_EQ(body->getValue<std::string>("status"), "warn");
    EXPECT_EQ(body->getValue<std::string>("releaseId"), "1.2.3");
    EXPECT_EQ(body->getValue<std::string>("serviceId"), "keel");
    EXPECT_EQ(body->getValue<std::string>("instanceId"), "web-1:8080");
    ASSERT_TRUE(body->getObject("checks"));
    EXPECT_EQ(body->getObject("checks")->size(), 0u);
}

TEST(RenderHealth, KeysEachCheckByPluginAndCheckName) {
    const auto body = parse(renderHealth(
        HealthStatus::Pass,
        {report("db", "primary", HealthStatus::Pass), report("cache", "redis", HealthStatus::Pass, false)},
        "1.0.0"));
    const auto checks = body->getObject("checks");
    ASSERT_TRUE(checks);
    EXPECT_EQ(checks->size(), 2u);
    EXPECT_TRUE(checks->has("db:primary"));
    EXPECT_TRUE(checks->has("cache:redis"));
}

TEST(RenderHealth, DescribesEachCheckInIetfForm) {
    const auto body =
        parse(renderHealth(HealthStatus::Fail,
                           {report("db", "primary", HealthStatus::Fail, true, "timed out after 2000ms"),
                            report("cache", "redis", HealthStatus::Pass, false)},
                           "1.0.0"));
    EXPECT_EQ(body->getValue<std::string>("status"), "fail");

    const auto failing = checkEntry(body, "db:primary");
    ASSERT_TRUE(failing);
    EXPECT_EQ(failing->getValue<std::string>("status"), "fail");
    EXPECT_EQ(failing->getValue<std::string>("componentType"), "datastore");
    EXPECT_TRUE(failing->getValue<bool>("critical"));
    EXPECT_DOUBLE_EQ(failing->getValue<double>("observedValue"), 1.5);
    EXPECT_EQ(failing->getValue<std::string>("observedUnit"), "ms");
    EXPECT_FALSE(failing->getValue<std::string>("time").empty());
    EXPECT_EQ(failing->getValue<std::string>("output"), "timed out after 2000ms");

    const auto passing = checkEntry(body, "cache:redis");
    ASSERT_TRUE(passing);
    EXPECT_EQ(passing->getValue<std::string>("status"), "pass");
    EXPECT_FALSE(passing->getValue<bool>("critical"));
    EXPECT_FALSE(passing->has("output"));
}

TEST(RenderHealth, IncludesTheOutputOfAWarningCheck) {
    const auto body = parse(renderHealth(
        HealthStatus::Warn, {report("db", "replica", HealthStatus::Warn, true, "lagging 5s")}, "1"));
    const auto entry = checkEntry(body, "db:replica");
    ASSERT_TRUE(entry);
    EXPECT_EQ(entry->getValue<std::string>("status"), "warn");
    EXPECT_EQ(entry->getValue<std::string>("output"), "lagging 5s");
}

TEST(RenderHealth, EscapesTextSoTheBodyStaysValidJson) {
    const auto body = parse(
        renderHealth(HealthStatus::Fail,
                     {report("db", "primary", HealthStatus::Fail, true, "said \"no\"\nthen {closed}")}, "1"));
    const auto entry = checkEntry(body, "db:primary");
    ASSERT_TRUE(entry);
    EXPECT_EQ(entry->getValue<std::string>("output"), "said \"no\"\nthen {closed}");
}

// --- CachedProbe ----------------------------------------------------------------------------

class CachedProbeTest : public ::testing::Test {
protected:
    CachedProbe::Probe probe() {
        return [this] {
            ++runs;
            return std::vector<HealthCheckReport>{
                report("db", "primary", HealthStatus::Pass, true, "run " + std::to_string(runs))};
        };
    }
    CachedProbe::Clock clock() {
        return [this] { return now; };
    }

    int runs = 0;
    std::chrono::steady_clock::time_point now{std::chrono::hours(1)};
};

TEST_F(CachedProbeTest, ReturnsTheSameResultWithinTheTtl) {
    CachedProbe cache(1000ms, probe(), clock());
    const auto first = cache.get();
    now += 999ms;
    const auto second = cache.get();
    EXPECT_EQ(runs, 1);
    ASSERT_EQ(second.size(), 1u);
    EXPECT_EQ(second[0].output, first[0].output);
}

TEST_F(CachedProbeTest, RunsTheProbeAgainOnceTheTtlHasPassed) {
    CachedProbe cache(1000ms, probe(), clock());
    cache.get();
    now += 1000ms;
    const auto fresh = cache.get();
    EXPECT_EQ(runs, 2);
    ASSERT_EQ(fresh.size(), 1u);
    EXPECT_EQ(fresh[0].output, "run 2");
    now += 500ms;
    cache.get();
    EXPECT_EQ(runs, 2);
}

TEST_F(CachedProbeTest, AlwaysRunsTheProbeWithAZeroTtl) {
    CachedProbe cache(0ms, probe(), clock());
    cache.get();
    cache.get();
    cache.get();
    EXPECT_EQ(runs, 3);
}

}  // namespace
}  // namespace keel::plugins::health
