// 429 answers and RateLimit headers.
#include "rate_limit_middleware.h"

#include <keel/problem.h>

#include <cmath>

namespace keel::plugins::resilience {

RateLimitMiddleware::RateLimitMiddleware(RateLimitSettings settings, const TimeSource& time, ResilienceMetrics& metrics)
    : settings_(std::move(settings)),
      exempt_(settings_.exemptRoutes.begin(), settings_.exemptRoutes.end()),
      limiter_(settings_.limits, time),
      metrics_(metrics) {
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

void RateLimitMiddleware::handle(Request& request, Response& response, const Next& next) {
    if (exempt_.count(request.routePattern()) != 0) {
        next();
        return;
    }
    const auto decision = limiter_.admit(clientKey(request, settings_.key));
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
    response.setHeader("RateLimit-Policy", policyHeader_);
    response.setHeader("RateLimit", "\"keel\";r=" + std::to_string(static_cast<long>(decision.remaining)) +
                                        ";t=" + std::to_string(std::max(0L, reset)));
}

}  // namespace keel::plugins::resilience
