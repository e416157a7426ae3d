// note_store.cpp — the SQL, through keel::query(): on PostgreSQL each statement is prepared once
// per pooled connection and re-executed; on SQLite it runs through Poco::Data. Same text for both.
#include "note_store.h"

#include <chrono>
#include <cstddef>

namespace notes {

namespace {
std::int64_t nowMicros() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}
}  // namespace

void NoteStore::put(const std::string& id, const std::string& text, bool notify) {
    keel::inTransaction(database_, [&](keel::PooledConnection& connection) {
        const std::int64_t at = nowMicros();
        keel::query(
            connection,
            "INSERT INTO notes (id, body, updated_at_us) VALUES ($1, $2, $3) "
            "ON CONFLICT (id) DO UPDATE SET body = excluded.body, updated_at_us = excluded.updated_at_us",
            {id, text, at});
        if (notify) {
            keel::query(connection, "INSERT INTO note_notifications (note_id, created_at_us) VALUES ($1, $2)",
                        {id, at});
        }
    });
}

std::optional<std::string> NoteStore::find(const std::string& id) {
    keel::PooledConnection connection = database_.acquire(database_.acquireTimeout());
    const keel::SqlRows rows = keel::query(connection, "SELECT body FROM notes WHERE id = $1", {id});
    if (rows.empty()) return std::nullopt;
    return rows.string(0, 0);
}

std::vector<PendingNotification> NoteStore::pending(int limit) {
    keel::PooledConnection connection = database_.acquire(database_.acquireTimeout());
    const keel::SqlRows rows =
        keel::query(connection, "SELECT id, note_id FROM note_notifications ORDER BY id LIMIT $1", {limit});
    std::vector<PendingNotification> result;
    result.reserve(rows.size());
    for (std::size_t row = 0; row < rows.size(); ++row)
        result.push_back({rows.integer(row, 0), rows.string(row, 1)});
    return result;
}

void NoteStore::remove(std::int64_t notificationId) {
    keel::PooledConnection connection = database_.acquire(database_.acquireTimeout());
    keel::query(connection, "DELETE FROM note_notifications WHERE id = $1", {notificationId});
}

std::int64_t NoteStore::pendingCount() {
    keel::PooledConnection connection = database_.acquire(database_.acquireTimeout());
    return keel::query(connection, "SELECT COUNT(*) FROM note_notifications").integer(0, 0);
}

}  // namespace notes
