// The rate limit shared by every instance of a fleet: the token buckets live in Redis, and one Lua
// script per request refills and takes from them atomically, on Redis's clock (instances' clocks
// may differ). Poco::Redis clients are not thread-safe: each request borrows one from a small
// pool. Every call is bounded by `timeout`; after a failure Redis is left alone for a second
// (a down Redis must not cost every request a connect timeout). Thread-safe.
#pragma once

#include <Poco/Redis/Client.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "token_bucket.h"

namespace keel::plugins::resilience {

// redis://[:password@]host[:port][/db], parsed; throws std::invalid_argument naming the problem
// (never the password).
struct RedisTarget {
    std::string host;
    int port = 6379;
    std::string password;
    int database = 0;
    static RedisTarget parse(const std::string& url);
};

class RedisRateLimiter {
public:
    RedisRateLimiter(RedisTarget target, RateLimitConfig limits, std::string keyPrefix,
                     std::chrono::milliseconds timeout);
    ~RedisRateLimiter();

    // The fleet-wide decision for a request from `key`, or nullopt when Redis did not answer
    // in time or answered an error (`error` says why; the caller applies redis_failure).
    std::optional<TokenBucket::Decision> admit(const std::string& key, std::string& error);

    // The script, for tests and for operators reading docs/security.md.
    static const std::string& script();

private:
    struct Connection;
    std::unique_ptr<Connection> borrow();
    void giveBack(std::unique_ptr<Connection> connection);
    std::string bucketName(const std::string& key) const;

    const RedisTarget target_;
    const RateLimitConfig limits_;
    const std::string keyPrefix_;
    const std::chrono::milliseconds timeout_;
    const std::string scriptSha_;
    const std::string globalBucket_;
    std::vector<std::string> bucketArguments_;  // rate and burst of each bucket, in KEYS order
    std::mutex mutex_;
    std::vector<std::unique_ptr<Connection>> idle_;
    std::chrono::steady_clock::time_point quietUntil_{};  // no attempt before, after a failure
};

}  // namespace keel::plugins::resilience
