// Order rendering and cursors. Money is rendered from integer cents as a decimal string.
#include "order_json.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/NumberParser.h>

#include <charconv>
#include <cstdio>
#include <sstream>

#include "money.h"

namespace keel::plugins::orders {

namespace {

void appendNumber(std::string& out, std::int64_t value) {
    char digits[24];
    out.append(digits, std::to_chars(digits, digits + sizeof digits, value).ptr);
}

// `value` in exactly `width` decimal digits (0 <= value < 10^width).
void appendDigits(std::string& out, std::int64_t value, int width) {
    char digits[8];
    for (int i = width - 1; i >= 0; --i) {
        digits[i] = static_cast<char>('0' + value % 10);
        value /= 10;
    }
    out.append(digits, static_cast<std::size_t>(width));
}

// Orders are rendered straight into one string: the list is the hot path and a tree of
// Poco::JSON objects per line item cost more than the query that read them.
void appendOrder(std::string& out, const StoredOrder& order) {
    out += "{\"id\":";
    appendJsonString(out, order.id);
    out += ",\"user_id\":";
    appendJsonString(out, order.userId);
    out += ",\"items\":[";
    for (std::size_t i = 0; i < order.items.size(); ++i) {
        const auto& item = order.items[i];
        out += i == 0 ? "{\"product_id\":" : ",{\"product_id\":";
        appendJsonString(out, item.productId);
        out += ",\"quantity\":";
        appendNumber(out, item.quantity);
        out += ",\"price\":\"";
        appendCents(out, item.unitPriceCents);
        out += "\"}";
    }
    out += "],\"total\":\"";
    appendCents(out, order.totalCents);
    out += "\",\"status\":";
    appendJsonString(out, order.status);
    out += ",\"created_at\":\"";
    appendTimestamp(out, order.createdAtMicros);
    out += "\"}";
}

}  // namespace

void appendTimestamp(std::string& out, std::int64_t unixMicros) {
    // Whole seconds rounded down, so a time before 1970 keeps a fraction in [0, 1 s).
    constexpr std::int64_t kMicros = 1'000'000;
    const std::int64_t seconds = unixMicros / kMicros - (unixMicros % kMicros < 0 ? 1 : 0);
    const std::int64_t micros = unixMicros - seconds * kMicros;
    const std::int64_t days = seconds / 86400 - (seconds % 86400 < 0 ? 1 : 0);
    const std::int64_t secondOfDay = seconds - days * 86400;
    // The civil date of a day count (the proleptic Gregorian calendar, in 400-year eras), as
    // gmtime_r computes it but without its time-zone lock or a formatted print per order.
    const std::int64_t shifted = days + 719468;  // days since 0000-03-01
    const std::int64_t era = (shifted >= 0 ? shifted : shifted - 146096) / 146097;
    const std::int64_t dayOfEra = shifted - era * 146097;
    const std::int64_t yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365;
    const std::int64_t dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
    const std::int64_t monthFromMarch = (5 * dayOfYear + 2) / 153;
    const std::int64_t day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1;
    const std::int64_t month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
    const std::int64_t year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
    if (year < 0 || year > 9999) {
        // Not a time an order has; printed as the C library does (a longer or signed year).
        char text[64];
        std::snprintf(text, sizeof text, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%06lldZ",
                      static_cast<long long>(year), static_cast<long long>(month), static_cast<long long>(day),
                      static_cast<long long>(secondOfDay / 3600), static_cast<long long>(secondOfDay / 60 % 60),
                      static_cast<long long>(secondOfDay % 60), static_cast<long long>(micros));
        out += text;
        return;
    }
    appendDigits(out, year, 4);
    out += '-';
    appendDigits(out, month, 2);
    out += '-';
    appendDigits(out, day, 2);
    out += 'T';
    appendDigits(out, secondOfDay / 3600, 2);
    out += ':';
    appendDigits(out, secondOfDay / 60 % 60, 2);
    out += ':';
    appendDigits(out, secondOfDay % 60, 2);
    out += '.';
    appendDigits(out, micros, 6);
    out += 'Z';
}

std::string formatTimestamp(std::int64_t unixMicros) {
    std::string out;
    appendTimestamp(out, unixMicros);
    return out;
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
