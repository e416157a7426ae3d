// The resilience plugin's configuration schema, in one place: every policy key (returned for
// [resilience.policy.default] and for each pipeline in resilience.pipelines, whose defaults are
// the default policy's values) and the rate limiter's keys.
#pragma once

#include <string>
#include <vector>

#include <keel/config.h>

#include <map>

#include "resilience_pipeline.h"
#include "token_bucket.h"

namespace keel::plugins::resilience {

// The keys of one policy, relative to resilience.policy.<name>.
std::vector<ConfigKey> policyKeys();

// The keys policy.<name>.*, with `defaults` (key -> text) replacing the built-in defaults when given.
std::vector<ConfigKey> policyKeysFor(const std::string& name, const std::map<std::string, std::string>& defaults);
// The effective values of policy.<name>.*, as text, to seed another policy's defaults.
std::map<std::string, std::string> policyValues(const Settings& settings, const std::string& name);
// Throws ConfigError naming the key when values contradict each other.
PolicyConfig readPolicy(const Settings& settings, const std::string& name);

struct RateLimitSettings {
    RateLimitConfig limits;
    std::string key;  // "remote_address" or "header:<Name>"
    std::vector<std::string> exemptRoutes;
    std::vector<std::string> listeners;
    // Shared through Redis when set (redis://[:password@]host[:port][/db]); else per instance.
    std::string redisUrl;
    bool redisFailOpen = true;  // redis_failure: open lets requests through, closed answers 503
    std::chrono::milliseconds redisTimeout{100};
    std::string redisKeyPrefix;
    bool enabled() const { return limits.rate > 0 || limits.perKeyRate > 0; }
};

// The keys rate_limit.*.
std::vector<ConfigKey> rateLimitKeys();
RateLimitSettings readRateLimit(const Settings& settings);

}  // namespace keel::plugins::resilience
