// Named database pools owned by the host: PostgreSQL (production) or SQLite (the zero-setup
// default) behind Poco::Data, with a bounded wait for a free session, and per-plugin versioned
// migrations. A plugin declares what it uses in configure() (Registrar::database,
// Registrar::addMigrations) and borrows sessions from start() on. Thread-safe.
#pragma once

#include <Poco/Data/Session.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "keel/export.h"

namespace keel {

enum class SqlDialect { PostgreSQL, SQLite };
KEEL_SDK_API const char* sqlDialectName(SqlDialect dialect);  // "postgresql", "sqlite"

// No session could be had (pool exhausted past the wait, server unreachable): answer 503.
class KEEL_SDK_API DatabaseUnavailable : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
    ~DatabaseUnavailable() override;
};

// The full message of `error`: a Poco::Exception's what() is only its class name, its
// displayText() says what happened.
KEEL_SDK_API std::string describeError(const std::exception& error);

// Whether `error` (as thrown by Poco::Data) means the connection is gone (server restarted or
// unreachable) rather than a problem with the statement.
KEEL_SDK_API bool isConnectionLost(const std::exception& error);
// The SQLSTATE in a PostgreSQL error message ("23505"), or "" when there is none.
KEEL_SDK_API std::string sqlState(const std::exception& error);

// One versioned migration. Statements are separated by a ';' that ends a line (Poco::Data runs
// one statement per call); `sql` may differ per dialect, hence the two texts.
struct Migration {
    int version = 0;
    std::string name;           // "001_create_orders.sql", for messages
    std::string postgresqlSql;
    std::string sqliteSql;
};

// A borrowed session; returned to the pool when destroyed. Move-only; one thread at a time.
class KEEL_SDK_API PooledConnection {
public:
    PooledConnection(Poco::Data::Session session, SqlDialect dialect, std::function<void()> release);
    PooledConnection(PooledConnection&& other) noexcept;
    PooledConnection& operator=(PooledConnection&&) = delete;
    PooledConnection(const PooledConnection&) = delete;
    ~PooledConnection();

    Poco::Data::Session& session() { return *session_; }
    SqlDialect dialect() const { return dialect_; }

private:
    // Optional so the destructor can hand the session back to Poco's pool before freeing the
    // slot it counted: the other way round, a waiter finds the pool still "exhausted".
    std::optional<Poco::Data::Session> session_;
    SqlDialect dialect_;
    std::function<void()> release_;
};

class KEEL_SDK_API Database {
public:
    virtual ~Database();
    virtual const std::string& name() const = 0;
    virtual SqlDialect dialect() const = 0;
    // Borrows a session, waiting at most `wait` for one to be free. Throws DatabaseUnavailable.
    virtual PooledConnection acquire(std::chrono::milliseconds wait) = 0;
    // The configured wait for acquire() (database.acquire_timeout).
    virtual std::chrono::milliseconds acquireTimeout() const = 0;
};

// Runs `work` in one transaction on a borrowed session and commits; rolls back and rethrows on
// any exception. When the session turns out to be dead (the server restarted since it was
// pooled), the whole unit is retried once on a fresh session: nothing was committed.
template <class Work>
auto inTransaction(Database& database, Work&& work) -> decltype(work(std::declval<PooledConnection&>())) {
    for (int attempt = 0;; ++attempt) {
        PooledConnection connection = database.acquire(database.acquireTimeout());
        try {
            connection.session().begin();
            if constexpr (std::is_void_v<decltype(work(connection))>) {
                work(connection);
                connection.session().commit();
                return;
            } else {
                auto result = work(connection);
                connection.session().commit();
                return result;
            }
        } catch (const std::exception& error) {
            try {
                if (connection.session().isTransaction()) connection.session().rollback();
            } catch (...) {
                // The connection is broken; the pool drops it.
            }
            if (attempt == 0 && isConnectionLost(error)) continue;
            throw;
        }
    }
}

}  // namespace keel
