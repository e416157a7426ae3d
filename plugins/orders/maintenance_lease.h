// Who runs the purges of a fleet sharing one PostgreSQL database: the instance holding a session
// advisory lock on a connection of its own. The lock lasts as long as that connection, so a
// crashed or stopped holder frees it without any clean-up, and another instance takes it at its
// next interval. SQLite has one instance per file: it always holds the lease.
#pragma once

#include <keel/database.h>
#include <spdlog/logger.h>

#include <cstdint>
#include <memory>
#include <optional>

namespace keel::plugins::orders {

class MaintenanceLease {
public:
    // `key`: the advisory lock's 64-bit id, the same in every instance.
    MaintenanceLease(Database& database, std::int64_t key, std::shared_ptr<spdlog::logger> logger)
        : database_(database), key_(key), logger_(std::move(logger)) {}

    // True when this instance holds the lease now: still held (its connection answers), or just
    // taken. False when another instance holds it or the database cannot be reached. Called from
    // one thread at a time (the maintenance task).
    bool hold();

private:
    Database& database_;
    const std::int64_t key_;
    std::shared_ptr<spdlog::logger> logger_;
    std::optional<PooledConnection> connection_;  // set while the lock is held
};

}  // namespace keel::plugins::orders
