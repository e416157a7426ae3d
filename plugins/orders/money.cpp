// Decimal amount parsing and formatting in integer cents.
#include "money.h"

#include <charconv>

namespace keel::plugins::orders {

namespace {
bool isDigit(char c) { return c >= '0' && c <= '9'; }
}  // namespace

std::optional<std::int64_t> parseCents(const std::string& amount, std::string& error) {
    if (amount.empty()) {
        error = "must not be empty";
        return std::nullopt;
    }
    // First the shape (sign, integer digits, fraction digits, exponent), then what is wrong with
    // it, so "-1" says "negative" rather than "not a decimal".
    std::size_t pos = 0;
    const char sign = (amount[0] == '-' || amount[0] == '+') ? amount[pos++] : '\0';
    const std::size_t integerStart = pos;
    while (pos < amount.size() && isDigit(amount[pos])) ++pos;
    const std::size_t integerDigits = pos - integerStart;
    std::size_t fractionStart = pos;
    std::size_t fractionDigits = 0;
    bool hasPoint = false;
    if (pos < amount.size() && amount[pos] == '.') {
        hasPoint = true;
        fractionStart = ++pos;
        while (pos < amount.size() && isDigit(amount[pos])) ++pos;
        fractionDigits = pos - fractionStart;
    }
    const bool hasExponent = pos < amount.size() && (amount[pos] == 'e' || amount[pos] == 'E');
    if (hasExponent) {
        error = "must not use an exponent; write the amount as a plain decimal like 10.50";
        return std::nullopt;
    }
    if (pos != amount.size() || integerDigits == 0 || (hasPoint && fractionDigits == 0)) {
        error = "must be a decimal amount like 10.50";
        return std::nullopt;
    }
    if (sign == '-') {
        error = "must not be negative";
        return std::nullopt;
    }
    if (sign == '+') {
        error = "must not start with '+'";
        return std::nullopt;
    }
    // As in JSON numbers: "010" is more likely a mistake than a price.
    if (integerDigits > 1 && amount[integerStart] == '0') {
        error = "must not have leading zeros";
        return std::nullopt;
    }
    if (fractionDigits > 2) {
        error = "has more than 2 decimal places";
        return std::nullopt;
    }
    // Without leading zeros, ten or more integer digits mean at least 1000000000.
    if (integerDigits > 9) {
        error = "is larger than 999999999.99";
        return std::nullopt;
    }
    std::int64_t cents = 0;
    for (std::size_t i = integerStart; i < integerStart + integerDigits; ++i)
        cents = cents * 10 + (amount[i] - '0');
    for (std::size_t i = 0; i < 2; ++i) {
        cents = cents * 10 + (i < fractionDigits ? amount[fractionStart + i] - '0' : 0);
    }
    return cents;
}

void appendCents(std::string& out, std::int64_t cents) {
    // Unsigned magnitude, so even INT64_MIN formats without overflow.
    const bool negative = cents < 0;
    const std::uint64_t magnitude = negative
                                        ? static_cast<std::uint64_t>(0) - static_cast<std::uint64_t>(cents)
                                        : static_cast<std::uint64_t>(cents);
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, magnitude / 100).ptr;
    const auto fraction = static_cast<int>(magnitude % 100);
    if (negative) out += '-';
    out.append(digits, end);
    out += '.';
    out += static_cast<char>('0' + fraction / 10);
    out += static_cast<char>('0' + fraction % 10);
}

std::string formatCents(std::int64_t cents) {
    std::string out;
    appendCents(out, cents);
    return out;
}

}  // namespace keel::plugins::orders
