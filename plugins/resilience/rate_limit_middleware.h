// The rate limiter as middleware (order 200): 429 application/problem+json with Retry-After and
// the IETF draft RateLimit-Policy / RateLimit headers beyond the limit; exempt routes pass.
#pragma once

#include <spdlog/logger.h>

#include <atomic>
#include <memory>
#include <set>
#include <string>

#include <keel/route.h>

#include "resilience_settings.h"
#include "redis_rate_limiter.h"
#include "resilience_metrics.h"
#include "token_bucket.h"

namespace keel::plugins::resilience {

inline constexpr int kRateLimitOrder = 200;

class RateLimitMiddleware {
public:
    // `logger` reports a failing Redis (at most one line per 10 s); null: silent.
    RateLimitMiddleware(RateLimitSettings settings, const TimeSource& time, ResilienceMetrics& metrics,
                        std::shared_ptr<spdlog::logger> logger = nullptr);
    void handle(Request& request, Response& response, const Next& next);
    // The client key of `request` under `keySetting` (remote_address drops the port).
    static std::string clientKey(const Request& request, const std::string& keySetting);
    const RateLimitSettings& settings() const { return settings_; }
    std::size_t rememberedKeys() const { return limiter_.rememberedKeys(); }
    double globalTokens() const { return limiter_.globalTokens(); }

private:
    RateLimitSettings settings_;
    std::set<std::string> exempt_;
    // The decision for `key`: from Redis when shared, else local; nullopt when Redis failed.
    std::optional<TokenBucket::Decision> decide(const std::string& key);

    RateLimiter limiter_;
    std::unique_ptr<RedisRateLimiter> shared_;  // set with redis_url
    ResilienceMetrics& metrics_;
    std::shared_ptr<spdlog::logger> logger_;
    std::atomic<std::int64_t> lastRedisWarning_{0};  // steady-clock seconds
    std::string policyHeader_;
};

}  // namespace keel::plugins::resilience
