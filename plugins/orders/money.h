// Exact money amounts: decimal text to integer cents and back, never through binary floating
// point. Plain C++.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace keel::plugins::orders {

// The largest amount parseCents accepts, in cents (999999999.99).
constexpr std::int64_t kMaxAmountCents = 99'999'999'999;

// Parses a non-negative decimal amount with at most two decimal places ("10", "10.5", "10.50",
// "0.01", "0") into cents. The grammar is that of a JSON number without sign or exponent, so a
// JSON number lexeme and the content of a JSON string are read the same way. On failure returns
// nullopt and sets `error` to a phrase about the amount, e.g. "must not be negative".
std::optional<std::int64_t> parseCents(const std::string& amount, std::string& error);

// Cents as a decimal with exactly two places: 1050 -> "10.50", 5 -> "0.05", -125 -> "-1.25".
std::string formatCents(std::int64_t cents);
// The same, appended to `out` (the order rendering path, without a temporary string).
void appendCents(std::string& out, std::int64_t cents);

}  // namespace keel::plugins::orders
