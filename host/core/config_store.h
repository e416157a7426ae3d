// The layered configuration: every raw value with where it came from, every declared key with its
// owner, and the rules that turn the two into validated Settings. Precedence, highest first:
// --define, KEEL_<SECTION>_<KEY>, a classic alias (SERVER_PORT...), files in load order
// (later wins), the declared default. Lookups are lazy, so keys declared by a plugin loaded later
// still see the environment. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "keel/config.h"

namespace keel::host {

struct ConfigEntry {
    std::string value;
    ConfigSource source;
};

struct EffectiveConfigValue {
    std::string key;
    std::string value;  // "<redacted>" for secrets
    std::string source;
    std::string owner;
    std::string type;
    std::string description;
    std::string defaultValue;
    std::string expected;  // the valid form, as error messages state it
};

class ConfigStore {
public:
    // Values from a file (in file order: a later call wins over an earlier one).
    void setFromFile(const std::string& key, std::string value, ConfigSource source);
    void setDefine(const std::string& key, std::string value);
    // Takes the variables that can configure Keel: KEEL_* and the classic aliases.
    void setEnvironment(const std::map<std::string, std::string>& variables);
    // `variable` feeds `key`; called again, it feeds more keys. A '*' in `key` stands for one
    // whole dotted segment ("resilience.policy.*.max_concurrent": every policy's bulkhead).
    void addAlias(const std::string& variable, const std::string& key);
    // Drops the file layer, before files are read again on reload (--define and the
    // environment do not change while the process runs).
    void clearFiles();
    const std::map<std::string, ConfigEntry>& fileEntries() const { return files_; }  // single-threaded use
    // The files (or embedded text) read into the file layer, in reading order, keys or not.
    void addFileSource(std::string name);
    std::vector<std::string> fileSources() const;
    // Makes `files` the file layer if every declared key validates with it; returns the keys whose
    // effective value changed. Throws ConfigError (listing every error) and changes nothing otherwise.
    std::set<std::string> replaceFiles(std::map<std::string, ConfigEntry> files);

    // Declares `fullName` for `owner`; a second owner of the same key throws std::invalid_argument.
    void declare(const std::string& owner, const std::string& fullName, ConfigKey key);
    void undeclareOwner(const std::string& owner);
    bool isDeclared(const std::string& fullName) const;
    // Keys set in a file or by --define that start with `prefix` (declared or not).
    std::set<std::string> keysSetUnder(const std::string& prefix) const;

    // The raw effective value of a key (declared or not), highest layer first; nullopt when unset.
    std::optional<ConfigEntry> lookup(const std::string& fullName) const;

    // Validates every declared key under `section.` and returns them relative to the section.
    // Throws ConfigError for the first bad value.
    Settings settings(const std::string& section) const;
    // Validates every declared key; returns every error (empty when all are good).
    std::vector<std::string> validateAll() const;
    // "unknown configuration key X (from F:L); did you mean Y?" for every set but undeclared key.
    // Keys of a plugin in `listedPlugins` that declared nothing are left out: it failed to load,
    // which is reported as its own error, and listing its keys as unknown would bury that error.
    std::vector<std::string> unknownKeyWarnings(const std::vector<std::string>& listedPlugins = {}) const;
    std::vector<EffectiveConfigValue> effective() const;

    // KEEL_SERVER_READ_TIMEOUT for server.read_timeout.
    static std::string environmentName(const std::string& fullName);
    // The declared key closest to `name` by edit distance, "" when none is close.
    std::string closestKey(const std::string& name) const;

private:
    struct Declaration {
        std::string owner;
        ConfigKey key;
    };
    std::optional<ConfigEntry> lookupLocked(const std::string& fullName) const;
    std::string closestKeyLocked(const std::string& name) const;
    std::string validatedLocked(const std::string& fullName, const Declaration& declaration) const;

    mutable std::mutex mutex_;
    std::map<std::string, ConfigEntry> files_;
    std::vector<std::string> fileSources_;
    std::map<std::string, ConfigEntry> defines_;
    std::map<std::string, std::string> environment_;
    std::map<std::string, std::vector<std::string>> aliases_;  // variable -> keys it feeds (patterns)
    std::map<std::string, Declaration> declarations_;
};

}  // namespace keel::host
