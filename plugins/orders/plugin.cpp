// The orders plugin: the reference business plugin on PostgreSQL or SQLite.
#include <memory>

#include <keel/plugin.h>

#include "inventory_client.h"
#include "maintenance_lease.h"
#include "migrations.h"
#include "openapi.h"
#include "order_store.h"
#include "orders_api.h"
#include "orders_settings.h"
#include "outbox_dispatcher.h"

namespace keel::plugins::orders {

class OrdersPlugin final : public Plugin {
public:
    static constexpr const char* kRequirements[] = {"resilience", nullptr};
    static constexpr PluginInfo kInfo{"orders", "1.0.0", "Orders API on PostgreSQL or SQLite", kRequirements};

    void configure(Registrar& registrar) override {
        for (auto& key : ordersKeys()) registrar.declare(std::move(key));
        settings_ = readOrdersSettings(registrar.settings());
        logger_ = registrar.logger();
        Database& database = registrar.database("default");
        registrar.addMigrations("default", {Migration{1, "001_create_orders.sql", generated::kCreateOrders,
                                                      generated::kCreateOrders}});
        store_ = std::make_unique<OrderStore>(database);
        lease_ = std::make_unique<MaintenanceLease>(database, kMaintenanceLockKey, logger_);

        auto& metrics = registrar.metrics();
        metrics_.created = &metrics.counter("orders_created_total", "Orders stored.").Add({});
        metrics_.createDuration = &metrics.histogram("orders_create_duration_seconds", "Time to create an order.")
                                       .Add({}, prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1,
                                                                                        0.25, 0.5, 1, 2.5, 5, 10});
        metrics_.inventoryOutcomes = &metrics.counter("orders_inventory_outcomes_total", "Inventory reservations by outcome.");
        metrics_.compensations = &metrics.counter("orders_compensations_total", "Compensating releases by result.");
        deliveries_ = &metrics.counter("orders_notifications_total", "Notification deliveries by result.");
        backlog_ = &metrics.gauge("orders_outbox_backlog", "Notifications not yet delivered.").Add({});

        // Scopes count once an authenticating plugin (auth) is loaded; see docs/security.md.
        registrar.post("/api/v1/orders", [this](Request& request, Response& response) { api_->create(request, response); })
            .requireScope("orders:write");
        registrar.get("/api/v1/orders", [this](Request& request, Response& response) { api_->list(request, response); })
            .requireScope("orders:read");
        registrar.get("/api/v1/orders/{id}", [this](Request& request, Response& response) { api_->get(request, response); })
            .requireScope("orders:read");
        registrar.get("/api/v1/openapi.yaml", [](Request&, Response& response) {
            response.send(200, generated::kOpenApi, "application/yaml");
        }).markNonBlocking();

        if (!settings_.outbox.notifyUrl.empty()) {
            registrar.addPeriodicTask({"outbox", settings_.outboxInterval, settings_.outboxInterval / 10, true,
                                       [this] { outbox_->runOnce(); }});
        }
        registrar.addPeriodicTask({"maintenance", settings_.maintenanceInterval, settings_.maintenanceInterval / 10,
                                   false, [this] { purge(); }});
    }

    void start(Context& context) override {
        auto resilience = context.service<keel::resilience::ResilienceService>("resilience");
        inventory_ = std::make_unique<InventoryClient>(settings_.inventoryUrl, resilience->pipeline(settings_.inventoryPipeline));
        api_ = std::make_unique<OrdersApi>(*store_, *inventory_, resilience->pipeline(settings_.createPipeline),
                                           settings_.api, metrics_, logger_, &context.features());
        outbox_ = std::make_unique<OutboxDispatcher>(*store_, settings_.outbox, *deliveries_, *backlog_, logger_);
    }

    void stop(std::chrono::steady_clock::time_point) override {
        // Pipelines belong to the resilience plugin: let go of them before it can be unloaded.
        api_.reset();
        inventory_.reset();
    }

private:
    // The advisory lock id of the purges ("KEELORDR"), shared by every instance on the database.
    static constexpr std::int64_t kMaintenanceLockKey = 0x4B45454C4F524452;

    void purge() {
        if (!lease_->hold()) {
            logger_->debug("maintenance skipped: another instance holds the maintenance lease");
            return;
        }
        const auto now = nowMicros();
        const auto retention = std::chrono::duration_cast<std::chrono::microseconds>(settings_.outboxRetention).count();
        int keys = 0;
        int delivered = 0;
        // Bounded batches, at most ten per pass, so a large backlog never holds the database long.
        for (int round = 0; round < 10; ++round) {
            const int purgedKeys = store_->purgeExpiredIdempotency(now, settings_.maintenanceBatch);
            const int purgedOutbox = store_->purgeDeliveredOutbox(now - retention, settings_.maintenanceBatch);
            keys += purgedKeys;
            delivered += purgedOutbox;
            if (purgedKeys < settings_.maintenanceBatch && purgedOutbox < settings_.maintenanceBatch) break;
        }
        // One line per run across the fleet (only the lease holder runs): operators see it happen.
        logger_->info("maintenance run: purged {} idempotency keys and {} delivered notifications", keys, delivered);
    }

    OrdersSettings settings_;
    std::shared_ptr<spdlog::logger> logger_;
    std::unique_ptr<OrderStore> store_;
    std::unique_ptr<MaintenanceLease> lease_;
    OrdersMetrics metrics_;
    prometheus::Family<prometheus::Counter>* deliveries_ = nullptr;
    prometheus::Gauge* backlog_ = nullptr;
    std::unique_ptr<InventoryClient> inventory_;
    std::unique_ptr<OrdersApi> api_;
    std::unique_ptr<OutboxDispatcher> outbox_;
};

}  // namespace keel::plugins::orders

KEEL_PLUGIN(keel::plugins::orders::OrdersPlugin)
