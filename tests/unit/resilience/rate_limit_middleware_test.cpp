// The rate-limit middleware on a manual clock: 429 problems, headers, exempt routes, keys.
#include <gtest/gtest.h>
#include <keel/metrics.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "rate_limit_middleware.h"

namespace keel::plugins::resilience {
namespace {

using namespace std::chrono_literals;

// keel::Metrics straight onto a registry: what the host hands a plugin, without the host's
// per-plugin ownership rules, which this test does not exercise.
class RegistryMetrics final : public keel::Metrics {
public:
    explicit RegistryMetrics(prometheus::Registry& registry) : registry_(registry) {}
    prometheus::Family<prometheus::Counter>& counter(const std::string& name, const std::string& help,
                                                     const Labels& labels) override {
        return prometheus::BuildCounter().Name(name).Help(help).Labels(labels).Register(registry_);
    }
    prometheus::Family<prometheus::Gauge>& gauge(const std::string& name, const std::string& help,
                                                 const Labels& labels) override {
        return prometheus::BuildGauge().Name(name).Help(help).Labels(labels).Register(registry_);
    }
    prometheus::Family<prometheus::Histogram>& histogram(const std::string& name, const std::string& help,
                                                         const Labels& labels) override {
        return prometheus::BuildHistogram().Name(name).Help(help).Labels(labels).Register(registry_);
    }

private:
    prometheus::Registry& registry_;
};

class RateLimitTest : public ::testing::Test {
protected:
    RateLimitTest() : metrics(registryView) {}

    RateLimitSettings settings(double rps, double burst) {
        RateLimitSettings limit;
        limit.limits.rate = rps;
        limit.limits.burst = burst;
        limit.key = "remote_address";
        limit.exemptRoutes = {"/health"};
        limit.listeners = {"public"};
        return limit;
    }
    Response call(RateLimitMiddleware& middleware, const std::string& route, const std::string& remote = "10.0.0.1:5") {
        Request request("GET", route);
        request.setRoutePattern(route);
        request.setListener("public");
        request.setRemoteAddress(remote);
        Response response;
        middleware.handle(request, response, [&] { response.send(200, "ok"); });
        return response;
    }

    ManualTimeSource time;
    prometheus::Registry registry;
    RegistryMetrics registryView{registry};
    ResilienceMetrics metrics;
};

TEST_F(RateLimitTest, AnswersProblem429WithRetryAfterAndRateLimitHeaders) {
    RateLimitMiddleware middleware(settings(2, 2), time, metrics);
    EXPECT_EQ(call(middleware, "/x").status(), 200);
    const auto second = call(middleware, "/x");
    EXPECT_EQ(second.headers().get("RateLimit").value_or(""), "\"keel\";r=0;t=1");
    const auto limited = call(middleware, "/x");
    EXPECT_EQ(limited.status(), 429);
    EXPECT_EQ(limited.headers().get("Content-Type").value_or(""), "application/problem+json");
    EXPECT_EQ(limited.headers().get("Retry-After").value_or(""), "1");
    EXPECT_EQ(limited.headers().get("RateLimit-Policy").value_or(""), "\"keel\";q=2;w=1");
    EXPECT_EQ(limited.headers().get("RateLimit").value_or(""), "\"keel\";r=0;t=1");
    EXPECT_EQ(metrics.rateLimited("public").Value(), 1);
    time.advance(500ms);
    EXPECT_EQ(call(middleware, "/x").status(), 200) << "refilled";
}

TEST_F(RateLimitTest, NeverLimitsExemptRoutes) {
    RateLimitMiddleware middleware(settings(1, 1), time, metrics);
    for (int i = 0; i < 100; ++i) EXPECT_EQ(call(middleware, "/health").status(), 200);
    EXPECT_EQ(call(middleware, "/x").status(), 200);
}

TEST_F(RateLimitTest, KeysClientsByAddressWithoutPortOrByAHeader) {
    Request request("GET", "/x");
    request.setRemoteAddress("192.0.2.7:40000");
    EXPECT_EQ(RateLimitMiddleware::clientKey(request, "remote_address"), "192.0.2.7");
    request.headers().set("X-API-Key", "k1");
    EXPECT_EQ(RateLimitMiddleware::clientKey(request, "header:X-API-Key"), "k1");

    auto perKey = settings(0, 0);
    perKey.limits.perKeyRate = 1;
    perKey.limits.perKeyBurst = 1;
    RateLimitMiddleware middleware(perKey, time, metrics);
    EXPECT_EQ(call(middleware, "/x", "10.0.0.1:1").status(), 200);
    EXPECT_EQ(call(middleware, "/x", "10.0.0.1:2").status(), 429) << "same address, another port";
    EXPECT_EQ(call(middleware, "/x", "10.0.0.2:1").status(), 200);
}

TEST(RedisTarget, ReadsHostPortPasswordAndDatabase) {
    const auto plain = RedisTarget::parse("redis://cache.internal");
    EXPECT_EQ(plain.host, "cache.internal");
    EXPECT_EQ(plain.port, 6379);
    EXPECT_EQ(plain.password, "");
    EXPECT_EQ(plain.database, 0);
    const auto full = RedisTarget::parse("redis://:s3cret@127.0.0.1:6380/2");
    EXPECT_EQ(full.host, "127.0.0.1");
    EXPECT_EQ(full.port, 6380);
    EXPECT_EQ(full.password, "s3cret");
    EXPECT_EQ(full.database, 2);
}

TEST(RedisTarget, RefusesOtherSchemesMissingHostsAndBadDatabasesWithoutShowingThePassword) {
    for (const std::string url : {"http://:s3cret@host:6379", "redis://:s3cret@/0", "redis://:s3cret@host/db"}) {
        try {
            RedisTarget::parse(url);
            ADD_FAILURE() << url << " was accepted";
        } catch (const std::invalid_argument& error) {
            EXPECT_EQ(std::string(error.what()).find("s3cret"), std::string::npos) << error.what();
        }
    }
}

// Redis unreachable (nothing listens on the port): open lets the request through, closed answers
// 503, and both are counted by mode. The second call does not even try (Redis rests a second).
TEST_F(RateLimitTest, AnUnreachableRedisIsDecidedByRedisFailure) {
    for (const bool open : {true, false}) {
        auto shared = settings(1, 1);
        shared.redisUrl = "redis://127.0.0.1:1";
        shared.redisFailOpen = open;
        shared.redisTimeout = std::chrono::milliseconds(200);
        shared.redisKeyPrefix = "test:";
        RateLimitMiddleware middleware(shared, time, metrics);
        for (int i = 0; i < 3; ++i) {
            const auto response = call(middleware, "/x");
            EXPECT_EQ(response.status(), open ? 200 : 503);
            if (!open) {
                EXPECT_EQ(response.headers().get("Retry-After").value_or(""), "1");
            }
        }
        EXPECT_EQ(metrics.redisErrors(open ? "open" : "closed").Value(), 3);
    }
}

}  // namespace
}  // namespace keel::plugins::resilience
