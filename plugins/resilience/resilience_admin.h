// GET /admin/resilience (every pipeline's configuration and live state) and
// POST /admin/resilience/{pipeline}/breaker {"state": "open" | "closed" | "auto"}.
#pragma once

#include <vector>

#include <keel/route.h>

#include "rate_limit_middleware.h"
#include "resilience_service.h"

namespace keel::plugins::resilience {

std::vector<Route> adminRoutes(ResilienceRegistry& registry, const RateLimitMiddleware* rateLimit);

}  // namespace keel::plugins::resilience
