// Token refill and the keyed limiter with LRU eviction.
#include "token_bucket.h"

#include <algorithm>
#include <cmath>

namespace keel::plugins::resilience {

TokenBucket::Decision TokenBucket::tryTake(Clock::time_point now) {
    if (now > last_) {
        tokens_ = std::min(burst_, tokens_ + rate_ * std::chrono::duration<double>(now - last_).count());
        last_ = now;
    }
    if (tokens_ >= 1.0) {
        tokens_ -= 1.0;
        return {true, std::floor(tokens_), std::chrono::milliseconds(0)};
    }
    const double missing = 1.0 - tokens_;
    const auto wait = std::chrono::milliseconds(static_cast<long long>(std::ceil(1000.0 * missing / rate_)));
    return {false, 0, wait};
}

RateLimiter::RateLimiter(RateLimitConfig config, const TimeSource& time)
    : config_(config), time_(time), global_(config.rate, std::max(1.0, config.burst), time.now()) {}

TokenBucket::Decision RateLimiter::admit(const std::string& key) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto now = time_.now();
    TokenBucket::Decision keyed{true, 0, std::chrono::milliseconds(0)};
    TokenBucket* bucket = nullptr;
    if (config_.perKeyRate > 0) {
        auto found = byKey_.find(key);
        if (found == byKey_.end()) {
            if (recent_.size() >= config_.maxKeys) {  // forget the least recently seen client
                byKey_.erase(recent_.back().first);
                recent_.pop_back();
            }
            recent_.emplace_front(key, TokenBucket(config_.perKeyRate, std::max(1.0, config_.perKeyBurst), now));
            found = byKey_.emplace(key, recent_.begin()).first;
        } else {
            recent_.splice(recent_.begin(), recent_, found->second);
        }
        bucket = &found->second->second;
        keyed = bucket->tryTake(now);
        if (!keyed.allowed) return keyed;
    }
    if (config_.rate <= 0) return keyed;
    const auto global = global_.tryTake(now);
    if (!global.allowed && bucket != nullptr) bucket->refund();  // the key's token was not used
    if (bucket == nullptr || !global.allowed) return global;
    return {true, std::min(keyed.remaining, global.remaining), std::chrono::milliseconds(0)};
}

double TokenBucket::available(Clock::time_point now) const {
    if (now <= last_) return tokens_;
    return std::min(burst_, tokens_ + rate_ * std::chrono::duration<double>(now - last_).count());
}

double RateLimiter::globalTokens() const {
    if (config_.rate <= 0) return config_.burst;
    std::lock_guard<std::mutex> lock(mutex_);
    return global_.available(time_.now());
}

std::size_t RateLimiter::rememberedKeys() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return recent_.size();
}

}  // namespace keel::plugins::resilience
