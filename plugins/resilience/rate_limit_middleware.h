// The rate limiter as middleware (order 200): 429 application/problem+json with Retry-After and
// the IETF draft RateLimit-Policy / RateLimit headers beyond the limit; exempt routes pass.
#pragma once

#include <set>
#include <string>

#include <keel/registrar.h>

#include "policy_config.h"
#include "resilience_metrics.h"
#include "token_bucket.h"

namespace keel::plugins::resilience {

inline constexpr int kRateLimitOrder = 200;

class RateLimitMiddleware {
public:
    RateLimitMiddleware(RateLimitSettings settings, const TimeSource& time, ResilienceMetrics& metrics);
    void handle(Request& request, Response& response, const Next& next);
    // The client key of `request` under `keySetting` (remote_address drops the port).
    static std::string clientKey(const Request& request, const std::string& keySetting);
    const RateLimitSettings& settings() const { return settings_; }
    std::size_t rememberedKeys() const { return limiter_.rememberedKeys(); }

private:
    RateLimitSettings settings_;
    std::set<std::string> exempt_;
    RateLimiter limiter_;
    ResilienceMetrics& metrics_;
    std::string policyHeader_;
};

}  // namespace keel::plugins::resilience
