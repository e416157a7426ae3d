// The strict JSON reader: what RFC 8259 allows is read exactly (numbers as written), everything
// else is refused with the line and column of the first offending character.
#include "json_document.h"

#include <gtest/gtest.h>

#include <string>

namespace keel::plugins::orders {
namespace {

// The error parseJson throws for `text`; fails the test if it parses.
JsonParseError parseErrorOf(const std::string& text, std::size_t maxDepth = 32) {
    try {
        parseJson(text, maxDepth);
    } catch (const JsonParseError& error) {
        return error;
    }
    ADD_FAILURE() << "parsed without error: " << text;
    return JsonParseError("no error", 0, 0, 0);
}

std::string decodedString(const std::string& json) {
    const JsonValue value = parseJson(json);
    EXPECT_EQ(value.type, JsonValue::Type::String);
    return value.text;
}

TEST(JsonDocument, ParsesEveryTypeAndKeepsMembersInDocumentOrder) {
    const JsonValue value = parseJson(
        R"({"z": null, "a": true, "m": false, "n": 12.50, "s": "text", "l": [1, "two", []], "o": {}})");
    ASSERT_EQ(value.type, JsonValue::Type::Object);
    ASSERT_EQ(value.members.size(), 7u);
    EXPECT_EQ(value.members[0].first, "z");
    EXPECT_EQ(value.members[1].first, "a");
    EXPECT_EQ(value.members[6].first, "o");
    EXPECT_EQ(value.find("z")->type, JsonValue::Type::Null);
    EXPECT_EQ(value.find("a")->type, JsonValue::Type::Boolean);
    EXPECT_TRUE(value.find("a")->boolean);
    EXPECT_FALSE(value.find("m")->boolean);
    EXPECT_EQ(value.find("n")->type, JsonValue::Type::Number);
    EXPECT_EQ(value.find("s")->text, "text");
    const JsonValue* list = value.find("l");
    ASSERT_EQ(list->type, JsonValue::Type::Array);
    ASSERT_EQ(list->items.size(), 3u);
    EXPECT_EQ(list->items[0].text, "1");
    EXPECT_EQ(list->items[1].text, "two");
    EXPECT_EQ(list->items[2].type, JsonValue::Type::Array);
    EXPECT_EQ(value.find("o")->type, JsonValue::Type::Object);
}

TEST(JsonDocument, FindReturnsNullForMissingKeysAndForNonObjects) {
    EXPECT_EQ(parseJson(R"({"a": 1})").find("b"), nullptr);
    EXPECT_EQ(parseJson("[1]").find("a"), nullptr);
}

TEST(JsonDocument, KeepsNumberLexemesExactlyAsWritten) {
    for (const std::string number :
         {"0", "-0", "10.50", "0.1", "1e400", "1E+5", "-12.34e-10", "123456789012345678901234567890"}) {
        const JsonValue value = parseJson(number);
        EXPECT_EQ(value.type, JsonValue::Type::Number) << number;
        EXPECT_EQ(value.text, number);
    }
}

TEST(JsonDocument, AcceptsAnyValueAtTopLevelWithWhitespaceAround) {
    EXPECT_EQ(parseJson(" \t\r\n\"x\" \n").text, "x");
    EXPECT_EQ(parseJson("5").text, "5");
    EXPECT_EQ(parseJson("null").type, JsonValue::Type::Null);
    EXPECT_TRUE(parseJson(" true ").boolean);
}

TEST(JsonDocument, RejectsEmptyAndWhitespaceOnlyInput) {
    EXPECT_EQ(parseErrorOf("").reason(), "expected a JSON value, found end of input");
    EXPECT_EQ(parseErrorOf("  \n ").reason(), "expected a JSON value, found end of input");
}

TEST(JsonDocument, RejectsContentAfterTheValue) {
    EXPECT_EQ(parseErrorOf("{} {}").reason(), "unexpected '{' after the JSON value");
    EXPECT_EQ(parseErrorOf("1 2").column(), 3u);
    EXPECT_NE(std::string(parseErrorOf("123abc").what()).find("unexpected 'a'"), std::string::npos);
}

TEST(JsonDocument, RejectsWhitespaceThatJsonDoesNotDefine) {
    parseErrorOf("\f1");
    parseErrorOf(
        "\xC2\xA0"
        "1");                        // no-break space
    parseErrorOf("\xEF\xBB\xBF{}");  // byte order mark
}

TEST(JsonDocument, DecodesEverySimpleEscape) {
    EXPECT_EQ(decodedString(R"("\" \\ \/ \b \f \n \r \t")"), "\" \\ / \b \f \n \r \t");
}

TEST(JsonDocument, DecodesUnicodeEscapesToUtf8) {
    EXPECT_EQ(decodedString(R"("\u0041\u00e9\u20AC")"), "A\xC3\xA9\xE2\x82\xAC");
    EXPECT_EQ(decodedString(R"("\u0000")"), std::string(1, '\0'));
}

TEST(JsonDocument, DecodesSurrogatePairsToOneCodePoint) {
    EXPECT_EQ(decodedString(R"("\uD83D\uDE00")"), "\xF0\x9F\x98\x80");  // U+1F600
    EXPECT_EQ(decodedString(R"("\udbff\udfff")"), "\xF4\x8F\xBF\xBF");  // U+10FFFF
}

TEST(JsonDocument, RejectsLoneSurrogates) {
    EXPECT_NE(parseErrorOf(R"("\uD800")").reason().find("lone high surrogate \\uD800"), std::string::npos);
    EXPECT_NE(parseErrorOf(R"("\uD800x")").reason().find("lone high surrogate"), std::string::npos);
    EXPECT_NE(parseErrorOf(R"("\uD800\u0041")").reason().find("lone high surrogate"), std::string::npos);
    EXPECT_NE(parseErrorOf(R"("\uDC00")").reason().find("lone low surrogate \\uDC00"), std::string::npos);
    EXPECT_EQ(parseErrorOf(R"(["ab\uD800"])").column(), 5u);  // where the escape starts
}

TEST(JsonDocument, RejectsMalformedEscapes) {
    EXPECT_NE(parseErrorOf(R"("\x")").reason().find("invalid escape sequence"), std::string::npos);
    EXPECT_NE(parseErrorOf(R"("\u12")").reason().find("expected 4 hex digits"), std::string::npos);
    EXPECT_NE(parseErrorOf(R"("\u12G4")").reason().find("expected 4 hex digits"), std::string::npos);
    EXPECT_NE(parseErrorOf(R"("\U0041")").reason().find("invalid escape sequence"), std::string::npos);
    EXPECT_EQ(parseErrorOf("\"abc\\").reason(), "unterminated string");
}

TEST(JsonDocument, RejectsUnescapedControlCharactersInStrings) {
    EXPECT_EQ(parseErrorOf("\"a\tb\"").reason(), "unescaped control character U+0009 in a string");
    EXPECT_EQ(parseErrorOf("\"a\nb\"").reason(), "unescaped control character U+000A in a string");
    EXPECT_EQ(parseErrorOf(std::string("\"a\0b\"", 5)).column(), 3u);
}

TEST(JsonDocument, AcceptsWellFormedMultibyteUtf8) {
    EXPECT_EQ(decodedString("\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\""),
              "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
}

TEST(JsonDocument, RejectsInvalidUtf8) {
    for (const std::string& bad : {
             std::string("\"\xC3\""),              // truncated sequence
             std::string("\"\xC0\x80\""),          // overlong NUL
             std::string("\"\xE0\x80\xAF\""),      // overlong '/'
             std::string("\"\xED\xA0\x80\""),      // encoded surrogate U+D800
             std::string("\"\xF4\x90\x80\x80\""),  // above U+10FFFF
             std::string("\"\xF5\x80\x80\x80\""),  // never a lead byte
             std::string("\"\x80\""),              // lone continuation byte
             std::string("\"\xFF\""),
         }) {
        const JsonParseError error = parseErrorOf(bad);
        EXPECT_EQ(error.reason(), "invalid UTF-8 byte sequence in a string");
        EXPECT_EQ(error.offset(), 1u);
    }
    EXPECT_NE(parseErrorOf("\xC3\xA9").reason().find("byte 0xC3"), std::string::npos);  // outside a string
}

TEST(JsonDocument, RejectsNumbersOutsideTheJsonGrammar) {
    const std::pair<const char*, const char*> cases[] = {
        {"01", "leading zeros are not allowed"},
        {"-01", "leading zeros are not allowed"},
        {"+1", "must not start with '+'"},
        {"1.", "expected a digit after the decimal point"},
        {"1.e5", "expected a digit after the decimal point"},
        {".5", "must start with a digit"},
        {"1e", "expected a digit in the exponent"},
        {"1e+", "expected a digit in the exponent"},
        {"-", "expected a digit after '-'"},
        {"-a", "expected a digit after '-'"},
        {"NaN", "NaN and Infinity are not JSON numbers"},
        {"Infinity", "NaN and Infinity are not JSON numbers"},
        {"-Infinity", "NaN and Infinity are not JSON numbers"},
        {"0x10", "unexpected 'x' after the JSON value"},
    };
    for (const auto& [text, reason] : cases) {
        EXPECT_NE(parseErrorOf(text).reason().find(reason), std::string::npos) << text;
    }
}

TEST(JsonDocument, RejectsMisspelledLiterals) {
    EXPECT_NE(parseErrorOf("tru").reason().find("did you mean true?"), std::string::npos);
    EXPECT_NE(parseErrorOf("nul").reason().find("did you mean null?"), std::string::npos);
    EXPECT_NE(parseErrorOf("False").reason().find("expected a JSON value, found 'F'"), std::string::npos);
    EXPECT_NE(parseErrorOf("'x'").reason().find("found '''"), std::string::npos);
}

TEST(JsonDocument, RejectsTrailingCommas) {
    EXPECT_EQ(parseErrorOf("[1,]").reason(), "trailing comma before ']'");
    EXPECT_EQ(parseErrorOf(R"({"a":1,})").reason(), "trailing comma before '}'");
    EXPECT_NE(parseErrorOf("[,1]").reason().find("expected a JSON value"), std::string::npos);
}

TEST(JsonDocument, RejectsUnterminatedContainersAndStrings) {
    EXPECT_EQ(parseErrorOf("[1").reason(), "expected ',' or ']' after an array element, found end of input");
    EXPECT_EQ(parseErrorOf(R"({"a":1)").reason(),
              "expected ',' or '}' after an object member, found end of input");
    EXPECT_EQ(parseErrorOf(R"({"a")").reason(), "expected ':' after an object key, found end of input");
    EXPECT_EQ(parseErrorOf(R"({"a":)").reason(), "expected a JSON value, found end of input");
    EXPECT_EQ(parseErrorOf(R"(  "abc)").reason(), "unterminated string");
    EXPECT_EQ(parseErrorOf(R"(  "abc)").column(), 3u);
}

TEST(JsonDocument, RejectsNonStringObjectKeys) {
    EXPECT_EQ(parseErrorOf("{a:1}").reason(), "expected a string as an object key, found 'a'");
    EXPECT_EQ(parseErrorOf("{1:1}").reason(), "expected a string as an object key, found '1'");
}

TEST(JsonDocument, RejectsDuplicateObjectKeys) {
    const JsonParseError error = parseErrorOf(R"({"a": 1, "b": 2, "a": 3})");
    EXPECT_EQ(error.reason(), "duplicate object key \"a\"");
    EXPECT_EQ(error.column(), 18u);
    // The same key in different objects is fine.
    EXPECT_NO_THROW(parseJson(R"({"a": {"a": 1}, "b": [{"a": 1}, {"a": 2}]})"));
    // Keys compare after decoding: "\u0061" is "a".
    EXPECT_EQ(parseErrorOf(R"({"a": 1, "\u0061": 2})").reason(), "duplicate object key \"a\"");
}

TEST(JsonDocument, RejectsNestingDeeperThanTheLimit) {
    const auto nested = [](std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); };
    EXPECT_NO_THROW(parseJson(nested(32)));
    const JsonParseError error = parseErrorOf(nested(33));
    EXPECT_EQ(error.reason(), "nesting deeper than 32 levels");
    EXPECT_EQ(error.column(), 33u);
    EXPECT_NO_THROW(parseJson(R"({"a":{"b":1}})", 2));
    EXPECT_EQ(parseErrorOf(R"({"a":{"b":[]}})", 2).reason(), "nesting deeper than 2 levels");
    EXPECT_EQ(parseErrorOf("[]", 0).reason(), "nesting deeper than 0 levels");
}

TEST(JsonDocument, SurvivesHostileNestingWithoutExhaustingTheStack) {
    EXPECT_EQ(parseErrorOf(std::string(1'000'000, '[')).reason(), "nesting deeper than 32 levels");
    EXPECT_EQ(parseErrorOf(std::string(1'000'000, '{')).reason(),
              "expected a string as an object key, found '{'");
}

TEST(JsonDocument, ReportsLineColumnAndOffsetOfTheError) {
    const JsonParseError error = parseErrorOf("{\n  \"a\": 1,\n  \"b\" 2\n}");
    EXPECT_EQ(error.line(), 3u);
    EXPECT_EQ(error.column(), 7u);
    EXPECT_EQ(error.offset(), 18u);
    EXPECT_EQ(std::string(error.what()), "line 3, column 7: expected ':' after an object key, found '2'");
}

TEST(JsonDocument, CountsColumnsInCharactersNotBytes) {
    const JsonParseError error = parseErrorOf("[\"\xC3\xA9\xE2\x82\xAC\" 1]");
    EXPECT_EQ(error.column(), 7u);
    EXPECT_EQ(error.offset(), 9u);
}

}  // namespace
}  // namespace keel::plugins::orders
