// Orders handlers. Database outages become 503 with Retry-After; nothing is half-written because
// each order is one transaction.
#include "orders_api.h"

#include <keel/ids.h>
#include <keel/problem.h>

#include <algorithm>
#include <vector>

#include "order_json.h"
#include "outbox_dispatcher.h"

namespace keel::plugins::orders {

using keel::resilience::Failure;

namespace {

void unavailable(Response& response, const std::string& title, const std::string& detail,
                 std::chrono::seconds retryAfter) {
    writeProblem(response, Problem::of(503, title, detail));
    response.setHeader("Retry-After", std::to_string(retryAfter.count()));
}

// With authentication on, a caller sees only its own orders unless it holds this scope.
constexpr const char* kAdminScope = "orders:admin";

// The user a request is confined to: the caller's id, or "" when it may see every user's orders
// (no authentication configured, or the admin scope).
std::string confinedUser(const Request& request) {
    const Principal* caller = request.principal();
    if (caller == nullptr || caller->hasScope(kAdminScope)) return "";
    return caller->subject;
}

bool validOrderId(const std::string& id) {
    if (id.size() != 36) return false;
    for (std::size_t i = 0; i < id.size(); ++i) {
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? id[i] != '-' : !std::isxdigit(static_cast<unsigned char>(id[i]))) return false;
    }
    return true;
}

// Runs `work`, answering 503 when the database cannot be reached.
template <class Work>
void withDatabase(Response& response, std::chrono::seconds retryAfter, spdlog::logger& logger, Work&& work) {
    try {
        work();
    } catch (const DatabaseUnavailable& error) {
        // The driver's text names the server: the log gets it, the client a generic one.
        logger.warn("database unavailable: {}", error.what());
        unavailable(response, "Database unavailable", "the database is unavailable; retry later", retryAfter);
    } catch (const HttpError&) {
        throw;
    } catch (const std::exception& error) {
        if (!isConnectionLost(error)) throw;
        unavailable(response, "Database unavailable", "the database connection was lost; retry", retryAfter);
    }
}

}  // namespace

OrdersApi::OrdersApi(OrderStore& store, InventoryClient& inventory,
                     std::shared_ptr<keel::resilience::Pipeline> createPipeline, OrdersApiSettings settings,
                     OrdersMetrics metrics, std::shared_ptr<spdlog::logger> logger, const Features* features)
    : store_(store),
      inventory_(inventory),
      createPipeline_(std::move(createPipeline)),
      settings_(settings),
      metrics_(metrics),
      logger_(std::move(logger)),
      features_(features) {
    if (metrics_.inventoryOutcomes == nullptr) return;
    std::vector<const char*> outcomes{"reserved", "rejected", "disabled"};
    for (int failure = static_cast<int>(Failure::None); failure <= static_cast<int>(Failure::CallFailed); ++failure) {
        outcomes.push_back(keel::resilience::failureName(static_cast<Failure>(failure)));
    }
    for (const char* outcome : outcomes) {
        inventoryOutcomeCounters_[outcome] = &metrics_.inventoryOutcomes->Add({{"outcome", outcome}});
    }
}

void OrdersApi::create(Request& request, Response& response) {
    const auto started = std::chrono::steady_clock::now();
    const Principal* caller = request.principal();
    const OrderRequest order = parseOrderRequest(request.header("Content-Type").value_or(""), request.body(),
                                                 settings_.limits, caller != nullptr ? caller->subject : "");
    const std::string confined = confinedUser(request);
    if (!confined.empty() && order.userId != confined) {
        throw HttpError(403, "Forbidden",
                        "user_id must be the authenticated caller's own id (or be left out); ordering for another "
                        "user needs the orders:admin scope");
    }
    const auto key = request.header("Idempotency-Key");
    // The hash identifies a request for idempotent replay: only needed when a key is given.
    const std::string hash = key ? canonicalRequestHash(order) : std::string();
    if (key) {
        const bool printable =
            std::all_of(key->begin(), key->end(), [](char c) { return c > 0x20 && c < 0x7f; });
        if (key->empty() || key->size() > 255 || !printable) {
            throw HttpError(400, "Invalid Idempotency-Key",
                            "Idempotency-Key must be 1-255 visible ASCII characters");
        }
    }
    withDatabase(response, settings_.unavailableRetryAfter, *logger_, [&] {
        if (key) {
            if (const auto existing = store_.findIdempotency(*key, nowMicros())) {
                replay(*existing, hash, response);
                return;
            }
        }
        // The bulkhead bounds concurrent creations and the deadline applies; never a retry (an order
        // is created at most once) and never the breaker (a bad request is not an outage).
        const auto result = createPipeline_->execute([&](const keel::resilience::Attempt&) {
            // The answer goes into `response`, errors included: an exception escaping to the
            // pipeline would lose it, and nothing here is the pipeline's to retry or count.
            try {
                withDatabase(response, settings_.unavailableRetryAfter, *logger_,
                             [&] { createWithinBulkhead(order, hash, key, response); });
            } catch (const HttpError& error) {
                response.clear();
                writeProblem(response, error.problem());
            } catch (const std::exception& error) {
                logger_->error("order creation failed: {}", describeError(error));
                response.clear();
                writeProblem(response,
                             Problem::of(500, "Internal Server Error", "the order could not be stored"));
            }
            return keel::resilience::Outcome::ok();
        }, keel::resilience::Policies::atMostOnce());
        if (result.attempts == 0) {  // refused before it ran: `response` holds nothing yet
            const bool busy = result.failure == Failure::BulkheadFull;
            unavailable(response, busy ? "Service Busy" : "Service Unavailable",
                        busy ? "service busy, please retry"
                             : std::string("the order could not be placed (") +
                                   keel::resilience::failureName(result.failure) + "); retry later",
                        settings_.busyRetryAfter);
        }
    });
    if (response.status() == 201 && metrics_.createDuration != nullptr) {
        metrics_.created->Increment();
        metrics_.createDuration->Observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
}

void OrdersApi::createWithinBulkhead(const OrderRequest& order, const std::string& hash,
                                     const std::optional<std::string>& key, Response& response) {
    const std::string orderId = newUuid();
    // Reserve first, with no transaction open: a slow inventory service must not hold locks.
    const Reservation reservation = inventory_.reserve(orderId, order);
    const char* outcome = reservation.kind == Reservation::Kind::Reserved   ? "reserved"
                          : reservation.kind == Reservation::Kind::Rejected ? "rejected"
                          : reservation.kind == Reservation::Kind::Disabled
                              ? "disabled"
                              : keel::resilience::failureName(reservation.failure);
    if (const auto counter = inventoryOutcomeCounters_.find(outcome); counter != inventoryOutcomeCounters_.end()) {
        counter->second->Increment();
    } else if (metrics_.inventoryOutcomes != nullptr) {
        metrics_.inventoryOutcomes->Add({{"outcome", outcome}}).Increment();  // a failure added since
    }
    if (reservation.kind == Reservation::Kind::Rejected) {
        writeProblem(response, Problem::of(409, "Insufficient inventory",
                                           "the inventory service refused the reservation (HTTP " +
                                               std::to_string(reservation.status) + ")"));
        return;
    }
    if (reservation.kind == Reservation::Kind::Unavailable) {
        // The client learns that inventory failed, not where it lives: details go to the log.
        logger_->warn("inventory reservation for order {} failed ({}): {}", orderId, outcome, reservation.detail);
        unavailable(response, "Inventory unavailable",
                    reservation.failure == Failure::CircuitOpen
                        ? "the inventory service is failing; its circuit breaker is open"
                        : "the inventory service did not confirm the reservation; retry later",
                    settings_.unavailableRetryAfter);
        return;
    }

    StoredOrder stored;
    stored.id = orderId;
    stored.userId = order.userId;
    stored.status = "confirmed";
    stored.totalCents = order.totalCents();
    stored.createdAtMicros = nowMicros();
    for (const auto& item : order.items)
        stored.items.push_back({item.productId, item.quantity, item.unitPriceCents});
    const std::string body = orderJson(stored);

    std::optional<IdempotencyRecord> record;
    if (key) {
        record = IdempotencyRecord{
            *key,
            hash,
            orderId,
            201,
            body,
            stored.createdAtMicros +
                std::chrono::duration_cast<std::chrono::microseconds>(settings_.idempotencyRetention)
                    .count()};
    }
    std::optional<OutboxMessage> notification;
    if (settings_.notify) {
        notification =
            OutboxMessage{newUuid(), "order.created", R"({"event":"order.created","order":)" + body + "}",
                          stored.createdAtMicros, 0};
    }
    try {
        store_.create(stored, record, notification);
    } catch (const IdempotencyConflict&) {
        compensate(orderId);
        const auto existing = store_.findIdempotency(*key, nowMicros());
        if (!existing) throw;
        replay(*existing, hash, response);
        return;
    } catch (...) {
        compensate(orderId);
        throw;
    }
    response.send(201, body, "application/json");
    response.setHeader("Location", "/api/v1/orders/" + orderId);
}

void OrdersApi::replay(const IdempotencyRecord& record, const std::string& hash, Response& response) {
    if (record.requestHash != hash) {
        writeProblem(response, Problem::of(422, "Idempotency-Key reused",
                                           "Idempotency-Key " + record.key +
                                               " was already used for a different request; use a new key"));
        return;
    }
    response.send(record.responseStatus, record.responseBody, "application/json");
    response.setHeader("Location", "/api/v1/orders/" + record.orderId);
    response.setHeader("Idempotent-Replayed", "true");
}

void OrdersApi::compensate(const std::string& orderId) {
    if (!inventory_.enabled()) return;
    const bool released = inventory_.release(orderId);
    if (metrics_.compensations != nullptr) {
        metrics_.compensations->Add({{"result", released ? "released" : "failed"}}).Increment();
    }
    if (!released) {
        logger_->error(
            "order {} was not stored and its inventory reservation could not be released; "
            "reconcile it with the inventory service",
            orderId);
    }
}

void OrdersApi::get(Request& request, Response& response) {
    const std::string& id = request.pathParameter("id");
    if (!validOrderId(id)) throw HttpError(404, "Not Found", "no order with id " + id);
    withDatabase(response, settings_.unavailableRetryAfter, *logger_, [&] {
        const auto order = store_.find(id);
        // Another user's order answers exactly like a missing one: ids cannot be probed.
        const std::string confined = confinedUser(request);
        if (!order || (!confined.empty() && order->userId != confined)) {
            throw HttpError(404, "Not Found", "no order with id " + id);
        }
        response.sendJson(200, orderJson(*order));
    });
}

void OrdersApi::list(Request& request, Response& response) {
    std::string userId = request.query("user_id").value_or("");
    if (const std::string confined = confinedUser(request); !confined.empty()) {
        if (!userId.empty() && userId != confined) {
            throw HttpError(403, "Forbidden",
                            "user_id must be the authenticated caller's own id (or be left out); listing another "
                            "user's orders needs the orders:admin scope");
        }
        userId = confined;
    }
    if (userId.size() > settings_.limits.maxIdLength * 4) {
        throw HttpError(
            400, "Invalid query",
            "user_id is longer than " + std::to_string(settings_.limits.maxIdLength) + " characters");
    }
    int limit = settings_.defaultPageSize;
    if (const auto text = request.query("limit")) {
        int parsed = 0;
        const bool digits = !text->empty() && text->size() <= 4 &&
                            std::all_of(text->begin(), text->end(),
                                        [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
        if (digits) parsed = std::stoi(*text);
        if (!digits || parsed < 1 || parsed > 100) {
            throw HttpError(400, "Invalid query",
                            "limit must be an integer between 1 and 100, got '" + *text + "'");
        }
        limit = parsed;
    }
    std::optional<PageCursor> after;
    if (const auto cursor = request.query("cursor")) {
        after = decodeCursor(*cursor);
        if (!after) throw HttpError(400, "Invalid query", "cursor is not one this API returned");
    }
    withDatabase(response, settings_.unavailableRetryAfter, *logger_,
                 [&] {
                     const bool summary = features_ != nullptr && features_->enabled("new_feature");
                     response.sendJson(200, pageJson(store_.list(userId, limit, after), summary));
                 });
}

}  // namespace keel::plugins::orders
