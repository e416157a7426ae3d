// Untrusted text made safe for where it is written: inside a JSON string, or on one line of a
// text log. Both keep valid UTF-8 as it is and replace invalid bytes with U+FFFD, so the output
// is always valid UTF-8 (and valid JSON) whatever a client sent.
#pragma once

#include <string>
#include <string_view>

#include "keel/export.h"

namespace keel {

// The body of a JSON string (no quotes added): quotes, backslashes and control characters escaped.
KEEL_SDK_API std::string jsonEscaped(std::string_view text);
// A whole JSON string: jsonEscaped(text) between double quotes.
KEEL_SDK_API std::string jsonString(std::string_view text);
// The same two, appended to `out` (for output built in one string, without a temporary).
KEEL_SDK_API void appendJsonEscaped(std::string& out, std::string_view text);
KEEL_SDK_API void appendJsonString(std::string& out, std::string_view text);
// One line of a text log: control characters as \xNN (no terminal escape sequence, no forged
// second line).
KEEL_SDK_API std::string logEscaped(std::string_view text);
// A byte logEscaped() copies as it is without looking further: printable ASCII.
constexpr bool isPrintableAscii(char c) {
    return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f;
}

}  // namespace keel
