// Orders in SQL through keel::query() (prepared once per PostgreSQL connection), the same
// statements for PostgreSQL and SQLite ($n placeholders work in both) except order creation,
// one statement on PostgreSQL. Thread-safe: each call borrows its own connection.
#pragma once

#include <keel/database.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace keel::plugins::orders {

struct StoredItem {
    std::string productId;
    std::int32_t quantity = 0;
    std::int64_t unitPriceCents = 0;
};

struct StoredOrder {
    std::string id;
    std::string userId;
    std::string status;
    std::int64_t totalCents = 0;
    std::int64_t createdAtMicros = 0;
    std::vector<StoredItem> items;
};

struct IdempotencyRecord {
    std::string key;
    std::string requestHash;
    std::string orderId;
    int responseStatus = 0;
    std::string responseBody;
    std::int64_t expiresAtMicros = 0;
};

struct OutboxMessage {
    std::string id;  // also the delivery's idempotency id
    std::string topic;
    std::string payload;
    std::int64_t createdAtMicros = 0;
    std::int32_t attempts = 0;
};

// Keyset position: the last order of a page.
struct PageCursor {
    std::int64_t createdAtMicros = 0;
    std::string id;
};

struct OrderPage {
    std::vector<StoredOrder> orders;
    std::optional<PageCursor> next;
};

// The idempotency key is taken by a concurrent request with the same key.
class IdempotencyConflict : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class OrderStore {
public:
    explicit OrderStore(Database& database)
        : database_(database),
          statements_{createStatement(false, false), createStatement(true, false), createStatement(false, true),
                      createStatement(true, true)} {}

    // One transaction: the order, its items, the optional idempotency record and outbox message.
    // Throws IdempotencyConflict, DatabaseUnavailable, or the database's exception.
    void create(const StoredOrder& order, const std::optional<IdempotencyRecord>& idempotency,
                const std::optional<OutboxMessage>& notification);
    std::optional<StoredOrder> find(const std::string& id);
    // Newest first; `userId` empty: every user.
    OrderPage list(const std::string& userId, int limit, const std::optional<PageCursor>& after);
    std::optional<IdempotencyRecord> findIdempotency(const std::string& key, std::int64_t nowMicros);

    // Claims up to `limit` due outbox messages by moving their next attempt to `leaseUntil`, so
    // no other instance delivers them until the lease ends (PostgreSQL: one UPDATE over a
    // FOR UPDATE SKIP LOCKED selection; SQLite: a conditional update per row).
    std::vector<OutboxMessage> claimDue(std::int64_t nowMicros, std::int64_t leaseUntilMicros, int limit);
    void markDelivered(const std::string& id, std::int64_t nowMicros);
    void markFailed(const std::string& id, std::int64_t nextAttemptMicros, const std::string& error);
    std::int64_t pendingCount();
    // Bounded purges; return how many rows went.
    int purgeExpiredIdempotency(std::int64_t nowMicros, int batch);
    int purgeDeliveredOutbox(std::int64_t deliveredBeforeMicros, int batch);

private:
    // PostgreSQL: create() as one statement (one round trip).
    void createInOneStatement(const StoredOrder& order, const std::optional<IdempotencyRecord>& idempotency,
                              const std::optional<OutboxMessage>& notification);
    // The text of that statement, with or without the outbox and idempotency rows.
    static std::string createStatement(bool withNotification, bool withIdempotency);
    Database& database_;
    const std::string statements_[4];  // [notification + 2 * idempotency]
};

}  // namespace keel::plugins::orders
