// The host's database pools: created from [database] on first use by a plugin, each a set of
// plain Poco::Data sessions (so keel::query() reaches the PostgreSQL connection below them)
// behind a counting semaphore with a timeout, idle connections capped in number and every
// connection in age; with a health check and the migration runner. Thread-safe.
#pragma once

#include <Poco/Data/Session.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <spdlog/logger.h>

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>  // std::once_flag too
#include <optional>
#include <string>
#include <vector>

#include "config_store.h"
#include "keel/database.h"
#include "keel/health.h"
#include "keel/metrics.h"

namespace keel::host {

struct DatabaseSettings {
    std::string url;
    std::string passwordFile;  // database.password_file: the password, when the URL has none
    int maxConnections = 25;
    int maxIdle = 10;
    std::chrono::milliseconds connectionLifetime{300000};
    std::chrono::milliseconds idleTimeout{300000};
    std::chrono::milliseconds connectTimeout{5000};
    std::chrono::milliseconds statementTimeout{30000};
    std::chrono::milliseconds acquireTimeout{2000};
};

// What Poco::Data needs from a database.url: connector name and its connection string.
struct ConnectionTarget {
    SqlDialect dialect;
    std::string connector;          // "postgresql", "sqlite"
    std::string connectionString;   // libpq keywords, or the SQLite file
};

// Parses postgresql://user:password@host:port/db?param=value (also postgres://) and
// sqlite:<path> / sqlite::memory:. Throws ConfigError naming the key, without the password.
ConnectionTarget parseDatabaseUrl(const std::string& url, const DatabaseSettings& settings);

// A pool's series (all null: not exported).
struct PoolMetrics {
    prometheus::Gauge* idle = nullptr;
    prometheus::Gauge* busy = nullptr;
    prometheus::Histogram* wait = nullptr;        // time to get a connection slot
    prometheus::Counter* timeouts = nullptr;      // no slot within the wait
};

class DatabasePool final : public Database {
public:
    using Clock = std::function<std::chrono::steady_clock::time_point()>;
    // `clock` ages connections (tests pass a manual one).
    DatabasePool(std::string name, const DatabaseSettings& settings, std::shared_ptr<spdlog::logger> logger,
                 Clock clock = &std::chrono::steady_clock::now);
    ~DatabasePool() override;

    const std::string& name() const override { return name_; }
    SqlDialect dialect() const override { return target_.dialect; }
    PooledConnection acquire(std::chrono::milliseconds wait) override;
    std::chrono::milliseconds acquireTimeout() const override { return settings_.acquireTimeout; }
    PooledConnection openDedicated() override;
    int inUse() const;
    void setMetrics(PoolMetrics metrics);

private:
    struct IdleSession {
        Poco::Data::Session session;
        std::chrono::steady_clock::time_point created;
        std::chrono::steady_clock::time_point returned;  // when it last went idle
    };
    // A new connection; throws Poco::Exception. `probeFirst`: make sure with libpq that the server
    // takes connections before Poco connects (see requireServerAcceptingConnections).
    IdleSession open(bool probeFirst);
    // open(), remembering a failure so that the next attempts back off.
    IdleSession openTracked();
    // Back from a PooledConnection: kept idle, or closed when broken, too old or surplus.
    void giveBack(IdleSession session);
    bool expired(const IdleSession& idle, std::chrono::steady_clock::time_point now) const;
    void publishCountsLocked();
    static void closeAll(std::vector<IdleSession>& sessions);
    // Closes, outside the mutex, sessions the caller counted in closing_ under it, then frees
    // their places.
    void closeRetiring(std::vector<IdleSession>& sessions);

    const std::string name_;
    const DatabaseSettings settings_;
    const ConnectionTarget target_;
    std::shared_ptr<spdlog::logger> logger_;
    const Clock clock_;
    mutable std::mutex mutex_;
    std::condition_variable freed_;
    int borrowed_ = 0;
    // Connections being closed outside the mutex (surplus or broken on return, aged when found
    // idle): still open on the server, so they keep their places under max_conns until closed.
    int closing_ = 0;
    std::vector<IdleSession> idle_;  // most recently returned last
    std::chrono::steady_clock::time_point reconnectAt_{};  // no new connection attempt before
    std::chrono::milliseconds reconnectBackoff_{0};
    // The last connect succeeded: the server takes connections, so a new one skips the probe.
    bool serverAccepted_ = false;
    PoolMetrics metrics_;
    std::once_flag walOnce_;
};

class DatabaseRegistry {
public:
    DatabaseRegistry(ConfigStore& config, std::shared_ptr<spdlog::logger> logger);
    ~DatabaseRegistry();
    // Declares database.* (host keys); registers the Poco::Data connectors.
    static void declareKeys(ConfigStore& config);

    // The pool `name` ("default" only, for now), created on first use. Throws ConfigError.
    Database& get(const std::string& name);
    // Applies `migrations` newer than what `plugin` has recorded. Throws std::runtime_error
    // naming the migration and the database's message.
    // DatabaseUnavailable when the server cannot be reached (or went away midway): nothing was
    // half-applied, and the same call can be made again later.
    void migrate(const std::string& plugin, Database& database, std::vector<Migration> migrations);
    // database.required_at_start: an unreachable database stops start-up instead of being waited out.
    bool requiredAtStart() const;
    // A "database" health check per created pool (SELECT 1 within its timeout).
    std::vector<HealthCheck> healthChecks();
    // Exports keel_db_pool_* for every pool, now and later created, in `metrics` (the host's);
    // null stops it (before `metrics` goes away).
    void exportMetrics(Metrics* metrics);

private:
    void migrateOn(const std::string& plugin, Database& database, const std::vector<Migration>& migrations);

    ConfigStore& config_;
    std::shared_ptr<spdlog::logger> logger_;
    std::mutex mutex_;
    std::map<std::string, std::unique_ptr<DatabasePool>> pools_;
    Metrics* metrics_ = nullptr;
    PoolMetrics metricsFor(const std::string& pool) const;
};

}  // namespace keel::host
