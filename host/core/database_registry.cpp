// Pools, URL parsing and migrations. Every Statement here runs once and is discarded: re-running
// a Poco PostgreSQL statement after a failure can crash in PQclear (docs/design-notes.md).
#include "database_registry.h"

#include <Poco/Data/DataException.h>
#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/Exception.h>
#include <Poco/URI.h>
#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <sstream>

namespace keel::host {

using namespace Poco::Data::Keywords;

namespace {

constexpr double kHour = 3600.0 * 1000.0;
// pg_advisory_lock key for "keel migrations": hosts starting together migrate one at a time.
constexpr long long kMigrationLock = 4242001;

// libpq keyword values: bare when plain (Poco's PostgreSQL connector mangles quoted values that
// need no quoting), single-quoted with backslash escapes otherwise.
std::string quoteConnInfo(const std::string& value) {
    const bool plain = !value.empty() && value.find_first_of(" '\\\t\n") == std::string::npos;
    if (plain) return value;
    std::string quoted = "'";
    for (char c : value) {
        if (c == '\'' || c == '\\') quoted += '\\';
        quoted += c;
    }
    return quoted + "'";
}

std::vector<std::string> splitStatements(const std::string& sql) {
    std::vector<std::string> statements;
    std::istringstream in(sql);
    std::string line;
    std::string current;
    while (std::getline(in, line)) {
        const auto last = line.find_last_not_of(" \t\r");
        const bool ends = last != std::string::npos && line[last] == ';';
        current += (ends ? line.substr(0, last) : line) + "\n";
        if (ends) {
            if (current.find_first_not_of(" \t\r\n") != std::string::npos) statements.push_back(current);
            current.clear();
        }
    }
    if (current.find_first_not_of(" \t\r\n") != std::string::npos) statements.push_back(current);
    return statements;
}

std::string nowText() {
    return std::to_string(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

}  // namespace

ConnectionTarget parseDatabaseUrl(const std::string& url, const DatabaseSettings& settings) {
    if (url.rfind("sqlite:", 0) == 0) {
        std::string path = url.substr(7);
        if (path.rfind("//", 0) == 0) path = path.substr(2);  // sqlite:///abs/path -> /abs/path
        if (path.empty()) {
            throw ConfigError("database.url = \"" + url + "\": expected sqlite:<file> or sqlite::memory:");
        }
        return {SqlDialect::SQLite, "sqlite", path};
    }
    if (url.rfind("postgresql://", 0) != 0 && url.rfind("postgres://", 0) != 0) {
        throw ConfigError("database.url = \"" + redactSecrets(url) +
                          "\": expected postgresql://user:password@host:port/database or sqlite:<file>");
    }
    Poco::URI uri;
    try {
        uri = Poco::URI(url);
    } catch (const Poco::Exception& error) {
        throw ConfigError("database.url = \"" + redactSecrets(url) + "\": not a valid URL (" + error.message() + ")");
    }
    std::string user = uri.getUserInfo();
    std::string password;
    if (const auto colon = user.find(':'); colon != std::string::npos) {
        password = user.substr(colon + 1);
        user = user.substr(0, colon);
    }
    std::string decodedUser;
    std::string decodedPassword;
    Poco::URI::decode(user, decodedUser);
    Poco::URI::decode(password, decodedPassword);
    if (!settings.passwordFile.empty()) {
        // Production configurations hold no password: it lives in a file only keel can read.
        const std::string key = "database.password_file = \"" + settings.passwordFile + "\"";
        if (!decodedPassword.empty()) {
            throw ConfigError(key + ": database.url carries a password too; keep one of them");
        }
        decodedPassword = readSecretFile("database.password_file", settings.passwordFile);
    }
    std::string database = uri.getPath();
    if (!database.empty() && database[0] == '/') database = database.substr(1);
    if (uri.getHost().empty() || database.empty()) {
        throw ConfigError("database.url = \"" + redactSecrets(url) +
                          "\": expected postgresql://user:password@host:port/database (host and database are required)");
    }
    std::string info = "host=" + quoteConnInfo(uri.getHost()) + " port=" + std::to_string(uri.getPort() ? uri.getPort() : 5432) +
                       " dbname=" + quoteConnInfo(database);
    if (!decodedUser.empty()) info += " user=" + quoteConnInfo(decodedUser);
    if (!decodedPassword.empty()) info += " password=" + quoteConnInfo(decodedPassword);
    const auto connectSeconds = std::max<long long>(2, (settings.connectTimeout.count() + 999) / 1000);
    info += " connect_timeout=" + std::to_string(connectSeconds);
    // "-cname=value" (no space) needs no quoting.
    info += " options=-cstatement_timeout=" + std::to_string(settings.statementTimeout.count());
    for (const auto& [key, value] : uri.getQueryParameters()) info += " " + key + "=" + quoteConnInfo(value);
    return {SqlDialect::PostgreSQL, "postgresql", info};
}

DatabasePool::DatabasePool(std::string name, const DatabaseSettings& settings, std::shared_ptr<spdlog::logger> logger,
                           Clock clock)
    : name_(std::move(name)),
      settings_(settings),
      target_(parseDatabaseUrl(settings.url, settings)),
      logger_(std::move(logger)),
      clock_(std::move(clock)) {
    logger_->info("database pool {}: {} ({}), up to {} connections, {} kept idle, each at most {} ms old", name_,
                  redactSecrets(settings.url), sqlDialectName(target_.dialect), settings.maxConnections,
                  std::min(settings.maxIdle, settings.maxConnections), settings.connectionLifetime.count());
}

DatabasePool::~DatabasePool() {
    std::vector<IdleSession> idle;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        idle.swap(idle_);
    }
    closeAll(idle);
}

void DatabasePool::closeAll(std::vector<IdleSession>& sessions) {
    for (auto& idle : sessions) {
        try {
            idle.session.close();
        } catch (const Poco::Exception&) {
            // Closing a connection to a server that is gone: nothing left to do.
        }
    }
    sessions.clear();
}

bool DatabasePool::expired(const IdleSession& idle, std::chrono::steady_clock::time_point now) const {
    return now - idle.created >= settings_.connectionLifetime || now - idle.returned >= settings_.idleTimeout;
}

void DatabasePool::closeRetiring(std::vector<IdleSession>& sessions) {
    if (sessions.empty()) return;
    const int count = static_cast<int>(sessions.size());
    closeAll(sessions);
    {
        std::lock_guard<std::mutex> lock(mutex_);
        closing_ -= count;
    }
    for (int place = 0; place < count; ++place) freed_.notify_one();
}

PooledConnection DatabasePool::acquire(std::chrono::milliseconds wait) {
    std::optional<IdleSession> reused;
    std::vector<IdleSession> aged;
    {
        std::unique_lock<std::mutex> lock(mutex_);
        const auto waitStart = std::chrono::steady_clock::now();
        const bool slot =
            freed_.wait_for(lock, wait, [this] { return borrowed_ + closing_ < settings_.maxConnections; });
        if (metrics_.wait != nullptr) {
            metrics_.wait->Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - waitStart).count());
        }
        if (!slot) {
            if (metrics_.timeouts != nullptr) metrics_.timeouts->Increment();
            throw DatabaseUnavailable("database " + name_ + ": all " + std::to_string(settings_.maxConnections) +
                                      " connections busy for " + std::to_string(wait.count()) + "ms");
        }
        ++borrowed_;
        publishCountsLocked();
        // Every connection's age is capped, idle or busy (classic DATABASE_CONN_LIFE): behind a
        // pooler or after a failover, old connections must go.
        const auto now = clock_();
        for (auto it = idle_.begin(); it != idle_.end();) {
            if (expired(*it, now)) {
                aged.push_back(std::move(*it));
                it = idle_.erase(it);
            } else {
                ++it;
            }
        }
        closing_ += static_cast<int>(aged.size());
        if (!idle_.empty()) {  // the most recently returned: its server process is warm
            reused = std::move(idle_.back());
            idle_.pop_back();
            publishCountsLocked();
        } else if (now < reconnectAt_) {
            // The last connect failed moments ago: answer at once rather than let every request
            // wait out connect_timeout against a server that is down (backoff up to 2 s).
            --borrowed_;
            publishCountsLocked();
            lock.unlock();
            freed_.notify_one();
            closeRetiring(aged);
            throw DatabaseUnavailable("database " + name_ + " is unavailable (the last connection attempt failed; "
                                      "retrying with backoff)");
        }
    }
    closeRetiring(aged);
    try {
        IdleSession lent = reused ? std::move(*reused) : openTracked();
        auto release = [this, session = lent.session, created = lent.created]() mutable {
            giveBack(IdleSession{std::move(session), created, {}});  // giveBack() sets `returned`
        };
        return PooledConnection(lent.session, target_.dialect, std::move(release));
    } catch (const Poco::Exception& error) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            --borrowed_;
            publishCountsLocked();
        }
        freed_.notify_one();
        // libpq messages name host and database, never the password.
        throw DatabaseUnavailable("database " + name_ + " is unavailable: " + error.displayText());
    }
}

DatabasePool::IdleSession DatabasePool::openTracked() {
    bool probeFirst = false;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        probeFirst = !serverAccepted_;
    }
    try {
        IdleSession opened = open(probeFirst);
        std::lock_guard<std::mutex> lock(mutex_);
        reconnectBackoff_ = std::chrono::milliseconds(0);
        serverAccepted_ = true;
        return opened;
    } catch (const Poco::Exception&) {
        std::lock_guard<std::mutex> lock(mutex_);
        serverAccepted_ = false;
        reconnectBackoff_ = std::clamp(reconnectBackoff_ * 2, std::chrono::milliseconds(100), std::chrono::milliseconds(2000));
        reconnectAt_ = clock_() + reconnectBackoff_;
        throw;
    }
}

namespace {

// Poco 1.11's PostgreSQL connector never frees the libpq connection of a failed connect (about
// 100 KB each; LeakSanitizer shows it), so every retry during a database outage would grow the
// heap. Until the pool knows the server takes connections (at start-up, and after a failed
// connect), it connects with libpq first, which frees what it allocates, and lets Poco connect
// only once that worked. Throws with libpq's reason.
void requireServerAcceptingConnections(const std::string& connectionString) {
    PGconn* probe = PQconnectdb(connectionString.c_str());
    const bool connected = probe != nullptr && PQstatus(probe) == CONNECTION_OK;
    std::string reason = connected ? "" : probe != nullptr ? PQerrorMessage(probe) : "out of memory";
    PQfinish(probe);
    if (connected) return;
    while (!reason.empty() && std::isspace(static_cast<unsigned char>(reason.back()))) reason.pop_back();
    throw Poco::Data::ConnectionFailedException(reason);
}

}  // namespace

DatabasePool::IdleSession DatabasePool::open(bool probeFirst) {
    if (probeFirst && target_.dialect == SqlDialect::PostgreSQL) {
        requireServerAcceptingConnections(target_.connectionString);
    }
    Poco::Data::Session session(target_.connector, target_.connectionString);
    if (target_.dialect == SqlDialect::SQLite) {
        // WAL lets readers proceed while one writer commits; it is a property of the file, set on
        // first use so that creating a pool (--check-config) never touches the database.
        std::call_once(walOnce_, [&] { session << "PRAGMA journal_mode=WAL", now; });
        session << "PRAGMA busy_timeout=" + std::to_string(settings_.statementTimeout.count()), now;
    }
    const auto now = clock_();
    return IdleSession{std::move(session), now, now};
}

void DatabasePool::giveBack(IdleSession session) {
    // Idle from now on: the time it was busy is no idleness (only its age counts against it).
    session.returned = clock_();
    // A session left inside a transaction or on a dead connection is not handed out again.
    bool reusable = false;
    try {
        reusable = session.session.isConnected() && !session.session.isTransaction() &&
                   !expired(session, clock_());
    } catch (const Poco::Exception&) {
        reusable = false;
    }
    std::vector<IdleSession> closing;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        --borrowed_;
        if (reusable && static_cast<int>(idle_.size()) < settings_.maxIdle) {
            idle_.push_back(std::move(session));
        } else {
            closing.push_back(std::move(session));
            ++closing_;
        }
        publishCountsLocked();
    }
    if (closing.empty()) {
        freed_.notify_one();
    } else {
        closeRetiring(closing);  // frees its place once closed
    }
}

PooledConnection DatabasePool::openDedicated() {
    try {
        IdleSession own = openTracked();
        auto close = [session = own.session]() mutable {
            try {
                session.close();
            } catch (const Poco::Exception&) {
                // Already broken: nothing left to close.
            }
        };
        return PooledConnection(own.session, target_.dialect, std::move(close));
    } catch (const Poco::Exception& error) {
        throw DatabaseUnavailable("database " + name_ + " is unavailable: " + error.displayText());
    }
}

int DatabasePool::inUse() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return borrowed_;
}

void DatabasePool::setMetrics(PoolMetrics metrics) {
    std::lock_guard<std::mutex> lock(mutex_);
    metrics_ = metrics;
    publishCountsLocked();
}

void DatabasePool::publishCountsLocked() {
    if (metrics_.idle != nullptr) metrics_.idle->Set(static_cast<double>(idle_.size()));
    if (metrics_.busy != nullptr) metrics_.busy->Set(borrowed_);
}

void DatabaseRegistry::declareKeys(ConfigStore& config) {
    using K = ConfigKey;
    const std::vector<ConfigKey> keys = {
        K::string("database.url", "sqlite:keel.db",
                  "Default database: postgresql://user:password@host:port/db or sqlite:<file> (classic "
                  "DATABASE_URL). The password is never shown.")
            .secretValue(),
        K::string("database.password_file", "",
                  "File whose first line is the database password, for a database.url without one (libpq's "
                  "PGPASSFILE and ~/.pgpass work too)."),
        K::integer("database.max_conns", 25, "Connections at most (classic DATABASE_MAX_CONNS).").range(1, 10000),
        K::integer("database.max_idle", 10,
                   "Idle connections kept open at most; more are closed when returned (classic DATABASE_MAX_IDLE).")
            .range(0, 10000),
        K::duration("database.conn_lifetime", "5m",
                    "Age at which a connection is closed, idle or busy (when next returned or borrowed; classic "
                    "DATABASE_CONN_LIFE).")
            .range(1000, 24 * kHour),
        K::duration("database.idle_timeout", "5m",
                    "An idle connection unused this long is closed (when the pool is next used).")
            .range(1000, 24 * kHour),
        K::duration("database.connect_timeout", "5s", "Timeout of a new connection.").range(1000, kHour),
        K::duration("database.statement_timeout", "30s", "Longest time one statement may run.").range(1, kHour),
        K::duration("database.acquire_timeout", "2s",
                    "Longest wait for a free connection before the request gets 503.")
            .range(0, kHour),
        K::boolean("database.required_at_start", false,
                   "true: an unreachable database stops start-up (exit 1, the old fail-fast). false: plugins "
                   "that use it start anyway, their routes answer 503 and /ready fails until it is reachable "
                   "and their migrations are applied (retried in the background)."),
    };
    for (const auto& key : keys) config.declare("keel", key.name, key);
    Poco::Data::PostgreSQL::Connector::registerConnector();
    Poco::Data::SQLite::Connector::registerConnector();
}

DatabaseRegistry::DatabaseRegistry(ConfigStore& config, std::shared_ptr<spdlog::logger> logger)
    : config_(config), logger_(std::move(logger)) {}

DatabaseRegistry::~DatabaseRegistry() = default;

bool DatabaseRegistry::requiredAtStart() const { return config_.settings("database").getBool("required_at_start"); }

Database& DatabaseRegistry::get(const std::string& name) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& pool = pools_[name];
    if (pool) return *pool;
    if (name != "default") {
        pools_.erase(name);
        throw ConfigError("database pool '" + name + "' is not configured (only \"default\", from [database])");
    }
    const Settings settings = config_.settings("database");
    DatabaseSettings database;
    database.url = settings.getString("url");
    database.passwordFile = settings.getString("password_file");
    database.maxConnections = static_cast<int>(settings.getInt("max_conns"));
    database.maxIdle = static_cast<int>(settings.getInt("max_idle"));
    database.connectionLifetime = settings.getDuration("conn_lifetime");
    database.idleTimeout = settings.getDuration("idle_timeout");
    database.connectTimeout = settings.getDuration("connect_timeout");
    database.statementTimeout = settings.getDuration("statement_timeout");
    database.acquireTimeout = settings.getDuration("acquire_timeout");
    try {
        pool = std::make_unique<DatabasePool>(name, database, logger_);
        pool->setMetrics(metricsFor(name));
    } catch (...) {
        pools_.erase(name);
        throw;
    }
    return *pool;
}

void DatabaseRegistry::migrate(const std::string& plugin, Database& database, std::vector<Migration> migrations) {
    std::sort(migrations.begin(), migrations.end(), [](const auto& a, const auto& b) { return a.version < b.version; });
    try {
        migrateOn(plugin, database, migrations);
    } catch (const Poco::Exception& error) {
        // The server went away between statements: a state to wait out, like a refused connect.
        if (isConnectionLost(error)) throw DatabaseUnavailable("database " + database.name() + " is unavailable: " + error.displayText());
        throw std::runtime_error("migrations of plugin " + plugin + " failed on database " + database.name() + ": " +
                                 error.displayText());
    }
}

void DatabaseRegistry::migrateOn(const std::string& plugin, Database& database, const std::vector<Migration>& migrations) {
    auto connection = database.acquire(std::chrono::seconds(30));
    auto& session = connection.session();
    const bool postgres = database.dialect() == SqlDialect::PostgreSQL;
    if (postgres) session << "SELECT pg_advisory_lock(" + std::to_string(kMigrationLock) + ")", now;
    struct Unlock {
        Poco::Data::Session& session;
        bool postgres;
        ~Unlock() {
            if (!postgres) return;
            try {
                session << "SELECT pg_advisory_unlock(" + std::to_string(kMigrationLock) + ")", now;
            } catch (const Poco::Exception&) {
                // The connection died; the server released the lock with it.
            }
        }
    } unlock{session, postgres};

    session << "CREATE TABLE IF NOT EXISTS keel_migrations (plugin VARCHAR(64) NOT NULL, version INTEGER NOT NULL, "
               "name VARCHAR(200) NOT NULL, applied_at VARCHAR(32) NOT NULL, PRIMARY KEY (plugin, version))",
        now;
    int applied = 0;
    std::string owner = plugin;
    session << "SELECT COALESCE(MAX(version), 0) FROM keel_migrations WHERE plugin = $1", use(owner), into(applied), now;
    for (const auto& migration : migrations) {
        if (migration.version <= applied) continue;
        try {
            session.begin();
            for (const auto& statement : splitStatements(postgres ? migration.postgresqlSql : migration.sqliteSql)) {
                session << statement, now;
            }
            std::string name = migration.name;
            std::string appliedAt = nowText();
            int version = migration.version;  // Poco binds by non-const reference
            session << "INSERT INTO keel_migrations (plugin, version, name, applied_at) VALUES ($1, $2, $3, $4)",
                use(owner), use(version), use(name), use(appliedAt), now;
            session.commit();
            logger_->info("plugin {}: applied migration {} to database {}", plugin, migration.name, database.name());
        } catch (const Poco::Exception& error) {
            try {
                if (session.isTransaction()) session.rollback();
            } catch (...) {
                // Connection lost: the server rolled back.
            }
            if (isConnectionLost(error)) throw;  // migrate() makes it DatabaseUnavailable
            throw std::runtime_error("migration " + migration.name + " failed on database " + database.name() + ": " +
                                     error.displayText());
        }
    }
}

void DatabaseRegistry::exportMetrics(Metrics* metrics) {
    std::lock_guard<std::mutex> lock(mutex_);
    metrics_ = metrics;
    for (auto& [name, pool] : pools_) pool->setMetrics(metricsFor(name));
}

PoolMetrics DatabaseRegistry::metricsFor(const std::string& pool) const {
    if (metrics_ == nullptr) return {};
    auto& connections = metrics_->gauge("keel_db_pool_connections", "Database pool connections by state.", {});
    PoolMetrics series;
    series.idle = &connections.Add({{"pool", pool}, {"state", "idle"}});
    series.busy = &connections.Add({{"pool", pool}, {"state", "busy"}});
    series.wait = &metrics_
                       ->histogram("keel_db_pool_wait_seconds", "Time a request waited for a database connection slot.", {})
                       .Add({{"pool", pool}}, prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.005, 0.01, 0.05,
                                                                                      0.1, 0.25, 0.5, 1, 2, 5});
    series.timeouts = &metrics_
                           ->counter("keel_db_pool_timeouts_total",
                                     "Requests that got no database connection within database.acquire_timeout.", {})
                           .Add({{"pool", pool}});
    return series;
}

std::vector<HealthCheck> DatabaseRegistry::healthChecks() {
    std::vector<HealthCheck> checks;
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [name, pool] : pools_) {
        DatabasePool* database = pool.get();
        HealthCheck check;
        check.name = "database" + (name == "default" ? std::string() : ":" + name);
        check.componentType = "datastore";
        check.timeout = std::chrono::seconds(2);
        check.readiness = true;  // a host whose database is down cannot serve: /ready says so
        check.run = [database] {
            try {
                auto connection = database->acquire(std::min<std::chrono::milliseconds>(database->acquireTimeout(),
                                                                                         std::chrono::seconds(1)));
                int one = 0;
                connection.session() << "SELECT 1", into(one), now;
                return HealthCheckResult{HealthStatus::Pass, ""};
            } catch (const std::exception& error) {
                return HealthCheckResult{HealthStatus::Fail, describeError(error)};
            }
        };
        checks.push_back(std::move(check));
    }
    return checks;
}

}  // namespace keel::host
