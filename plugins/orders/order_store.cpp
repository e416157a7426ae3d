// SQL of the orders plugin.
#include "order_store.h"

#include <Poco/Data/Statement.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/Nullable.h>
#include <Poco/String.h>

#include <map>
#include <sstream>

namespace keel::plugins::orders {

using namespace Poco::Data::Keywords;
using Poco::Data::Statement;

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
            auto& session = connection.session();
            StoredOrder row = order;
            session << "INSERT INTO orders (id, user_id, status, total_cents, created_at_us) VALUES ($1, $2, "
                       "$3, $4, $5)",
                use(row.id), use(row.userId), use(row.status), use(row.totalCents), use(row.createdAtMicros),
                now;
            // All items in one statement: a multi-execution bulk insert could fail half-way on a
            // statement Poco must not run again.
            std::string sql =
                "INSERT INTO order_items (order_id, line, product_id, quantity, unit_price_cents) VALUES ";
            std::vector<std::string> productIds;
            std::vector<Poco::Int32> lines, quantities;
            std::vector<Poco::Int64> prices;
            for (std::size_t i = 0; i < row.items.size(); ++i) {
                const int base = static_cast<int>(i) * 5;
                sql += (i == 0 ? "" : ", ") + std::string("($") + std::to_string(base + 1) + ", $" +
                       std::to_string(base + 2) + ", $" + std::to_string(base + 3) + ", $" +
                       std::to_string(base + 4) + ", $" + std::to_string(base + 5) + ")";
            }
            Statement items(session);
            items << sql;
            lines.reserve(row.items.size());
            for (std::size_t i = 0; i < row.items.size(); ++i) {
                lines.push_back(static_cast<Poco::Int32>(i + 1));
                productIds.push_back(row.items[i].productId);
                quantities.push_back(row.items[i].quantity);
                prices.push_back(row.items[i].unitPriceCents);
            }
            for (std::size_t i = 0; i < row.items.size(); ++i) {
                items, use(row.id), use(lines[i]), use(productIds[i]), use(quantities[i]), use(prices[i]);
            }
            items.execute();
            if (notification) {
                OutboxMessage message = *notification;
                Poco::Int32 attempts = 0;
                session << "INSERT INTO order_outbox (id, topic, payload, created_at_us, attempts, "
                           "next_attempt_at_us) "
                           "VALUES ($1, $2, $3, $4, $5, $6)",
                    use(message.id), use(message.topic), use(message.payload), use(message.createdAtMicros),
                    use(attempts), use(message.createdAtMicros), now;
            }
            if (idempotency) {
                IdempotencyRecord record = *idempotency;
                session << "INSERT INTO order_idempotency_keys (idempotency_key, request_hash, order_id, "
                           "response_status, response_body, expires_at_us) VALUES ($1, $2, $3, $4, $5, $6)",
                    use(record.key), use(record.requestHash), use(record.orderId), use(record.responseStatus),
                    use(record.responseBody), use(record.expiresAtMicros), now;
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

void OrderStore::createInOneStatement(const StoredOrder& order, const std::optional<IdempotencyRecord>& idempotency,
                                      const std::optional<OutboxMessage>& notification) {
    // The order, its items, and its outbox and idempotency rows in one data-modifying statement:
    // one round trip and its own transaction (PostgreSQL checks the foreign key at its end). The
    // items travel as one JSON parameter, so the statement text does not grow with them.
    Poco::JSON::Array lines;
    for (std::size_t i = 0; i < order.items.size(); ++i) {
        Poco::JSON::Object::Ptr line = new Poco::JSON::Object;
        line->set("line", static_cast<int>(i + 1));
        line->set("product_id", order.items[i].productId);
        line->set("quantity", order.items[i].quantity);
        line->set("unit_price_cents", order.items[i].unitPriceCents);
        lines.add(line);
    }
    std::ostringstream itemsJson;
    lines.stringify(itemsJson);

    // Each placeholder appears once (Poco counts them to match bindings): values used twice are
    // bound twice.
    std::string sql =
        "WITH new_order AS (INSERT INTO orders (id, user_id, status, total_cents, created_at_us) "
        "VALUES ($1, $2, $3, $4, $5)), "
        "new_items AS (INSERT INTO order_items (order_id, line, product_id, quantity, unit_price_cents) "
        "SELECT $6, item.line, item.product_id, item.quantity, item.unit_price_cents FROM json_to_recordset($7::json) "
        "AS item(line integer, product_id text, quantity integer, unit_price_cents bigint))";
    int next = 8;
    const auto placeholders = [&next](int count) {
        std::string list;
        for (int i = 0; i < count; ++i) list += (i == 0 ? "$" : ", $") + std::to_string(next++);
        return list;
    };
    // One call per statement: the order of evaluation of `a + f() + f()` is unspecified.
    if (notification) {
        sql += ", new_message AS (INSERT INTO order_outbox (id, topic, payload, created_at_us, next_attempt_at_us, "
               "attempts) VALUES (";
        sql += placeholders(5);
        sql += ", 0))";
    }
    if (idempotency) {
        sql += ", new_key AS (INSERT INTO order_idempotency_keys (idempotency_key, request_hash, order_id, "
               "response_status, response_body, expires_at_us) VALUES (";
        sql += placeholders(6);
        sql += "))";
    }
    sql += " SELECT 1";

    StoredOrder row = order;
    std::string itemOrderId = order.id;
    std::string items = itemsJson.str();
    OutboxMessage message = notification.value_or(OutboxMessage{});
    Poco::Int64 nextAttempt = message.createdAtMicros;
    IdempotencyRecord record = idempotency.value_or(IdempotencyRecord{});
    for (int attempt = 0;; ++attempt) {
        auto connection = database_.acquire(database_.acquireTimeout());
        try {
            Statement insert(connection.session());
            insert << sql, use(row.id), use(row.userId), use(row.status), use(row.totalCents), use(row.createdAtMicros),
                use(itemOrderId), use(items);
            if (notification) {
                insert, use(message.id), use(message.topic), use(message.payload), use(message.createdAtMicros),
                    use(nextAttempt);
            }
            if (idempotency) {
                insert, use(record.key), use(record.requestHash), use(record.orderId), use(record.responseStatus),
                    use(record.responseBody), use(record.expiresAtMicros);
            }
            insert.execute();
            return;
        } catch (const std::exception& error) {
            // A pooled session the server dropped fails before the statement ran: once more.
            if (attempt == 0 && isConnectionLost(error)) continue;
            throw;
        }
    }
}

std::map<std::string, std::vector<StoredItem>> OrderStore::itemsOf(Poco::Data::Session& session,
                                                                  const std::vector<std::string>& orderIds) {
    std::map<std::string, std::vector<StoredItem>> items;
    if (orderIds.empty()) return items;
    // Every order's items in one statement, however many orders a page holds (no query per order).
    std::string sql =
        "SELECT order_id, product_id, quantity, unit_price_cents FROM order_items WHERE order_id IN (";
    for (std::size_t i = 0; i < orderIds.size(); ++i) sql += (i == 0 ? "$" : ", $") + std::to_string(i + 1);
    sql += ") ORDER BY order_id, line";
    std::vector<std::string> ids = orderIds;  // use() binds non-const lvalues
    std::vector<std::string> owners, products;
    std::vector<Poco::Int32> quantities;
    std::vector<Poco::Int64> prices;
    Statement select(session);
    select << sql;
    for (auto& id : ids) select, use(id);
    select, into(owners), into(products), into(quantities), into(prices);
    select.execute();
    for (std::size_t i = 0; i < owners.size(); ++i) items[owners[i]].push_back({products[i], quantities[i], prices[i]});
    return items;
}

std::optional<StoredOrder> OrderStore::find(const std::string& id) {
    auto connection = database_.acquire(database_.acquireTimeout());
    auto& session = connection.session();
    std::string key = id;
    std::vector<std::string> users, statuses;
    std::vector<Poco::Int64> totals, created;
    session << "SELECT user_id, status, total_cents, created_at_us FROM orders WHERE id = $1", use(key),
        into(users), into(statuses), into(totals), into(created), now;
    if (users.empty()) return std::nullopt;
    auto items = itemsOf(session, {id});
    return StoredOrder{id, users[0], statuses[0], totals[0], created[0], std::move(items[id])};
}

OrderPage OrderStore::list(const std::string& userId, int limit, const std::optional<PageCursor>& after) {
    auto connection = database_.acquire(database_.acquireTimeout());
    auto& session = connection.session();
    std::string sql = "SELECT id, user_id, status, total_cents, created_at_us FROM orders";
    std::vector<std::string> conditions;
    int next = 1;
    if (!userId.empty()) conditions.push_back("user_id = $" + std::to_string(next++));
    if (after) {
        // Each placeholder appears once: Poco counts them to match bindings.
        const std::string before = "$" + std::to_string(next++);
        const std::string same = "$" + std::to_string(next++);
        const std::string id = "$" + std::to_string(next++);
        conditions.push_back("(created_at_us < " + before + " OR (created_at_us = " + same + " AND id < " +
                             id + "))");
    }
    for (std::size_t i = 0; i < conditions.size(); ++i) sql += (i == 0 ? " WHERE " : " AND ") + conditions[i];
    sql += " ORDER BY created_at_us DESC, id DESC LIMIT " + std::to_string(limit + 1);

    std::string user = userId;
    Poco::Int64 afterAt = after ? after->createdAtMicros : 0;
    std::string afterId = after ? after->id : "";
    std::vector<std::string> ids, users, statuses;
    std::vector<Poco::Int64> totals, created;
    Statement select(session);
    select << sql;
    if (!userId.empty()) select, use(user);
    if (after) select, use(afterAt), use(afterAt), use(afterId);
    select, into(ids), into(users), into(statuses), into(totals), into(created);
    select.execute();

    OrderPage page;
    const std::size_t shown = std::min(ids.size(), static_cast<std::size_t>(limit));
    auto items = itemsOf(session, std::vector<std::string>(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(shown)));
    for (std::size_t i = 0; i < shown; ++i) {
        page.orders.push_back(StoredOrder{ids[i], users[i], statuses[i], totals[i], created[i], std::move(items[ids[i]])});
    }
    if (ids.size() > shown && shown > 0) page.next = PageCursor{created[shown - 1], ids[shown - 1]};
    return page;
}

std::optional<IdempotencyRecord> OrderStore::findIdempotency(const std::string& key, std::int64_t nowMicros) {
    auto connection = database_.acquire(database_.acquireTimeout());
    std::string lookup = key;
    Poco::Int64 current = nowMicros;
    std::vector<std::string> hashes, orderIds, bodies;
    std::vector<Poco::Int32> statuses;
    std::vector<Poco::Int64> expiries;
    connection.session()
        << "SELECT request_hash, order_id, response_status, response_body, expires_at_us FROM "
           "order_idempotency_keys WHERE idempotency_key = $1 AND expires_at_us > $2",
        use(lookup), use(current), into(hashes), into(orderIds), into(statuses), into(bodies), into(expiries),
        now;
    if (hashes.empty()) return std::nullopt;
    return IdempotencyRecord{key, hashes[0], orderIds[0], statuses[0], bodies[0], expiries[0]};
}

std::vector<OutboxMessage> OrderStore::claimDue(std::int64_t nowMicros, std::int64_t leaseUntilMicros,
                                                int limit) {
    auto connection = database_.acquire(database_.acquireTimeout());
    auto& session = connection.session();
    Poco::Int64 current = nowMicros;
    std::vector<std::string> ids, topics, payloads;
    std::vector<Poco::Int64> created;
    std::vector<Poco::Int32> attempts;
    session << "SELECT id, topic, payload, created_at_us, attempts FROM order_outbox WHERE delivered_at_us "
               "IS NULL "
               "AND next_attempt_at_us <= $1 ORDER BY created_at_us LIMIT " +
                   std::to_string(limit),
        use(current), into(ids), into(topics), into(payloads), into(created), into(attempts), now;
    std::vector<OutboxMessage> claimed;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        std::string id = ids[i];
        Poco::Int64 lease = leaseUntilMicros;
        Statement claim(session);
        claim << "UPDATE order_outbox SET next_attempt_at_us = $1, attempts = attempts + 1 WHERE id = $2 AND "
                 "delivered_at_us IS NULL AND next_attempt_at_us <= $3",
            use(lease), use(id), use(current);
        if (claim.execute() == 1)
            claimed.push_back(OutboxMessage{ids[i], topics[i], payloads[i], created[i], attempts[i] + 1});
    }
    return claimed;
}

void OrderStore::markDelivered(const std::string& id, std::int64_t nowMicros) {
    auto connection = database_.acquire(database_.acquireTimeout());
    std::string key = id;
    Poco::Int64 at = nowMicros;
    connection.session() << "UPDATE order_outbox SET delivered_at_us = $1, last_error = NULL WHERE id = $2",
        use(at), use(key), now;
}

void OrderStore::markFailed(const std::string& id, std::int64_t nextAttemptMicros, const std::string& error) {
    auto connection = database_.acquire(database_.acquireTimeout());
    std::string key = id;
    Poco::Int64 next = nextAttemptMicros;
    std::string message = error.substr(0, 500);
    connection.session() << "UPDATE order_outbox SET next_attempt_at_us = $1, last_error = $2 WHERE id = $3",
        use(next), use(message), use(key), now;
}

std::int64_t OrderStore::pendingCount() {
    auto connection = database_.acquire(database_.acquireTimeout());
    Poco::Int64 count = 0;
    connection.session() << "SELECT COUNT(*) FROM order_outbox WHERE delivered_at_us IS NULL", into(count),
        now;
    return count;
}

int OrderStore::purgeExpiredIdempotency(std::int64_t nowMicros, int batch) {
    auto connection = database_.acquire(database_.acquireTimeout());
    Poco::Int64 current = nowMicros;
    Statement purge(connection.session());
    purge << "DELETE FROM order_idempotency_keys WHERE idempotency_key IN (SELECT idempotency_key FROM "
             "order_idempotency_keys WHERE expires_at_us <= $1 LIMIT " +
                 std::to_string(batch) + ")",
        use(current);
    return static_cast<int>(purge.execute());
}

int OrderStore::purgeDeliveredOutbox(std::int64_t deliveredBeforeMicros, int batch) {
    auto connection = database_.acquire(database_.acquireTimeout());
    Poco::Int64 before = deliveredBeforeMicros;
    Statement purge(connection.session());
    purge << "DELETE FROM order_outbox WHERE id IN (SELECT id FROM order_outbox WHERE delivered_at_us IS NOT "
             "NULL AND "
             "delivered_at_us <= $1 LIMIT " +
                 std::to_string(batch) + ")",
        use(before);
    return static_cast<int>(purge.execute());
}

}  // namespace keel::plugins::orders
