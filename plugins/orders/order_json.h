// The JSON shapes of the orders API: an order, a page, and the opaque page cursor.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <keel/text.h>  // keel::jsonString, for the strings these shapes hold

#include "order_store.h"

namespace keel::plugins::orders {

std::string orderJson(const StoredOrder& order);
// `withSummary` (the new_feature flag): a "summary" object with the page's order count, item
// count (quantities) and total.
std::string pageJson(const OrderPage& page, bool withSummary = false);
// RFC 3339 UTC with microseconds: "2026-11-25T21:00:00.123456Z".
std::string formatTimestamp(std::int64_t unixMicros);
// The same, appended to `out`.
void appendTimestamp(std::string& out, std::int64_t unixMicros);
// Base64url of "<micros>:<id>"; decodeCursor returns nullopt for anything else.
std::string encodeCursor(const PageCursor& cursor);
std::optional<PageCursor> decodeCursor(const std::string& text);

}  // namespace keel::plugins::orders
