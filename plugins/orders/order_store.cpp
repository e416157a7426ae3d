// SQL of the orders plugin.
#include "order_store.h"

#include <Poco/String.h>

#include <algorithm>

#include "order_json.h"

namespace keel::plugins::orders {

namespace {

bool isUniqueViolation(const std::exception& error) {
    const std::string state = sqlState(error);
    if (state == "23505") return true;
    const std::string text = Poco::toLower(describeError(error));
    return text.find("unique constraint failed") != std::string::npos;
}

}  // namespace

void OrderStore::create(const StoredOrder& order, const std::optional<IdempotencyRecord>& idempotency,
                        const std::optional<OutboxMessage>& notification) {
    try {
        if (database_.dialect() == SqlDialect::PostgreSQL) {
            createInOneStatement(order, idempotency, notification);
            return;
        }
        inTransaction(database_, [&](PooledConnection& connection) {
            query(connection,
                  "INSERT INTO orders (id, user_id, status, total_cents, created_at_us) VALUES ($1, $2, $3, $4, $5)",
                  {order.id, order.userId, order.status, order.totalCents, order.createdAtMicros});
            // All items in one statement.
            std::string sql =
                "INSERT INTO order_items (order_id, line, product_id, quantity, unit_price_cents) VALUES ";
            std::vector<SqlParam> params;
            for (std::size_t i = 0; i < order.items.size(); ++i) {
                const int base = static_cast<int>(i) * 5;
                sql += (i == 0 ? "(" : ", (");
                for (int column = 1; column <= 5; ++column) {
                    sql += (column == 1 ? "$" : ", $") + std::to_string(base + column);
                }
                sql += ")";
                params.insert(params.end(), {order.id, static_cast<std::int64_t>(i + 1), order.items[i].productId,
                                             order.items[i].quantity, order.items[i].unitPriceCents});
            }
            query(connection, sql, params);
            if (notification) {
                query(connection,
                      "INSERT INTO order_outbox (id, topic, payload, created_at_us, attempts, next_attempt_at_us) "
                      "VALUES ($1, $2, $3, $4, 0, $5)",
                      {notification->id, notification->topic, notification->payload, notification->createdAtMicros,
                       notification->createdAtMicros});
            }
            if (idempotency) {
                query(connection,
                      "INSERT INTO order_idempotency_keys (idempotency_key, request_hash, order_id, response_status, "
                      "response_body, expires_at_us) VALUES ($1, $2, $3, $4, $5, $6)",
                      {idempotency->key, idempotency->requestHash, idempotency->orderId,
                       static_cast<std::int64_t>(idempotency->responseStatus), idempotency->responseBody,
                       idempotency->expiresAtMicros});
            }
        });
    } catch (const std::exception& error) {
        if (idempotency && isUniqueViolation(error)) {
            throw IdempotencyConflict("idempotency key " + idempotency->key +
                                      " was taken by a concurrent request");
        }
        throw;
    }
}

std::string OrderStore::createStatement(bool withNotification, bool withIdempotency) {
    // The order, its items, and its outbox and idempotency rows in one data-modifying statement:
    // one round trip and its own transaction (PostgreSQL checks the foreign key at its end). The
    // items travel as one JSON parameter, so the text is one of four, each prepared once per
    // connection.
    std::string sql =
        "WITH new_order AS (INSERT INTO orders (id, user_id, status, total_cents, created_at_us) "
        "VALUES ($1, $2, $3, $4, $5)), "
        "new_items AS (INSERT INTO order_items (order_id, line, product_id, quantity, unit_price_cents) "
        "SELECT $1, item.line, item.product_id, item.quantity, item.unit_price_cents FROM json_to_recordset($6::json) "
        "AS item(line integer, product_id text, quantity integer, unit_price_cents bigint))";
    int next = 7;
    const auto placeholders = [&next](int count) {
        std::string list;
        for (int i = 0; i < count; ++i) list += (i == 0 ? "$" : ", $") + std::to_string(next++);
        return list;
    };
    if (withNotification) {
        sql += ", new_message AS (INSERT INTO order_outbox (id, topic, payload, created_at_us, next_attempt_at_us, "
               "attempts) VALUES (";
        sql += placeholders(5);
        sql += ", 0))";
    }
    if (withIdempotency) {
        sql += ", new_key AS (INSERT INTO order_idempotency_keys (idempotency_key, request_hash, order_id, "
               "response_status, response_body, expires_at_us) VALUES (";
        sql += placeholders(6);
        sql += "))";
    }
    return sql + " SELECT 1";
}

void OrderStore::createInOneStatement(const StoredOrder& order, const std::optional<IdempotencyRecord>& idempotency,
                                      const std::optional<OutboxMessage>& notification) {
    std::string items = "[";
    for (std::size_t i = 0; i < order.items.size(); ++i) {
        const auto& item = order.items[i];
        items += (i == 0 ? "" : ",");
        items += "{\"line\":" + std::to_string(i + 1) + ",\"product_id\":" + jsonString(item.productId) +
                 ",\"quantity\":" + std::to_string(item.quantity) +
                 ",\"unit_price_cents\":" + std::to_string(item.unitPriceCents) + "}";
    }
    items += "]";
    std::vector<SqlParam> params{order.id, order.userId, order.status, order.totalCents, order.createdAtMicros,
                                 std::move(items)};
    if (notification) {
        params.insert(params.end(), {notification->id, notification->topic, notification->payload,
                                     notification->createdAtMicros, notification->createdAtMicros});
    }
    if (idempotency) {
        params.insert(params.end(), {idempotency->key, idempotency->requestHash, idempotency->orderId,
                                     static_cast<std::int64_t>(idempotency->responseStatus), idempotency->responseBody,
                                     idempotency->expiresAtMicros});
    }
    const std::string& sql = statements_[(notification ? 1 : 0) + (idempotency ? 2 : 0)];
    for (int attempt = 0;; ++attempt) {
        auto connection = database_.acquire(database_.acquireTimeout());
        try {
            query(connection, sql, params);
            return;
        } catch (const std::exception& error) {
            // A pooled connection the server dropped fails before the statement ran: once more.
            if (attempt == 0 && isConnectionLost(error)) continue;
            throw;
        }
    }
}

namespace {

// Rows of (order columns..., product_id, quantity, unit_price_cents), several per order in line
// order, orders in the statement's order; an order without items has one row with NULL items.
std::vector<StoredOrder> ordersOf(const SqlRows& rows) {
    std::vector<StoredOrder> orders;
    for (std::size_t row = 0; row < rows.size(); ++row) {
        if (orders.empty() || rows.text(row, 0) != orders.back().id) {
            orders.push_back(StoredOrder{rows.string(row, 0), rows.string(row, 1), rows.string(row, 2),
                                         rows.integer(row, 3), rows.integer(row, 4), {}});
        }
        if (!rows.isNull(row, 5)) {
            orders.back().items.push_back({rows.string(row, 5), static_cast<std::int32_t>(rows.integer(row, 6)),
                                           rows.integer(row, 7)});
        }
    }
    return orders;
}


// The statement list() runs, with placeholders in the order list() binds its parameters: the
// user id twice when `byUser`, then the cursor's created_at_us and id when `afterCursor` (after
// the user id a third time when both).
//
// Every condition is one the index that serves the list can start or stop its scan at, whatever
// plan PostgreSQL's plan cache keeps. A generic plan (the one a prepared statement settles on)
// cannot see which user $1 is: with `user_id = $1` it estimates 1/(distinct users) of the table,
// so where a few users own most orders it walked orders_by_time backwards from the newest order,
// filtering out every other user's orders until it found a page of this one's (6 ms for a
// 5-order page of a user whose orders were older than 19,000 others; see
// docs/benchmarks-method.md). `user_id >= $1 AND user_id <= $2` (the same rows: equal bounds)
// is not an equality, so the order by user_id stays part of the order asked for, which only
// orders_by_user gives. The cursor is a row comparison, which a B-tree index seeks to at once;
// `a < x OR (a = x AND b < y)` is only a filter, read from the first row of the page's end of
// the index up to the cursor. Each placeholder appears once: Poco (SQLite) counts them to match
// bindings, and SQLite compares row values the same way.
std::string listStatement(bool byUser, bool afterCursor, int limit) {
    // One statement: the page's orders (one more than shown, to know whether a next page exists)
    // joined with all their items.
    std::string sql = "WITH page AS (SELECT id, user_id, status, total_cents, created_at_us FROM orders";
    if (byUser && afterCursor) {
        sql += " WHERE user_id >= $1 AND (user_id, created_at_us, id) < ($2, $3, $4)";
    } else if (byUser) {
        sql += " WHERE user_id >= $1 AND user_id <= $2";
    } else if (afterCursor) {
        sql += " WHERE (created_at_us, id) < ($1, $2)";
    }
    sql += std::string(" ORDER BY ") + (byUser ? "user_id DESC, " : "") + "created_at_us DESC, id DESC LIMIT " +
           std::to_string(limit + 1) +
           ") SELECT page.id, page.user_id, page.status, page.total_cents, page.created_at_us, i.product_id, "
           "i.quantity, i.unit_price_cents FROM page LEFT JOIN order_items i ON i.order_id = page.id "
           "ORDER BY page.created_at_us DESC, page.id DESC, i.line";
    return sql;
}

}  // namespace

std::optional<StoredOrder> OrderStore::find(const std::string& id) {
    auto connection = database_.acquire(database_.acquireTimeout());
    auto orders = ordersOf(query(connection,
                                 "SELECT o.id, o.user_id, o.status, o.total_cents, o.created_at_us, i.product_id, "
                                 "i.quantity, i.unit_price_cents FROM orders o LEFT JOIN order_items i ON "
                                 "i.order_id = o.id WHERE o.id = $1 ORDER BY i.line",
                                 {id}));
    if (orders.empty()) return std::nullopt;
    return std::move(orders.front());
}

OrderPage OrderStore::list(const std::string& userId, int limit, const std::optional<PageCursor>& after) {
    std::vector<SqlParam> params;
    if (!userId.empty()) params.insert(params.end(), {userId, userId});
    if (after) params.insert(params.end(), {after->createdAtMicros, after->id});
    const std::string sql = listStatement(!userId.empty(), after.has_value(), limit);
    auto connection = database_.acquire(database_.acquireTimeout());
    auto orders = ordersOf(query(connection, sql, params));

    OrderPage page;
    const std::size_t shown = std::min(orders.size(), static_cast<std::size_t>(limit));
    if (orders.size() > shown && shown > 0) page.next = PageCursor{orders[shown - 1].createdAtMicros, orders[shown - 1].id};
    orders.resize(shown);
    page.orders = std::move(orders);
    return page;
}

std::optional<IdempotencyRecord> OrderStore::findIdempotency(const std::string& key, std::int64_t nowMicros) {
    auto connection = database_.acquire(database_.acquireTimeout());
    const auto rows = query(connection,
                            "SELECT request_hash, order_id, response_status, response_body, expires_at_us FROM "
                            "order_idempotency_keys WHERE idempotency_key = $1 AND expires_at_us > $2",
                            {key, nowMicros});
    if (rows.empty()) return std::nullopt;
    return IdempotencyRecord{key,
                             rows.string(0, 0),
                             rows.string(0, 1),
                             static_cast<int>(rows.integer(0, 2)),
                             rows.string(0, 3),
                             rows.integer(0, 4)};
}

std::vector<OutboxMessage> OrderStore::claimDue(std::int64_t nowMicros, std::int64_t leaseUntilMicros,
                                                int limit) {
    auto connection = database_.acquire(database_.acquireTimeout());
    if (database_.dialect() == SqlDialect::PostgreSQL) {
        // One statement, so one short transaction: the due rows no other instance is claiming at
        // this moment (SKIP LOCKED) are locked and leased together. A row another instance leased
        // since our snapshot is re-checked after its lock and left out (no longer due).
        const auto rows = query(connection,
                                "UPDATE order_outbox o SET next_attempt_at_us = $1, attempts = o.attempts + 1 FROM "
                                "(SELECT id FROM order_outbox WHERE delivered_at_us IS NULL AND next_attempt_at_us <= "
                                "$2 ORDER BY created_at_us LIMIT " +
                                    std::to_string(limit) +
                                    " FOR UPDATE SKIP LOCKED) due WHERE o.id = due.id RETURNING o.id, o.topic, "
                                    "o.payload, o.created_at_us, o.attempts",
                                {leaseUntilMicros, nowMicros});
        std::vector<OutboxMessage> claimed;
        for (std::size_t row = 0; row < rows.size(); ++row) {
            claimed.push_back(OutboxMessage{rows.string(row, 0), rows.string(row, 1), rows.string(row, 2),
                                            rows.integer(row, 3), static_cast<std::int32_t>(rows.integer(row, 4))});
        }
        // RETURNING has no order: oldest first, as the batch was chosen.
        std::sort(claimed.begin(), claimed.end(), [](const OutboxMessage& a, const OutboxMessage& b) {
            return a.createdAtMicros < b.createdAtMicros;
        });
        return claimed;
    }
    // SQLite (one instance per file): select, then claim each row with a conditional update.
    const auto due = query(connection,
                           "SELECT id, topic, payload, created_at_us, attempts FROM order_outbox WHERE delivered_at_us "
                           "IS NULL AND next_attempt_at_us <= $1 ORDER BY created_at_us LIMIT " +
                               std::to_string(limit),
                           {nowMicros});
    std::vector<OutboxMessage> claimed;
    for (std::size_t row = 0; row < due.size(); ++row) {
        const auto claim = query(connection,
                                 "UPDATE order_outbox SET next_attempt_at_us = $1, attempts = attempts + 1 WHERE id = "
                                 "$2 AND delivered_at_us IS NULL AND next_attempt_at_us <= $3",
                                 {leaseUntilMicros, due.string(row, 0), nowMicros});
        if (claim.affected() == 1) {
            claimed.push_back(OutboxMessage{due.string(row, 0), due.string(row, 1), due.string(row, 2),
                                            due.integer(row, 3), static_cast<std::int32_t>(due.integer(row, 4) + 1)});
        }
    }
    return claimed;
}

void OrderStore::markDelivered(const std::string& id, std::int64_t nowMicros) {
    auto connection = database_.acquire(database_.acquireTimeout());
    query(connection, "UPDATE order_outbox SET delivered_at_us = $1, last_error = NULL WHERE id = $2", {nowMicros, id});
}

void OrderStore::markFailed(const std::string& id, std::int64_t nextAttemptMicros, const std::string& error) {
    auto connection = database_.acquire(database_.acquireTimeout());
    query(connection, "UPDATE order_outbox SET next_attempt_at_us = $1, last_error = $2 WHERE id = $3",
          {nextAttemptMicros, error.substr(0, 500), id});
}

std::int64_t OrderStore::pendingCount() {
    auto connection = database_.acquire(database_.acquireTimeout());
    return query(connection, "SELECT COUNT(*) FROM order_outbox WHERE delivered_at_us IS NULL").integer(0, 0);
}

int OrderStore::purgeExpiredIdempotency(std::int64_t nowMicros, int batch) {
    auto connection = database_.acquire(database_.acquireTimeout());
    return static_cast<int>(query(connection,
                                  "DELETE FROM order_idempotency_keys WHERE idempotency_key IN (SELECT idempotency_key "
                                  "FROM order_idempotency_keys WHERE expires_at_us <= $1 LIMIT " +
                                      std::to_string(batch) + ")",
                                  {nowMicros})
                                .affected());
}

int OrderStore::purgeDeliveredOutbox(std::int64_t deliveredBeforeMicros, int batch) {
    auto connection = database_.acquire(database_.acquireTimeout());
    return static_cast<int>(query(connection,
                                  "DELETE FROM order_outbox WHERE id IN (SELECT id FROM order_outbox WHERE "
                                  "delivered_at_us IS NOT NULL AND delivered_at_us <= $1 LIMIT " +
                                      std::to_string(batch) + ")",
                                  {deliveredBeforeMicros})
                                .affected());
}

}  // namespace keel::plugins::orders
