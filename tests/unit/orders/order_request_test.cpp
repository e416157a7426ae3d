// Order request parsing: which bodies become orders (with exact totals), which are refused with
// which problem (status, field, message), and which bodies count as the same request.
#include "order_request.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>
#include <keel/problem.h>
#include <keel/response.h>

#include <string>
#include <vector>

namespace keel::plugins::orders {
namespace {

const std::string kJson = "application/json";
const std::string kItem = R"({"product_id": "p1", "quantity": 2, "price": "10.00"})";

// A body with the given user_id member text and items array text.
std::string order(const std::string& userId, const std::string& items) {
    return R"({"user_id": )" + userId + R"(, "items": )" + items + "}";
}

// A body whose only item has the given member text for quantity and price.
std::string orderWithItem(const std::string& quantity, const std::string& price) {
    return order(R"("u1")",
                 R"([{"product_id": "p1", "quantity": )" + quantity + R"(, "price": )" + price + "}]");
}

std::string repeated(const std::string& text, std::size_t count, const std::string& separator = ",") {
    std::string out;
    for (std::size_t i = 0; i < count; ++i) out += (i == 0 ? "" : separator) + text;
    return out;
}

keel::Problem problemFor(const std::string& contentType, const std::string& body,
                         const OrderLimits& limits = {}) {
    try {
        parseOrderRequest(contentType, body, limits);
    } catch (const keel::HttpError& error) {
        return error.problem();
    }
    ADD_FAILURE() << "accepted: " << body.substr(0, 300);
    return {};
}

// The problem as a client receives it: rendered by the SDK, parsed back with Poco.
Poco::JSON::Object::Ptr rendered(const keel::Problem& problem) {
    keel::Response response;
    keel::writeProblem(response, problem);
    EXPECT_EQ(response.headers().get("Content-Type"), "application/problem+json");
    return Poco::JSON::Parser().parse(response.body()).extract<Poco::JSON::Object::Ptr>();
}

struct FieldError {
    std::string field;
    std::string message;
};

std::vector<FieldError> errorsOf(const keel::Problem& problem) {
    std::vector<FieldError> errors;
    const auto body = rendered(problem);
    const auto array = body->getArray("errors");
    if (array.isNull()) {
        ADD_FAILURE() << "no \"errors\" array in the problem (detail: " << problem.detail << ")";
        return errors;
    }
    for (std::size_t i = 0; i < array->size(); ++i) {
        const auto entry = array->getObject(static_cast<unsigned>(i));
        errors.push_back({entry->getValue<std::string>("field"), entry->getValue<std::string>("message")});
    }
    return errors;
}

// ---------------------------------------------------------------------------------------------
// Refused requests, one row each.

struct BadRequest {
    std::string name;  // the test name suffix
    std::string contentType;
    std::string body;
    int status;
    std::string field;     // for 422: an entry of "errors" has this field...
    std::string message;   // ...and its message contains this; otherwise the detail contains it
    std::size_t line = 0;  // for malformed JSON: where the error is (0: not checked)
    std::size_t column = 0;
};

std::vector<BadRequest> badRequests() {
    const std::string id65(65, 'x');
    std::string id65Accented;
    for (int i = 0; i < 65; ++i) id65Accented += "\xC3\xA9";
    std::string oversize = order(R"("u1")", "[" + kItem + "]");
    oversize += std::string(65537 - oversize.size(), ' ');

    return {
        // Media type and size.
        {"WrongContentType", "text/plain", order(R"("u1")", "[" + kItem + "]"), 415, "",
         "\"text/plain\"; expected application/json"},
        {"MissingContentType", "", order(R"("u1")", "[" + kItem + "]"), 415, "", "no Content-Type"},
        {"FormContentType", "application/x-www-form-urlencoded", "user_id=u1", 415, "",
         "expected application/json"},
        {"NonUtf8Charset", "application/json; charset=iso-8859-1", order(R"("u1")", "[" + kItem + "]"), 415,
         "", "charset=utf-8"},
        {"OversizeBody", kJson, oversize, 413, "", "65537 bytes; the limit is 65536 bytes"},
        // Not JSON, or not an object.
        {"EmptyBody", kJson, "", 400, "", "line 1, column 1: expected a JSON value, found end of input", 1,
         1},
        {"MissingColon", kJson, R"({"user_id" "u1"})", 400, "", "expected ':' after an object key", 1, 12},
        {"TrailingCommaOnLine3", kJson, "{\n  \"user_id\": \"u1\",\n  \"items\": [1,]\n}", 400, "",
         "trailing comma", 3, 15},
        {"TruncatedBody", kJson, R"({"user_id": "u1", "items": [)", 400, "", "found end of input", 1, 29},
        {"SingleQuotes", kJson, R"({'user_id': 'u1'})", 400, "", "expected a string as an object key", 1, 2},
        {"RawTabInString", kJson, "{\"user_id\": \"u\t1\"}", 400, "", "unescaped control character U+0009", 1,
         15},
        {"NaNPrice", kJson, orderWithItem("1", "NaN"), 400, "", "NaN and Infinity are not JSON numbers"},
        {"LeadingZeroPrice", kJson, orderWithItem("1", "010"), 400, "", "leading zeros"},
        {"DuplicateKey", kJson, R"({"user_id": "a", "items": [], "user_id": "b"})", 400, "",
         "duplicate object key \"user_id\"", 1, 31},
        {"DeepNesting", kJson, order(R"("u1")", std::string(40, '[') + std::string(40, ']')), 400, "",
         "nesting deeper than 32 levels"},
        {"LoneSurrogate", kJson, order(R"("u\uD800")", "[" + kItem + "]"), 400, "", "lone high surrogate"},
        {"InvalidUtf8", kJson, order("\"u\xC3\x28\"", "[" + kItem + "]"), 400, "", "invalid UTF-8", 1, 15},
        {"ArrayBody", kJson, "[" + kItem + "]", 400, "", "the body must be a JSON object, not an array"},
        {"StringBody", kJson, R"("order")", 400, "", "the body must be a JSON object, not a string"},
        {"NullBody", kJson, "null", 400, "", "the body must be a JSON object"},
        // user_id.
        {"MissingUserId", kJson, R"({"items": [)" + kItem + "]}", 422, "user_id", "is required"},
        {"NumericUserId", kJson, order("42", "[" + kItem + "]"), 422, "user_id",
         "must be a string (got a number)"},
        {"EmptyUserId", kJson, order(R"("")", "[" + kItem + "]"), 422, "user_id", "must not be empty"},
        {"UserId65Characters", kJson, order("\"" + id65 + "\"", "[" + kItem + "]"), 422, "user_id",
         "at most 64 characters (got 65)"},
        {"UserIdWithControlCharacter", kJson, order(R"("u\u00071")", "[" + kItem + "]"), 422, "user_id",
         "control characters"},
        {"UserIdWithNul", kJson, order(R"("u\u0000")", "[" + kItem + "]"), 422, "user_id",
         "control characters"},
        {"UserIdWithC1Control", kJson, order(R"("u\u0085")", "[" + kItem + "]"), 422, "user_id",
         "control characters"},
        // items.
        {"MissingItems", kJson, R"({"user_id": "u1"})", 422, "items", "is required"},
        {"ItemsNotAnArray", kJson, order(R"("u1")", kItem), 422, "items", "must be an array (got an object)"},
        {"EmptyItems", kJson, order(R"("u1")", "[]"), 422, "items", "at least 1 item"},
        {"Items101", kJson, order(R"("u1")", "[" + repeated(kItem, 101) + "]"), 422, "items",
         "at most 100 items (got 101)"},
        {"ItemNotAnObject", kJson, order(R"("u1")", "[" + kItem + ", 7]"), 422, "items[1]",
         "must be an object (got a number)"},
        // product_id.
        {"MissingProductId", kJson, order(R"("u1")", R"([{"quantity": 1, "price": 1}])"), 422,
         "items[0].product_id", "is required"},
        {"NullProductId", kJson, order(R"("u1")", R"([{"product_id": null, "quantity": 1, "price": 1}])"),
         422, "items[0].product_id", "must be a string (got null)"},
        {"ProductId65Characters", kJson,
         order(R"("u1")", R"([{"product_id": ")" + id65Accented + R"(", "quantity": 1, "price": 1}])"), 422,
         "items[0].product_id", "at most 64 characters (got 65)"},
        {"ProductIdWithNewline", kJson,
         order(R"("u1")", R"([{"product_id": "p\n1", "quantity": 1, "price": 1}])"), 422,
         "items[0].product_id", "control characters"},
        // quantity.
        {"MissingQuantity", kJson, order(R"("u1")", R"([{"product_id": "p1", "price": 1}])"), 422,
         "items[0].quantity", "is required"},
        {"QuantityZero", kJson, orderWithItem("0", "1"), 422, "items[0].quantity",
         "must be an integer between 1 and 10000 (got 0)"},
        {"Quantity10001", kJson, orderWithItem("10001", "1"), 422, "items[0].quantity",
         "must be an integer between 1 and 10000 (got 10001)"},
        {"QuantityNegative", kJson, orderWithItem("-1", "1"), 422, "items[0].quantity", "(got -1)"},
        {"QuantityFraction", kJson, orderWithItem("2.5", "1"), 422, "items[0].quantity",
         "must be an integer between 1 and 10000 (got 2.5)"},
        {"QuantityWrittenAsDecimal", kJson, orderWithItem("2.0", "1"), 422, "items[0].quantity", "(got 2.0)"},
        {"QuantityWithExponent", kJson, orderWithItem("1e2", "1"), 422, "items[0].quantity", "(got 1e2)"},
        {"QuantityAsString", kJson, orderWithItem(R"("2")", "1"), 422, "items[0].quantity",
         "must be an integer between 1 and 10000 (got a string)"},
        {"QuantityHuge", kJson, orderWithItem("99999999999999999999", "1"), 422, "items[0].quantity",
         "(got 99999999999999999999)"},
        {"QuantityBoolean", kJson, orderWithItem("true", "1"), 422, "items[0].quantity", "(got a boolean)"},
        // price.
        {"MissingPrice", kJson, order(R"("u1")", R"([{"product_id": "p1", "quantity": 1}])"), 422,
         "items[0].price", "is required"},
        {"NegativePrice", kJson, orderWithItem("1", "-1.00"), 422, "items[0].price", "must not be negative"},
        {"NegativePriceString", kJson, orderWithItem("1", R"("-5")"), 422, "items[0].price",
         "must not be negative"},
        {"PriceThreeDecimals", kJson, orderWithItem("1", "10.505"), 422, "items[0].price",
         "has more than 2 decimal places"},
        {"PriceStringThreeDecimals", kJson, orderWithItem("1", R"("0.001")"), 422, "items[0].price",
         "has more than 2 decimal places"},
        {"PriceExponent", kJson, orderWithItem("1", "1e3"), 422, "items[0].price",
         "must not use an exponent"},
        {"PriceStringExponent", kJson, orderWithItem("1", R"("1E3")"), 422, "items[0].price",
         "must not use an exponent"},
        {"PriceTooLarge", kJson, orderWithItem("1", "1000000000"), 422, "items[0].price",
         "is larger than 999999999.99"},
        {"PriceNotADecimal", kJson, orderWithItem("1", R"("ten")"), 422, "items[0].price",
         "must be a decimal amount"},
        {"PriceEmptyString", kJson, orderWithItem("1", R"("")"), 422, "items[0].price", "must not be empty"},
        {"PriceLeadingPlus", kJson, orderWithItem("1", R"("+1")"), 422, "items[0].price",
         "must not start with '+'"},
        {"PriceNull", kJson, orderWithItem("1", "null"), 422, "items[0].price", "(got null)"},
        {"PriceBoolean", kJson, orderWithItem("1", "false"), 422, "items[0].price", "(got a boolean)"},
        {"PriceObject", kJson, orderWithItem("1", R"({"amount": "1.00"})"), 422, "items[0].price",
         "(got an object)"},
        // Unknown fields.
        {"UnknownTopLevelField", kJson, R"({"user_id": "u1", "items": [)" + kItem + R"(], "coupon": "FREE"})",
         422, "coupon", "unknown field"},
        {"MisspelledItemField", kJson,
         order(R"("u1")", R"([{"product_id": "p1", "quantiy": 2, "price": 1}])"), 422, "items[0].quantiy",
         "unknown field"},
        {"MisspelledItemFieldLeavesQuantityMissing", kJson,
         order(R"("u1")", R"([{"product_id": "p1", "quantiy": 2, "price": 1}])"), 422, "items[0].quantity",
         "is required"},
        {"ProblemInSecondItem", kJson,
         order(R"("u1")", "[" + kItem + R"(, {"product_id": "p2", "quantity": 0, "price": 1}])"), 422,
         "items[1].quantity", "(got 0)"},
    };
}

class OrderRequestRefusal : public testing::TestWithParam<BadRequest> {};

TEST_P(OrderRequestRefusal, AnswersWithThePreciseProblem) {
    const BadRequest& bad = GetParam();
    const keel::Problem problem = problemFor(bad.contentType, bad.body);
    EXPECT_EQ(problem.status, bad.status) << problem.title << ": " << problem.detail;
    const auto body = rendered(problem);
    EXPECT_EQ(body->getValue<int>("status"), bad.status);
    if (bad.status == 422) {
        bool found = false;
        for (const auto& error : errorsOf(problem)) {
            found =
                found || (error.field == bad.field && error.message.find(bad.message) != std::string::npos);
        }
        EXPECT_TRUE(found) << "no error for " << bad.field << " containing \"" << bad.message
                           << "\"; detail: " << problem.detail;
    } else {
        EXPECT_NE(problem.detail.find(bad.message), std::string::npos) << problem.detail;
        EXPECT_EQ(problem.extensions.count("errors"), 0u);
    }
    const char* const titles[][2] = {{"400", "Malformed JSON"},
                                     {"413", "Content Too Large"},
                                     {"415", "Unsupported Media Type"},
                                     {"422", "Invalid order"}};
    for (const auto& [status, title] : titles) {
        if (std::to_string(bad.status) == status) {
            EXPECT_EQ(problem.title, title);
        }
    }
    if (bad.line != 0) {
        EXPECT_EQ(problem.extensions.at("line").convert<int>(), bad.line) << problem.detail;
        EXPECT_EQ(problem.extensions.at("column").convert<int>(), bad.column) << problem.detail;
        EXPECT_NE(problem.detail.find("line " + std::to_string(bad.line) + ", column " +
                                      std::to_string(bad.column)),
                  std::string::npos)
            << problem.detail;
    }
}

INSTANTIATE_TEST_SUITE_P(BadInputs, OrderRequestRefusal, testing::ValuesIn(badRequests()),
                         [](const testing::TestParamInfo<BadRequest>& info) { return info.param.name; });

TEST(OrderRequest, TheRefusalTableCoversAtLeastThirtyCases) { EXPECT_GE(badRequests().size(), 30u); }

// ---------------------------------------------------------------------------------------------
// The shape of the problems.

TEST(OrderRequest, MalformedJsonProblemCarriesLineColumnAndOffsetAsNumbers) {
    const keel::Problem problem = problemFor(kJson, R"({"user_id" "u1"})");
    EXPECT_EQ(
        problem.detail,
        "request body is not valid JSON: line 1, column 12: expected ':' after an object key, found '\"'");
    EXPECT_EQ(problem.title, "Malformed JSON");
    // Numbers, rendered as JSON numbers; nothing else beside them.
    EXPECT_EQ(problem.extensions.at("line").convert<int>(), 1);
    EXPECT_EQ(problem.extensions.at("column").convert<int>(), 12);
    EXPECT_EQ(problem.extensions.at("offset").convert<int>(), 11);
    EXPECT_EQ(problem.extensions.size(), 3u);
    const auto body = rendered(problem);
    EXPECT_TRUE(body->get("line").isInteger());
    EXPECT_EQ(body->getValue<int>("offset"), 11);
}

TEST(OrderRequest, CollectsEveryProblemNotJustTheFirst) {
    const std::string body = R"({"items": [{"product_id": "p1", "quantity": 0, "price": "1.00"},
                                           {"product_id": "p2", "quantity": 1, "price": -1}],
                                 "note": "x"})";
    const keel::Problem problem = problemFor(kJson, body);
    ASSERT_EQ(problem.status, 422);
    const auto errors = errorsOf(problem);
    ASSERT_EQ(errors.size(), 4u);
    EXPECT_EQ(errors[0].field, "user_id");
    EXPECT_EQ(errors[0].message, "is required");
    EXPECT_EQ(errors[1].field, "items[0].quantity");
    EXPECT_EQ(errors[1].message, "must be an integer between 1 and 10000 (got 0)");
    EXPECT_EQ(errors[2].field, "items[1].price");
    EXPECT_EQ(errors[2].message, "must not be negative");
    EXPECT_EQ(errors[3].field, "note");
    EXPECT_EQ(problem.detail, "user_id: is required (and 3 more problems, see \"errors\")");
}

TEST(OrderRequest, DetailOfASingleProblemIsJustThatProblem) {
    const keel::Problem problem = problemFor(kJson, orderWithItem("0", "1"));
    EXPECT_EQ(problem.detail, "items[0].quantity: must be an integer between 1 and 10000 (got 0)");
    EXPECT_EQ(errorsOf(problem).size(), 1u);
}

TEST(OrderRequest, ListsAtMostAHundredProblemsAndSaysHowManyThereAre) {
    const std::string badItem = R"({"product_id": "", "quantity": 0, "price": -1})";
    const keel::Problem problem = problemFor(kJson, order(R"("u1")", "[" + repeated(badItem, 100) + "]"));
    EXPECT_EQ(errorsOf(problem).size(), 100u);
    EXPECT_EQ(
        problem.detail,
        "items[0].product_id: must not be empty (and 299 more problems; \"errors\" lists the first 100)");
}

TEST(OrderRequest, EscapesFieldNamesInTheErrorsArray) {
    const keel::Problem problem =
        problemFor(kJson, R"({"user_id": "u1", "items": [)" + kItem + R"(], "a\"b\n": 1})");
    const auto errors = errorsOf(problem);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].field, "a\"b\n");
}

TEST(OrderRequest, ChecksTheMediaTypeBeforeTheBody) {
    EXPECT_EQ(problemFor("text/plain", "not json").status, 415);
}

// ---------------------------------------------------------------------------------------------
// Accepted requests.

TEST(OrderRequest, AcceptsNumberAndStringPricesWithAnExactTotal) {
    const OrderRequest request = parseOrderRequest(
        kJson, order(R"("user-1")", R"([{"product_id": "a", "quantity": 3, "price": "19.99"},
                                         {"product_id": "b", "quantity": 1, "price": 0.01}])"),
        {});
    EXPECT_EQ(request.userId, "user-1");
    ASSERT_EQ(request.items.size(), 2u);
    EXPECT_EQ(request.items[0].productId, "a");
    EXPECT_EQ(request.items[0].quantity, 3);
    EXPECT_EQ(request.items[0].unitPriceCents, 1999);
    EXPECT_EQ(request.items[0].lineTotalCents(), 5997);
    EXPECT_EQ(request.items[1].unitPriceCents, 1);
    EXPECT_EQ(request.totalCents(), 5998);
}

TEST(OrderRequest, AcceptsWholeAndOneDecimalPrices) {
    const OrderRequest request =
        parseOrderRequest(kJson, order(R"("u1")", R"([{"product_id": "a", "quantity": 1, "price": 10},
                                                     {"product_id": "b", "quantity": 1, "price": "10.5"},
                                                     {"product_id": "c", "quantity": 1, "price": 0}])"),
                          {});
    EXPECT_EQ(request.items[0].unitPriceCents, 1000);
    EXPECT_EQ(request.items[1].unitPriceCents, 1050);
    EXPECT_EQ(request.items[2].unitPriceCents, 0);
    EXPECT_EQ(request.totalCents(), 2050);
}

TEST(OrderRequest, LargestOrderDoesNotOverflow) {
    const std::string item = R"({"product_id": "p", "quantity": 10000, "price": 999999999.99})";
    const OrderRequest request =
        parseOrderRequest(kJson, order(R"("u1")", "[" + repeated(item, 100) + "]"), {});
    ASSERT_EQ(request.items.size(), 100u);
    EXPECT_EQ(request.items[0].lineTotalCents(), 999'999'999'990'000);
    EXPECT_EQ(request.totalCents(), 99'999'999'999'000'000);
}

TEST(OrderRequest, RefusesATotalThatWouldOverflowUnderRaisedLimits) {
    OrderLimits limits;
    limits.maxQuantity = 2'000'000'000;
    limits.maxItems = 100'000;
    const std::string item = R"({"product_id": "p", "quantity": 2000000000, "price": 999999999.99})";
    const keel::Problem problem = problemFor(kJson, order(R"("u1")", "[" + repeated(item, 50) + "]"), limits);
    ASSERT_EQ(problem.status, 422);
    EXPECT_EQ(problem.detail, "items: add up to a total too large to compute exactly");
}

TEST(OrderRequest, AcceptsJsonMediaTypeWithParametersInAnyCase) {
    const std::string body = order(R"("u1")", "[" + kItem + "]");
    for (const std::string contentType :
         {"application/json", "application/json; charset=utf-8", "Application/JSON",
          "application/json;charset=\"UTF-8\"", " application/json ; foo=bar"}) {
        EXPECT_NO_THROW(parseOrderRequest(contentType, body, {})) << contentType;
    }
}

TEST(OrderRequest, AcceptsABodyOfExactlyTheSizeLimit) {
    std::string body = order(R"("u1")", "[" + kItem + "]");
    body += std::string(65536 - body.size(), '\n');
    EXPECT_NO_THROW(parseOrderRequest(kJson, body, {}));
}

TEST(OrderRequest, CountsIdLengthInCharactersNotBytes) {
    std::string accented;
    for (int i = 0; i < 64; ++i) accented += "\xC3\xA9";  // 64 characters, 128 bytes
    const OrderRequest request = parseOrderRequest(
        kJson,
        order("\"" + accented + "\"", R"([{"product_id": "\u00e9\ud83d\ude00", "quantity": 1, "price": 1}])"),
        {});
    EXPECT_EQ(request.userId, accented);
    EXPECT_EQ(request.items[0].productId, "\xC3\xA9\xF0\x9F\x98\x80");
}

TEST(OrderRequest, HonoursConfiguredLimits) {
    OrderLimits limits;
    limits.maxItems = 2;
    limits.maxQuantity = 5;
    limits.maxIdLength = 3;
    limits.maxBodyBytes = 200;
    EXPECT_NO_THROW(parseOrderRequest(
        kJson, order(R"("abc")", R"([{"product_id": "p", "quantity": 5, "price": 1}])"), limits));
    EXPECT_EQ(errorsOf(problemFor(kJson, order(R"("abcd")", "[" + kItem + "]"), limits))[0].message,
              "must be at most 3 characters (got 4)");
    EXPECT_EQ(errorsOf(problemFor(kJson, orderWithItem("6", "1"), limits))[0].message,
              "must be an integer between 1 and 5 (got 6)");
    EXPECT_EQ(errorsOf(problemFor(kJson, order(R"("u")", "[" + repeated(kItem, 3) + "]"), limits))[0].message,
              "must contain at most 2 items (got 3)");
    EXPECT_EQ(
        problemFor(kJson, order(R"("u")", "[" + repeated(kItem, 2) + "]") + std::string(200, ' '), limits)
            .status,
        413);
}

// ---------------------------------------------------------------------------------------------
// The canonical hash for idempotent retries.

std::string hashOf(const std::string& body) {
    return canonicalRequestHash(parseOrderRequest(kJson, body, {}));
}

TEST(CanonicalRequestHash, IsSixtyFourLowercaseHexDigits) {
    const std::string hash = hashOf(order(R"("u1")", "[" + kItem + "]"));
    ASSERT_EQ(hash.size(), 64u);
    EXPECT_EQ(hash.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(CanonicalRequestHash, IsTheSameForWhitespaceKeyOrderAndEquivalentPrices) {
    const std::string a = R"({"user_id":"u1","items":[{"product_id":"p1","quantity":2,"price":"10.5"}]})";
    const std::string b =
        "{\n  \"items\" : [ { \"price\" : 10.50 , \"quantity\" : 2, \"product_id\" : \"p1\" } ],\n"
        "  \"user_id\" : \"u1\"\n}\n";
    const std::string c =
        R"({"user_id":"\u0075\u0031","items":[{"product_id":"p1","quantity":2,"price":"10.50"}]})";
    EXPECT_EQ(hashOf(a), hashOf(b));
    EXPECT_EQ(hashOf(a), hashOf(c));
}

TEST(CanonicalRequestHash, DiffersWhenAnythingThatMattersDiffers) {
    const std::string base = hashOf(orderWithItem("2", R"("10.50")"));
    EXPECT_NE(base, hashOf(order(R"("u2")", R"([{"product_id": "p1", "quantity": 2, "price": "10.50"}])")));
    EXPECT_NE(base, hashOf(order(R"("u1")", R"([{"product_id": "p2", "quantity": 2, "price": "10.50"}])")));
    EXPECT_NE(base, hashOf(orderWithItem("3", R"("10.50")")));
    EXPECT_NE(base, hashOf(orderWithItem("2", R"("10.51")")));
    const std::string twoItems = R"([{"product_id": "a", "quantity": 1, "price": 1},
                                      {"product_id": "b", "quantity": 1, "price": 1}])";
    const std::string swapped = R"([{"product_id": "b", "quantity": 1, "price": 1},
                                     {"product_id": "a", "quantity": 1, "price": 1}])";
    EXPECT_NE(hashOf(order(R"("u1")", twoItems)), hashOf(order(R"("u1")", swapped)));
}

TEST(CanonicalRequestHash, CannotBeFooledByIdsThatContainTheFormsOwnSeparators) {
    // Without length prefixes this user id would serialize like user "u1" ordering one p1.
    const OrderRequest forged{"u1\nitem 2:p1 2 1050", {}};
    const OrderRequest genuine{"u1", {{"p1", 2, 1050}}};
    EXPECT_NE(canonicalRequestHash(forged), canonicalRequestHash(genuine));
}

TEST(CanonicalRequestHash, IsStableAcrossReleases) {
    // Hashes stored for earlier requests must keep matching their retries: changing the
    // canonical form is a breaking change that needs a new version tag.
    EXPECT_EQ(canonicalRequestHash(OrderRequest{"u1", {{"p1", 2, 1050}}}),
              "699d82c5de72e636285a1a0dc3b72f444cfff6b3b109ce9e69a72ce6ca160951");
}

}  // namespace
}  // namespace keel::plugins::orders
