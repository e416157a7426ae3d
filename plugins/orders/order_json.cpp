// Order rendering and cursors. Money is rendered from integer cents as a decimal string.
#include "order_json.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/NumberParser.h>

#include <ctime>
#include <sstream>

#include "money.h"

namespace keel::plugins::orders {

namespace {

Poco::JSON::Object::Ptr orderObject(const StoredOrder& order) {
    Poco::JSON::Object::Ptr object = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    object->set("id", order.id);
    object->set("user_id", order.userId);
    Poco::JSON::Array::Ptr items = new Poco::JSON::Array();
    for (const auto& item : order.items) {
        Poco::JSON::Object::Ptr line = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        line->set("product_id", item.productId);
        line->set("quantity", item.quantity);
        line->set("price", formatCents(item.unitPriceCents));
        items->add(line);
    }
    object->set("items", items);
    object->set("total", formatCents(order.totalCents));
    object->set("status", order.status);
    object->set("created_at", formatTimestamp(order.createdAtMicros));
    return object;
}

std::string stringify(const Poco::Dynamic::Var& value) {
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(value, out);
    return out.str();
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

std::string orderJson(const StoredOrder& order) { return stringify(orderObject(order)); }

std::string pageJson(const OrderPage& page) {
    Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    Poco::JSON::Array::Ptr orders = new Poco::JSON::Array();
    for (const auto& order : page.orders) orders->add(orderObject(order));
    body.set("orders", orders);
    if (page.next) {
        body.set("next_cursor", encodeCursor(*page.next));
    } else {
        body.set("next_cursor", Poco::Dynamic::Var());
    }
    std::ostringstream out;
    body.stringify(out);
    return out.str();
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
