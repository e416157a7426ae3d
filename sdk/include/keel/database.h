// Named database pools owned by the host: PostgreSQL (production) or SQLite (the zero-setup
// default) behind Poco::Data, with a bounded wait for a free session, query() as the fast path
// (statements prepared once per connection), and per-plugin versioned migrations. A plugin declares what it uses in configure() (Registrar::database,
// Registrar::addMigrations) and borrows sessions from start() on. Thread-safe.
#pragma once

#include <Poco/Data/Session.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
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
    // A connection of its own, outside the pool: not counted in max_conns, never aged out, closed
    // when the returned object goes. For state that lives as long as a connection (a PostgreSQL
    // session advisory lock held as a lease). Throws DatabaseUnavailable.
    virtual PooledConnection openDedicated() = 0;
};

// --- Statements prepared once per connection (the fast path) -----------------------------------

// A parameter of query(): text, a 64-bit integer or NULL. Sent as text; the server converts it to
// the column's type.
class KEEL_SDK_API SqlParam {
public:
    SqlParam(std::string text) : text_(std::move(text)), kind_(Kind::Text) {}
    SqlParam(const char* text) : text_(text), kind_(Kind::Text) {}
    SqlParam(std::int64_t value);
    SqlParam(std::int32_t value) : SqlParam(static_cast<std::int64_t>(value)) {}
    SqlParam(std::nullopt_t) : kind_(Kind::Null) {}
    template <class T>
    SqlParam(const std::optional<T>& value) : SqlParam(value ? SqlParam(*value) : SqlParam(std::nullopt)) {}

    bool isNull() const { return kind_ == Kind::Null; }
    bool isInteger() const { return kind_ == Kind::Integer; }
    const std::string& text() const { return text_; }
    std::int64_t integer() const { return integer_; }

private:
    enum class Kind { Text, Integer, Null };
    std::string text_;
    std::int64_t integer_ = 0;
    Kind kind_;
};

// A failed query(). sqlState() is PostgreSQL's SQLSTATE ("23505"; "" on SQLite);
// connectionLost() says the connection is gone, so the work may be retried on a fresh one.
class KEEL_SDK_API SqlError : public std::runtime_error {
public:
    SqlError(const std::string& message, std::string sqlState, bool connectionLost);
    ~SqlError() override;
    const std::string& sqlState() const { return sqlState_; }
    bool connectionLost() const { return connectionLost_; }

private:
    std::string sqlState_;
    bool connectionLost_;
};

// The rows of a query(), every cell as text (PostgreSQL's text format), owned by this object.
class KEEL_SDK_API SqlRows {
public:
    std::size_t size() const { return columns_ == 0 ? 0 : cells_.size() / columns_; }
    bool empty() const { return size() == 0; }
    std::size_t columns() const { return columns_; }
    bool isNull(std::size_t row, std::size_t column) const { return cell(row, column).null; }
    std::string_view text(std::size_t row, std::size_t column) const {
        const Cell& c = cell(row, column);
        return std::string_view(text_).substr(c.offset, c.length);
    }
    std::string string(std::size_t row, std::size_t column) const { return std::string(text(row, column)); }
    // Throws SqlError when the cell is not a whole number.
    std::int64_t integer(std::size_t row, std::size_t column) const;
    // Rows inserted, updated or deleted by the statement.
    std::int64_t affected() const { return affected_; }

private:
    struct Cell {
        std::size_t offset;
        std::size_t length;
        bool null;
    };
    const Cell& cell(std::size_t row, std::size_t column) const { return cells_.at(row * columns_ + column); }
    friend struct SqlRowsBuilder;
    std::string text_;
    std::vector<Cell> cells_;
    std::size_t columns_ = 0;
    std::int64_t affected_ = 0;
};

// Runs one statement with $1..$n placeholders on a borrowed connection (inside a transaction
// when the caller began one). PostgreSQL: the text is prepared once per connection and
// re-executed with libpq, one round trip per call; a failure leaves the connection usable.
// SQLite: runs through Poco::Data. Throws SqlError.
KEEL_SDK_API SqlRows query(PooledConnection& connection, const std::string& sql,
                           const std::vector<SqlParam>& params = {});

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
