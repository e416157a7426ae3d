// The body of POST /api/v1/orders: checked against the limits and turned into an OrderRequest,
// or refused with a problem that names every offending field. Plain C++.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace keel::plugins::orders {

struct OrderItem {
    std::string productId;
    std::int32_t quantity = 0;
    std::int64_t unitPriceCents = 0;

    // Cannot overflow for an item that parseOrderRequest produced (it checks the order total).
    std::int64_t lineTotalCents() const { return static_cast<std::int64_t>(quantity) * unitPriceCents; }
};

struct OrderRequest {
    std::string userId;
    std::vector<OrderItem> items;  // in request order

    std::int64_t totalCents() const;
};

struct OrderLimits {
    std::size_t maxItems = 100;
    std::int32_t maxQuantity = 10000;
    std::size_t maxIdLength = 64;  // in characters (UTF-8 code points)
    std::size_t maxBodyBytes = 65536;
};

// Parses and validates a request. Throws keel::HttpError with an application/problem+json problem:
//   415 Unsupported Media Type  Content-Type is not application/json (parameters are allowed; a
//                               charset, if given, must be utf-8)
//   413 Content Too Large       body longer than limits.maxBodyBytes
//   400 Malformed JSON          not JSON (extensions line, column, offset) or not an object
//   422 Invalid order           anything else; extension "errors" is an array of
//                               {"field": "items[0].quantity", "message": "..."}, one per problem
//                               found, and the detail summarizes the first.
// Unknown fields are refused rather than ignored, so a typo such as "quantiy" cannot pass silently.
// `callerId` is the authenticated caller, if any: an order without user_id is the caller's.
OrderRequest parseOrderRequest(const std::string& contentType, const std::string& body,
                               const OrderLimits& limits, const std::string& callerId = "");

// SHA-256 (lowercase hex) of the request's canonical form: user id, then each item's product id,
// quantity and cents, in order. Two bodies that differ only in whitespace, key order or "10.5"
// vs "10.50" hash the same, so an idempotent retry can be told apart from a different order.
std::string canonicalRequestHash(const OrderRequest& request);

}  // namespace keel::plugins::orders
