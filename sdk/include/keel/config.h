// Configuration keys as declared by their owner (host or plugin) and the validated view a plugin
// reads. Every key has a type, a default and a description; --print-config and
// docs/configuration.md are generated from these declarations.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "keel/export.h"

namespace keel {

enum class ConfigType { String, Integer, Boolean, Duration, Double };

KEEL_SDK_API const char* configTypeName(ConfigType type);

// Declared with the factories and refined by chaining:
//   ConfigKey::duration("timeout", "5s", "How long a call may take.").range(1, 60000)
struct ConfigKey {
    static ConfigKey string(std::string name, std::string defaultValue, std::string description) {
        return make(std::move(name), ConfigType::String, std::move(defaultValue), std::move(description));
    }
    static ConfigKey integer(std::string name, std::int64_t defaultValue, std::string description) {
        return make(std::move(name), ConfigType::Integer, std::to_string(defaultValue), std::move(description));
    }
    static ConfigKey boolean(std::string name, bool defaultValue, std::string description) {
        return make(std::move(name), ConfigType::Boolean, defaultValue ? "true" : "false", std::move(description));
    }
    // `defaultValue` as an operator writes it: "250ms", "5s", "1m".
    static ConfigKey duration(std::string name, std::string defaultValue, std::string description) {
        return make(std::move(name), ConfigType::Duration, std::move(defaultValue), std::move(description));
    }
    static ConfigKey number(std::string name, std::string defaultValue, std::string description) {
        return make(std::move(name), ConfigType::Double, std::move(defaultValue), std::move(description));
    }
    // Bounds, inclusive; for durations in milliseconds.
    ConfigKey range(double low, double high) && {
        minimum = low;
        maximum = high;
        return std::move(*this);
    }
    ConfigKey atLeast(double low) && {
        minimum = low;
        return std::move(*this);
    }
    ConfigKey oneOf(std::vector<std::string> values) && {
        allowed = std::move(values);
        return std::move(*this);
    }
    ConfigKey secretValue() && {
        secret = true;
        return std::move(*this);
    }

    std::string name;  // relative to the owner's section: "greeting" declared by "hello" is hello.greeting
    ConfigType type = ConfigType::String;
    std::string defaultValue;  // in the same textual form an operator writes ("5s", "true", "8080")
    std::string description;
    bool secret = false;                // redacted in --print-config, /admin and logs
    std::optional<double> minimum;      // Integer, Double, Duration (in milliseconds)
    std::optional<double> maximum;
    std::vector<std::string> allowed;   // String: the only accepted values, when not empty

private:
    static ConfigKey make(std::string name, ConfigType type, std::string defaultValue, std::string description) {
        ConfigKey key;
        key.name = std::move(name);
        key.type = type;
        key.defaultValue = std::move(defaultValue);
        key.description = std::move(description);
        return key;
    }
};

// Where an effective value came from: "default", "/etc/keel/keel.ini:12", "env SERVER_PORT",
// "--define".
struct ConfigSource {
    std::string description;
};

// A bad configuration value: names the key, where the value came from and the expected form.
class KEEL_SDK_API ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
    ~ConfigError() override;
};

// Parses and checks `text` as a value of `key`; returns the canonical text. Throws ConfigError
// "<full key> = "<text>" (from <source>): expected <form>".
KEEL_SDK_API std::string validateConfigValue(const ConfigKey& key, const std::string& fullName,
                                             const std::string& text, const ConfigSource& source);

// What a valid value of `key` looks like ("an integer between 0 and 65535"), as error messages
// and the generated configuration reference say it.
KEEL_SDK_API std::string describeConfigForm(const ConfigKey& key);

// "250ms", "5s", "1m", "2h" (or "0"); a bare number is refused as ambiguous. Throws std::invalid_argument.
KEEL_SDK_API std::chrono::milliseconds parseDuration(const std::string& text);
// "true/false/yes/no/on/off/1/0". Throws std::invalid_argument.
KEEL_SDK_API bool parseBoolean(const std::string& text);

// `text` with every secret masked as "***": a URL's password (whatever characters it holds, '@'
// included), and the values of password=, token=, secret= and similar keys in URL queries and
// libpq keyword strings (quoted values whole). Pass every URL or connection string through it
// before it reaches a log line, an error message or an admin answer.
KEEL_SDK_API std::string redactSecrets(const std::string& text);

// The first line of a file that holds one secret (a token, a password, a signing key), surrounding
// whitespace removed. The file must exist, be non-empty and grant nothing to other users (mode
// 0600 or 0640). Throws ConfigError naming `key` (the configuration key that named the file),
// the file and the reason, never the file's contents.
KEEL_SDK_API std::string readSecretFile(const std::string& key, const std::string& path);

// A validated, read-only view of one section's keys (names relative to the section). Values
// were checked against their declarations before the view was built, so getters only throw for
// an undeclared key or a getter of the wrong type: both programming errors. Immutable; safe
// to share between threads.
class KEEL_SDK_API Settings {
public:
    Settings() = default;
    Settings(std::string section, std::map<std::string, std::string> values,
             std::map<std::string, ConfigType> types);

    std::string getString(const std::string& key) const;
    std::int64_t getInt(const std::string& key) const;
    bool getBool(const std::string& key) const;
    double getDouble(const std::string& key) const;
    std::chrono::milliseconds getDuration(const std::string& key) const;
    // A string key read as a comma-separated list: "a, b ,c" -> {"a", "b", "c"} (items trimmed,
    // empty ones dropped).
    std::vector<std::string> getList(const std::string& key) const;
    bool has(const std::string& key) const { return values_.count(key) != 0; }
    const std::string& section() const { return section_; }

private:
    const std::string& raw(const std::string& key, ConfigType expected) const;

    std::string section_;
    std::map<std::string, std::string> values_;
    std::map<std::string, ConfigType> types_;
};

}  // namespace keel
