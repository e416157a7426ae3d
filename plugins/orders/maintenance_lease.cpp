// MaintenanceLease: pg_try_advisory_lock on a dedicated connection.
#include "maintenance_lease.h"

namespace keel::plugins::orders {

bool MaintenanceLease::hold() {
    if (database_.dialect() == SqlDialect::SQLite) return true;
    if (connection_) {
        try {
            query(*connection_, "SELECT 1");
            return true;
        } catch (const std::exception& error) {
            // The connection went (server restart, network): the lock went with it, and another
            // instance may hold it by now. Try again from scratch.
            logger_->info("maintenance lease lost with its connection: {}", describeError(error));
            connection_.reset();
        }
    }
    try {
        PooledConnection candidate = database_.openDedicated();
        if (query(candidate, "SELECT pg_try_advisory_lock($1)", {key_}).string(0, 0) != "t") return false;
        connection_.emplace(std::move(candidate));
        logger_->info("maintenance lease taken: this instance runs the purges");
        return true;
    } catch (const std::exception& error) {
        logger_->debug("maintenance lease not taken: {}", describeError(error));
        return false;
    }
}

}  // namespace keel::plugins::orders
