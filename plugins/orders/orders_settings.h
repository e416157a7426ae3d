// Every configuration key of the orders plugin, declared and read in one place.
#pragma once

#include <chrono>
#include <string>

#include <keel/config.h>

#include <vector>

#include "orders_api.h"
#include "outbox_dispatcher.h"

namespace keel::plugins::orders {

struct OrdersSettings {
    OrdersApiSettings api;
    OutboxSettings outbox;
    std::string inventoryUrl;
    std::string inventoryPipeline;
    std::string createPipeline;
    std::chrono::milliseconds outboxInterval{1000};
    std::chrono::milliseconds outboxRetention{std::chrono::hours(168)};
    std::chrono::milliseconds maintenanceInterval{60000};
    int maintenanceBatch = 1000;
};

// Every key of [orders], relative to the section; plugin.cpp declares them.
std::vector<ConfigKey> ordersKeys();
OrdersSettings readOrdersSettings(const Settings& settings);

}  // namespace keel::plugins::orders
