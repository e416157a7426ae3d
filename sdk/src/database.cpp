// Pooled connection handle and the classification of Poco::Data errors.
#include "keel/database.h"

#include <Poco/Exception.h>
#include <Poco/String.h>

namespace keel {

const char* sqlDialectName(SqlDialect dialect) {
    return dialect == SqlDialect::PostgreSQL ? "postgresql" : "sqlite";
}

DatabaseUnavailable::~DatabaseUnavailable() = default;
Database::~Database() = default;

std::string describeError(const std::exception& error) {
    if (const auto* poco = dynamic_cast<const Poco::Exception*>(&error)) return poco->displayText();
    return error.what();
}

bool isConnectionLost(const std::exception& error) {
    if (const auto* sql = dynamic_cast<const SqlError*>(&error)) return sql->connectionLost();
    const std::string text = Poco::toLower(describeError(error));
    for (const char* marker : {"server closed the connection", "no connection to the server",
                               "terminating connection", "connection refused", "could not connect",
                               "connection not ok", "state: 57p01", "state: 08", "broken pipe",
                               "could not send data", "could not receive data", "ssl syscall error"}) {
        if (text.find(marker) != std::string::npos) return true;
    }
    return false;
}

std::string sqlState(const std::exception& error) {
    if (const auto* sql = dynamic_cast<const SqlError*>(&error)) return sql->sqlState();
    const std::string text = describeError(error);
    const auto at = text.find("State: ");
    if (at == std::string::npos || at + 12 > text.size()) return "";
    return text.substr(at + 7, 5);
}

PooledConnection::PooledConnection(Poco::Data::Session session, SqlDialect dialect, std::function<void()> release)
    : session_(std::move(session)), dialect_(dialect), release_(std::move(release)) {}

PooledConnection::PooledConnection(PooledConnection&& other) noexcept
    : session_(std::move(other.session_)), dialect_(other.dialect_), release_(std::move(other.release_)) {
    other.session_.reset();
    other.release_ = nullptr;
}

PooledConnection::~PooledConnection() {
    session_.reset();
    if (release_) release_();
}

}  // namespace keel
