// Order rendering and cursors. Money is rendered from integer cents as a decimal string.
#include "order_json.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/NumberParser.h>

#include <ctime>
#include <sstream>

#include "money.h"

namespace keel::plugins::orders {

namespace {

// Orders are rendered straight into one string: the list is the hot path and a tree of
// Poco::JSON objects per line item cost more than the query that read them.
void appendOrder(std::string& out, const StoredOrder& order) {
    out += "{\"id\":";
    out += jsonString(order.id);
    out += ",\"user_id\":";
    out += jsonString(order.userId);
    out += ",\"items\":[";
    for (std::size_t i = 0; i < order.items.size(); ++i) {
        const auto& item = order.items[i];
        out += i == 0 ? "{\"product_id\":" : ",{\"product_id\":";
        out += jsonString(item.productId);
        out += ",\"quantity\":";
        out += std::to_string(item.quantity);
        out += ",\"price\":\"";
        out += formatCents(item.unitPriceCents);
        out += "\"}";
    }
    out += "],\"total\":\"";
    out += formatCents(order.totalCents);
    out += "\",\"status\":";
    out += jsonString(order.status);
    out += ",\"created_at\":\"";
    out += formatTimestamp(order.createdAtMicros);
    out += "\"}";
}

}  // namespace

std::string formatTimestamp(std::int64_t unixMicros) {
    const std::time_t seconds = static_cast<std::time_t>(unixMicros / 1000000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[64];
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", utc.tm_year + 1900,
                  utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                  static_cast<long long>(unixMicros % 1000000));
    return text;
}

std::string orderJson(const StoredOrder& order) {
    std::string out;
    out.reserve(256 + order.items.size() * 80);
    appendOrder(out, order);
    return out;
}

std::string pageJson(const OrderPage& page, bool withSummary) {
    std::string out;
    out.reserve(64 + page.orders.size() * 320);
    out += "{\"orders\":[";
    for (std::size_t i = 0; i < page.orders.size(); ++i) {
        if (i > 0) out += ',';
        appendOrder(out, page.orders[i]);
    }
    out += "],\"next_cursor\":";
    out += page.next ? jsonString(encodeCursor(*page.next)) : "null";
    if (withSummary) {
        long long items = 0;
        long long totalCents = 0;
        for (const auto& order : page.orders) {
            totalCents += order.totalCents;
            for (const auto& item : order.items) items += item.quantity;
        }
        out += ",\"summary\":{\"orders\":" + std::to_string(page.orders.size()) +
               ",\"items\":" + std::to_string(items) + ",\"total\":\"" + formatCents(totalCents) + "\"}";
    }
    out += '}';
    return out;
}

std::string encodeCursor(const PageCursor& cursor) {
    std::ostringstream out;
    Poco::Base64Encoder encoder(out, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
    encoder << cursor.createdAtMicros << ":" << cursor.id;
    encoder.close();
    return out.str();
}

std::optional<PageCursor> decodeCursor(const std::string& text) {
    if (text.empty() || text.size() > 200) return std::nullopt;
    std::string decoded;
    try {
        std::istringstream in(text);
        Poco::Base64Decoder decoder(in, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
        decoded.assign(std::istreambuf_iterator<char>(decoder), std::istreambuf_iterator<char>());
    } catch (const Poco::Exception&) {
        return std::nullopt;
    }
    const auto colon = decoded.find(':');
    if (colon == std::string::npos || decoded.size() - colon - 1 != 36) return std::nullopt;
    Poco::Int64 micros = 0;
    if (!Poco::NumberParser::tryParse64(decoded.substr(0, colon), micros) || micros < 0) return std::nullopt;
    for (char c : decoded.substr(colon + 1)) {
        if (!std::isxdigit(static_cast<unsigned char>(c)) && c != '-') return std::nullopt;
    }
    return PageCursor{micros, decoded.substr(colon + 1)};
}

}  // namespace keel::plugins::orders
