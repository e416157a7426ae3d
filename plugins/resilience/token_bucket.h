// Token-bucket rate limiting: `rate` tokens per second up to `burst`, globally and per client
// key, with a bounded number of remembered keys (least recently seen evicted). Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

#include "time_source.h"

namespace keel::plugins::resilience {

// `rate` tokens per second up to `burst`, its whole state in one atomic word: the instant at which
// it would be full again (the generic cell rate algorithm). So the global bucket, which every
// request takes from, is no lock all workers queue on. Thread-safe. Rates above 10^9 per second
// round to no limit.
class TokenBucket {
public:
    TokenBucket(double rate, double burst, Clock::time_point now);

    struct Decision {
        bool allowed;
        double remaining;                     // whole tokens left after this decision
        std::chrono::milliseconds retryAfter;  // until one token is back (0 when allowed)
    };
    Decision tryTake(Clock::time_point now);
    // Gives back a token taken but not used (never beyond the burst).
    void refund();
    // Tokens there would be at `now`, without taking one.
    double available(Clock::time_point now) const;

private:
    static std::int64_t nanos(Clock::time_point at);
    double tokens(std::int64_t fullAt, std::int64_t now) const;

    double rate_;
    double burst_;
    double nanosPerToken_;
    std::atomic<std::int64_t> fullAt_;  // nanoseconds on Clock's scale
};

struct RateLimitConfig {
    double rate = 0;          // global tokens per second; 0: no global limit
    double burst = 0;
    double perKeyRate = 0;    // per client key; 0: no per-key limit
    double perKeyBurst = 0;
    std::size_t maxKeys = 10000;
};

class RateLimiter {
public:
    RateLimiter(RateLimitConfig config, const TimeSource& time);
    // Both the key's bucket and the global one must have a token.
    TokenBucket::Decision admit(const std::string& key);
    std::size_t rememberedKeys() const;
    // Tokens left in the global bucket now (its burst when there is no global limit).
    double globalTokens() const;
    const RateLimitConfig& config() const { return config_; }

private:
    const RateLimitConfig config_;
    const TimeSource& time_;
    TokenBucket global_;        // taken without mutex_ when there is no per-key limit
    mutable std::mutex mutex_;  // the keyed buckets
    std::list<std::pair<std::string, TokenBucket>> recent_;  // most recent first
    std::unordered_map<std::string, std::list<std::pair<std::string, TokenBucket>>::iterator> byKey_;
};

}  // namespace keel::plugins::resilience
