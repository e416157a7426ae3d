// Reads configuration files into the ConfigStore with file and line for every value:
// `.ini` ([section] then key = value) and `.properties` (dotted.key = value), then conf.d/*.
#pragma once

#include <string>
#include <vector>

#include "config_store.h"

namespace keel::host {

// Parses `text` as the format of `path`'s extension; `sourceName` is what messages call it.
// Throws ConfigError naming file, line and the expected form.
void loadConfigText(const std::string& text, const std::string& sourceName, bool properties, ConfigStore& store);
void loadConfigFile(const std::string& path, ConfigStore& store);
// `*.ini` and `*.properties` in `directory`, in lexical order; none when it does not exist.
std::vector<std::string> configDirectoryFiles(const std::string& directory);

}  // namespace keel::host
