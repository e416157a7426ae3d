// The rate limit shared through a real redis-server (started here on a loopback port): two keel
// instances together let the configured number through, and when Redis goes away
// redis_failure decides (open: unlimited, closed: 503), counted in a metric; Redis back, the
// limit is back.
#include <gtest/gtest.h>
#include <signal.h>

#include <memory>
#include <string>

#include "keel_process.h"

namespace keel::testing {
namespace {

class SharedRateLimit : public ::testing::Test {
protected:
    void SetUp() override {
        redisPort_ = freePort();
        startRedis();
    }
    void startRedis() {
        redis_ = std::make_unique<ChildProcess>(std::vector<std::string>{
            "/usr/bin/redis-server", "--port", std::to_string(redisPort_), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--protected-mode", "yes"});
        ASSERT_TRUE(eventually([&] { return redisCli("PING") == "PONG"; })) << redis_->output();
    }
    std::string redisCli(const std::string& command) const {
        return shellOutput("redis-cli -p " + std::to_string(redisPort_) + " " + command + " 2>&1");
    }
    std::unique_ptr<KeelProcess> startKeel(const std::string& failure, double rps) {
        auto keel = std::make_unique<KeelProcess>(withPlugins(
            "health, hello, metrics, resilience",
            {"--define", "resilience.rate_limit.rps=" + std::to_string(rps), "--define",
             "resilience.rate_limit.burst=" + std::to_string(static_cast<int>(rps)), "--define",
             "resilience.rate_limit.redis_url=redis://127.0.0.1:" + std::to_string(redisPort_), "--define",
             "resilience.rate_limit.redis_failure=" + failure}));
        EXPECT_TRUE(keel->waitUntilLive()) << keel->output();
        return keel;
    }
    static int status(KeelProcess& keel) { return httpRequest(keel.publicPort(), "GET", "/hello/fleet").status; }

    int redisPort_ = 0;
    std::unique_ptr<ChildProcess> redis_;
};

TEST_F(SharedRateLimit, TwoInstancesTogetherAnswer429AtTheSharedLimit) {
    auto first = startKeel("open", 5);
    auto second = startKeel("open", 5);
    int allowed = 0;
    int limited = 0;
    HttpResult refused;
    for (int i = 0; i < 20; ++i) {
        const auto answer = httpRequest((i % 2 == 0 ? *first : *second).publicPort(), "GET", "/hello/fleet");
        allowed += answer.status == 200 ? 1 : 0;
        if (answer.status == 429) {
            ++limited;
            refused = answer;
        }
    }
    // A burst of 5 plus what 5 a second refills while 20 requests go by; alone, each instance
    // would let 5 through (10 together).
    EXPECT_GE(allowed, 5);
    EXPECT_LE(allowed, 7) << "the instances did not share one bucket";
    EXPECT_EQ(allowed + limited, 20);
    EXPECT_NE(redisCli("EXISTS keel:rate_limit:global"), "0") << "the bucket lives in Redis";
    EXPECT_EQ(refused.header("Retry-After"), "1") << refused.body;
}

TEST_F(SharedRateLimit, WithRedisDownOpenLetsThroughAndClosedAnswers503ThenTheLimitReturns) {
    auto open = startKeel("open", 2);
    auto closed = startKeel("closed", 2);
    EXPECT_EQ(status(*open), 200);
    EXPECT_EQ(status(*closed), 200);
    redis_->signal(SIGKILL);
    redis_->waitForExit(std::chrono::seconds(5));

    int openPassed = 0;
    for (int i = 0; i < 10; ++i) openPassed += status(*open) == 200 ? 1 : 0;
    EXPECT_EQ(openPassed, 10) << "open: unlimited while Redis is down (the limit is 2)";
    for (int i = 0; i < 5; ++i) {
        const auto reply = httpRequest(closed->publicPort(), "GET", "/hello/fleet");
        EXPECT_EQ(reply.status, 503) << reply.body;
        EXPECT_NE(reply.body.find("the shared rate limit cannot be checked"), std::string::npos) << reply.body;
        EXPECT_EQ(reply.header("Retry-After"), "1");
    }
    const auto openMetrics = httpRequest(open->adminPort(), "GET", "/metrics").body;
    EXPECT_EQ(openMetrics.find("keel_rate_limit_redis_errors_total{mode=\"open\"} 0\n"), std::string::npos);
    EXPECT_NE(openMetrics.find("keel_rate_limit_redis_errors_total{mode=\"open\"} "), std::string::npos) << openMetrics;
    EXPECT_NE(httpRequest(closed->adminPort(), "GET", "/metrics").body.find(
                  "keel_rate_limit_redis_errors_total{mode=\"closed\"} "),
              std::string::npos);
    EXPECT_NE(open->output().find("shared rate limit: Redis failed"), std::string::npos) << open->output();

    // Redis back (empty, the script forgotten): after its quiet second, each instance limits again.
    ASSERT_NO_FATAL_FAILURE(startRedis());
    EXPECT_TRUE(eventually([&] { return status(*closed) == 429; }, std::chrono::seconds(5)));
    EXPECT_TRUE(eventually([&] { return status(*open) == 429; }, std::chrono::seconds(5)));
}

TEST(SharedRateLimitConfiguration, ABadRedisUrlNamesTheKeyAndHidesThePassword) {
    const auto [code, output] = runKeel({"--define", std::string("plugins.dir=") + KEEL_PLUGIN_DIR, "--define",
                                         "resilience.rate_limit.rps=5", "--define",
                                         "resilience.rate_limit.redis_url=http://:pw-123456@cache:6379",
                                         "--check-config"});
    EXPECT_EQ(code, 78) << output;
    EXPECT_NE(output.find("resilience.rate_limit.redis_url"), std::string::npos) << output;
    EXPECT_NE(output.find("expected redis://"), std::string::npos) << output;
    EXPECT_EQ(output.find("pw-123456"), std::string::npos) << output;
}

}  // namespace
}  // namespace keel::testing
