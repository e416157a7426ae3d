// keel::query() and the host's pool on both dialects, against a real PostgreSQL (the cluster
// scripts/test starts, KEELTEST_DATABASE_URL) and a real SQLite file: statements prepared once
// per connection and re-executed after failures, a session that lost its statements, a killed
// backend, idle and age limits of the pool.
#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/SQLite/Connector.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <unistd.h>

#include <cstdlib>
#include <set>

#include "database_registry.h"
#include "keel/database.h"

namespace keel::host {
namespace {

std::string baseUrl() {
    const char* url = std::getenv("KEELTEST_DATABASE_URL");
    return url != nullptr ? url : "";
}

class DatabaseQueryTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        Poco::Data::PostgreSQL::Connector::registerConnector();
        Poco::Data::SQLite::Connector::registerConnector();
        static int sequence = 0;
        const std::string name = "keel_query_" + std::to_string(::getpid()) + "_" + std::to_string(++sequence);
        if (postgres()) {
            ASSERT_FALSE(baseUrl().empty()) << "KEELTEST_DATABASE_URL is not set: run the tests with scripts/test";
            admin_ = std::make_unique<DatabasePool>("admin", settingsFor(baseUrl()), logger());
            auto connection = admin_->acquire(std::chrono::seconds(5));
            query(connection, "CREATE DATABASE " + name);
            databaseName_ = name;
            url_ = baseUrl().substr(0, baseUrl().rfind('/') + 1) + name;
        } else {
            url_ = "sqlite:/tmp/" + name + ".db";
        }
        pool_ = std::make_unique<DatabasePool>("default", settingsFor(url_), logger());
        auto connection = pool_->acquire(std::chrono::seconds(5));
        query(connection, "CREATE TABLE things (id VARCHAR(16) PRIMARY KEY, amount BIGINT, note TEXT)");
    }
    void TearDown() override {
        pool_.reset();
        if (admin_ && !databaseName_.empty()) {
            auto connection = admin_->acquire(std::chrono::seconds(5));
            query(connection, "DROP DATABASE IF EXISTS " + databaseName_ + " WITH (FORCE)");
        }
        if (!postgres()) std::remove(url_.substr(7).c_str());
    }
    bool postgres() const { return GetParam() == "postgresql"; }
    static std::shared_ptr<spdlog::logger> logger() {
        return std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
    }
    DatabaseSettings settingsFor(const std::string& url) {
        DatabaseSettings settings;
        settings.url = url;
        settings.maxConnections = 4;
        settings.maxIdle = 2;
        return settings;
    }
    std::string backend(PooledConnection& connection) {
        return query(connection, postgres() ? "SELECT pg_backend_pid()" : "SELECT 1").string(0, 0);
    }

    std::string url_;
    std::string databaseName_;
    std::unique_ptr<DatabasePool> admin_;
    std::unique_ptr<DatabasePool> pool_;
};

TEST_P(DatabaseQueryTest, BindsTextIntegersAndNullsAndReadsThemBack) {
    auto connection = pool_->acquire(std::chrono::seconds(5));
    const auto inserted = query(connection, "INSERT INTO things (id, amount, note) VALUES ($1, $2, $3)",
                                {"a", std::int64_t{9007199254740993}, std::nullopt});
    EXPECT_EQ(inserted.affected(), 1);
    query(connection, "INSERT INTO things (id, amount, note) VALUES ($1, $2, $3)", {"b", -5, "it's \"quoted\""});
    const auto rows = query(connection, "SELECT id, amount, note FROM things WHERE amount > $1 ORDER BY id",
                            {std::int64_t{-10}});
    ASSERT_EQ(rows.size(), 2u);
    ASSERT_EQ(rows.columns(), 3u);
    EXPECT_EQ(rows.text(0, 0), "a");
    EXPECT_EQ(rows.integer(0, 1), 9007199254740993);
    EXPECT_TRUE(rows.isNull(0, 2));
    EXPECT_EQ(rows.integer(1, 1), -5);
    EXPECT_EQ(rows.text(1, 2), "it's \"quoted\"");
    EXPECT_THROW(rows.integer(1, 2), SqlError);
    EXPECT_THROW(rows.text(2, 0), std::out_of_range);
    EXPECT_EQ(query(connection, "UPDATE things SET note = $1", {"x"}).affected(), 2);
}

TEST_P(DatabaseQueryTest, AFailedStatementCanRunAgainOnTheSameConnection) {
    // Re-running a failed Poco PostgreSQL statement can crash; a failed prepared statement must
    // leave the connection and the statement usable (also run under ASan).
    auto connection = pool_->acquire(std::chrono::seconds(5));
    const std::string insert = "INSERT INTO things (id, amount) VALUES ($1, $2)";
    query(connection, insert, {"dup", 1});
    for (int i = 0; i < 3; ++i) {
        try {
            query(connection, insert, {"dup", 2});
            FAIL() << "a duplicate key was accepted";
        } catch (const SqlError& error) {
            if (postgres()) {
                EXPECT_EQ(error.sqlState(), "23505") << error.what();
            }
            EXPECT_EQ(sqlState(error), error.sqlState());
            EXPECT_FALSE(error.connectionLost());
            EXPECT_FALSE(isConnectionLost(error));
        }
    }
    query(connection, insert, {"fresh", 3});
    EXPECT_EQ(query(connection, "SELECT COUNT(*) FROM things").integer(0, 0), 2);
}

TEST_P(DatabaseQueryTest, RunsInsideATransactionAndRollsBack) {
    EXPECT_THROW(inTransaction(*pool_,
                               [&](PooledConnection& connection) {
                                   query(connection, "INSERT INTO things (id, amount) VALUES ($1, $2)", {"t", 1});
                                   query(connection, "INSERT INTO things (id, amount) VALUES ($1, $2)", {"t", 2});
                               }),
                 SqlError);
    auto connection = pool_->acquire(std::chrono::seconds(5));
    EXPECT_EQ(query(connection, "SELECT COUNT(*) FROM things").integer(0, 0), 0);
}

TEST_P(DatabaseQueryTest, ASessionThatLostItsStatementsPreparesThemAgain) {
    if (!postgres()) GTEST_SKIP() << "prepared statements per connection are PostgreSQL's";
    auto connection = pool_->acquire(std::chrono::seconds(5));
    const std::string select = "SELECT COUNT(*) FROM things WHERE amount > $1";
    EXPECT_EQ(query(connection, select, {0}).integer(0, 0), 0);
    query(connection, "DEALLOCATE ALL");  // what a pooler's DISCARD ALL does behind our back
    EXPECT_EQ(query(connection, select, {0}).integer(0, 0), 0);
}

TEST_P(DatabaseQueryTest, AKilledBackendIsReportedAsALostConnectionAndNotPooledAgain) {
    if (!postgres()) GTEST_SKIP() << "no server process to kill in SQLite";
    std::string victim;
    {
        auto connection = pool_->acquire(std::chrono::seconds(5));
        victim = backend(connection);
        auto killer = admin_->acquire(std::chrono::seconds(5));
        query(killer, "SELECT pg_terminate_backend($1)", {static_cast<std::int64_t>(std::stoll(victim))});
        try {
            query(connection, "SELECT COUNT(*) FROM things");
            FAIL() << "a statement on a killed backend succeeded";
        } catch (const SqlError& error) {
            EXPECT_TRUE(error.connectionLost()) << error.what();
            EXPECT_TRUE(isConnectionLost(error));
        }
    }
    // The dead connection was dropped, not handed out again.
    auto connection = pool_->acquire(std::chrono::seconds(5));
    EXPECT_NE(backend(connection), victim);
    EXPECT_EQ(query(connection, "SELECT COUNT(*) FROM things").integer(0, 0), 0);
}

TEST_P(DatabaseQueryTest, ThePoolKeepsAtMostMaxIdleConnections) {
    if (!postgres()) GTEST_SKIP() << "SQLite connections have no server identity to count";
    std::set<std::string> first;
    {
        std::vector<PooledConnection> held;
        for (int i = 0; i < 4; ++i) {
            held.push_back(pool_->acquire(std::chrono::seconds(5)));
            first.insert(backend(held.back()));
        }
        EXPECT_EQ(first.size(), 4u);
        EXPECT_THROW(pool_->acquire(std::chrono::milliseconds(50)), DatabaseUnavailable);
    }
    // Two of the four went back to idle (max_idle = 2); the others were closed.
    std::set<std::string> reused;
    std::vector<PooledConnection> held;
    for (int i = 0; i < 4; ++i) {
        held.push_back(pool_->acquire(std::chrono::seconds(5)));
        const std::string pid = backend(held.back());
        if (first.count(pid)) reused.insert(pid);
    }
    EXPECT_EQ(reused.size(), 2u);
}

// database.url's `host` parameter names a socket directory and wins over the URL's host: the
// operations runbook recommends it when PostgreSQL runs on the same machine.
TEST_P(DatabaseQueryTest, AHostParameterReachesPostgreSQLThroughItsUnixSocket) {
    if (!postgres()) GTEST_SKIP() << "SQLite has no transport";
    const char* socketDirectory = std::getenv("KEELTEST_PG_DIR");  // scripts/test's cluster listens there too
    if (socketDirectory == nullptr) GTEST_SKIP() << "KEELTEST_PG_DIR is not set: run the tests with scripts/test";
    const std::string transport = "SELECT CASE WHEN inet_client_addr() IS NULL THEN 'socket' ELSE 'tcp' END";
    {
        auto connection = pool_->acquire(std::chrono::seconds(5));
        EXPECT_EQ(query(connection, transport).string(0, 0), "tcp");
    }
    DatabasePool overSocket("socket", settingsFor(url_ + "?host=" + socketDirectory), logger());
    auto connection = overSocket.acquire(std::chrono::seconds(5));
    EXPECT_EQ(query(connection, transport).string(0, 0), "socket");
    EXPECT_EQ(query(connection, "SELECT count(*) FROM things").integer(0, 0), 0);
}

TEST_P(DatabaseQueryTest, ConnectionsOlderThanTheirLifetimeAreReplaced) {
    if (!postgres()) GTEST_SKIP() << "SQLite connections have no server identity to compare";
    DatabaseSettings settings = settingsFor(url_);
    settings.connectionLifetime = std::chrono::minutes(5);
    auto now = std::chrono::steady_clock::now();
    DatabasePool shortLived("short", settings, logger(), [&now] { return now; });
    std::string first;
    {
        auto connection = shortLived.acquire(std::chrono::seconds(5));
        first = backend(connection);
    }
    now += std::chrono::minutes(4);
    {
        auto connection = shortLived.acquire(std::chrono::seconds(5));
        EXPECT_EQ(backend(connection), first) << "a young idle connection is reused";
    }
    // A busy connection ages too: past its lifetime it is closed when returned.
    {
        auto connection = shortLived.acquire(std::chrono::seconds(5));
        EXPECT_EQ(backend(connection), first);
        now += std::chrono::minutes(2);
    }
    auto connection = shortLived.acquire(std::chrono::seconds(5));
    EXPECT_NE(backend(connection), first);
}

TEST_P(DatabaseQueryTest, IdleConnectionsUnusedPastIdleTimeoutAreReplaced) {
    if (!postgres()) GTEST_SKIP() << "SQLite connections have no server identity to compare";
    DatabaseSettings settings = settingsFor(url_);
    settings.connectionLifetime = std::chrono::hours(1);
    settings.idleTimeout = std::chrono::minutes(1);
    auto now = std::chrono::steady_clock::now();
    DatabasePool pool("idle", settings, logger(), [&now] { return now; });
    std::string first;
    {
        auto connection = pool.acquire(std::chrono::seconds(5));
        first = backend(connection);
        now += std::chrono::minutes(5);  // busy this long: only age counts, not idleness
    }
    now += std::chrono::seconds(50);
    {
        auto connection = pool.acquire(std::chrono::seconds(5));
        EXPECT_EQ(backend(connection), first) << "idle 50 s of 60: reused";
    }
    now += std::chrono::seconds(61);
    auto connection = pool.acquire(std::chrono::seconds(5));
    EXPECT_NE(backend(connection), first) << "idle past idle_timeout: closed, a new one opened";
}

// A server that refuses connections: the first attempt reports the driver's reason, the next ones
// within the backoff fail at once without trying, and after the backoff the pool tries again.
TEST(DatabasePoolBackoff, AFailedConnectIsNotRetriedUntilItsBackoffPassed) {
    Poco::Data::PostgreSQL::Connector::registerConnector();
    DatabaseSettings settings;
    settings.url = "postgresql://keel@127.0.0.1:1/nothing";  // port 1: refused at once on loopback
    auto now = std::chrono::steady_clock::now();
    DatabasePool pool("refused", settings, std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::null_sink_mt>()),
                      [&now] { return now; });
    auto failure = [&pool] {
        try {
            pool.acquire(std::chrono::milliseconds(100));
        } catch (const DatabaseUnavailable& error) {
            return std::string(error.what());
        }
        return std::string("connected");
    };
    const std::string tried = "is unavailable: ";
    const std::string skipped = "retrying with backoff";
    EXPECT_NE(failure().find(tried), std::string::npos);
    EXPECT_NE(failure().find(skipped), std::string::npos);
    now += std::chrono::milliseconds(100);  // the first backoff
    EXPECT_NE(failure().find(tried), std::string::npos);
    now += std::chrono::milliseconds(100);  // doubled: 200 ms, not yet
    EXPECT_NE(failure().find(skipped), std::string::npos);
    now += std::chrono::milliseconds(100);
    EXPECT_NE(failure().find(tried), std::string::npos);
    EXPECT_EQ(pool.inUse(), 0) << "every failed acquire gave its slot back";
}

INSTANTIATE_TEST_SUITE_P(Dialects, DatabaseQueryTest, ::testing::Values("postgresql", "sqlite"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace keel::host
