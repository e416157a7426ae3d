// The metrics plugin through the SDK harness, and its plain parts.
#include <gtest/gtest.h>

#include <keel/testing/plugin_harness.h>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <cstring>
#include <memory>
#include <random>
#include <sstream>
#include <thread>

#include "http_metrics.h"
#include "process_metrics.h"

namespace keel::plugins::metrics {
namespace {

const std::string kPlugins = KEEL_PLUGIN_DIR;

std::size_t seriesOf(const std::string& exposition, const std::string& family) {
    std::istringstream in(exposition);
    std::size_t count = 0;
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(family + "{", 0) == 0) ++count;
    }
    return count;
}

TEST(HttpMetricsLabels, BoundMethodsAndRoutes) {
    EXPECT_EQ(HttpMetrics::methodLabel("GET"), "GET");
    EXPECT_EQ(HttpMetrics::methodLabel("BREW"), "other");
    Request unmatched("GET", "/random/123");
    EXPECT_EQ(HttpMetrics::routeLabel(unmatched), "unmatched");
}

TEST(HttpMetricsBuckets, ParsesIncreasingPositiveNumbersOnly) {
    EXPECT_EQ(HttpMetrics::parseBuckets("0.1, 1,10"), (std::vector<double>{0.1, 1, 10}));
    EXPECT_THROW(HttpMetrics::parseBuckets("1,0.5"), std::invalid_argument);
    EXPECT_THROW(HttpMetrics::parseBuckets("-1"), std::invalid_argument);
    EXPECT_THROW(HttpMetrics::parseBuckets(""), std::invalid_argument);
}

TEST(ProcessMetrics, ParsesAStatLineWhoseCommandHasSpacesAndParentheses) {
    // Fields from proc(5): utime=14, stime=15, num_threads=20, starttime=22, vsize=23, rss=24.
    const std::string stat =
        "1234 (my (odd) cmd) S 1 1234 1234 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 7 0 1000 4096000 300 "
        "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
    const auto parsed = parseProcessStat(stat, 1700000000, 100, 4096);
    EXPECT_DOUBLE_EQ(parsed.cpuSeconds, 3.0);
    EXPECT_DOUBLE_EQ(parsed.threads, 7);
    EXPECT_DOUBLE_EQ(parsed.startTimeSeconds, 1700000010);
    EXPECT_DOUBLE_EQ(parsed.virtualBytes, 4096000);
    EXPECT_DOUBLE_EQ(parsed.residentBytes, 300.0 * 4096);
    EXPECT_THROW(parseProcessStat("garbage", 0, 100, 4096), std::runtime_error);
}

// The SDK's Metrics over a plain registry, for HttpMetrics on its own.
class RegistryMetrics final : public Metrics {
public:
    prometheus::Family<prometheus::Counter>& counter(const std::string& name, const std::string& help,
                                                     const Labels&) override {
        return prometheus::BuildCounter().Name(name).Help(help).Register(registry);
    }
    prometheus::Family<prometheus::Gauge>& gauge(const std::string& name, const std::string& help,
                                                 const Labels&) override {
        return prometheus::BuildGauge().Name(name).Help(help).Register(registry);
    }
    prometheus::Family<prometheus::Histogram>& histogram(const std::string& name, const std::string& help,
                                                         const Labels&) override {
        return prometheus::BuildHistogram().Name(name).Help(help).Register(registry);
    }
    std::string text() { return prometheus::TextSerializer().Serialize(registry.Collect()); }
    prometheus::Registry registry;
};

TEST(HttpMetricsSeries, ThreadsCreatingAndUsingSeriesAtOnceLoseNoCount) {
    RegistryMetrics metrics;
    HttpMetrics http(metrics, {0.1, 1});
    const std::vector<std::string> routes{"/a", "/b/{id}", "/c", ""};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 5000; ++i) {
                Request request(i % 3 == 0 ? "POST" : "GET", "/x");
                request.setRoutePattern(routes[(i + t) % routes.size()]);
                Response response;
                http.observe(request, response, [&] { response.send(200 + (i % 2), "", "text/plain"); });
            }
        });
    }
    for (auto& thread : threads) thread.join();
    http.publishActive();
    const std::string text = metrics.text();
    // 4 threads x 5,000 requests over 4 routes, 2 methods and 2 statuses: 16 series, every count kept.
    EXPECT_EQ(seriesOf(text, "http_server_requests_total"), 16u) << text;
    double total = 0;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("http_server_requests_total{", 0) == 0) total += std::stod(line.substr(line.rfind(' ') + 1));
    }
    EXPECT_EQ(total, 20000);
    EXPECT_NE(text.find(R"(http_server_active_requests{method="GET",route="unmatched"} 0)"), std::string::npos) << text;
}

TEST(HttpMetricsSeries, ActiveRequestsShowInTheScrapeWhileTheyRun) {
    RegistryMetrics metrics;
    HttpMetrics http(metrics, {1});
    Request request("GET", "/slow");
    request.setRoutePattern("/slow");
    Response response;
    std::string during;
    http.observe(request, response, [&] {
        http.publishActive();
        during = metrics.text();
        response.send(200, "", "text/plain");
    });
    http.publishActive();
    EXPECT_NE(during.find(R"(http_server_active_requests{method="GET",route="/slow"} 1)"), std::string::npos) << during;
    EXPECT_NE(metrics.text().find(R"(http_server_active_requests{method="GET",route="/slow"} 0)"), std::string::npos);
}

TEST(MetricsPlugin, TenThousandRandomPathsLeaveFewSeries) {
    testing::PluginHarness harness({kPlugins + "/hello.so", kPlugins + "/metrics.so"});
    std::mt19937 random(7);
    for (int i = 0; i < 10000; ++i) {
        harness.call("GET", "/random/" + std::to_string(random()) + "/" + std::to_string(i));
    }
    harness.call("GET", "/hello/Ada");
    harness.call("BREW", "/coffee");
    const std::string text = harness.call("GET", "/metrics", "", {}, "admin").body();
    EXPECT_LT(seriesOf(text, "http_server_requests_total"), 10u) << text;
    EXPECT_NE(text.find(R"(http_server_requests_total{method="GET",route="unmatched",status="404"} 10000)"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find(R"(route="/hello/{name}")"), std::string::npos);
    EXPECT_NE(text.find(R"(method="other")"), std::string::npos);
}

TEST(MetricsPlugin, ExposesProcessBuildAndPluginFamilies) {
    testing::PluginHarness harness({kPlugins + "/metrics.so"});
    const auto response = harness.call("GET", "/metrics", "", {}, "admin");
    EXPECT_EQ(response.status(), 200);
    EXPECT_EQ(response.headers().get("Content-Type").value_or(""), "text/plain; version=0.0.4; charset=utf-8");
    for (const char* family : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                               "process_virtual_memory_bytes", "process_open_fds", "process_max_fds",
                               "process_start_time_seconds", "process_threads", "keel_heap_in_use_bytes",
                               "keel_heap_held_bytes", "keel_build_info",
                               "keel_plugin_info", "keel_plugin_loads_total"}) {
        EXPECT_NE(response.body().find(std::string("# TYPE ") + family + " "), std::string::npos) << family;
    }
    EXPECT_EQ(harness.call("GET", "/metrics").status(), 404) << "not on the public listener by default";
}

// The gauge follows what the process allocates: 16 MiB more in use while a block is held.
TEST(MetricsPlugin, HeapInUseFollowsAllocations) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    GTEST_SKIP() << "the sanitizers replace glibc's malloc: mallinfo2 reports nothing";
#endif
    const auto inUse = [] {
        for (const auto& family : collectProcessMetrics()) {
            if (family.name == "keel_heap_in_use_bytes") return family.metric.at(0).gauge.value;
        }
        ADD_FAILURE() << "no keel_heap_in_use_bytes";
        return 0.0;
    };
    const double before = inUse();
    constexpr std::size_t kBlock = 16u << 20;
    auto block = std::make_unique<char[]>(kBlock);
    std::memset(block.get(), 1, kBlock);
    asm volatile("" : : "r"(block.get()) : "memory");  // the allocation must not be optimised away
    const double holding = inUse();
    block.reset();
    const double after = inUse();
    EXPECT_GE(holding - before, static_cast<double>(kBlock));
    EXPECT_LT(after, holding - static_cast<double>(kBlock) / 2);
    for (const auto& family : collectProcessMetrics()) {
        if (family.name == "keel_heap_held_bytes") {
            EXPECT_GE(family.metric.at(0).gauge.value, after);
        }
    }
}

TEST(MetricsPlugin, RefusesBadBucketsNamingTheKey) {
    try {
        testing::PluginHarness harness({kPlugins + "/metrics.so"}, {{"metrics.buckets", "1,0.5"}});
        FAIL() << "bad buckets must be refused";
    } catch (const std::runtime_error& error) {
        EXPECT_NE(std::string(error.what()).find("metrics.buckets"), std::string::npos) << error.what();
    }
}

}  // namespace
}  // namespace keel::plugins::metrics
