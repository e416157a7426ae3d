// The seventeen environment variables operators of the original service set: each one alone,
// under both shipped configurations, lands on every key it feeds (with itself as the source in
// --print-config), and the effects that are cheap to observe are observed on a running keel.
// The feature flag is also flipped with SIGHUP under load.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <map>
#include <sstream>
#include <future>
#include <thread>

#include "keel_process.h"
#include "otlp_spans.h"
#include "recording_http_server.h"

namespace keel::testing {
namespace {

struct Classic {
    std::string variable;
    std::string value;
    std::vector<std::string> keys;  // every key it must feed
    std::string shown;              // the value --print-config must show ("" = value)
};

const std::vector<Classic>& classics() {
    static const std::vector<Classic> all = {
        {"SERVER_PORT", "18123", {"server.port"}, ""},
        {"SERVER_READ_TIMEOUT", "7s", {"server.read_timeout"}, ""},
        {"SERVER_WRITE_TIMEOUT", "9s", {"server.write_timeout"}, ""},
        {"SHUTDOWN_TIMEOUT", "11s", {"server.shutdown_timeout"}, ""},
        {"DATABASE_URL", "postgresql://app@db.example:5432/orders", {"database.url"}, "<redacted>"},
        {"DATABASE_MAX_CONNS", "13", {"database.max_conns"}, ""},
        {"DATABASE_MAX_IDLE", "4", {"database.max_idle"}, ""},
        {"DATABASE_CONN_LIFE", "2m", {"database.conn_lifetime"}, ""},
        {"CB_THRESHOLD",
         "7",
         {"resilience.policy.default.failure_threshold", "resilience.policy.inventory.failure_threshold",
          "resilience.policy.orders.failure_threshold"},
         ""},
        {"CB_TIMEOUT",
         "45s",
         {"resilience.policy.default.open_duration", "resilience.policy.inventory.open_duration",
          "resilience.policy.orders.open_duration"},
         ""},
        {"RATE_LIMIT_RPS", "123", {"resilience.rate_limit.rps"}, ""},
        {"BULKHEAD_SIZE",
         "3",
         {"resilience.policy.default.max_concurrent", "resilience.policy.inventory.max_concurrent",
          "resilience.policy.orders.max_concurrent"},
         ""},
        {"TRACING_ENDPOINT", "http://127.0.0.1:4318", {"tracing.endpoint"}, ""},
        {"TRACING_SAMPLE_RATE", "0.5", {"tracing.sample_rate"}, ""},
        {"METRICS_PORT", "19123", {"admin.port"}, ""},
        {"ENABLE_NEW_FEATURE", "true", {"features.new_feature"}, ""},
        {"INVENTORY_SERVICE_URL", "http://127.0.0.1:18124", {"orders.inventory.url"}, ""},
    };
    return all;
}

// key -> "value    # type, from SOURCE: ..." line of --print-config.
std::map<std::string, std::string> printConfig(const std::string& file, const std::map<std::string, std::string>& env) {
    std::vector<std::string> arguments{"--config", std::string(KEEL_SOURCE_DIR) + "/" + file, "--define",
                                       std::string("plugins.dir=") + KEEL_PLUGIN_DIR, "--print-config"};
    if (file == "etc/production.ini") {
        const auto standIns = productionStandInDefines();
        arguments.insert(arguments.end(), standIns.begin(), standIns.end());
    }
    KeelProcess keel(arguments, env, false);
    EXPECT_EQ(keel.waitForExit(std::chrono::seconds(30)), 0) << keel.output();
    std::map<std::string, std::string> lines;
    std::istringstream output(keel.output());
    for (std::string line; std::getline(output, line);) {
        const auto equals = line.find(" = ");
        if (equals == std::string::npos || line.empty() || line[0] == '#') continue;
        lines[line.substr(0, equals)] = line.substr(equals + 3);
    }
    return lines;
}

class ClassicVariable : public ::testing::TestWithParam<std::string> {};

TEST_P(ClassicVariable, FeedsEveryKeyItMeansAndSaysSo) {
    for (const auto& classic : classics()) {
        SCOPED_TRACE(GetParam() + ": " + classic.variable);
        const auto config = printConfig(GetParam(), {{classic.variable, classic.value}});
        const std::string shown = classic.shown.empty() ? classic.value : classic.shown;
        for (const auto& key : classic.keys) {
            const auto line = config.find(key);
            ASSERT_NE(line, config.end()) << key << " is not in --print-config";
            EXPECT_EQ(line->second.rfind(shown + "    # ", 0), 0u) << key << " = " << line->second;
            EXPECT_NE(line->second.find("from environment variable " + classic.variable + ":"), std::string::npos)
                << key << " = " << line->second;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(ShippedConfigurations, ClassicVariable,
                         ::testing::Values("etc/keel.ini", "etc/production.ini"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                             return info.param == "etc/keel.ini" ? std::string("KeelIni") : std::string("ProductionIni");
                         });

std::string orderBody(const std::string& user) {
    return R"({"user_id":")" + user + R"(","items":[{"product_id":"p-1","quantity":2,"price":"1.50"}]})";
}

// SERVER_PORT and METRICS_PORT move the listeners; RATE_LIMIT_RPS limits; ENABLE_NEW_FEATURE
// shows in list responses and in keel_feature_enabled.
TEST(ClassicVariables, TheirEffectsOnARunningKeel) {
    const int publicPort = freePort();
    const int adminPort = freePort();
    const std::string database = "/tmp/keel-classic-" + std::to_string(::getpid()) + ".db";
    KeelProcess keel(withPlugins("health, metrics, resilience, orders", {"--define", "database.url=sqlite:" + database}),
                     {{"SERVER_PORT", std::to_string(publicPort)},
                      {"METRICS_PORT", std::to_string(adminPort)},
                      {"RATE_LIMIT_RPS", "5"},
                      {"ENABLE_NEW_FEATURE", "true"}},
                     false);
    ASSERT_TRUE(eventually([&] { return httpRequest(publicPort, "GET", "/live").status == 200; })) << keel.output();
    EXPECT_EQ(httpRequest(adminPort, "GET", "/metrics").status, 200);
    const auto metrics = httpRequest(adminPort, "GET", "/metrics").body;
    EXPECT_NE(metrics.find("keel_feature_enabled{feature=\"new_feature\"} 1"), std::string::npos) << metrics;
    // Migrations may still run after /live: until then creation answers 503 (and stores nothing).
    ASSERT_TRUE(eventually([&] {
        return httpRequest(publicPort, "POST", "/api/v1/orders", orderBody("classic"), "application/json").status == 201;
    }));
    const auto list = httpRequest(publicPort, "GET", "/api/v1/orders?user_id=classic");
    EXPECT_NE(list.body.find(R"("summary":{"orders":1,"items":2,"total":"3.00"})"), std::string::npos) << list.body;
    // 5 a second (burst 5): twenty at once cannot all pass.
    int limited = 0;
    for (int i = 0; i < 20; ++i) limited += httpRequest(publicPort, "GET", "/api/v1/orders").status == 429 ? 1 : 0;
    EXPECT_GT(limited, 0);
    keel.signal(SIGTERM);
    EXPECT_EQ(keel.waitForExit(), 0) << keel.output();
    shellOutput("rm -f " + database + "*");
}

#ifdef KEEL_TEST_SANITIZED
constexpr int kSlowdown = 4;
#else
constexpr int kSlowdown = 1;
#endif

// The variables whose effect etc/production.ini would take away if files won: its inventory
// breaker opens on a 50 % rate of 20 calls and stays open 15 s, its orders bulkhead is 50, it
// samples 10 % of traces towards another collector and drains for 30 s. Set in the environment,
// the classic values govern instead, observed on a running keel.
TEST(ClassicVariables, WinOverTheProductionConfigurationOnARunningKeel) {
    RecordingHttpServer inventory(503);
    RecordingHttpServer collector;
    const int publicPort = freePort();
    const int adminPort = freePort();
    const std::string database = "/tmp/keel-classic-prod-" + std::to_string(::getpid()) + ".db";
    std::vector<std::string> arguments{"--config", std::string(KEEL_SOURCE_DIR) + "/etc/production.ini",
                                       "--define", std::string("plugins.dir=") + KEEL_PLUGIN_DIR,
                                       "--define", "database.url=sqlite:" + database,
                                       "--define", "database.required_at_start=false",
                                       "--define", "auth.mode=none",
                                       "--define", "server.host=127.0.0.1",
                                       "--define", "server.shutdown_delay=0s"};
    const auto standIns = productionStandInDefines();
    arguments.insert(arguments.end(), standIns.begin(), standIns.end());
    KeelProcess keel(arguments,
                     {{"SERVER_PORT", std::to_string(publicPort)},
                      {"METRICS_PORT", std::to_string(adminPort)},
                      {"INVENTORY_SERVICE_URL", inventory.url()},
                      {"CB_THRESHOLD", "2"},
                      {"CB_TIMEOUT", "1s"},
                      {"BULKHEAD_SIZE", "1"},
                      {"TRACING_ENDPOINT", collector.url()},
                      {"TRACING_SAMPLE_RATE", "1.0"},
                      {"SHUTDOWN_TIMEOUT", "1s"}},
                     false);
    const auto post = [&] {
        return httpRequest(publicPort, "POST", "/api/v1/orders", orderBody("prod"), "application/json");
    };
    ASSERT_TRUE(eventually([&] { return httpRequest(publicPort, "GET", "/live").status == 200; })) << keel.output();
    // INVENTORY_SERVICE_URL: creation reserves there, and a failing inventory fails the order.
    ASSERT_TRUE(eventually([&] { return post().status == 503 && inventory.count() > 0; })) << keel.output();

    // CB_THRESHOLD=2: two consecutive failures open the inventory breaker; the file's rule (50 %
    // of at least 20 calls) would still be counting.
    std::string refused;
    EXPECT_TRUE(eventually([&] {
        refused = post().body;
        return refused.find("circuit breaker is open") != std::string::npos;
    })) << refused;
    EXPECT_LE(inventory.count(), 6u) << "the breaker opened late";
    const auto reached = inventory.count();
    EXPECT_EQ(post().status, 503);
    EXPECT_EQ(inventory.count(), reached) << "an open breaker must not reach inventory";

    // CB_TIMEOUT=1s: a second after opening, trial calls go through and the breaker closes; the
    // file's 15 s would keep refusing.
    inventory.answer(200);
    const auto reopened = std::chrono::steady_clock::now();
    EXPECT_TRUE(eventually([&] { return post().status == 201; }, std::chrono::seconds(5))) << keel.output();
    EXPECT_LT(std::chrono::steady_clock::now() - reopened, std::chrono::seconds(3 * kSlowdown));
    for (int i = 0; i < 5; ++i) EXPECT_EQ(post().status, 201) << "the trial calls (half_open_calls = 5) close it";

    // TRACING_ENDPOINT and TRACING_SAMPLE_RATE=1.0: every one of ten requests is exported to this
    // collector as a server span (at the file's 0.1, all ten would be a one-in-ten-billion chance).
    for (int i = 0; i < 10; ++i) EXPECT_EQ(httpRequest(publicPort, "GET", "/api/v1/orders?user_id=traced").status, 200);
    EXPECT_TRUE(eventually([&] {
        const auto spans = spansOf(collector);
        return std::count_if(spans.begin(), spans.end(), [](const ReceivedSpan& span) {
                   return span.kind == 2 && span.name == "GET /api/v1/orders";
               }) >= 10;
    })) << collector.count() << " export requests";

    // BULKHEAD_SIZE=1: while one creation waits for inventory, the next is refused as busy
    // without reaching inventory (the file says 50).
    inventory.answer(200, RecordingHttpServer::Mode::Hang);
    const auto before = inventory.count();
    auto holder = std::async(std::launch::async, [&] { return post(); });
    ASSERT_TRUE(eventually([&] { return inventory.count() == before + 1; })) << "the first order waits for inventory";
    const auto busy = post();
    EXPECT_EQ(busy.status, 503) << busy.body;
    EXPECT_NE(busy.body.find("service busy, please retry"), std::string::npos) << busy.body;
    EXPECT_EQ(inventory.count(), before + 1);

    // SHUTDOWN_TIMEOUT=1s: the creation still waiting for inventory (two 800 ms attempts, then the
    // breaker opens) is cut after a second and keel exits with 1; the file's 30 s would let it end.
    const auto stopping = std::chrono::steady_clock::now();
    keel.signal(SIGTERM);
    EXPECT_EQ(keel.waitForExit(std::chrono::seconds(10)), 1) << keel.output();
    EXPECT_NE(keel.output().find("still running on the public listener: POST /api/v1/orders"), std::string::npos)
        << keel.output();
#ifndef KEEL_TEST_SANITIZED
    EXPECT_LT(std::chrono::steady_clock::now() - stopping, std::chrono::milliseconds(2500));
#endif
    holder.wait();
    shellOutput("rm -f " + database + "*");
}

// [features] new_feature flipped in the file and SIGHUP: list responses change, so does
// keel_feature_enabled, and no request fails meanwhile.
TEST(FeatureFlags, AFlagFlippedWithSighupChangesBehaviourUnderLoad) {
    const std::string base = "/tmp/keel-flags-" + std::to_string(::getpid());
    const std::string config = base + ".ini";
    auto writeConfig = [&](bool on) {
        std::ofstream(config) << "[database]\nurl = sqlite:" << base << ".db\n\n[features]\nnew_feature = "
                              << (on ? "true" : "false") << "\n";
    };
    writeConfig(false);
    auto arguments = withPlugins("health, metrics, resilience, orders", {"--config", config});
    KeelProcess keel(arguments);
    ASSERT_TRUE(keel.waitUntilLive()) << keel.output();
    ASSERT_TRUE(eventually([&] {
        return httpRequest(keel.publicPort(), "POST", "/api/v1/orders", orderBody("flag"), "application/json").status == 201;
    }));
    EXPECT_EQ(httpRequest(keel.publicPort(), "GET", "/api/v1/orders").body.find("\"summary\""), std::string::npos);

    std::atomic<bool> stop{false};
    std::atomic<int> failures{0};
    std::atomic<int> requests{0};
    std::thread load([&] {
        for (int i = 0; i < 5000 && !stop; ++i) {
            if (httpRequest(keel.publicPort(), "GET", "/api/v1/orders?limit=5").status != 200) ++failures;
            ++requests;
        }
    });
    ASSERT_TRUE(eventually([&] { return requests > 0; }));  // the load runs before the flip...
    writeConfig(true);
    keel.signal(SIGHUP);
    EXPECT_TRUE(eventually([&] {
        return httpRequest(keel.publicPort(), "GET", "/api/v1/orders").body.find("\"summary\"") != std::string::npos;
    })) << keel.output();
    const auto metrics = httpRequest(keel.adminPort(), "GET", "/metrics").body;
    EXPECT_NE(metrics.find("keel_feature_enabled{feature=\"new_feature\"} 1"), std::string::npos) << metrics;
    const auto features = httpRequest(keel.adminPort(), "GET", "/admin/features").body;
    EXPECT_NE(features.find(R"({"name":"new_feature","enabled":true,"source":")" + config + ":5\"}"), std::string::npos)
        << features;
    EXPECT_NE(keel.output().find("SIGHUP: feature new_feature: off -> on"), std::string::npos) << keel.output();
    const int atFlip = requests;
    EXPECT_TRUE(eventually([&] { return requests > atFlip + 10; }));  // ...and after it
    stop = true;
    load.join();
    EXPECT_GT(requests.load(), 0);
    EXPECT_EQ(failures.load(), 0);
    shellOutput("rm -f " + base + "*");
}

// A bad classic value is one error naming the variable, without "unknown key" noise after it.
TEST(ClassicVariables, ABadValueIsOneErrorAndNothingElse) {
    KeelProcess keel({"--define", std::string("plugins.dir=") + KEEL_PLUGIN_DIR, "--check-config"},
                     {{"RATE_LIMIT_RPS", "abc"}}, false);
    EXPECT_EQ(keel.waitForExit(std::chrono::seconds(30)), 78) << keel.output();
    const std::string output = keel.output();
    EXPECT_NE(output.find("resilience.rate_limit.rps = \"abc\" (from environment variable RATE_LIMIT_RPS)"),
              std::string::npos)
        << output;
    EXPECT_EQ(output.find("unknown configuration key"), std::string::npos) << output;
}

}  // namespace
}  // namespace keel::testing
