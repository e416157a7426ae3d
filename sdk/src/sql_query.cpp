// keel::query: the hot path below Poco::Data. On PostgreSQL each statement text is prepared once
// per connection with libpq and re-executed with PQexecPrepared (Poco prepares, describes and
// deallocates a statement on every call, and re-running a failed Poco statement can crash: see
// docs/design-notes.md). On SQLite it runs through Poco::Data, once per call.
#include <Poco/Data/PostgreSQL/SessionImpl.h>
#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>
#include <Poco/Nullable.h>
#include <libpq-fe.h>

#include <charconv>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "keel/database.h"

namespace keel {

namespace {

// Prepared statements are per server session: a new connection (even one libpq allocated at a
// recycled address) has a new backend process id, so the pair names the session.
struct SessionKey {
    const void* connection;
    int backendPid;
    bool operator==(const SessionKey& other) const {
        return connection == other.connection && backendPid == other.backendPid;
    }
};
struct SessionKeyHash {
    std::size_t operator()(const SessionKey& key) const {
        return std::hash<const void*>()(key.connection) ^ (static_cast<std::size_t>(key.backendPid) << 1);
    }
};

// Which statement names each live session has prepared. Entries of closed sessions are never
// looked up again; the table is cleared when it grows past a bound (a forgotten statement is
// re-prepared, and "already exists" from the server counts as prepared).
class PreparedStatements {
public:
    bool has(const SessionKey& key, std::uint64_t statement) {
        std::lock_guard<std::mutex> lock(mutex_);
        auto found = prepared_.find(key);
        return found != prepared_.end() && found->second.count(statement) > 0;
    }
    void add(const SessionKey& key, std::uint64_t statement) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (prepared_.size() > kMaxSessions) prepared_.clear();
        prepared_[key].insert(statement);
    }
    void forget(const SessionKey& key) {
        std::lock_guard<std::mutex> lock(mutex_);
        prepared_.erase(key);
    }

private:
    static constexpr std::size_t kMaxSessions = 4096;
    std::mutex mutex_;
    std::unordered_map<SessionKey, std::unordered_set<std::uint64_t>, SessionKeyHash> prepared_;
};

PreparedStatements& preparedStatements() {
    static PreparedStatements* table = new PreparedStatements;  // outlives every plugin and pool
    return *table;
}

// FNV-1a: a stable name per statement text, the same on every connection.
std::uint64_t statementHash(const std::string& sql) {
    std::uint64_t hash = 14695981039346656037ull;
    for (unsigned char c : sql) {
        hash ^= c;
        hash *= 1099511628211ull;
    }
    return hash;
}

std::string statementName(std::uint64_t hash) {
    static const char* digits = "0123456789abcdef";
    std::string name = "keel_";
    for (int shift = 60; shift >= 0; shift -= 4) name += digits[(hash >> shift) & 0xF];
    return name;
}

struct ResultDeleter {
    void operator()(PGresult* result) const { PQclear(result); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

SqlError errorOf(PGconn* connection, const PGresult* result, const std::string& what) {
    const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    std::string message = result ? PQresultErrorMessage(result) : "";
    if (message.empty()) message = PQerrorMessage(connection);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    const bool lost = PQstatus(connection) != CONNECTION_OK;
    return SqlError(what + ": " + message, state ? state : (lost ? "08006" : ""), lost);
}

bool succeeded(const PGresult* result) {
    const auto status = PQresultStatus(result);
    return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

PGconn* connectionOf(PooledConnection& pooled) {
    auto* session = dynamic_cast<Poco::Data::PostgreSQL::SessionImpl*>(pooled.session().impl());
    if (!session) throw SqlError("keel::query: not a PostgreSQL session", "", false);
    return static_cast<PGconn*>(session->handle());
}

}  // namespace

// Fills SqlRows (its friend) from either driver.
struct SqlRowsBuilder {
    static SqlRows postgres(PooledConnection& pooled, const std::string& sql, const std::vector<SqlParam>& params);
    static SqlRows sqlite(PooledConnection& pooled, const std::string& sql, const std::vector<SqlParam>& params);
};

SqlRows SqlRowsBuilder::postgres(PooledConnection& pooled, const std::string& sql, const std::vector<SqlParam>& params) {
    PGconn* connection = connectionOf(pooled);
    if (PQstatus(connection) != CONNECTION_OK) throw errorOf(connection, nullptr, "database connection");
    const SessionKey key{connection, PQbackendPID(connection)};
    const std::uint64_t hash = statementHash(sql);
    const std::string name = statementName(hash);

    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& param : params) values.push_back(param.isNull() ? nullptr : param.text().c_str());

    auto prepare = [&] {
        Result prepared(PQprepare(connection, name.c_str(), sql.c_str(), static_cast<int>(params.size()), nullptr));
        const char* state = prepared ? PQresultErrorField(prepared.get(), PG_DIAG_SQLSTATE) : nullptr;
        // 42P05: this session prepared it before the table was cleared.
        if (!prepared || (!succeeded(prepared.get()) && !(state && std::string(state) == "42P05"))) {
            throw errorOf(connection, prepared.get(), "prepare");
        }
        preparedStatements().add(key, hash);
    };
    const bool known = preparedStatements().has(key, hash);
    if (!known) prepare();
    Result result(PQexecPrepared(connection, name.c_str(), static_cast<int>(values.size()), values.data(), nullptr,
                                 nullptr, 0));
    if (result && !succeeded(result.get()) && known) {
        // 26000: the session lost its statements (DISCARD ALL behind a pooler). Outside a
        // transaction nothing failed yet that a second try could not mend.
        const char* state = PQresultErrorField(result.get(), PG_DIAG_SQLSTATE);
        if (state && std::string(state) == "26000" && PQtransactionStatus(connection) == PQTRANS_IDLE) {
            preparedStatements().forget(key);
            prepare();
            result.reset(PQexecPrepared(connection, name.c_str(), static_cast<int>(values.size()), values.data(),
                                        nullptr, nullptr, 0));
        }
    }
    if (!result || !succeeded(result.get())) throw errorOf(connection, result.get(), "query");

    SqlRows rows;
    const int count = PQntuples(result.get());
    const int columns = PQnfields(result.get());
    rows.columns_ = static_cast<std::size_t>(columns);
    rows.cells_.reserve(static_cast<std::size_t>(count) * rows.columns_);
    std::size_t bytes = 0;
    for (int row = 0; row < count; ++row) {
        for (int column = 0; column < columns; ++column) bytes += static_cast<std::size_t>(PQgetlength(result.get(), row, column));
    }
    rows.text_.reserve(bytes);
    for (int row = 0; row < count; ++row) {
        for (int column = 0; column < columns; ++column) {
            const bool null = PQgetisnull(result.get(), row, column) != 0;
            const auto length = static_cast<std::size_t>(PQgetlength(result.get(), row, column));
            rows.cells_.push_back({rows.text_.size(), length, null});
            rows.text_.append(PQgetvalue(result.get(), row, column), length);
        }
    }
    const char* affected = PQcmdTuples(result.get());
    if (affected && *affected) std::from_chars(affected, affected + std::strlen(affected), rows.affected_);
    return rows;
}

SqlRows SqlRowsBuilder::sqlite(PooledConnection& pooled, const std::string& sql, const std::vector<SqlParam>& params) {
    using namespace Poco::Data::Keywords;
    Poco::Data::Statement statement(pooled.session());
    statement << sql;
    // Bound by reference: these must outlive execute(). Integers bind as integers, so that
    // LIMIT and arithmetic see numbers.
    std::vector<Poco::Nullable<std::string>> texts(params.size());
    std::vector<Poco::Nullable<Poco::Int64>> integers(params.size());
    for (std::size_t i = 0; i < params.size(); ++i) {
        if (params[i].isInteger()) {
            integers[i] = params[i].integer();
            statement, use(integers[i]);
        } else {
            if (!params[i].isNull()) texts[i] = params[i].text();
            statement, use(texts[i]);
        }
    }
    SqlRows rows;
    try {
        rows.affected_ = static_cast<std::int64_t>(statement.execute());
    } catch (const Poco::Exception& error) {
        throw SqlError("query: " + error.displayText(), "", false);
    }
    if (statement.columnsExtracted() == 0) return rows;
    Poco::Data::RecordSet result(statement);
    rows.columns_ = result.columnCount();
    for (std::size_t row = 0; row < result.rowCount(); ++row) {
        for (std::size_t column = 0; column < rows.columns_; ++column) {
            const Poco::Dynamic::Var value = result.value(column, row);
            const std::string text = value.isEmpty() ? std::string() : value.convert<std::string>();
            rows.cells_.push_back({rows.text_.size(), text.size(), value.isEmpty()});
            rows.text_ += text;
        }
    }
    rows.affected_ = 0;
    return rows;
}

SqlParam::SqlParam(std::int64_t value) : text_(std::to_string(value)), integer_(value), kind_(Kind::Integer) {}

SqlError::SqlError(const std::string& message, std::string sqlState, bool connectionLost)
    : std::runtime_error(message), sqlState_(std::move(sqlState)), connectionLost_(connectionLost) {}
SqlError::~SqlError() = default;

std::int64_t SqlRows::integer(std::size_t row, std::size_t column) const {
    const std::string_view value = text(row, column);
    std::int64_t number = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (error != std::errc() || end != value.data() + value.size()) {
        throw SqlError("column " + std::to_string(column) + " of row " + std::to_string(row) + " is not an integer: \"" +
                           std::string(value) + "\"",
                       "", false);
    }
    return number;
}

SqlRows query(PooledConnection& connection, const std::string& sql, const std::vector<SqlParam>& params) {
    return connection.dialect() == SqlDialect::PostgreSQL ? SqlRowsBuilder::postgres(connection, sql, params)
                                                          : SqlRowsBuilder::sqlite(connection, sql, params);
}

}  // namespace keel
