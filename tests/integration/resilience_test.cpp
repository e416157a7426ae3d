// The resilience plugin inside a running keel: the rate limiter over real sockets, and a plugin
// that uses the resilience service against a downstream that fails, hangs and recovers.
#include <gtest/gtest.h>
#include <signal.h>

#include "keel_process.h"
#include "recording_http_server.h"

namespace keel::testing {
namespace {

std::vector<std::string> withResilience(std::vector<std::string> extra) {
    return withPlugins("health, metrics, hello, resilience, " + std::string(KEEL_TEST_PLUGIN_DIR) + "/resilient_caller.so",
                       std::move(extra));
}

TEST(RateLimiting, AnswersLimitedRequestsWith429AndHeadersAndRecoversAfterRefill) {
    KeelProcess keel(withResilience({"--define", "resilience.rate_limit.rps=5", "--define", "resilience.rate_limit.burst=5"}));
    ASSERT_TRUE(keel.waitUntilLive()) << keel.output();
    HttpResult limited;
    int allowed = 0;
    for (int i = 0; i < 20 && limited.status != 429; ++i) {
        auto reply = httpRequest(keel.publicPort(), "GET", "/hello/Ada");
        if (reply.status == 200) {
            ++allowed;
            EXPECT_EQ(reply.headers["RateLimit-Policy"], "\"keel\";q=5;w=1");
        } else {
            limited = reply;
        }
    }
    ASSERT_EQ(limited.status, 429) << "the limit was never reached";
    EXPECT_GE(allowed, 5);
    EXPECT_LE(allowed, 7) << "burst 5, plus at most what refilled while the loop ran";
    EXPECT_EQ(limited.headers["Content-Type"], "application/problem+json");
    EXPECT_EQ(limited.headers["Retry-After"], "1");
    EXPECT_EQ(limited.headers["RateLimit-Policy"], "\"keel\";q=5;w=1");
    EXPECT_EQ(limited.headers["RateLimit"], "\"keel\";r=0;t=1");
    // Probes and scrapes are exempt however many arrive.
    for (int i = 0; i < 30; ++i) EXPECT_EQ(httpRequest(keel.publicPort(), "GET", "/ready").status, 200);
    EXPECT_TRUE(eventually([&] { return httpRequest(keel.publicPort(), "GET", "/hello/Ada").status == 200; },
                           std::chrono::seconds(3)));
    const auto metrics = httpRequest(keel.adminPort(), "GET", "/metrics").body;
    EXPECT_NE(metrics.find("keel_rate_limited_requests_total{listener=\"public\"}"), std::string::npos);
}

class ResilientCalls : public ::testing::Test {
protected:
    std::unique_ptr<KeelProcess> start(std::vector<std::string> policy) {
        std::vector<std::string> arguments{"--define", "resilience.pipelines=downstream"};
        for (const auto& setting : policy) {
            arguments.push_back("--define");
            arguments.push_back("resilience.policy.downstream." + setting);
        }
        auto keel = std::make_unique<KeelProcess>(withResilience(arguments));
        EXPECT_TRUE(keel->waitUntilLive()) << keel->output();
        return keel;
    }
    std::string call(KeelProcess& keel) {
        return httpRequest(keel.publicPort(), "GET", "/caller/call?url=" + downstream.url("/reserve")).body;
    }
    RecordingHttpServer downstream{503};
};

TEST_F(ResilientCalls, RetriesThenOpensTheBreakerFailsFastAndRecovers) {
    auto keel = start({"max_attempts=3", "backoff_base=10ms", "backoff_max=20ms", "minimum_calls=4",
                       "failure_rate_threshold=50", "open_duration=500ms", "half_open_calls=1", "retry_budget_min=1000"});
    EXPECT_EQ(call(*keel), R"({"failure":"retries_exhausted","attempts":3,"status":503})");
    EXPECT_EQ(downstream.count(), 3u);
    EXPECT_EQ(call(*keel), R"({"failure":"circuit_open","attempts":1,"status":503})")
        << "the fourth failure opened the breaker before the retry";
    EXPECT_EQ(call(*keel), R"({"failure":"circuit_open","attempts":0,"status":0})");
    EXPECT_EQ(downstream.count(), 4u) << "an open breaker spares the downstream";
    EXPECT_NE(httpRequest(keel->adminPort(), "GET", "/metrics").body.find(
                  R"(keel_circuit_breaker_state{pipeline="downstream",state="open"} 1)"),
              std::string::npos);

    downstream.answer(200);
    EXPECT_TRUE(eventually([&] { return call(*keel) == R"({"failure":"none","attempts":1,"status":200})"; },
                           std::chrono::seconds(5)));
    EXPECT_NE(httpRequest(keel->adminPort(), "GET", "/admin/resilience").body.find(R"("state":"closed")"),
              std::string::npos);
}

TEST_F(ResilientCalls, AHangingDownstreamIsCutAtTheAttemptTimeout) {
    downstream.answer(200, RecordingHttpServer::Mode::Hang);
    auto keel = start({"max_attempts=2", "attempt_timeout=300ms", "timeout=2s", "backoff_base=10ms"});
    const auto started = std::chrono::steady_clock::now();
    const auto reply = call(*keel);
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2)) << reply;
    EXPECT_EQ(reply, R"({"failure":"retries_exhausted","attempts":2,"status":0})");
}

TEST_F(ResilientCalls, OperatorsForceTheBreakerOpenAndReleaseItThroughTheAdminApi) {
    downstream.answer(200);
    auto keel = start({});
    const std::string path = "/admin/resilience/downstream/breaker";
    EXPECT_EQ(httpRequest(keel->adminPort(), "POST", path, R"({"state":"open"})", "application/json").status, 200);
    EXPECT_EQ(call(*keel), R"({"failure":"circuit_open","attempts":0,"status":0})");
    EXPECT_EQ(httpRequest(keel->adminPort(), "POST", path, R"({"state":"auto"})", "application/json").status, 200);
    EXPECT_EQ(call(*keel), R"({"failure":"none","attempts":1,"status":200})");
    EXPECT_EQ(httpRequest(keel->adminPort(), "POST", path, R"({"state":"sideways"})", "application/json").status, 400);
    EXPECT_EQ(httpRequest(keel->adminPort(), "POST", "/admin/resilience/nope/breaker", R"({"state":"open"})",
                          "application/json")
                  .status,
              404);
}

TEST(ResilienceConfiguration, ABadPolicyValueStopsStartUpNamingTheKey) {
    const auto [code, output] = runKeel(
        withResilience({"--check-config", "--define", "resilience.pipelines=downstream", "--define",
                        "resilience.policy.downstream.max_attempts=lots"}));
    EXPECT_EQ(code, 78) << output;
    EXPECT_NE(output.find("resilience.policy.downstream.max_attempts"), std::string::npos) << output;
}

TEST(ResilienceConfiguration, ClassicVariablesConfigureTheDefaultPolicy) {
    KeelProcess keel(withResilience({}), {{"CB_THRESHOLD", "7"}, {"BULKHEAD_SIZE", "12"}, {"CB_TIMEOUT", "45s"}});
    ASSERT_TRUE(keel.waitUntilLive()) << keel.output();
    const auto view = httpRequest(keel.adminPort(), "GET", "/admin/resilience").body;
    EXPECT_NE(view.find(R"("max_concurrent":12)"), std::string::npos) << view;
    EXPECT_NE(view.find(R"("failure_threshold":7)"), std::string::npos) << view;
    EXPECT_NE(view.find(R"("open_duration_ms":45000)"), std::string::npos) << view;
}

}  // namespace
}  // namespace keel::testing
