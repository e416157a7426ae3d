// RedisRateLimiter: EVALSHA of one token-bucket script (EVAL when Redis lost it), pooled clients.
#include "redis_rate_limiter.h"

#include <Poco/Exception.h>
#include <Poco/NumberParser.h>
#include <Poco/Redis/Array.h>
#include <Poco/Redis/Exception.h>
#include <Poco/SHA1Engine.h>
#include <Poco/URI.h>

#include <cmath>
#include <functional>
#include <stdexcept>

namespace keel::plugins::resilience {

namespace {

// KEYS: the buckets a request needs a token from (global, per client); ARGV: rate and burst of
// each. Every bucket is refilled on Redis's clock; a token is taken from all of them, or from
// none when one is empty. Returns {allowed, whole tokens left, milliseconds until a token}.
// Buckets expire once they would be full again, so idle clients cost no memory.
const char* const kTokenBucketScript = R"lua(
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local tokens = {}
local allowed = 1
local wait = 0
for i, key in ipairs(KEYS) do
  local rate = tonumber(ARGV[2 * i - 1])
  local burst = tonumber(ARGV[2 * i])
  local state = redis.call('HMGET', key, 'tokens', 'at')
  local level = tonumber(state[1]) or burst
  local at = tonumber(state[2]) or now
  level = math.min(burst, level + math.max(0, now - at) * rate)
  tokens[i] = level
  if level < 1 then
    allowed = 0
    wait = math.max(wait, (1 - level) / rate)
  end
end
local remaining = -1
for i, key in ipairs(KEYS) do
  local rate = tonumber(ARGV[2 * i - 1])
  local burst = tonumber(ARGV[2 * i])
  local level = tokens[i]
  if allowed == 1 then level = level - 1 end
  redis.call('HSET', key, 'tokens', tostring(level), 'at', tostring(now))
  redis.call('PEXPIRE', key, math.ceil((burst - level) / rate * 1000) + 1000)
  if remaining < 0 or level < remaining then remaining = level end
end
return {allowed, tostring(math.floor(remaining)), tostring(math.ceil(wait * 1000))}
)lua";

std::string sha1Hex(const std::string& text) {
    Poco::SHA1Engine engine;
    engine.update(text);
    return Poco::DigestEngine::digestToHex(engine.digest());
}

}  // namespace

struct RedisRateLimiter::Connection {
    Poco::Redis::Client client;
};

RedisTarget RedisTarget::parse(const std::string& url) {
    Poco::URI uri;
    try {
        uri = Poco::URI(url);
    } catch (const Poco::Exception&) {
        throw std::invalid_argument("not a URL; expected redis://[:password@]host[:port][/db]");
    }
    if (uri.getScheme() != "redis") {
        throw std::invalid_argument("scheme \"" + uri.getScheme() + "\"; expected redis://[:password@]host[:port][/db]");
    }
    if (uri.getHost().empty()) throw std::invalid_argument("no host; expected redis://[:password@]host[:port][/db]");
    RedisTarget target;
    target.host = uri.getHost();
    target.port = uri.getPort() != 0 ? uri.getPort() : 6379;
    const std::string userInfo = uri.getUserInfo();
    const auto colon = userInfo.find(':');
    if (colon != std::string::npos) target.password = userInfo.substr(colon + 1);
    std::string path = uri.getPath();
    if (!path.empty() && path != "/") {
        int database = 0;
        if (!Poco::NumberParser::tryParse(path.substr(1), database) || database < 0) {
            throw std::invalid_argument("database \"" + path.substr(1) + "\" is not a number");
        }
        target.database = database;
    }
    return target;
}

RedisRateLimiter::RedisRateLimiter(RedisTarget target, RateLimitConfig limits, std::string keyPrefix,
                                   std::chrono::milliseconds timeout)
    : target_(std::move(target)),
      limits_(limits),
      keyPrefix_(std::move(keyPrefix)),
      timeout_(timeout),
      scriptSha_(sha1Hex(kTokenBucketScript)),
      globalBucket_(keyPrefix_ + "global") {
    // The script's ARGV, rate and burst of each bucket a request takes from: fixed for the
    // limiter's life, so built once rather than per request.
    if (limits_.rate > 0) bucketArguments_ = {std::to_string(limits_.rate), std::to_string(limits_.burst)};
    if (limits_.perKeyRate > 0) {
        bucketArguments_.push_back(std::to_string(limits_.perKeyRate));
        bucketArguments_.push_back(std::to_string(limits_.perKeyBurst));
    }
}

RedisRateLimiter::~RedisRateLimiter() = default;

const std::string& RedisRateLimiter::script() {
    static const std::string text = kTokenBucketScript;
    return text;
}

std::unique_ptr<RedisRateLimiter::Connection> RedisRateLimiter::borrow() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!idle_.empty()) {
            auto connection = std::move(idle_.back());
            idle_.pop_back();
            return connection;
        }
    }
    auto connection = std::make_unique<Connection>();
    const Poco::Timespan timeout(std::chrono::duration_cast<std::chrono::microseconds>(timeout_).count());
    connection->client.connect(target_.host, target_.port, timeout);
    connection->client.setReceiveTimeout(timeout);
    if (!target_.password.empty()) {
        Poco::Redis::Array auth;
        auth << "AUTH" << target_.password;
        connection->client.execute<std::string>(auth);
    }
    if (target_.database != 0) {
        Poco::Redis::Array select;
        select << "SELECT" << std::to_string(target_.database);
        connection->client.execute<std::string>(select);
    }
    return connection;
}

void RedisRateLimiter::giveBack(std::unique_ptr<Connection> connection) {
    std::lock_guard<std::mutex> lock(mutex_);
    idle_.push_back(std::move(connection));
}

std::string RedisRateLimiter::bucketName(const std::string& key) const {
    // Client keys can be long header values: past 64 bytes the bucket is named by their hash.
    if (key.size() <= 64) return keyPrefix_ + "key:" + key;
    return keyPrefix_ + "key#" + sha1Hex(key);
}

std::optional<TokenBucket::Decision> RedisRateLimiter::admit(const std::string& key, std::string& error) {
    const auto now = std::chrono::steady_clock::now();
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (now < quietUntil_) {
            error = "redis failed less than a second ago";
            return std::nullopt;
        }
    }
    std::vector<std::string> keys;
    if (limits_.rate > 0) keys.push_back(globalBucket_);
    if (limits_.perKeyRate > 0) keys.push_back(bucketName(key));
    const auto command = [&](const std::string& verb, const std::string& body) {
        Poco::Redis::Array call;
        call << verb << body << std::to_string(keys.size());
        for (const auto& name : keys) call << name;
        for (const auto& argument : bucketArguments_) call << argument;
        return call;
    };
    std::unique_ptr<Connection> connection;
    try {
        connection = borrow();
        Poco::Redis::Array reply;
        try {
            reply = connection->client.execute<Poco::Redis::Array>(command("EVALSHA", scriptSha_));
        } catch (const Poco::Redis::RedisException& noScript) {
            // A restarted or flushed Redis forgot the script: send it whole once.
            if (std::string(noScript.message()).rfind("NOSCRIPT", 0) != 0) throw;
            reply = connection->client.execute<Poco::Redis::Array>(command("EVAL", kTokenBucketScript));
        }
        TokenBucket::Decision decision{};
        decision.allowed = reply.get<Poco::Int64>(0) == 1;
        decision.remaining = std::stod(reply.get<Poco::Redis::BulkString>(1).value());
        decision.retryAfter = std::chrono::milliseconds(std::stoll(reply.get<Poco::Redis::BulkString>(2).value()));
        giveBack(std::move(connection));
        return decision;
    } catch (const std::exception& failure) {
        // The connection's state is unknown (a reply may still be on its way): it is dropped.
        const auto* poco = dynamic_cast<const Poco::Exception*>(&failure);
        error = poco != nullptr ? poco->displayText() : failure.what();
        std::lock_guard<std::mutex> lock(mutex_);
        quietUntil_ = std::chrono::steady_clock::now() + std::chrono::seconds(1);
        return std::nullopt;
    }
}

}  // namespace keel::plugins::resilience
