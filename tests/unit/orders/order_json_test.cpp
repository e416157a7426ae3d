// Order rendering: timestamps as the C library renders them, strings escaped only when needed.
#include "order_json.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>

#include "json_document.h"

namespace keel::plugins::orders {
namespace {

// What gmtime_r and a formatted print give, whole seconds rounded down.
std::string referenceTimestamp(std::int64_t unixMicros) {
    std::int64_t seconds = unixMicros / 1000000;
    if (unixMicros % 1000000 < 0) --seconds;
    const std::int64_t micros = unixMicros - seconds * 1000000;
    const auto raw = static_cast<std::time_t>(seconds);
    std::tm utc{};
    gmtime_r(&raw, &utc);
    char text[64];
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", utc.tm_year + 1900, utc.tm_mon + 1,
                  utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<long long>(micros));
    return text;
}

TEST(OrderJson, TimestampsMatchTheCLibraryAcrossCenturiesAndLeapDays) {
    EXPECT_EQ(formatTimestamp(0), "1970-01-01T00:00:00.000000Z");
    EXPECT_EQ(formatTimestamp(951782400123456), "2000-02-29T00:00:00.123456Z");
    EXPECT_EQ(formatTimestamp(4107542399999999), "2100-02-28T23:59:59.999999Z");
    EXPECT_EQ(formatTimestamp(-1), "1969-12-31T23:59:59.999999Z");
    const std::int64_t edges[] = {0, -1, 1, 86399999999, 86400000000, 951782400000000, 4107542400000000,
                                  253402300799999999 /* 9999-12-31T23:59:59.999999 */, -62135596800000000 /* year 1 */};
    for (const auto micros : edges) EXPECT_EQ(formatTimestamp(micros), referenceTimestamp(micros)) << micros;
    // Deterministic spread from year 1 to 9999, seconds and microseconds included.
    std::uint64_t state = 42;
    for (int i = 0; i < 200000; ++i) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        const auto micros = static_cast<std::int64_t>(state % 315537897600000000ULL) - 62135596800000000LL;
        ASSERT_EQ(formatTimestamp(micros), referenceTimestamp(micros)) << micros;
    }
}

TEST(OrderJson, StringsAreCopiedWhenPlainAndEscapedOtherwise) {
    StoredOrder order{"o-1", "user \"quoted\" \\ \n", "confirmed", 1050, 0, {{"p\u00e9-1", 2, 5}}};
    const std::string json = orderJson(order);
    EXPECT_EQ(json,
              "{\"id\":\"o-1\",\"user_id\":\"user \\\"quoted\\\" \\\\ \\n\",\"items\":[{\"product_id\":\"p\u00e9-1\","
              "\"quantity\":2,\"price\":\"0.05\"}],\"total\":\"10.50\",\"status\":\"confirmed\","
              "\"created_at\":\"1970-01-01T00:00:00.000000Z\"}");
    EXPECT_NO_THROW(parseJson(json));  // valid JSON, valid UTF-8
}

}  // namespace
}  // namespace keel::plugins::orders
