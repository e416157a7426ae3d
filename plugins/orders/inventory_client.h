// Inventory reservations over HTTP through the `inventory` resilience pipeline: POST /reserve,
// and the compensating POST /release when an order cannot be stored. Thread-safe.
#pragma once

#include <keel/http_client.h>
#include <keel/resilience.h>

#include <memory>
#include <string>

#include "order_request.h"

namespace keel::plugins::orders {

struct Reservation {
    enum class Kind { Reserved, Rejected, Unavailable, Disabled };
    Kind kind = Kind::Disabled;
    int status = 0;  // the inventory service's answer, when there was one
    keel::resilience::Failure failure = keel::resilience::Failure::None;
    std::string detail;
};

class InventoryClient {
public:
    // `baseUrl` empty: inventory is not checked (Reservation::Disabled).
    InventoryClient(std::string baseUrl, std::shared_ptr<keel::resilience::Pipeline> pipeline);

    Reservation reserve(const std::string& orderId, const OrderRequest& order);
    // True when the inventory service confirmed the release.
    bool release(const std::string& orderId);
    bool enabled() const { return !baseUrl_.empty(); }

private:
    keel::resilience::Result post(const std::string& path, const std::string& body, const std::string& key,
                                  int& status);

    std::string baseUrl_;
    std::shared_ptr<keel::resilience::Pipeline> pipeline_;
    HttpClient client_;
};

}  // namespace keel::plugins::orders
