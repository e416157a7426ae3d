// The token bucket (GCRA) and the keyed limiter with LRU eviction.
#include "token_bucket.h"

#include <algorithm>
#include <cmath>
#include <tuple>
#include <utility>

namespace keel::plugins::resilience {

TokenBucket::TokenBucket(double rate, double burst, Clock::time_point now)
    : rate_(rate), burst_(burst), nanosPerToken_(rate > 0 ? 1e9 / rate : 0), fullAt_(nanos(now)) {}

std::int64_t TokenBucket::nanos(Clock::time_point at) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch()).count();
}

double TokenBucket::tokens(std::int64_t fullAt, std::int64_t now) const {
    // Full from fullAt on; before it, short by one token per nanosPerToken_ still to go.
    return fullAt <= now ? burst_ : burst_ - static_cast<double>(fullAt - now) / nanosPerToken_;
}

TokenBucket::Decision TokenBucket::tryTake(Clock::time_point now) {
    const std::int64_t at = nanos(now);
    std::int64_t fullAt = fullAt_.load(std::memory_order_relaxed);
    for (;;) {
        const double before = tokens(fullAt, at);
        if (before < 1.0) {
            const auto wait = std::chrono::milliseconds(static_cast<long long>(std::ceil(1000.0 * (1.0 - before) / rate_)));
            return {false, 0, wait};
        }
        const std::int64_t taken = std::max(fullAt, at) + std::llround(nanosPerToken_);
        if (fullAt_.compare_exchange_weak(fullAt, taken, std::memory_order_relaxed)) {
            return {true, std::floor(before - 1.0), std::chrono::milliseconds(0)};
        }
    }
}

void TokenBucket::refund() {
    // Back by one token's time; a bucket already full stays full (tokens() caps at the burst).
    fullAt_.fetch_sub(std::llround(nanosPerToken_), std::memory_order_relaxed);
}

double TokenBucket::available(Clock::time_point now) const {
    return tokens(fullAt_.load(std::memory_order_relaxed), nanos(now));
}

RateLimiter::RateLimiter(RateLimitConfig config, const TimeSource& time)
    : config_(config), time_(time), global_(config.rate, std::max(1.0, config.burst), time.now()) {}

TokenBucket::Decision RateLimiter::admit(const std::string& key) {
    if (config_.perKeyRate <= 0) {  // the usual case: the global bucket alone, no lock
        if (config_.rate <= 0) return {true, 0, std::chrono::milliseconds(0)};
        return global_.tryTake(time_.now());
    }
    std::lock_guard<std::mutex> lock(mutex_);
    const auto now = time_.now();
    auto found = byKey_.find(key);
    if (found == byKey_.end()) {
        if (recent_.size() >= config_.maxKeys) {  // forget the least recently seen client
            byKey_.erase(recent_.back().first);
            recent_.pop_back();
        }
        recent_.emplace_front(std::piecewise_construct, std::forward_as_tuple(key),
                              std::forward_as_tuple(config_.perKeyRate, std::max(1.0, config_.perKeyBurst), now));
        found = byKey_.emplace(key, recent_.begin()).first;
    } else {
        recent_.splice(recent_.begin(), recent_, found->second);
    }
    TokenBucket& bucket = found->second->second;
    const auto keyed = bucket.tryTake(now);
    if (!keyed.allowed || config_.rate <= 0) return keyed;
    const auto global = global_.tryTake(now);
    if (!global.allowed) {
        bucket.refund();  // the key's token was not used
        return global;
    }
    return {true, std::min(keyed.remaining, global.remaining), std::chrono::milliseconds(0)};
}

double RateLimiter::globalTokens() const {
    if (config_.rate <= 0) return config_.burst;
    return global_.available(time_.now());
}

std::size_t RateLimiter::rememberedKeys() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return recent_.size();
}

}  // namespace keel::plugins::resilience
