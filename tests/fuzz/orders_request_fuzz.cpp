// The orders JSON reader and validator: any body ends in an OrderRequest or a problem, never a
// crash; an accepted order respects every limit it was parsed with.
#include <keel/problem.h>

#include <string>

#include "fuzz_target.h"
#include "order_request.h"

using keel::plugins::orders::OrderLimits;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string body(reinterpret_cast<const char*>(data), size);
    OrderLimits limits;
    limits.maxItems = 20;
    limits.maxBodyBytes = 4096;
    try {
        const auto order = keel::plugins::orders::parseOrderRequest("application/json", body, limits,
                                                                    size % 2 == 0 ? "caller" : "");
        FUZZ_ASSERT(!order.items.empty() && order.items.size() <= limits.maxItems, "item count outside the limits");
        FUZZ_ASSERT(!order.userId.empty(), "an order without a user");
        for (const auto& item : order.items) {
            FUZZ_ASSERT(item.quantity >= 1 && item.quantity <= limits.maxQuantity, "quantity outside the limits");
            FUZZ_ASSERT(item.unitPriceCents >= 0, "negative price");
        }
        FUZZ_ASSERT(order.totalCents() >= 0, "negative total");
        FUZZ_ASSERT(keel::plugins::orders::canonicalRequestHash(order).size() == 64, "hash is not SHA-256 hex");
    } catch (const keel::HttpError& error) {
        const int status = error.problem().status;
        FUZZ_ASSERT(status == 400 || status == 413 || status == 415 || status == 422, "unexpected problem status");
    }
    return 0;
}
