// Reservation calls: the pipeline decides retries, the breaker and timeouts; this file decides
// what an answer means.
#include "inventory_client.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <keel/json.h>

namespace keel::plugins::orders {

using keel::resilience::Failure;
using keel::resilience::Outcome;

InventoryClient::InventoryClient(std::string baseUrl, std::shared_ptr<keel::resilience::Pipeline> pipeline)
    : baseUrl_(std::move(baseUrl)), pipeline_(std::move(pipeline)) {
    while (!baseUrl_.empty() && baseUrl_.back() == '/') baseUrl_.pop_back();
}

keel::resilience::Result InventoryClient::post(const std::string& path, const std::string& body,
                                               const std::string& key, int& status) {
    return pipeline_->execute([&](const keel::resilience::Attempt& attempt) {
        ClientRequest request;
        request.method = "POST";
        request.url = baseUrl_ + path;
        request.body = body;
        request.headers.set("Content-Type", "application/json");
        // The same key on every attempt: a retried reservation is not a second reservation.
        request.headers.set("Idempotency-Key", key);
        request.timeout = attempt.remaining();
        try {
            const auto reply = client_.send(request);
            status = reply.status;
            return Outcome::fromHttpStatus(reply.status, reply.headers.get("Retry-After"));
        } catch (const HttpClientError& error) {
            status = 0;
            return Outcome::failure(error.what(), true);
        }
    });
}

Reservation InventoryClient::reserve(const std::string& orderId, const OrderRequest& order) {
    if (baseUrl_.empty()) return Reservation{};
    Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    body.set("order_id", orderId);
    Poco::JSON::Array::Ptr items = new Poco::JSON::Array();
    for (const auto& item : order.items) {
        Poco::JSON::Object::Ptr line = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        line->set("product_id", item.productId);
        line->set("quantity", item.quantity);
        items->add(line);
    }
    body.set("items", items);
    int status = 0;
    const auto result = post("/reserve", toJsonText(body), "reserve-" + orderId, status);
    Reservation reservation;
    reservation.status = status;
    reservation.failure = result.failure;
    reservation.detail = result.detail;
    if (result.ok()) {
        reservation.kind = Reservation::Kind::Reserved;
    } else if (result.failure == Failure::CallFailed && status >= 400 && status < 500) {
        reservation.kind = Reservation::Kind::Rejected;  // out of stock, unknown product...
    } else {
        reservation.kind = Reservation::Kind::Unavailable;
    }
    return reservation;
}

bool InventoryClient::release(const std::string& orderId) {
    if (baseUrl_.empty()) return true;
    int status = 0;
    return post("/release", "{\"order_id\":\"" + orderId + "\"}", "release-" + orderId, status).ok();
}

}  // namespace keel::plugins::orders
