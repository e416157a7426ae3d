// Policy and rate-limit keys. Classic names map onto the default policy: CB_THRESHOLD ->
// failure_threshold, CB_TIMEOUT -> open_duration, BULKHEAD_SIZE -> max_concurrent,
// RATE_LIMIT_RPS -> rate_limit.rps (the host's alias table).
#include "resilience_settings.h"

#include "redis_rate_limiter.h"


#include <sstream>

namespace keel::plugins::resilience {

namespace {
constexpr double kHour = 3600.0 * 1000.0;

std::string prefix(const std::string& name) { return "policy." + name + "."; }
}  // namespace

std::vector<ConfigKey> policyKeys() {
    using K = ConfigKey;
    return {
        K::integer("max_concurrent", 50, "Bulkhead: calls at once (classic BULKHEAD_SIZE for the default policy).")
            .range(1, 100000),
        K::integer("max_queue", 0, "Bulkhead: callers that may wait for a slot (0: reject when full).").range(0, 100000),
        K::duration("max_wait", "0ms", "Bulkhead: longest wait for a slot.").range(0, kHour),
        K::duration("timeout", "10s", "Overall deadline of a call, retries and backoff included.").range(1, kHour),
        K::duration("attempt_timeout", "2s", "Deadline of one attempt.").range(1, kHour),
        K::integer("max_attempts", 3, "Attempts including the first (1: no retry).").range(1, 100),
        K::duration("backoff_base", "100ms", "Retry: base of the exponential backoff (full jitter).").range(0, kHour),
        K::duration("backoff_max", "2s", "Retry: cap of the backoff.").range(0, kHour),
        K::number("retry_budget_ratio", "0.2", "Retry budget: retries allowed per call over the window.").range(0, 10),
        K::duration("retry_budget_window", "10s", "Retry budget: sliding window.").range(1000, kHour),
        K::integer("retry_budget_min", 10, "Retry budget: retries always allowed per window.").range(0, 1000000),
        K::string("breaker_window", "count", "Breaker window: the last N calls (count) or N seconds (time).")
            .oneOf({"count", "time"}),
        K::integer("breaker_window_size", 100, "Breaker window size: calls, or seconds.").range(1, 100000),
        K::number("failure_rate_threshold", "50", "Breaker opens at this failure rate (percent).").range(1, 100),
        K::number("slow_call_rate_threshold", "100",
                  "Breaker opens at this rate of slow calls (percent; 100 disables).")
            .range(1, 100),
        K::duration("slow_call_duration", "5s", "A call at least this long is slow.").range(1, kHour),
        K::integer("minimum_calls", 20, "Calls in the window before the rates may open the breaker.").range(1, 100000),
        K::duration("open_duration", "30s", "Time open before half-open (classic CB_TIMEOUT).").range(1, kHour),
        K::integer("half_open_calls", 5, "Trial calls in half-open; all must succeed to close.").range(1, 10000),
        K::integer("failure_threshold", 0,
                   "Also open after this many consecutive failures (0: off; classic CB_THRESHOLD).")
            .range(0, 100000),
    };
}

std::vector<ConfigKey> policyKeysFor(const std::string& name, const std::map<std::string, std::string>& defaults) {
    std::vector<ConfigKey> keys;
    for (auto key : policyKeys()) {
        const auto inherited = defaults.find(key.name);
        if (inherited != defaults.end()) key.defaultValue = inherited->second;
        if (name != "default") key.description += " Default: the default policy's value.";
        key.name = prefix(name) + key.name;
        keys.push_back(std::move(key));
    }
    return keys;
}

std::map<std::string, std::string> policyValues(const Settings& settings, const std::string& name) {
    std::map<std::string, std::string> values;
    for (const auto& key : policyKeys()) {
        const std::string full = prefix(name) + key.name;
        switch (key.type) {
            case ConfigType::Integer: values[key.name] = std::to_string(settings.getInt(full)); break;
            case ConfigType::Duration: values[key.name] = std::to_string(settings.getDuration(full).count()) + "ms"; break;
            case ConfigType::Double: {
                std::ostringstream text;
                text << settings.getDouble(full);
                values[key.name] = text.str();
                break;
            }
            case ConfigType::Boolean: values[key.name] = settings.getBool(full) ? "true" : "false"; break;
            case ConfigType::String: values[key.name] = settings.getString(full); break;
        }
    }
    return values;
}

PolicyConfig readPolicy(const Settings& settings, const std::string& name) {
    const std::string p = prefix(name);
    PolicyConfig config;
    config.bulkhead.maxConcurrent = static_cast<int>(settings.getInt(p + "max_concurrent"));
    config.bulkhead.maxQueue = static_cast<int>(settings.getInt(p + "max_queue"));
    config.bulkhead.maxWait = settings.getDuration(p + "max_wait");
    config.timeout = settings.getDuration(p + "timeout");
    config.attemptTimeout = settings.getDuration(p + "attempt_timeout");
    config.retry.maxAttempts = static_cast<int>(settings.getInt(p + "max_attempts"));
    config.retry.baseDelay = settings.getDuration(p + "backoff_base");
    config.retry.maxDelay = settings.getDuration(p + "backoff_max");
    config.retry.budgetRatio = settings.getDouble(p + "retry_budget_ratio");
    config.retry.budgetWindow = settings.getDuration(p + "retry_budget_window");
    config.retry.budgetMinimumRetries = static_cast<int>(settings.getInt(p + "retry_budget_min"));
    config.breaker.window = settings.getString(p + "breaker_window") == "time" ? CircuitBreakerConfig::Window::Time
                                                                                : CircuitBreakerConfig::Window::Count;
    config.breaker.windowSize = static_cast<int>(settings.getInt(p + "breaker_window_size"));
    config.breaker.failureRateThreshold = settings.getDouble(p + "failure_rate_threshold");
    config.breaker.slowCallRateThreshold = settings.getDouble(p + "slow_call_rate_threshold");
    config.breaker.slowCallDuration = settings.getDuration(p + "slow_call_duration");
    config.breaker.minimumCalls = static_cast<int>(settings.getInt(p + "minimum_calls"));
    config.breaker.openDuration = settings.getDuration(p + "open_duration");
    config.breaker.halfOpenCalls = static_cast<int>(settings.getInt(p + "half_open_calls"));
    config.breaker.consecutiveFailures = static_cast<int>(settings.getInt(p + "failure_threshold"));
    if (config.attemptTimeout > config.timeout) {
        throw ConfigError("resilience." + p + "attempt_timeout (" + std::to_string(config.attemptTimeout.count()) +
                          "ms) is longer than resilience." + p + "timeout (" + std::to_string(config.timeout.count()) +
                          "ms): expected attempt_timeout <= timeout");
    }
    if (config.retry.baseDelay > config.retry.maxDelay) {
        throw ConfigError("resilience." + p + "backoff_base is longer than resilience." + p +
                          "backoff_max: expected backoff_base <= backoff_max");
    }
    return config;
}

std::vector<ConfigKey> rateLimitKeys() {
    using K = ConfigKey;
    return {
        K::number("rate_limit.rps", "0", "Global requests per second (0: off; classic RATE_LIMIT_RPS).")
            .range(0, 1e9),
        K::integer("rate_limit.burst", 0, "Global burst (0: one second's worth of rps).").range(0, 1e9),
        K::number("rate_limit.per_key_rps", "0", "Requests per second per client key (0: off).")
            .range(0, 1e9),
        K::integer("rate_limit.per_key_burst", 0, "Burst per client key (0: one second's worth).")
            .range(0, 1e9),
        K::string("rate_limit.key", "remote_address",
                  "Client key: remote_address, or header:<Name> (an API key header, or the "
                  "authenticated-user header an auth middleware sets)."),
        K::integer("rate_limit.max_keys", 10000, "Client keys remembered (least recent forgotten).")
            .range(1, 10000000),
        K::string("rate_limit.exempt_routes", "/health,/ready,/live,/metrics",
                  "Route patterns never limited, comma-separated."),
        K::string("rate_limit.listeners", "public", "Listeners the limiter guards, comma-separated."),
        K::string("rate_limit.redis_url", "",
                  "Share the limits across instances through Redis: redis://[:password@]host[:port][/db]. "
                  "Empty: each instance limits on its own (a fleet of N lets N times the limits through).")
            .secretValue(),
        K::string("rate_limit.redis_failure", "open",
                  "When Redis does not answer: open lets requests through unlimited, closed answers 503.")
            .oneOf({"open", "closed"}),
        K::duration("rate_limit.redis_timeout", "100ms",
                    "Longest wait for Redis (connect or answer) before redis_failure applies.")
            .range(1, 10000),
        K::string("rate_limit.redis_key_prefix", "keel:rate_limit:",
                  "Prefix of the Redis keys holding the buckets (one per fleet sharing a Redis)."),
    };
}

RateLimitSettings readRateLimit(const Settings& settings) {
    RateLimitSettings limit;
    limit.limits.rate = settings.getDouble("rate_limit.rps");
    limit.limits.burst = static_cast<double>(settings.getInt("rate_limit.burst"));
    if (limit.limits.burst <= 0) limit.limits.burst = std::max(1.0, limit.limits.rate);
    limit.limits.perKeyRate = settings.getDouble("rate_limit.per_key_rps");
    limit.limits.perKeyBurst = static_cast<double>(settings.getInt("rate_limit.per_key_burst"));
    if (limit.limits.perKeyBurst <= 0) limit.limits.perKeyBurst = std::max(1.0, limit.limits.perKeyRate);
    limit.limits.maxKeys = static_cast<std::size_t>(settings.getInt("rate_limit.max_keys"));
    limit.key = settings.getString("rate_limit.key");
    if (limit.key != "remote_address" && (limit.key.rfind("header:", 0) != 0 || limit.key.size() <= 7)) {
        throw ConfigError("resilience.rate_limit.key = \"" + limit.key +
                          "\": expected remote_address or header:<Name>");
    }
    limit.exemptRoutes = settings.getList("rate_limit.exempt_routes");
    limit.listeners = settings.getList("rate_limit.listeners");
    limit.redisUrl = settings.getString("rate_limit.redis_url");
    if (!limit.redisUrl.empty()) {
        try {
            RedisTarget::parse(limit.redisUrl);
        } catch (const std::invalid_argument& error) {
            throw ConfigError("resilience.rate_limit.redis_url = \"" + redactSecrets(limit.redisUrl) +
                              "\": " + error.what());
        }
    }
    limit.redisFailOpen = settings.getString("rate_limit.redis_failure") == "open";
    limit.redisTimeout = settings.getDuration("rate_limit.redis_timeout");
    limit.redisKeyPrefix = settings.getString("rate_limit.redis_key_prefix");
    return limit;
}

}  // namespace keel::plugins::resilience
