// Typed configuration values: parsing, validation against a declaration, and the read-only view.
#include "keel/config.h"

#include <Poco/NumberParser.h>
#include <Poco/String.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <sstream>

namespace keel {

ConfigError::~ConfigError() = default;

const char* configTypeName(ConfigType type) {
    switch (type) {
        case ConfigType::String: return "string";
        case ConfigType::Integer: return "integer";
        case ConfigType::Boolean: return "boolean";
        case ConfigType::Duration: return "duration";
        case ConfigType::Double: return "number";
    }
    return "string";
}

std::chrono::milliseconds parseDuration(const std::string& rawText) {
    const std::string text = Poco::trim(rawText);
    if (text == "0") return std::chrono::milliseconds(0);
    std::size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
    if (digits == 0 || digits > 12) throw std::invalid_argument("not a duration");
    const long long amount = std::stoll(text.substr(0, digits));
    const std::string unit = text.substr(digits);
    if (unit == "ms") return std::chrono::milliseconds(amount);
    if (unit == "s") return std::chrono::seconds(amount);
    if (unit == "m") return std::chrono::minutes(amount);
    if (unit == "h") return std::chrono::hours(amount);
    throw std::invalid_argument("not a duration");
}

// Not Poco::NumberParser::parseBool, which takes any integer ("2" would be true): a typo in a
// setting must be an error, not a silent "on".
bool parseBoolean(const std::string& rawText) {
    const std::string text = Poco::toLower(Poco::trim(rawText));
    if (text == "true" || text == "yes" || text == "on" || text == "1") return true;
    if (text == "false" || text == "no" || text == "off" || text == "0") return false;
    throw std::invalid_argument("not a boolean");
}

namespace {

std::string formatNumber(double value) {
    if (value == std::floor(value) && std::fabs(value) < 1e15) return std::to_string(static_cast<long long>(value));
    std::ostringstream out;
    out << value;
    return out.str();
}

std::string rangeText(const ConfigKey& key, bool isDuration) {
    auto show = [&](double value) {
        return isDuration ? formatNumber(value) + "ms" : formatNumber(value);
    };
    if (key.minimum && key.maximum) return " between " + show(*key.minimum) + " and " + show(*key.maximum);
    if (key.minimum) return " of at least " + show(*key.minimum);
    if (key.maximum) return " of at most " + show(*key.maximum);
    return "";
}

std::string expectedForm(const ConfigKey& key) {
    switch (key.type) {
        case ConfigType::Integer: return "an integer" + rangeText(key, false);
        case ConfigType::Double: return "a number" + rangeText(key, false);
        case ConfigType::Boolean: return "a boolean (true/false, yes/no, on/off, 1/0)";
        case ConfigType::Duration:
            return "a duration such as 250ms, 5s, 1m or 2h" + rangeText(key, true);
        case ConfigType::String: {
            if (key.allowed.empty()) return "a string";
            std::string list;
            for (const auto& value : key.allowed) list += (list.empty() ? "" : ", ") + value;
            return "one of: " + list;
        }
    }
    return "a value";
}

// Poco's parsers skip ',' as a thousands separator ("80,81" would read as 8081): check the
// shape first so a typo is an error, never another number.
bool looksLikeInteger(const std::string& text) {
    std::size_t start = (!text.empty() && (text[0] == '-' || text[0] == '+')) ? 1 : 0;
    if (start == text.size()) return false;
    return std::all_of(text.begin() + static_cast<long>(start), text.end(),
                       [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

bool looksLikeNumber(const std::string& text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E';
    });
}

bool inRange(const ConfigKey& key, double value) {
    return !(key.minimum && value < *key.minimum) && !(key.maximum && value > *key.maximum);
}

}  // namespace

std::string describeConfigForm(const ConfigKey& key) { return expectedForm(key); }

std::string validateConfigValue(const ConfigKey& key, const std::string& fullName, const std::string& rawText,
                                const ConfigSource& source) {
    std::string text = Poco::trim(rawText);  // not const: returned by move
    auto fail = [&]() -> ConfigError {
        const std::string shown = key.secret ? std::string("<redacted>") : "\"" + rawText + "\"";
        return ConfigError(fullName + " = " + shown + " (from " + source.description + "): expected " +
                           expectedForm(key));
    };
    switch (key.type) {
        case ConfigType::String:
            if (!key.allowed.empty()) {
                for (const auto& allowed : key.allowed) {
                    if (allowed == text) return text;
                }
                throw fail();
            }
            return rawText;
        case ConfigType::Integer: {
            Poco::Int64 value = 0;
            if (!looksLikeInteger(text) || !Poco::NumberParser::tryParse64(text, value) || !inRange(key, static_cast<double>(value))) throw fail();
            return std::to_string(value);
        }
        case ConfigType::Double: {
            double value = 0;
            if (!looksLikeNumber(text) || !Poco::NumberParser::tryParseFloat(text, value) || !std::isfinite(value) || !inRange(key, value)) {
                throw fail();
            }
            return text;
        }
        case ConfigType::Boolean:
            try {
                return parseBoolean(text) ? "true" : "false";
            } catch (const std::invalid_argument&) {
                throw fail();
            }
        case ConfigType::Duration:
            try {
                const auto value = parseDuration(text);
                if (!inRange(key, static_cast<double>(value.count()))) throw fail();
                return text;
            } catch (const std::invalid_argument&) {
                throw fail();
            }
    }
    throw fail();
}

Settings::Settings(std::string section, std::map<std::string, std::string> values,
                   std::map<std::string, ConfigType> types)
    : section_(std::move(section)), values_(std::move(values)), types_(std::move(types)) {}

const std::string& Settings::raw(const std::string& key, ConfigType expected) const {
    const auto value = values_.find(key);
    const auto type = types_.find(key);
    const std::string fullName = section_.empty() ? key : section_ + "." + key;
    if (value == values_.end() || type == types_.end()) {
        throw std::logic_error("configuration key " + fullName + " was not declared");
    }
    if (type->second != expected) {
        throw std::logic_error("configuration key " + fullName + " is declared as " + configTypeName(type->second) +
                               " but read as " + configTypeName(expected));
    }
    return value->second;
}

std::string Settings::getString(const std::string& key) const { return raw(key, ConfigType::String); }

std::int64_t Settings::getInt(const std::string& key) const {
    return Poco::NumberParser::parse64(raw(key, ConfigType::Integer));
}

bool Settings::getBool(const std::string& key) const { return parseBoolean(raw(key, ConfigType::Boolean)); }

double Settings::getDouble(const std::string& key) const {
    return Poco::NumberParser::parseFloat(raw(key, ConfigType::Double));
}

std::chrono::milliseconds Settings::getDuration(const std::string& key) const {
    return parseDuration(raw(key, ConfigType::Duration));
}

std::vector<std::string> Settings::getList(const std::string& key) const {
    std::vector<std::string> items;
    std::istringstream text(raw(key, ConfigType::String));
    for (std::string item; std::getline(text, item, ',');) {
        const auto first = item.find_first_not_of(" \t");
        if (first == std::string::npos) continue;
        items.push_back(item.substr(first, item.find_last_not_of(" \t") - first + 1));
    }
    return items;
}

}  // namespace keel
