// Content negotiation, size limit, JSON parsing and field validation of an order request, and its
// canonical hash for idempotent retries.
#include "order_request.h"

#include <Poco/DigestEngine.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/Net/MediaType.h>
#include <Poco/SHA2Engine.h>
#include <Poco/String.h>
#include <keel/problem.h>

#include "json_document.h"
#include "money.h"

namespace keel::plugins::orders {

std::int64_t OrderRequest::totalCents() const {
    std::int64_t total = 0;
    for (const auto& item : items) total += item.lineTotalCents();
    return total;
}

namespace {

// Enough to fix a request; a body full of junk must not produce a response many times its size.
constexpr std::size_t kMaxReportedErrors = 100;

struct FieldError {
    std::string field;    // "items[0].quantity"
    std::string message;  // "must be an integer between 1 and 10000 (got 0)"
};

class ValidationErrors {
public:
    void add(std::string field, std::string message) {
        ++total_;
        if (errors_.size() < kMaxReportedErrors) errors_.push_back({std::move(field), std::move(message)});
    }
    bool empty() const { return total_ == 0; }
    const std::vector<FieldError>& reported() const { return errors_; }
    std::size_t total() const { return total_; }

private:
    std::vector<FieldError> errors_;
    std::size_t total_ = 0;
};

const char* describeType(JsonValue::Type type) {
    switch (type) {
        case JsonValue::Type::Null:
            return "null";
        case JsonValue::Type::Boolean:
            return "a boolean";
        case JsonValue::Type::Number:
            return "a number";
        case JsonValue::Type::String:
            return "a string";
        case JsonValue::Type::Array:
            return "an array";
        case JsonValue::Type::Object:
            return "an object";
    }
    return "an unknown type";
}

[[noreturn]] void throwUnsupportedMediaType(const std::string& detail) {
    throw HttpError(Problem::of(415, "Unsupported Media Type", detail));
}

void checkContentType(const std::string& contentType) {
    if (Poco::trim(contentType).empty()) {
        throwUnsupportedMediaType("the request has no Content-Type; expected application/json");
    }
    const Poco::Net::MediaType media(contentType);  // type and subtype compared case-insensitively
    if (!media.matches("application", "json")) {
        throwUnsupportedMediaType("Content-Type is \"" + shorten(contentType, 100) + "\"; expected application/json");
    }
    // JSON is UTF-8 (RFC 8259 section 8.1); reading it in another charset would garble it.
    if (media.hasParameter("charset") && Poco::icompare(media.getParameter("charset"), "utf-8") != 0) {
        throwUnsupportedMediaType("Content-Type is \"" + shorten(contentType, 100) +
                                  "\"; expected application/json with no charset or charset=utf-8");
    }
}

// UTF-8 code points; the parser has already rejected malformed sequences.
std::size_t countCharacters(const std::string& text) {
    std::size_t count = 0;
    for (const char c : text) {
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
    }
    return count;
}

// C0 controls, DEL and the C1 controls U+0080..U+009F (encoded 0xC2 0x80..0x9F).
bool hasControlCharacter(const std::string& text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (byte < 0x20 || byte == 0x7F) return true;
        if (byte == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) <= 0x9F)
            return true;
    }
    return false;
}

std::string readIdentifier(const JsonValue* value, const std::string& field, const OrderLimits& limits,
                           ValidationErrors& errors) {
    if (value == nullptr) {
        errors.add(field, "is required");
        return "";
    }
    if (value->type != JsonValue::Type::String) {
        errors.add(field, std::string("must be a string (got ") + describeType(value->type) + ")");
        return "";
    }
    const std::size_t length = countCharacters(value->text);
    if (length == 0) {
        errors.add(field, "must not be empty");
    } else if (length > limits.maxIdLength) {
        errors.add(field, "must be at most " + std::to_string(limits.maxIdLength) + " characters (got " +
                              std::to_string(length) + ")");
    } else if (hasControlCharacter(value->text)) {
        errors.add(field, "must not contain control characters");
    }
    return value->text;
}

std::int32_t readQuantity(const JsonValue* value, const std::string& field, const OrderLimits& limits,
                          ValidationErrors& errors) {
    const std::string expectation = "must be an integer between 1 and " + std::to_string(limits.maxQuantity);
    if (value == nullptr) {
        errors.add(field, "is required");
        return 0;
    }
    if (value->type != JsonValue::Type::Number) {
        errors.add(field, expectation + " (got " + describeType(value->type) + ")");
        return 0;
    }
    // The lexeme decides: 2.0 and 2e0 are written as non-integers, so they are refused.
    const std::string& lexeme = value->text;
    const bool integer = lexeme.find_first_of(".eE") == std::string::npos;
    const bool negative = !lexeme.empty() && lexeme[0] == '-';
    // Ten digits already exceed any int32 maximum; don't convert what cannot fit.
    std::int64_t quantity = -1;
    if (integer && !negative && lexeme.size() <= 10) quantity = std::stoll(lexeme);
    if (quantity < 1 || quantity > limits.maxQuantity) {
        errors.add(field, expectation + " (got " + shorten(lexeme) + ")");
        return 0;
    }
    return static_cast<std::int32_t>(quantity);
}

std::int64_t readPrice(const JsonValue* value, const std::string& field, ValidationErrors& errors) {
    if (value == nullptr) {
        errors.add(field, "is required");
        return 0;
    }
    if (value->type != JsonValue::Type::Number && value->type != JsonValue::Type::String) {
        errors.add(field, std::string("must be a decimal amount, as a number or a string (got ") +
                              describeType(value->type) + ")");
        return 0;
    }
    std::string error;
    const auto cents = parseCents(value->text, error);
    if (!cents) {
        errors.add(field, error);
        return 0;
    }
    return *cents;
}

OrderItem readItem(const JsonValue& value, const std::string& path, const OrderLimits& limits,
                   ValidationErrors& errors) {
    OrderItem item;
    if (value.type != JsonValue::Type::Object) {
        errors.add(path, std::string("must be an object (got ") + describeType(value.type) + ")");
        return item;
    }
    item.productId = readIdentifier(value.find("product_id"), path + ".product_id", limits, errors);
    item.quantity = readQuantity(value.find("quantity"), path + ".quantity", limits, errors);
    item.unitPriceCents = readPrice(value.find("price"), path + ".price", errors);
    for (const auto& [name, member] : value.members) {
        if (name != "product_id" && name != "quantity" && name != "price") {
            errors.add(path + "." + shorten(name), "unknown field (allowed: product_id, quantity, price)");
        }
    }
    return item;
}

// The total must fit in cents; with the default limits it always does, but limits are configurable.
bool totalFits(const std::vector<OrderItem>& items) {
    std::int64_t total = 0;
    for (const auto& item : items) {
        std::int64_t line = 0;
        if (__builtin_mul_overflow(static_cast<std::int64_t>(item.quantity), item.unitPriceCents, &line) ||
            __builtin_add_overflow(total, line, &total)) {
            return false;
        }
    }
    return true;
}

[[noreturn]] void throwInvalidOrder(const ValidationErrors& errors) {
    const auto& first = errors.reported().front();
    std::string detail = first.field + ": " + first.message;
    const std::size_t more = errors.total() - 1;
    if (errors.total() > errors.reported().size()) {
        detail += " (and " + std::to_string(more) + " more problems; \"errors\" lists the first " +
                  std::to_string(errors.reported().size()) + ")";
    } else if (more > 0) {
        detail += " (and " + std::to_string(more) + (more == 1 ? " more problem" : " more problems") +
                  ", see \"errors\")";
    }
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto& error : errors.reported()) {
        Poco::JSON::Object::Ptr entry = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        entry->set("field", error.field);
        entry->set("message", error.message);
        list->add(entry);
    }
    Problem problem = Problem::of(422, "Invalid order", detail);
    problem.extensions["errors"] = list;
    throw HttpError(std::move(problem));
}

}  // namespace

OrderRequest parseOrderRequest(const std::string& contentType, const std::string& body,
                               const OrderLimits& limits, const std::string& callerId) {
    checkContentType(contentType);
    if (body.size() > limits.maxBodyBytes) {
        throw HttpError(Problem::of(413, "Content Too Large",
                                    "the request body is " + std::to_string(body.size()) +
                                        " bytes; the limit is " + std::to_string(limits.maxBodyBytes) +
                                        " bytes"));
    }

    JsonValue document;
    try {
        document = parseJson(body);
    } catch (const JsonParseError& error) {
        Problem problem = Problem::of(400, "Malformed JSON",
                                      std::string("request body is not valid JSON: ") + error.what());
        problem.extensions["line"] = error.line();
        problem.extensions["column"] = error.column();
        problem.extensions["offset"] = error.offset();
        throw HttpError(std::move(problem));
    }
    if (document.type != JsonValue::Type::Object) {
        throw HttpError(
            Problem::of(400, "Malformed JSON",
                        std::string("the body must be a JSON object, not ") + describeType(document.type)));
    }

    ValidationErrors errors;
    OrderRequest request;
    const JsonValue* userId = document.find("user_id");
    request.userId = userId == nullptr && !callerId.empty() ? callerId : readIdentifier(userId, "user_id", limits, errors);

    const JsonValue* items = document.find("items");
    if (items == nullptr) {
        errors.add("items", "is required");
    } else if (items->type != JsonValue::Type::Array) {
        errors.add("items", std::string("must be an array (got ") + describeType(items->type) + ")");
    } else if (items->items.empty()) {
        errors.add("items", "must contain at least 1 item");
    } else if (items->items.size() > limits.maxItems) {
        // Too many to accept anyway: checking each one would only cost time and response size.
        errors.add("items", "must contain at most " + std::to_string(limits.maxItems) + " items (got " +
                                std::to_string(items->items.size()) + ")");
    } else {
        for (std::size_t i = 0; i < items->items.size(); ++i) {
            request.items.push_back(
                readItem(items->items[i], "items[" + std::to_string(i) + "]", limits, errors));
        }
    }

    for (const auto& [name, member] : document.members) {
        if (name != "user_id" && name != "items")
            errors.add(shorten(name), "unknown field (allowed: user_id, items)");
    }
    if (errors.empty() && !totalFits(request.items)) {
        errors.add("items", "add up to a total too large to compute exactly");
    }
    if (!errors.empty()) throwInvalidOrder(errors);
    return request;
}

std::string canonicalRequestHash(const OrderRequest& request) {
    // Length prefixes keep the form unambiguous whatever the ids contain; the version tag lets
    // the form change later without old and new hashes colliding.
    std::string canonical = "keel-order-request-v1\n";
    canonical += "user " + std::to_string(request.userId.size()) + ":" + request.userId + "\n";
    for (const auto& item : request.items) {
        canonical += "item " + std::to_string(item.productId.size()) + ":" + item.productId + " " +
                     std::to_string(item.quantity) + " " + std::to_string(item.unitPriceCents) + "\n";
    }
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    engine.update(canonical);
    return Poco::DigestEngine::digestToHex(engine.digest());
}

}  // namespace keel::plugins::orders
