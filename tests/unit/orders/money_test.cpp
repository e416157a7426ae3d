// Money amounts: decimal text to exact integer cents and back, with every malformed or
// out-of-range amount refused with a reason.
#include "money.h"

#include <gtest/gtest.h>

#include <limits>

namespace keel::plugins::orders {
namespace {

std::optional<std::int64_t> cents(const std::string& amount) {
    std::string error;
    const auto result = parseCents(amount, error);
    EXPECT_EQ(result.has_value(), error.empty()) << amount << ": " << error;
    return result;
}

// The reason parseCents gives for refusing `amount`; fails the test if it is accepted.
std::string refusal(const std::string& amount) {
    std::string error;
    const auto result = parseCents(amount, error);
    EXPECT_FALSE(result.has_value()) << amount << " was accepted as " << *result;
    return error;
}

TEST(Money, ParsesWholeAndDecimalAmountsIntoCents) {
    EXPECT_EQ(cents("10"), 1000);
    EXPECT_EQ(cents("10.5"), 1050);
    EXPECT_EQ(cents("10.50"), 1050);
    EXPECT_EQ(cents("0.01"), 1);
    EXPECT_EQ(cents("0"), 0);
    EXPECT_EQ(cents("0.0"), 0);
    EXPECT_EQ(cents("0.5"), 50);
    EXPECT_EQ(cents("19.99"), 1999);
    EXPECT_EQ(cents("123456789.12"), 12345678912);
}

TEST(Money, IsExactWhereBinaryFloatingPointIsNot) {
    // 0.29 * 100 is 28.999999999999996 in binary floating point; here it is exactly 29.
    EXPECT_EQ(cents("0.29"), 29);
    EXPECT_EQ(cents("1.15"), 115);
    EXPECT_EQ(cents("4.35"), 435);
}

TEST(Money, AcceptsTheLargestAmount) { EXPECT_EQ(cents("999999999.99"), kMaxAmountCents); }

TEST(Money, RejectsAmountsLargerThanTheMaximum) {
    EXPECT_EQ(refusal("1000000000"), "is larger than 999999999.99");
    EXPECT_EQ(refusal("1000000000.00"), "is larger than 999999999.99");
    EXPECT_EQ(refusal("99999999999999999999999999999999"), "is larger than 999999999.99");
}

TEST(Money, RejectsNegativeAmounts) {
    EXPECT_EQ(refusal("-1"), "must not be negative");
    EXPECT_EQ(refusal("-0.01"), "must not be negative");
    EXPECT_EQ(refusal("-0"), "must not be negative");
}

TEST(Money, RejectsMoreThanTwoDecimals) {
    EXPECT_EQ(refusal("10.505"), "has more than 2 decimal places");
    EXPECT_EQ(refusal("0.001"), "has more than 2 decimal places");
    // Even trailing zeros: the client's system should not be sending sub-cent precision.
    EXPECT_EQ(refusal("1.000"), "has more than 2 decimal places");
}

TEST(Money, RejectsExponents) {
    for (const std::string amount : {"1e3", "1E3", "1.5e1", "1e-2", "1e+2"}) {
        EXPECT_NE(refusal(amount).find("must not use an exponent"), std::string::npos) << amount;
    }
}

TEST(Money, RejectsALeadingPlus) { EXPECT_EQ(refusal("+1.00"), "must not start with '+'"); }

TEST(Money, RejectsTheEmptyString) { EXPECT_EQ(refusal(""), "must not be empty"); }

TEST(Money, RejectsLeadingZeros) {
    EXPECT_EQ(refusal("010"), "must not have leading zeros");
    EXPECT_EQ(refusal("00.50"), "must not have leading zeros");
}

TEST(Money, RejectsAnythingButDigitsAndOneDecimalPoint) {
    for (const std::string amount :
         {"abc", "10,50", " 10", "10 ", "1.", ".5", "1..2", "1.2.3", "0x10", "NaN", "Infinity", "-", "+", ".",
          "$10", "10 EUR", "\xEF\xBC\x91" /* fullwidth 1 */}) {
        EXPECT_EQ(refusal(amount), "must be a decimal amount like 10.50") << amount;
    }
}

TEST(Money, FormatsCentsWithExactlyTwoDecimals) {
    EXPECT_EQ(formatCents(1050), "10.50");
    EXPECT_EQ(formatCents(5), "0.05");
    EXPECT_EQ(formatCents(0), "0.00");
    EXPECT_EQ(formatCents(-125), "-1.25");
    EXPECT_EQ(formatCents(-5), "-0.05");
    EXPECT_EQ(formatCents(kMaxAmountCents), "999999999.99");
    EXPECT_EQ(formatCents(std::numeric_limits<std::int64_t>::max()), "92233720368547758.07");
    EXPECT_EQ(formatCents(std::numeric_limits<std::int64_t>::min()), "-92233720368547758.08");
}

TEST(Money, FormatAndParseRoundTrip) {
    for (const std::int64_t value : {std::int64_t{0}, std::int64_t{1}, std::int64_t{99}, std::int64_t{100},
                                     std::int64_t{1999}, kMaxAmountCents}) {
        EXPECT_EQ(cents(formatCents(value)), value);
    }
}

}  // namespace
}  // namespace keel::plugins::orders
