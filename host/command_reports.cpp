// printVersion, printPluginInspection and reportConfiguration.
#include "command_reports.h"

#include <Poco/File.h>
#include <Poco/Path.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <iostream>
#include <vector>

#include "admin_access.h"
#include "config_store.h"
#include "database_registry.h"
#include "exit_codes.h"
#include "host_settings.h"
#include "host_state.h"
#include "keel/version.h"
#include "log_manager.h"
#include "plugin_library.h"
#include "plugin_manager.h"
#include "runtime_paths.h"

namespace keel::host {

namespace {

// Every plugin file in `directory`, by name, sorted.
std::vector<std::string> pluginsIn(const std::string& directory) {
    std::vector<std::string> files;
    Poco::File(directory).list(files);
    std::sort(files.begin(), files.end());
    std::vector<std::string> names;
    for (const auto& file : files) {
        if (Poco::Path(file).getExtension() == "so") names.push_back(Poco::Path(file).getBaseName());
    }
    return names;
}

// A Markdown table cell: '|' escaped.
std::string cell(std::string text) {
    for (std::size_t at = text.find('|'); at != std::string::npos; at = text.find('|', at + 2)) text.replace(at, 1, "\\|");
    return text;
}

void printReference(const ConfigStore& store) {
    std::cout << "| Key | Type | Default | Valid values | Description |\n";
    std::cout << "|-----|------|---------|--------------|-------------|\n";
    for (const auto& value : store.effective()) {
        std::cout << "| `" << value.key << "` | " << value.type << " | "
                  << (value.defaultValue.empty() ? std::string("*(empty)*") : "`" + cell(value.defaultValue) + "`")
                  << " | " << cell(value.expected) << " | " << cell(value.description) << " |\n";
    }
}

void printEffective(const ConfigStore& store) {
    std::string section;
    for (const auto& value : store.effective()) {
        const std::string valueSection = value.key.substr(0, value.key.find('.'));
        if (valueSection != section) {
            std::cout << (section.empty() ? "" : "\n") << "# " << valueSection << " (" << value.owner << ")\n";
            section = valueSection;
        }
        std::cout << value.key << " = " << value.value << "    # " << value.type << ", from " << value.source << ": "
                  << value.description << "\n";
    }
}

}  // namespace

void printVersion(std::ostream& out) {
    out << "keel " << KEEL_VERSION << " (SDK " << KEEL_SDK_VERSION_STRING << ", SDK ABI " << KEEL_SDK_ABI_VERSION
        << ", build " << hostBuildFingerprint() << ")\n";
}

int printPluginInspection(const std::string& path, std::ostream& out) {
    const auto inspection = inspectPlugin(path);
    out << "file:           " << path << "\n";
    if (inspection.opened) {
        out << "name:           " << inspection.name << "\n"
            << "version:        " << inspection.version << "\n"
            << "description:    " << inspection.description << "\n"
            << "sdk abi:        " << inspection.abiVersion << " (this host: " << KEEL_SDK_ABI_VERSION << ")\n"
            << "sdk version:    " << inspection.sdkVersion << " (this host: " << KEEL_SDK_VERSION_STRING << ")\n"
            << "fingerprint:    " << inspection.buildFingerprint << " (this host: " << hostBuildFingerprint() << ")\n";
        std::string requirements;
        for (const auto& requirement : inspection.requirements) {
            requirements += (requirements.empty() ? "" : ", ") + requirement;
        }
        out << "requires:       " << (requirements.empty() ? "-" : requirements) << "\n";
        if (!inspection.sha256.empty()) out << "sha256:         " << inspection.sha256 << "\n";
    }
    out << "accepted:       " << (inspection.accepted ? "yes" : "no: " + inspection.reason) << "\n";
    return inspection.accepted ? kExitOk : kExitStartup;
}

int reportConfiguration(ConfigStore& store, ConfigReport report, const std::string& configFile) {
    LogManager logs;
    logs.configure(spdlog::level::warn, LogFormat::Text);
    prometheus::Registry registry;
    HostStateImpl state(KEEL_VERSION);
    std::vector<std::string> errors;
    std::vector<std::string> listed;  // their keys are not "unknown" when they failed to load
    try {
        const HostSettings settings = readHostSettings(store);
        listed = pluginNames(settings.plugins);
        // The token file is read at start, so a missing or unreadable one fails the check too.
        if (report == ConfigReport::Check) readAdminToken(settings.adminTokenFile);
        DatabaseRegistry databases(store, logs.logger("keel.database"));
        PluginManagerOptions options;
        options.pluginsDirectory = resolvePluginsDirectory(settings.pluginsDirectory);
        options.privateDirectory = resolveRuntimeDirectory(settings.pluginsRuntimeDirectory);
        options.databases = &databases;
        PluginManager plugins(options, store, logs, registry, state);
        // The reference covers every plugin shipped in the plugin directory, not only the listed.
        const auto names = report == ConfigReport::Reference ? pluginsIn(options.pluginsDirectory) : settings.plugins;
        for (const auto& [name, reason] : plugins.loadAll(names, {}, true).failed) errors.push_back(reason);
        Poco::File(options.privateDirectory).remove(true);
    } catch (const std::exception& error) {
        errors.emplace_back(error.what());
    }
    for (const auto& error : store.validateAll()) {
        if (std::find(errors.begin(), errors.end(), error) == errors.end()) errors.push_back(error);
    }
    if (report == ConfigReport::Reference) {
        printReference(store);
        return errors.empty() ? kExitOk : kExitConfig;
    }
    if (report == ConfigReport::Print) printEffective(store);
    for (const auto& warning : store.unknownKeyWarnings(listed)) std::cerr << "keel: warning: " << warning << "\n";
    for (const auto& error : errors) std::cerr << "keel: error: " << error << "\n";
    if (report == ConfigReport::Check && errors.empty()) {
        std::cerr << "keel: configuration OK" << (configFile.empty() ? "" : " (" + configFile + ")") << "\n";
    }
    return errors.empty() ? kExitOk : kExitConfig;
}

}  // namespace keel::host
