// The HTTP API of the orders plugin: create (validated, idempotent, inventory reserved outside
// any transaction, compensated on failure), get, and keyset-paginated list.
#pragma once

#include <keel/features.h>
#include <keel/metrics.h>
#include <keel/route.h>
#include <keel/resilience.h>
#include <spdlog/logger.h>

#include <chrono>
#include <memory>
#include <string_view>
#include <unordered_map>

#include "inventory_client.h"
#include "order_request.h"
#include "order_store.h"

namespace keel::plugins::orders {

struct OrdersApiSettings {
    OrderLimits limits;
    int defaultPageSize = 20;
    std::chrono::milliseconds idempotencyRetention{std::chrono::hours(24)};
    std::chrono::seconds busyRetryAfter{1};
    std::chrono::seconds unavailableRetryAfter{5};
    bool notify = false;  // write an outbox row per order
};

struct OrdersMetrics {
    prometheus::Counter* created = nullptr;
    prometheus::Histogram* createDuration = nullptr;
    prometheus::Family<prometheus::Counter>* inventoryOutcomes = nullptr;
    prometheus::Family<prometheus::Counter>* compensations = nullptr;
};

class OrdersApi {
public:
    OrdersApi(OrderStore& store, InventoryClient& inventory,
              std::shared_ptr<keel::resilience::Pipeline> createPipeline, OrdersApiSettings settings,
              OrdersMetrics metrics, std::shared_ptr<spdlog::logger> logger, const Features* features = nullptr);

    void create(Request& request, Response& response);
    void get(Request& request, Response& response);
    void list(Request& request, Response& response);

private:
    void createWithinBulkhead(const OrderRequest& order, const std::string& hash,
                              const std::optional<std::string>& key, Response& response);
    void replay(const IdempotencyRecord& record, const std::string& hash, Response& response);
    void compensate(const std::string& orderId);

    OrderStore& store_;
    InventoryClient& inventory_;
    std::shared_ptr<keel::resilience::Pipeline> createPipeline_;
    OrdersApiSettings settings_;
    OrdersMetrics metrics_;
    std::shared_ptr<spdlog::logger> logger_;
    const Features* features_;  // the host's flags (new_feature: list summaries); may be null
    // The series of metrics_.inventoryOutcomes by outcome label, resolved once: every outcome
    // reads 0 until it happens, and an order pays no label lookup.
    std::unordered_map<std::string_view, prometheus::Counter*> inventoryOutcomeCounters_;
};

}  // namespace keel::plugins::orders
