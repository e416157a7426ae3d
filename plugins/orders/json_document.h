// A strict RFC 8259 JSON reader that keeps number lexemes as text, so money never passes through
// binary floating point (Poco's parser turns every number into a double). Plain C++.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace keel::plugins::orders {

// One parsed JSON value; a plain tree that owns its children.
struct JsonValue {
    enum class Type { Null, Boolean, Number, String, Array, Object };

    Type type = Type::Null;
    bool boolean = false;
    // Number: the lexeme exactly as written ("10.50", "-0", "1e3"). String: the decoded UTF-8.
    std::string text;
    std::vector<JsonValue> items;                            // Array elements
    std::vector<std::pair<std::string, JsonValue>> members;  // Object members, in document order

    // The member named `key` of an object, or nullptr (also for non-objects).
    const JsonValue* find(const std::string& key) const;
};

// Why a text is not JSON, and where: what() reads "line 1, column 17: expected ':' after an
// object key". The offset counts bytes from 0; line and column count from 1, the column in
// characters (UTF-8 code points), so it matches what an editor shows.
class JsonParseError : public std::runtime_error {
public:
    JsonParseError(const std::string& reason, std::size_t offset, std::size_t line, std::size_t column);

    const std::string& reason() const { return reason_; }  // the message without the position
    std::size_t offset() const { return offset_; }
    std::size_t line() const { return line_; }
    std::size_t column() const { return column_; }

private:
    std::string reason_;
    std::size_t offset_;
    std::size_t line_;
    std::size_t column_;
};

// Parses exactly one JSON value with only whitespace around it. Rejects everything RFC 8259 does
// not allow (leading zeros, '+', NaN, trailing commas, unescaped control characters, invalid
// UTF-8, lone surrogates) and, beyond it, duplicate object keys and containers nested deeper than
// `maxDepth`, because either would make a request mean something other than it seems to.
// Throws JsonParseError.
JsonValue parseJson(const std::string& text, std::size_t maxDepth = 32);

// At most `limit` bytes of client-supplied text for a message, cut on a character boundary, with
// "..." when cut: a body full of junk must not produce a response many times its size.
std::string shorten(const std::string& text, std::size_t limit = 40);

}  // namespace keel::plugins::orders
