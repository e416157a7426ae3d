// The strict JSON reader: a recursive-descent parser over bytes, bounded by a depth limit.
#include "json_document.h"

#include <cstdint>
#include <cstdio>
#include <unordered_set>

namespace keel::plugins::orders {

const JsonValue* JsonValue::find(const std::string& key) const {
    for (const auto& [name, value] : members) {
        if (name == key) return &value;
    }
    return nullptr;
}

JsonParseError::JsonParseError(const std::string& reason, std::size_t offset, std::size_t line,
                               std::size_t column)
    : std::runtime_error("line " + std::to_string(line) + ", column " + std::to_string(column) + ": " +
                         reason),
      reason_(reason),
      offset_(offset),
      line_(line),
      column_(column) {}

namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }

bool isContinuationByte(unsigned char byte) { return (byte & 0xC0) == 0x80; }

int hexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

void appendUtf8(std::string& out, std::uint32_t codePoint) {
    if (codePoint < 0x80) {
        out += static_cast<char>(codePoint);
    } else if (codePoint < 0x800) {
        out += static_cast<char>(0xC0 | (codePoint >> 6));
        out += static_cast<char>(0x80 | (codePoint & 0x3F));
    } else if (codePoint < 0x10000) {
        out += static_cast<char>(0xE0 | (codePoint >> 12));
        out += static_cast<char>(0x80 | ((codePoint >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (codePoint & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (codePoint >> 18));
        out += static_cast<char>(0x80 | ((codePoint >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((codePoint >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (codePoint & 0x3F));
    }
}

std::string hex4(std::uint32_t value) {
    char buffer[8];
    std::snprintf(buffer, sizeof buffer, "%04X", static_cast<unsigned>(value & 0xFFFF));
    return buffer;
}

class Parser {
public:
    Parser(const std::string& text, std::size_t maxDepth) : text_(text), maxDepth_(maxDepth) {}

    JsonValue parseDocument() {
        skipWhitespace();
        JsonValue value = parseValue(0);
        skipWhitespace();
        if (pos_ < text_.size()) fail("unexpected " + describe(pos_) + " after the JSON value");
        return value;
    }

private:
    [[noreturn]] void fail(const std::string& reason) const { failAt(pos_, reason); }

    // Line and column are computed only here: the happy path pays nothing for them.
    [[noreturn]] void failAt(std::size_t offset, const std::string& reason) const {
        std::size_t line = 1;
        std::size_t lineStart = 0;
        for (std::size_t i = 0; i < offset && i < text_.size(); ++i) {
            if (text_[i] == '\n') {
                ++line;
                lineStart = i + 1;
            }
        }
        std::size_t column = 1;
        for (std::size_t i = lineStart; i < offset && i < text_.size(); ++i) {
            if (!isContinuationByte(static_cast<unsigned char>(text_[i]))) ++column;
        }
        throw JsonParseError(reason, offset, line, column);
    }

    // What stands at `offset`, for messages: "'x'", "end of input", "byte 0xC3".
    std::string describe(std::size_t offset) const {
        if (offset >= text_.size()) return "end of input";
        const auto byte = static_cast<unsigned char>(text_[offset]);
        if (byte >= 0x20 && byte < 0x7F) return std::string("'") + static_cast<char>(byte) + "'";
        char buffer[16];
        std::snprintf(buffer, sizeof buffer, "byte 0x%02X", static_cast<unsigned>(byte));
        return buffer;
    }

    bool atEnd() const { return pos_ >= text_.size(); }
    char peek() const { return atEnd() ? '\0' : text_[pos_]; }

    void skipWhitespace() {
        while (!atEnd()) {
            const char c = text_[pos_];
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
            ++pos_;
        }
    }

    JsonValue parseValue(std::size_t depth) {
        if (atEnd()) fail("expected a JSON value, found end of input");
        const char c = text_[pos_];
        switch (c) {
            case '{':
                return parseObject(depth + 1);
            case '[':
                return parseArray(depth + 1);
            case '"': {
                JsonValue value;
                value.type = JsonValue::Type::String;
                value.text = parseString();
                return value;
            }
            case 't':
                return parseLiteral("true", JsonValue::Type::Boolean, true);
            case 'f':
                return parseLiteral("false", JsonValue::Type::Boolean, false);
            case 'n':
                return parseLiteral("null", JsonValue::Type::Null, false);
            case '+':
                fail("a number must not start with '+'");
            case '.':
                fail("a number must start with a digit, not '.'");
            case 'N':
            case 'I':
                fail("NaN and Infinity are not JSON numbers");
            default:
                if (c == '-' || isDigit(c)) return parseNumber();
                fail("expected a JSON value, found " + describe(pos_));
        }
    }

    JsonValue parseLiteral(const char* word, JsonValue::Type type, bool boolean) {
        const std::string expected(word);
        if (text_.compare(pos_, expected.size(), expected) != 0) {
            fail("expected a JSON value, found " + describe(pos_) + " (did you mean " + expected + "?)");
        }
        pos_ += expected.size();
        JsonValue value;
        value.type = type;
        value.boolean = boolean;
        return value;
    }

    // The JSON number grammar: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
    JsonValue parseNumber() {
        const std::size_t start = pos_;
        if (peek() == '-') {
            ++pos_;
            if (peek() == 'I') fail("NaN and Infinity are not JSON numbers");
            if (!isDigit(peek())) fail("expected a digit after '-', found " + describe(pos_));
        }
        if (peek() == '0') {
            ++pos_;
            if (isDigit(peek())) fail("leading zeros are not allowed in a number");
        } else {
            while (isDigit(peek())) ++pos_;
        }
        if (peek() == '.') {
            ++pos_;
            if (!isDigit(peek())) fail("expected a digit after the decimal point, found " + describe(pos_));
            while (isDigit(peek())) ++pos_;
        }
        if (peek() == 'e' || peek() == 'E') {
            ++pos_;
            if (peek() == '+' || peek() == '-') ++pos_;
            if (!isDigit(peek())) fail("expected a digit in the exponent, found " + describe(pos_));
            while (isDigit(peek())) ++pos_;
        }
        JsonValue value;
        value.type = JsonValue::Type::Number;
        value.text = text_.substr(start, pos_ - start);
        return value;
    }

    // Four hex digits after "\u" at pos_; returns the code unit.
    std::uint32_t parseHex4(std::size_t escapeStart) {
        if (pos_ + 4 > text_.size()) failAt(escapeStart, "invalid \\u escape: expected 4 hex digits");
        std::uint32_t unit = 0;
        for (int i = 0; i < 4; ++i) {
            const int digit = hexValue(text_[pos_ + i]);
            if (digit < 0) failAt(escapeStart, "invalid \\u escape: expected 4 hex digits");
            unit = (unit << 4) | static_cast<std::uint32_t>(digit);
        }
        pos_ += 4;
        return unit;
    }

    void parseUnicodeEscape(std::string& out, std::size_t escapeStart) {
        const std::uint32_t unit = parseHex4(escapeStart);
        if (unit >= 0xDC00 && unit <= 0xDFFF) {
            failAt(escapeStart, "lone low surrogate \\u" + hex4(unit) + " (no high surrogate before it)");
        }
        if (unit >= 0xD800 && unit <= 0xDBFF) {
            // A high surrogate only means something together with the low surrogate after it.
            const std::size_t lowStart = pos_;
            if (text_.compare(pos_, 2, "\\u") != 0) {
                failAt(escapeStart,
                       "lone high surrogate \\u" + hex4(unit) + " (a \\uDC00-\\uDFFF escape must follow)");
            }
            pos_ += 2;
            const std::uint32_t low = parseHex4(lowStart);
            if (low < 0xDC00 || low > 0xDFFF) {
                failAt(escapeStart,
                       "lone high surrogate \\u" + hex4(unit) + " (a \\uDC00-\\uDFFF escape must follow)");
            }
            appendUtf8(out, 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00));
            return;
        }
        appendUtf8(out, unit);
    }

    // Copies one well-formed UTF-8 sequence (RFC 3629: no overlongs, no surrogates, at most
    // U+10FFFF) starting at pos_, or fails at its first byte.
    void copyUtf8Sequence(std::string& out) {
        const std::size_t start = pos_;
        const auto at = [this](std::size_t i) {
            return i < text_.size() ? static_cast<unsigned char>(text_[i]) : 0u;
        };
        const unsigned lead = at(start);
        std::size_t length = 0;
        unsigned low = 0x80;  // the range allowed for the second byte
        unsigned high = 0xBF;
        if (lead >= 0xC2 && lead <= 0xDF) {
            length = 2;
        } else if (lead == 0xE0) {
            length = 3, low = 0xA0;
        } else if ((lead >= 0xE1 && lead <= 0xEC) || lead == 0xEE || lead == 0xEF) {
            length = 3;
        } else if (lead == 0xED) {
            length = 3, high = 0x9F;
        } else if (lead == 0xF0) {
            length = 4, low = 0x90;
        } else if (lead >= 0xF1 && lead <= 0xF3) {
            length = 4;
        } else if (lead == 0xF4) {
            length = 4, high = 0x8F;
        }
        bool valid = length > 0;
        for (std::size_t i = 1; valid && i < length; ++i) {
            const unsigned byte = at(start + i);
            valid =
                i == 1 ? (byte >= low && byte <= high) : isContinuationByte(static_cast<unsigned char>(byte));
        }
        if (!valid) failAt(start, "invalid UTF-8 byte sequence in a string");
        out.append(text_, start, length);
        pos_ += length;
    }

    std::string parseString() {
        const std::size_t start = pos_;
        ++pos_;  // the opening quote
        std::string out;
        while (true) {
            if (atEnd()) failAt(start, "unterminated string");
            const auto byte = static_cast<unsigned char>(text_[pos_]);
            if (byte == '"') {
                ++pos_;
                return out;
            }
            if (byte < 0x20) fail("unescaped control character U+" + hex4(byte) + " in a string");
            if (byte >= 0x80) {
                copyUtf8Sequence(out);
                continue;
            }
            if (byte != '\\') {
                out += static_cast<char>(byte);
                ++pos_;
                continue;
            }
            const std::size_t escapeStart = pos_;
            ++pos_;
            if (atEnd()) failAt(start, "unterminated string");
            const char escape = text_[pos_];
            ++pos_;
            switch (escape) {
                case '"':
                    out += '"';
                    break;
                case '\\':
                    out += '\\';
                    break;
                case '/':
                    out += '/';
                    break;
                case 'b':
                    out += '\b';
                    break;
                case 'f':
                    out += '\f';
                    break;
                case 'n':
                    out += '\n';
                    break;
                case 'r':
                    out += '\r';
                    break;
                case 't':
                    out += '\t';
                    break;
                case 'u':
                    parseUnicodeEscape(out, escapeStart);
                    break;
                default:
                    failAt(escapeStart,
                           "invalid escape sequence: backslash followed by " + describe(escapeStart + 1));
            }
        }
    }

    void checkDepth(std::size_t depth) const {
        if (depth > maxDepth_) fail("nesting deeper than " + std::to_string(maxDepth_) + " levels");
    }

    JsonValue parseArray(std::size_t depth) {
        checkDepth(depth);
        ++pos_;  // '['
        JsonValue array;
        array.type = JsonValue::Type::Array;
        skipWhitespace();
        if (peek() == ']') {
            ++pos_;
            return array;
        }
        while (true) {
            skipWhitespace();
            if (peek() == ']' && !array.items.empty()) fail("trailing comma before ']'");
            array.items.push_back(parseValue(depth));
            skipWhitespace();
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            if (peek() == ']') {
                ++pos_;
                return array;
            }
            fail("expected ',' or ']' after an array element, found " + describe(pos_));
        }
    }

    JsonValue parseObject(std::size_t depth) {
        checkDepth(depth);
        ++pos_;  // '{'
        JsonValue object;
        object.type = JsonValue::Type::Object;
        std::unordered_set<std::string> keys;  // a set, so many keys cannot make this quadratic
        skipWhitespace();
        if (peek() == '}') {
            ++pos_;
            return object;
        }
        while (true) {
            skipWhitespace();
            if (peek() == '}' && !object.members.empty()) fail("trailing comma before '}'");
            if (peek() != '"') fail("expected a string as an object key, found " + describe(pos_));
            const std::size_t keyStart = pos_;
            std::string key = parseString();
            // Duplicates are legal in RFC 8259 but parsers disagree on which one wins: reject them.
            if (!keys.insert(key).second) failAt(keyStart, "duplicate object key \"" + shorten(key) + "\"");
            skipWhitespace();
            if (peek() != ':') fail("expected ':' after an object key, found " + describe(pos_));
            ++pos_;
            skipWhitespace();
            JsonValue value = parseValue(depth);
            object.members.emplace_back(std::move(key), std::move(value));
            skipWhitespace();
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            if (peek() == '}') {
                ++pos_;
                return object;
            }
            fail("expected ',' or '}' after an object member, found " + describe(pos_));
        }
    }

    const std::string& text_;
    const std::size_t maxDepth_;
    std::size_t pos_ = 0;
};

}  // namespace

std::string shorten(const std::string& text, std::size_t limit) {
    if (text.size() <= limit) return text;
    std::size_t cut = limit;
    while (cut > 0 && isContinuationByte(static_cast<unsigned char>(text[cut]))) --cut;
    return text.substr(0, cut) + "...";
}

JsonValue parseJson(const std::string& text, std::size_t maxDepth) {
    return Parser(text, maxDepth).parseDocument();
}

}  // namespace keel::plugins::orders
