// What keel prints and then exits with, without starting: --version, --inspect-plugin, and the
// configuration reports --check-config, --print-config and --config-reference.
#pragma once

#include <ostream>
#include <string>

namespace keel::host {

class ConfigStore;

// "keel 0.1.0 (SDK 0.7.0, SDK ABI 6, build ...)".
void printVersion(std::ostream& out);

// The descriptor of the plugin file at `path` and whether this host would load it; returns the
// exit code (0 when it would).
int printPluginInspection(const std::string& path, std::ostream& out);

enum class ConfigReport {
    Check,      // errors and warnings, "configuration OK" when there are none
    Print,      // every effective value with its source, then the errors and warnings
    Reference,  // the Markdown key table of docs/configuration.md
};

// Loads every listed plugin (every plugin in plugins.dir for Reference) far enough to declare its
// keys, validates all of them and prints `report`; returns the exit code. `configFile` names the
// main file in "configuration OK (FILE)".
int reportConfiguration(ConfigStore& store, ConfigReport report, const std::string& configFile);

}  // namespace keel::host
