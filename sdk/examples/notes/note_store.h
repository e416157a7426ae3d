// note_store.h — notes and the notifications still to deliver, in SQL that PostgreSQL and SQLite
// both accept. Thread-safe: each call borrows its own session and returns it before returning.
#pragma once

#include <keel/database.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace notes {

struct PendingNotification {
    std::int64_t id = 0;
    std::string noteId;
};

class NoteStore {
public:
    explicit NoteStore(keel::Database& database) : database_(database) {}
    // Stores or replaces the note; when `notify`, queues a notification in the same transaction.
    void put(const std::string& id, const std::string& text, bool notify);
    std::optional<std::string> find(const std::string& id);
    std::vector<PendingNotification> pending(int limit);
    void remove(std::int64_t notificationId);
    std::int64_t pendingCount();

private:
    keel::Database& database_;  // the host's pool: lives longer than the plugin
};

}  // namespace notes
