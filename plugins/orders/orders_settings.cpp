// orders.* keys. INVENTORY_SERVICE_URL is the classic alias of orders.inventory.url (host table).
#include "orders_settings.h"

#include <Poco/Exception.h>
#include <Poco/URI.h>

namespace keel::plugins::orders {

namespace {
constexpr double kDay = 24.0 * 3600.0 * 1000.0;
}

std::vector<ConfigKey> ordersKeys() {
    using K = ConfigKey;
    return {
             K::string("inventory.url", "",
                       "Inventory service base URL; orders POST /reserve and /release there (classic "
                       "INVENTORY_SERVICE_URL). Empty: inventory is not checked."),
             K::string("inventory.pipeline", "inventory", "Resilience pipeline of inventory calls."),
             K::string("create_pipeline", "orders",
                       "Resilience pipeline whose bulkhead bounds concurrent order creation (BULKHEAD_SIZE)."),
             K::string("notify.url", "",
                       "Where order notifications are POSTed from the outbox. Empty: no notifications."),
             K::duration("notify.timeout", "2s", "Timeout of one notification delivery.").range(1, 60000),
             K::duration("outbox.interval", "1s", "How often due notifications are delivered.").range(10, kDay),
             K::integer("outbox.batch", 100, "Notifications delivered per pass at most.").range(1, 10000),
             K::duration("outbox.backoff_base", "1s", "First retry delay of a failed notification.").range(1, kDay),
             K::duration("outbox.backoff_max", "5m", "Longest retry delay of a failed notification.").range(1, kDay),
             K::duration("outbox.lease", "30s",
                         "How long a claimed notification waits before another attempt when its host dies mid-delivery.")
                 .range(100, kDay),
             K::duration("outbox.retention", "168h", "How long delivered notifications are kept.").range(0, 365 * kDay),
             K::duration("idempotency.retention", "24h", "How long an Idempotency-Key is remembered.").range(1000, 365 * kDay),
             K::duration("maintenance.interval", "1m", "How often expired keys and old notifications are purged.")
                 .range(1000, kDay),
             K::integer("maintenance.batch", 1000, "Rows deleted per statement when purging.").range(1, 100000),
             K::integer("max_items", 100, "Items per order at most.").range(1, 1000),
             K::integer("max_body_size", 65536, "Largest order body in bytes.").range(256, 10485760),
             K::integer("page_size", 20, "Orders per page when the request gives no limit.").range(1, 100),
             K::duration("busy_retry_after", "1s", "Retry-After when order creation is at its bulkhead limit.")
                 .range(1000, 3600000),
             K::duration("unavailable_retry_after", "5s",
                         "Retry-After when the database or the inventory service is unavailable.")
                 .range(1000, 3600000),
    };
}

OrdersSettings readOrdersSettings(const Settings& settings) {
    OrdersSettings orders;
    orders.inventoryUrl = settings.getString("inventory.url");
    orders.inventoryPipeline = settings.getString("inventory.pipeline");
    orders.createPipeline = settings.getString("create_pipeline");
    orders.outbox.notifyUrl = settings.getString("notify.url");
    orders.outbox.timeout = settings.getDuration("notify.timeout");
    orders.outbox.batch = static_cast<int>(settings.getInt("outbox.batch"));
    orders.outbox.backoffBase = settings.getDuration("outbox.backoff_base");
    orders.outbox.backoffMax = settings.getDuration("outbox.backoff_max");
    orders.outbox.lease = settings.getDuration("outbox.lease");
    orders.outboxInterval = settings.getDuration("outbox.interval");
    orders.outboxRetention = settings.getDuration("outbox.retention");
    orders.maintenanceInterval = settings.getDuration("maintenance.interval");
    orders.maintenanceBatch = static_cast<int>(settings.getInt("maintenance.batch"));
    orders.api.limits.maxItems = static_cast<std::size_t>(settings.getInt("max_items"));
    orders.api.limits.maxBodyBytes = static_cast<std::size_t>(settings.getInt("max_body_size"));
    orders.api.defaultPageSize = static_cast<int>(settings.getInt("page_size"));
    orders.api.idempotencyRetention = settings.getDuration("idempotency.retention");
    orders.api.busyRetryAfter = std::chrono::duration_cast<std::chrono::seconds>(settings.getDuration("busy_retry_after"));
    orders.api.unavailableRetryAfter =
        std::chrono::duration_cast<std::chrono::seconds>(settings.getDuration("unavailable_retry_after"));
    orders.api.notify = !orders.outbox.notifyUrl.empty();
    const auto isHttpUrl = [](const std::string& url) {
        try {
            const Poco::URI uri(url);
            return (uri.getScheme() == "http" || uri.getScheme() == "https") && !uri.getHost().empty();
        } catch (const Poco::SyntaxException&) {
            return false;
        }
    };
    if (!orders.inventoryUrl.empty() && !isHttpUrl(orders.inventoryUrl)) {
        throw ConfigError("orders.inventory.url = \"" + orders.inventoryUrl + "\": expected an http:// or https:// URL, or empty");
    }
    if (orders.api.notify && !isHttpUrl(orders.outbox.notifyUrl)) {
        throw ConfigError("orders.notify.url = \"" + orders.outbox.notifyUrl + "\": expected an http:// or https:// URL, or empty");
    }
    return orders;
}

}  // namespace keel::plugins::orders
