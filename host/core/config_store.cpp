// Layer resolution, validation and the messages operators read when configuration is wrong.
#include "config_store.h"

#include <Poco/String.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace keel::host {

namespace {

std::size_t editDistance(const std::string& a, const std::string& b) {
    std::vector<std::size_t> previous(b.size() + 1), current(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        current[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
            current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
        }
        previous.swap(current);
    }
    return previous[b.size()];
}

std::vector<std::string> segmentsOf(const std::string& name) {
    std::vector<std::string> segments;
    std::size_t start = 0;
    for (std::size_t dot = name.find('.'); dot != std::string::npos; dot = name.find('.', start)) {
        segments.push_back(name.substr(start, dot - start));
        start = dot + 1;
    }
    segments.push_back(name.substr(start));
    return segments;
}

// Whether `key` is `pattern`, where a '*' segment of the pattern matches any one segment.
bool matchesAliasTarget(const std::string& pattern, const std::string& key) {
    if (pattern.find('*') == std::string::npos) return pattern == key;
    const auto wanted = segmentsOf(pattern);
    const auto actual = segmentsOf(key);
    if (wanted.size() != actual.size()) return false;
    for (std::size_t i = 0; i < wanted.size(); ++i) {
        if (wanted[i] == "*" ? actual[i].empty() : wanted[i] != actual[i]) return false;
    }
    return true;
}

}  // namespace

void ConfigStore::setFromFile(const std::string& key, std::string value, ConfigSource source) {
    std::lock_guard<std::mutex> lock(mutex_);
    files_[key] = ConfigEntry{std::move(value), std::move(source)};
}

void ConfigStore::setDefine(const std::string& key, std::string value) {
    std::lock_guard<std::mutex> lock(mutex_);
    defines_[key] = ConfigEntry{std::move(value), ConfigSource{"--define " + key}};
}

void ConfigStore::setEnvironment(const std::map<std::string, std::string>& variables) {
    std::lock_guard<std::mutex> lock(mutex_);
    environment_.clear();
    for (const auto& [name, value] : variables) {
        if (name.rfind("KEEL_", 0) == 0 || aliases_.count(name) != 0) environment_[name] = value;
    }
}

void ConfigStore::addAlias(const std::string& variable, const std::string& key) {
    std::lock_guard<std::mutex> lock(mutex_);
    aliases_[variable].push_back(key);
}

void ConfigStore::clearFiles() {
    std::lock_guard<std::mutex> lock(mutex_);
    files_.clear();
    fileSources_.clear();
}

void ConfigStore::addFileSource(std::string name) {
    std::lock_guard<std::mutex> lock(mutex_);
    fileSources_.push_back(std::move(name));
}

std::vector<std::string> ConfigStore::fileSources() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return fileSources_;
}

std::set<std::string> ConfigStore::replaceFiles(std::map<std::string, ConfigEntry> files) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::map<std::string, std::optional<std::string>> before;
    for (const auto& [key, declaration] : declarations_) {
        const auto entry = lookupLocked(key);
        before[key] = entry ? std::optional<std::string>(entry->value) : std::nullopt;
    }
    for (const auto& [key, entry] : files_) before.emplace(key, entry.value);
    files_.swap(files);
    std::string errors;
    for (const auto& [fullName, declaration] : declarations_) {
        try {
            validatedLocked(fullName, declaration);
        } catch (const ConfigError& error) {
            errors += (errors.empty() ? "" : "; ") + std::string(error.what());
        }
    }
    if (!errors.empty()) {
        files_.swap(files);  // back to the running configuration
        throw ConfigError(errors);
    }
    std::set<std::string> changed;
    for (const auto& [key, previous] : before) {
        const auto entry = lookupLocked(key);
        const std::optional<std::string> now = entry ? std::optional<std::string>(entry->value) : std::nullopt;
        if (now != previous) changed.insert(key);
    }
    for (const auto& [key, entry] : files_) {
        if (before.count(key) == 0) changed.insert(key);
    }
    return changed;
}

void ConfigStore::declare(const std::string& owner, const std::string& fullName, ConfigKey key) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto existing = declarations_.find(fullName);
    if (existing != declarations_.end() && existing->second.owner != owner) {
        throw std::invalid_argument("configuration key " + fullName + " is already declared by " +
                                    existing->second.owner);
    }
    declarations_[fullName] = Declaration{owner, std::move(key)};
}

void ConfigStore::undeclareOwner(const std::string& owner) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = declarations_.begin(); it != declarations_.end();) {
        it = it->second.owner == owner ? declarations_.erase(it) : std::next(it);
    }
}

bool ConfigStore::isDeclared(const std::string& fullName) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return declarations_.count(fullName) != 0;
}

std::set<std::string> ConfigStore::keysSetUnder(const std::string& prefix) const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::set<std::string> keys;
    for (const auto* layer : {&files_, &defines_}) {
        for (const auto& [key, entry] : *layer) {
            if (key.rfind(prefix, 0) == 0) keys.insert(key);
        }
    }
    return keys;
}

std::string ConfigStore::environmentName(const std::string& fullName) {
    std::string name = "KEEL_" + Poco::toUpper(fullName);
    std::replace(name.begin(), name.end(), '.', '_');
    std::replace(name.begin(), name.end(), '-', '_');
    return name;
}

std::optional<ConfigEntry> ConfigStore::lookup(const std::string& fullName) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return lookupLocked(fullName);
}

std::optional<ConfigEntry> ConfigStore::lookupLocked(const std::string& fullName) const {
    if (const auto define = defines_.find(fullName); define != defines_.end()) return define->second;
    const std::string variable = environmentName(fullName);
    if (const auto env = environment_.find(variable); env != environment_.end()) {
        return ConfigEntry{env->second, ConfigSource{"environment variable " + variable}};
    }
    for (const auto& [alias, keys] : aliases_) {
        const auto env = environment_.find(alias);
        if (env == environment_.end()) continue;
        for (const auto& key : keys) {
            if (matchesAliasTarget(key, fullName)) {
                return ConfigEntry{env->second, ConfigSource{"environment variable " + alias}};
            }
        }
    }
    if (const auto file = files_.find(fullName); file != files_.end()) return file->second;
    return std::nullopt;
}

std::string ConfigStore::validatedLocked(const std::string& fullName, const Declaration& declaration) const {
    const auto entry = lookupLocked(fullName);
    if (!entry) {
        return validateConfigValue(declaration.key, fullName, declaration.key.defaultValue,
                                   ConfigSource{"the default of " + declaration.owner});
    }
    return validateConfigValue(declaration.key, fullName, entry->value, entry->source);
}

Settings ConfigStore::settings(const std::string& section) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::string prefix = section + ".";
    std::map<std::string, std::string> values;
    std::map<std::string, ConfigType> types;
    for (const auto& [fullName, declaration] : declarations_) {
        if (fullName.rfind(prefix, 0) != 0) continue;
        const std::string relative = fullName.substr(prefix.size());
        values[relative] = validatedLocked(fullName, declaration);
        types[relative] = declaration.key.type;
    }
    return Settings(section, std::move(values), std::move(types));
}

std::vector<std::string> ConfigStore::validateAll() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::string> errors;
    for (const auto& [fullName, declaration] : declarations_) {
        try {
            validatedLocked(fullName, declaration);
        } catch (const ConfigError& error) {
            errors.emplace_back(error.what());
        }
    }
    return errors;
}

std::string ConfigStore::closestKey(const std::string& name) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return closestKeyLocked(name);
}

std::string ConfigStore::closestKeyLocked(const std::string& name) const {
    std::string best;
    std::size_t bestDistance = std::max<std::size_t>(3, name.size() / 3) + 1;
    for (const auto& [fullName, declaration] : declarations_) {
        const std::size_t distance = editDistance(name, fullName);
        if (distance < bestDistance) {
            bestDistance = distance;
            best = fullName;
        }
    }
    return best;
}

std::vector<std::string> ConfigStore::unknownKeyWarnings(const std::vector<std::string>& listedPlugins) const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::set<std::string> quietSections(listedPlugins.begin(), listedPlugins.end());
    for (const auto& [fullName, declaration] : declarations_) quietSections.erase(fullName.substr(0, fullName.find('.')));
    std::vector<std::string> warnings;
    auto warn = [&](const std::string& key, const std::string& source) {
        if (quietSections.count(key.substr(0, key.find('.'))) != 0) return;
        const std::string closest = closestKeyLocked(key);
        warnings.push_back("unknown configuration key " + key + " (from " + source + ")" +
                           (closest.empty() ? std::string("; no loaded plugin declares it")
                                            : "; did you mean " + closest + "?"));
    };
    for (const auto* layer : {&files_, &defines_}) {
        for (const auto& [key, entry] : *layer) {
            if (declarations_.count(key) == 0) warn(key, entry.source.description);
        }
    }
    for (const auto& [variable, value] : environment_) {
        if (const auto alias = aliases_.find(variable); alias != aliases_.end()) {
            // Unknown only when it feeds nothing declared (its plugin is not loaded).
            bool feeds = false;
            for (const auto& [fullName, declaration] : declarations_) {
                for (const auto& key : alias->second) feeds = feeds || matchesAliasTarget(key, fullName);
            }
            if (!feeds) warn(alias->second.front(), "environment variable " + variable);
            continue;
        }
        bool known = false;
        for (const auto& [fullName, declaration] : declarations_) {
            known = known || environmentName(fullName) == variable;
        }
        if (known) continue;
        bool quiet = false;
        for (const auto& section : quietSections) quiet = quiet || variable.rfind(environmentName(section) + "_", 0) == 0;
        if (quiet) continue;
        // Suggest the key whose variable name is closest.
        std::string best;
        std::size_t bestDistance = 4;
        for (const auto& [fullName, declaration] : declarations_) {
            const std::size_t distance = editDistance(variable, environmentName(fullName));
            if (distance < bestDistance) {
                bestDistance = distance;
                best = environmentName(fullName);
            }
        }
        warnings.push_back("unknown environment variable " + variable +
                           (best.empty() ? std::string("; no loaded plugin declares a matching key")
                                         : "; did you mean " + best + "?"));
    }
    return warnings;
}

std::vector<EffectiveConfigValue> ConfigStore::effective() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<EffectiveConfigValue> values;
    for (const auto& [fullName, declaration] : declarations_) {
        const auto entry = lookupLocked(fullName);
        EffectiveConfigValue value;
        value.key = fullName;
        value.value = entry ? entry->value : declaration.key.defaultValue;
        value.source = entry ? entry->source.description : "default";
        if (declaration.key.secret && !value.value.empty()) value.value = "<redacted>";
        value.owner = declaration.owner;
        value.type = configTypeName(declaration.key.type);
        value.description = declaration.key.description;
        value.defaultValue = declaration.key.defaultValue;
        value.expected = describeConfigForm(declaration.key);
        values.push_back(std::move(value));
    }
    return values;
}

}  // namespace keel::host
