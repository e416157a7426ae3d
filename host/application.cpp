// The keel executable's command line: what it prints and exits with, or the configuration it
// loads and the host it runs (host_runtime.cpp).
#include "application.h"

#include <Poco/File.h>
#include <Poco/Path.h>
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionCallback.h>
#include <Poco/Util/OptionSet.h>

#include <iostream>
#include <map>

#include "command_reports.h"
#include "config_files.h"
#include "config_store.h"
#include "database_registry.h"
#include "embedded_config.h"
#include "exit_codes.h"
#include "feature_flags.h"
#include "host_runtime.h"
#include "host_settings.h"
#include "log_manager.h"

extern char** environ;

namespace keel::host {

namespace {

std::map<std::string, std::string> processEnvironment() {
    std::map<std::string, std::string> variables;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        const std::string text(*entry);
        const auto equals = text.find('=');
        if (equals != std::string::npos) variables[text.substr(0, equals)] = text.substr(equals + 1);
    }
    return variables;
}

}  // namespace

KeelApplication::KeelApplication() { setUnixOptions(true); }

void KeelApplication::defineOptions(Poco::Util::OptionSet& options) {
    ServerApplication::defineOptions(options);
    auto callback = Poco::Util::OptionCallback<KeelApplication>(this, &KeelApplication::handleDefine);
    options.addOption(Poco::Util::Option("config", "c", "Main configuration file (.ini or .properties); "
                                                        "conf.d/ beside it is read too. Default: the embedded etc/keel.ini.")
                          .argument("FILE")
                          .repeatable(false)
                          .callback(callback));
    options.addOption(Poco::Util::Option("define", "D", "Set a configuration key, overriding every other source.")
                          .argument("key=value")
                          .repeatable(true)
                          .callback(callback));
    options.addOption(
        Poco::Util::Option("check-config", "", "Validate the configuration (and plugins' keys), then exit.")
            .callback(callback));
    options.addOption(Poco::Util::Option("print-config", "",
                                         "Print every effective value with its source (secrets redacted), then exit.")
                          .callback(callback));
    options.addOption(Poco::Util::Option("config-reference", "",
                                         "Print every key the host and the plugins in plugins.dir declare, as the "
                                         "Markdown table of docs/configuration.md, then exit.")
                          .callback(callback));
    options.addOption(Poco::Util::Option("inspect-plugin", "",
                                         "Print a plugin file's descriptor and whether this host would load it, "
                                         "without starting it; exit 0 when it would.")
                          .argument("FILE")
                          .callback(callback));
    options.addOption(Poco::Util::Option("version", "v", "Print the version and SDK ABI, then exit.").callback(callback));
    options.addOption(Poco::Util::Option("help", "h", "Print this help, then exit.").callback(callback));
}

void KeelApplication::handleDefine(const std::string& name, const std::string& value) {
    if (name == "config") {
        configFile_ = value;
    } else if (name == "define") {
        const auto equals = value.find('=');
        if (equals == std::string::npos || equals == 0) {
            usageError_ = "--define expects key=value, got '" + value + "'";
            stopOptionsProcessing();
            return;
        }
        defines_.emplace_back(value.substr(0, equals), value.substr(equals + 1));
    } else if (name == "check-config") {
        checkConfig_ = true;
    } else if (name == "print-config") {
        printConfig_ = true;
    } else if (name == "inspect-plugin") {
        inspectPlugin_ = value;
        stopOptionsProcessing();
    } else if (name == "config-reference") {
        configReference_ = true;
    } else if (name == "version") {
        versionRequested_ = true;
        stopOptionsProcessing();
    } else if (name == "help") {
        helpRequested_ = true;
        stopOptionsProcessing();
    }
}

void KeelApplication::loadConfigurationFiles(ConfigStore& store) const {
    if (configFile_.empty()) {
        loadConfigText(kEmbeddedConfiguration, "embedded etc/keel.ini", false, store);
        return;
    }
    loadConfigFile(configFile_, store);
    const std::string directory =
        Poco::Path(Poco::Path(configFile_).absolute()).parent().pushDirectory("conf.d").toString();
    for (const auto& file : configDirectoryFiles(directory)) loadConfigFile(file, store);
}

void KeelApplication::loadConfiguration(ConfigStore& store) const {
    loadConfigurationFiles(store);
    store.setEnvironment(processEnvironment());
    for (const auto& [key, value] : defines_) store.setDefine(key, value);
    declareFeatureFlags(store, store.keysSetUnder("features."));
}

int KeelApplication::main(const std::vector<std::string>& arguments) {
    if (!usageError_.empty()) {
        std::cerr << "keel: " << usageError_ << "\n";
        return kExitUsage;
    }
    if (helpRequested_) return printHelp();
    if (versionRequested_) {
        printVersion(std::cout);
        return kExitOk;
    }
    if (!arguments.empty()) {
        std::cerr << "keel: unexpected argument '" << arguments.front() << "' (see --help)\n";
        return kExitUsage;
    }
    if (!inspectPlugin_.empty()) return printPluginInspection(inspectPlugin_, std::cout);

    ConfigStore store;
    declareHostSettings(store);
    DatabaseRegistry::declareKeys(store);
    HostSettings settings;
    try {
        loadConfiguration(store);
        if (const auto report = requestedReport()) return reportConfiguration(store, *report, configFile_);
        settings = readHostSettings(store);
    } catch (const ConfigError& error) {
        std::cerr << "keel: configuration error: " << error.what() << "\n";
        return kExitConfig;
    }
    return serve(store, settings);
}

int KeelApplication::printHelp() {
    Poco::Util::HelpFormatter help(options());
    help.setCommand(commandName());
    help.setUsage("[--config FILE] [--define key=value ...] [--check-config | --print-config]");
    help.setHeader("Keel, a plugin-based service host.");
    help.setFooter("Environment: KEEL_<SECTION>_<KEY> (e.g. KEEL_SERVER_PORT) and classic names such as "
                   "SERVER_PORT or DATABASE_URL. See docs/configuration.md.");
    help.format(std::cout);
    return kExitOk;
}

std::optional<ConfigReport> KeelApplication::requestedReport() const {
    if (configReference_) return ConfigReport::Reference;
    if (printConfig_) return ConfigReport::Print;
    if (checkConfig_) return ConfigReport::Check;
    return std::nullopt;
}

int KeelApplication::serve(ConfigStore& store, const HostSettings& settings) {
    LogManager logs;
    logs.configure(LogManager::parseLevel(settings.logLevel),
                   settings.logFormat == "json" ? LogFormat::Json : LogFormat::Text);
    logs.setInstance(settings.instanceId);
    std::string privateDirectory;
    int exitCode = kExitOk;
    {
        HostRuntime runtime(store, settings, logs, [this](ConfigStore& files) { loadConfigurationFiles(files); });
        privateDirectory = runtime.privateDirectory();
        exitCode = runtime.run();
    }
    try {
        Poco::File(privateDirectory).remove(true);
    } catch (const Poco::Exception&) {
        // Already gone, or never created: nothing to clean.
    }
    logs.flush();
    return exitCode;
}

}  // namespace keel::host
