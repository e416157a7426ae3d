// 429 answers and RateLimit headers.
#include "rate_limit_middleware.h"

#include <keel/problem.h>

#include <charconv>
#include <cmath>

namespace keel::plugins::resilience {

RateLimitMiddleware::RateLimitMiddleware(RateLimitSettings settings, const TimeSource& time, ResilienceMetrics& metrics,
                                         std::shared_ptr<spdlog::logger> logger)
    : settings_(std::move(settings)),
      exempt_(settings_.exemptRoutes.begin(), settings_.exemptRoutes.end()),
      limiter_(settings_.limits, time),
      metrics_(metrics),
      logger_(std::move(logger)) {
    if (!settings_.redisUrl.empty()) {
        shared_ = std::make_unique<RedisRateLimiter>(RedisTarget::parse(settings_.redisUrl), settings_.limits,
                                                     settings_.redisKeyPrefix, settings_.redisTimeout);
    }
    // The advertised quota is the tighter configured one: per client when set, else global.
    const bool perKey = settings_.limits.perKeyRate > 0;
    const double rate = perKey ? settings_.limits.perKeyRate : settings_.limits.rate;
    const double burst = perKey ? settings_.limits.perKeyBurst : settings_.limits.burst;
    const long window = std::max(1L, static_cast<long>(std::ceil(burst / rate)));
    policyHeader_ = "\"keel\";q=" + std::to_string(static_cast<long>(burst)) + ";w=" + std::to_string(window) +
                    (perKey ? ";pk=:" + std::string(settings_.key == "remote_address" ? "remote" : "key") + ":" : "");
}

std::string RateLimitMiddleware::clientKey(const Request& request, const std::string& keySetting) {
    if (keySetting.rfind("header:", 0) == 0) {
        return request.header(keySetting.substr(7)).value_or("");  // no header: one shared "anonymous" bucket
    }
    const std::string& remote = request.remoteAddress();
    const auto colon = remote.rfind(':');
    return colon == std::string::npos ? remote : remote.substr(0, colon);
}

std::optional<TokenBucket::Decision> RateLimitMiddleware::decide(const std::string& key) {
    if (!shared_) return limiter_.admit(key);
    std::string error;
    auto decision = shared_->admit(key, error);
    if (decision) return decision;
    const std::string mode = settings_.redisFailOpen ? "open" : "closed";
    metrics_.redisErrors(mode).Increment();
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::steady_clock::now().time_since_epoch())
                         .count();
    auto last = lastRedisWarning_.load();
    if (logger_ && now - last >= 10 && lastRedisWarning_.compare_exchange_strong(last, now)) {
        logger_->warn("shared rate limit: Redis failed ({}); requests are {} meanwhile", error,
                      settings_.redisFailOpen ? "let through unlimited (redis_failure = open)"
                                              : "refused with 503 (redis_failure = closed)");
    }
    return std::nullopt;
}

void RateLimitMiddleware::handle(Request& request, Response& response, const Next& next) {
    if (exempt_.count(request.routePattern()) != 0) {
        next();
        return;
    }
    // Only per-client limits (local or shared) need the client's key; a global one does not.
    const bool keyed = settings_.limits.perKeyRate > 0;
    const auto decided = decide(keyed ? clientKey(request, settings_.key) : std::string());
    if (!decided) {
        if (settings_.redisFailOpen) {
            next();  // unlimited while Redis is away, as configured
            return;
        }
        writeProblem(response, Problem::of(503, "Service Unavailable",
                                           "the shared rate limit cannot be checked; retry shortly"));
        response.setHeader("Retry-After", "1");
        return;
    }
    const auto& decision = *decided;
    const double rate = settings_.limits.perKeyRate > 0 ? settings_.limits.perKeyRate : settings_.limits.rate;
    const double burst = settings_.limits.perKeyRate > 0 ? settings_.limits.perKeyBurst : settings_.limits.burst;
    if (!decision.allowed) {
        metrics_.rateLimited(request.listener()).Increment();
        const long retryAfter = std::max(1L, static_cast<long>(std::ceil(decision.retryAfter.count() / 1000.0)));
        writeProblem(response, Problem::of(429, "Too Many Requests", "rate limit exceeded; retry after " + std::to_string(retryAfter) + " s"));
        response.setHeader("Retry-After", std::to_string(retryAfter));
        response.setHeader("RateLimit-Policy", policyHeader_);
        response.setHeader("RateLimit", "\"keel\";r=0;t=" + std::to_string(retryAfter));
        return;
    }
    next();
    const long reset = static_cast<long>(std::ceil((burst - decision.remaining) / rate));
    // Every admitted request pays for these two headers: no temporary strings.
    static const std::string kPolicy = "RateLimit-Policy";
    static const std::string kLimit = "RateLimit";
    response.setHeader(kPolicy, policyHeader_);
    std::string value;
    value.reserve(48);
    value += "\"keel\";r=";
    char digits[24];
    value.append(digits, std::to_chars(digits, digits + sizeof digits, static_cast<long>(decision.remaining)).ptr);
    value += ";t=";
    value.append(digits, std::to_chars(digits, digits + sizeof digits, std::max(0L, reset)).ptr);
    response.setHeader(kLimit, std::move(value));
}

}  // namespace keel::plugins::resilience
