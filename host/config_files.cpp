// A small parser of our own instead of Poco's IniFileConfiguration: operators need the line of
// a bad value, which Poco's loaders do not keep.
#include "config_files.h"

#include <Poco/DirectoryIterator.h>
#include <Poco/File.h>
#include <Poco/Path.h>
#include <Poco/String.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace keel::host {

namespace {

bool validKey(const std::string& key) {
    if (key.empty()) return false;
    return std::all_of(key.begin(), key.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
    });
}

// Removes a trailing comment introduced by " ;" or " #", then surrounding quotes (inside
// quotes, ';' and '#' are part of the value).
std::string cleanValue(const std::string& raw) {
    std::string value = Poco::trim(raw);
    if (!value.empty() && (value.front() == '"' || value.front() == '\'')) {
        const auto closing = value.find(value.front(), 1);
        if (closing != std::string::npos) {
            const std::string rest = Poco::trim(value.substr(closing + 1));
            if (rest.empty() || rest[0] == ';' || rest[0] == '#') return value.substr(1, closing - 1);
        }
    }
    if (!value.empty() && (value[0] == ';' || value[0] == '#')) return "";  // "key = ; comment"
    for (const char* marker : {" ;", " #", "\t;", "\t#"}) {
        const auto at = value.find(marker);
        if (at != std::string::npos) value = Poco::trimRight(value.substr(0, at));
    }
    return value;
}

}  // namespace

void loadConfigText(const std::string& text, const std::string& sourceName, bool properties, ConfigStore& store) {
    store.addFileSource(sourceName);
    std::istringstream in(text);
    std::string line;
    std::string section;
    int number = 0;
    std::string pending;  // a .properties line continued with a trailing backslash
    int pendingStart = 0;
    while (std::getline(in, line)) {
        ++number;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (properties && !pending.empty()) {
            line = pending + Poco::trimLeft(line);
            pending.clear();
        } else {
            pendingStart = number;
        }
        const std::string trimmed = Poco::trim(line);
        if (trimmed.empty() || trimmed[0] == '#' || trimmed[0] == ';' || (properties && trimmed[0] == '!')) continue;
        if (properties && trimmed.back() == '\\') {
            pending = trimmed.substr(0, trimmed.size() - 1);
            continue;
        }
        const std::string where = sourceName + ":" + std::to_string(properties ? pendingStart : number);
        if (!properties && trimmed.front() == '[') {
            const std::string header = Poco::trim(cleanValue(trimmed));  // "[server] ; comment"
            if (header.back() != ']' || !validKey(Poco::trim(header.substr(1, header.size() - 2)))) {
                throw ConfigError(where + ": expected a section header such as [server], got '" + trimmed + "'");
            }
            section = Poco::trim(header.substr(1, header.size() - 2));
            continue;
        }
        // .properties allows ':' too; whichever comes first separates (values may contain the other).
        const auto separator = properties ? trimmed.find_first_of("=:") : trimmed.find('=');
        if (separator == std::string::npos) {
            throw ConfigError(where + ": expected 'key = value', got '" + trimmed + "'");
        }
        const std::string key = Poco::trim(trimmed.substr(0, separator));
        if (!validKey(key)) {
            throw ConfigError(where + ": '" + key + "' is not a valid key (letters, digits, '_', '-', '.')");
        }
        const std::string fullKey = section.empty() ? key : section + "." + key;
        store.setFromFile(fullKey, cleanValue(trimmed.substr(separator + 1)), ConfigSource{where});
    }
    if (!pending.empty()) {
        throw ConfigError(sourceName + ":" + std::to_string(pendingStart) + ": the last line ends with a '\\' continuation");
    }
}

void loadConfigFile(const std::string& path, ConfigStore& store) {
    const std::string extension = Poco::toLower(Poco::Path(path).getExtension());
    if (extension != "ini" && extension != "properties") {
        throw ConfigError("configuration file " + path + ": expected a .ini or .properties file");
    }
    std::ifstream in(path);
    if (!in) throw ConfigError("configuration file " + path + " cannot be read");
    std::ostringstream text;
    text << in.rdbuf();
    loadConfigText(text.str(), path, extension == "properties", store);
}

std::vector<std::string> configDirectoryFiles(const std::string& directory) {
    std::vector<std::string> files;
    Poco::File folder(directory);
    if (!folder.exists() || !folder.isDirectory()) return files;
    for (Poco::DirectoryIterator it(directory), end; it != end; ++it) {
        const std::string extension = Poco::toLower(Poco::Path(it->path()).getExtension());
        if (it->isFile() && (extension == "ini" || extension == "properties")) files.push_back(it->path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

}  // namespace keel::host
