// Start-up, the run loop and the shutdown sequence of the keel executable.
#include "application.h"

#include <Poco/Environment.h>
#include <Poco/File.h>
#include <Poco/Path.h>
#include <Poco/Process.h>
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/IntValidator.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionCallback.h>
#include <Poco/Util/OptionSet.h>
#include <prometheus/registry.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <memory>
#include <thread>

#include "admin_access.h"
#include "admin_api.h"
#include "config_files.h"
#include "config_store.h"
#include "core_middleware.h"
#include "database_registry.h"
#include "dispatcher.h"
#include "embedded_config.h"
#include "feature_flags.h"
#include "host_settings.h"
#include "http_server.h"
#include "keel/version.h"
#include "log_manager.h"
#include "otlp_exporter.h"
#include "plugin_library.h"
#include "plugin_manager.h"
#include "signal_watcher.h"
#include "systemd_notifier.h"
#include "keel/http_client.h"

extern char** environ;

namespace keel::host {

namespace {

constexpr int kExitUsage = 64;
constexpr int kExitConfig = 78;
constexpr int kExitStartup = 1;

std::map<std::string, std::string> processEnvironment() {
    std::map<std::string, std::string> variables;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        const std::string text(*entry);
        const auto equals = text.find('=');
        if (equals != std::string::npos) variables[text.substr(0, equals)] = text.substr(equals + 1);
    }
    return variables;
}

std::string executableDirectory() {
    char buffer[4096];
    const auto length = ::readlink("/proc/self/exe", buffer, sizeof buffer - 1);
    if (length <= 0) return ".";
    buffer[length] = '\0';
    return Poco::Path(buffer).parent().toString();
}

// Empty plugins.dir: the build tree (../plugins) or the installed layout (../lib/keel/plugins).
std::string resolvePluginsDirectory(const std::string& configured) {
    if (!configured.empty()) return configured;
    const std::string base = executableDirectory();
    for (const char* relative : {"../plugins", "../lib/keel/plugins"}) {
        const std::string candidate = Poco::Path(base).resolve(Poco::Path(relative)).toString();
        if (Poco::File(candidate).exists()) return candidate;
    }
    return Poco::Path(base).resolve(Poco::Path("../lib/keel/plugins")).toString();
}

std::string resolveRuntimeDirectory(const std::string& configured) {
    std::string base = configured;
    if (base.empty()) base = Poco::Environment::get("RUNTIME_DIRECTORY", "");
    if (base.empty()) base = Poco::Path::temp();
    return Poco::Path(base).makeDirectory().pushDirectory("keel-plugins-" + std::to_string(::getpid())).toString();
}

using Listeners = std::vector<std::unique_ptr<HttpServer>>;

// True once no request is dispatched or waiting for a worker on any listener.
bool waitForListenersIdle(const Listeners& listeners, Dispatcher& dispatcher,
                          std::chrono::steady_clock::time_point deadline) {
    while (true) {
        if (!dispatcher.waitIdle(deadline)) return false;
        const bool queued = std::any_of(listeners.begin(), listeners.end(), [](const auto& l) { return !l->idle(); });
        if (!queued && dispatcher.inFlight() == 0) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

// Answers already written are given a moment to leave before their connections are closed.
void waitForConnectionsClosed(const Listeners& listeners, std::chrono::steady_clock::time_point deadline) {
    while (std::chrono::steady_clock::now() < deadline &&
           std::any_of(listeners.begin(), listeners.end(), [](const auto& l) { return l->openConnections() > 0; })) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

// The shutdown deadline passed with requests still running: their plugins' code is on the
// workers' stacks, so nothing may be unloaded. Report them, drop their connections and leave.
[[noreturn]] void exitAtShutdownDeadline(const Listeners& listeners, Dispatcher& dispatcher, const HostSettings& settings,
                                         LogManager& logs) {
    auto logger = logs.logger("keel");
    logger->error("shutdown: {} request(s) still running after server.shutdown_timeout ({}ms); exiting without "
                  "unloading plugins",
                  dispatcher.inFlight(), settings.shutdownTimeout.count());
    for (const auto& listener : listeners) {
        for (const auto& running : listener->runningRequests()) {
            logger->error("shutdown: still running on the {} listener: {}", listener->name(), running);
        }
        listener->closeAll();
    }
    waitForConnectionsClosed(listeners, std::chrono::steady_clock::now() + std::chrono::milliseconds(200));
    logs.flush();
    std::_Exit(1);
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

int KeelApplication::checkOrPrintConfig(ConfigStore& store) {
    LogManager logs;
    logs.configure(spdlog::level::warn, LogFormat::Text);
    prometheus::Registry registry;
    HostStateImpl state(KEEL_VERSION);
    std::vector<std::string> errors;
    std::vector<std::string> warnings;
    std::vector<std::string> listed;  // their keys are not "unknown" when they failed to load
    try {
        const HostSettings settings = readHostSettings(store);
        listed = pluginNames(settings.plugins);
        // The token file is read at start, so a missing or unreadable one fails the check too.
        if (checkConfig_) readAdminToken(settings.adminTokenFile);
        DatabaseRegistry databases(store, logs.logger("keel.database"));
        PluginManagerOptions options;
        options.pluginsDirectory = resolvePluginsDirectory(settings.pluginsDirectory);
        options.privateDirectory = resolveRuntimeDirectory(settings.pluginsRuntimeDirectory);
        options.databases = &databases;
        PluginManager plugins(options, store, logs, registry, state);
        std::vector<std::string> names = settings.plugins;
        if (configReference_) {
            // Every plugin shipped in the plugin directory, not only the configured ones.
            names.clear();
            std::vector<std::string> files;
            Poco::File(options.pluginsDirectory).list(files);
            std::sort(files.begin(), files.end());
            for (const auto& file : files) {
                if (Poco::Path(file).getExtension() == "so") names.push_back(Poco::Path(file).getBaseName());
            }
        }
        const auto report = plugins.loadAll(names, {}, true);
        for (const auto& [name, reason] : report.failed) errors.push_back(reason);
        Poco::File(options.privateDirectory).remove(true);
    } catch (const std::exception& error) {
        errors.emplace_back(error.what());
    }
    for (const auto& error : store.validateAll()) {
        if (std::find(errors.begin(), errors.end(), error) == errors.end()) errors.push_back(error);
    }
    warnings = store.unknownKeyWarnings(listed);

    if (configReference_) {
        std::cout << "| Key | Type | Default | Valid values | Description |\n";
        std::cout << "|-----|------|---------|--------------|-------------|\n";
        auto cell = [](std::string text) {
            for (std::size_t at = text.find('|'); at != std::string::npos; at = text.find('|', at + 2)) {
                text.replace(at, 1, "\\|");
            }
            return text;
        };
        for (const auto& value : store.effective()) {
            std::cout << "| `" << value.key << "` | " << value.type << " | "
                      << (value.defaultValue.empty() ? std::string("*(empty)*") : "`" + cell(value.defaultValue) + "`")
                      << " | " << cell(value.expected) << " | " << cell(value.description) << " |\n";
        }
        return errors.empty() ? EXIT_OK : kExitConfig;
    }
    if (printConfig_) {
        std::string section;
        for (const auto& value : store.effective()) {
            const std::string valueSection = value.key.substr(0, value.key.find('.'));
            if (valueSection != section) {
                std::cout << (section.empty() ? "" : "\n") << "# " << valueSection << " (" << value.owner << ")\n";
                section = valueSection;
            }
            std::cout << value.key << " = " << value.value << "    # " << value.type << ", from " << value.source
                      << ": " << value.description << "\n";
        }
    }
    for (const auto& warning : warnings) std::cerr << "keel: warning: " << warning << "\n";
    for (const auto& error : errors) std::cerr << "keel: error: " << error << "\n";
    if (checkConfig_ && errors.empty()) {
        std::cerr << "keel: configuration OK" << (configFile_.empty() ? "" : " (" + configFile_ + ")") << "\n";
    }
    return errors.empty() ? EXIT_OK : kExitConfig;
}

void KeelApplication::reconfigure(ConfigStore& store, LogManager& logs, PluginManager& plugins,
                                  std::vector<std::unique_ptr<HttpServer>>& listeners, AdminToken* adminToken) {
    auto logger = logs.logger("keel");
    logger->info("SIGHUP: re-reading the configuration");
    try {
        ConfigStore files;
        loadConfigurationFiles(files);
        declareFeatureFlags(store, files.keysSetUnder("features."));
        const auto changed = store.replaceFiles(files.fileEntries());
        for (const auto& change : plugins.features().refresh()) logger->info("SIGHUP: feature {}", change);
        const HostSettings next = readHostSettings(store);
        setDefaultHttpClientCaFile(next.httpClientCaFile);
        logs.configure(LogManager::parseLevel(next.logLevel), next.logFormat == "json" ? LogFormat::Json : LogFormat::Text);
        for (const auto& key : changed) {
            if (key.rfind("server.tls.", 0) == 0 || key.rfind("admin.tls.", 0) == 0) continue;
            for (const char* section : {"server.", "admin.", "database.", "tracing.", "plugins.dir", "plugins.runtime_dir"}) {
                if (key.rfind(section, 0) == 0) logger->warn("{} changed: it takes effect after a restart", key);
            }
        }
        // The admin token file is re-read every time (a rotated token keeps its file name).
        if (adminToken && adminToken->configured()) {
            try {
                adminToken->reload();
                logger->info("SIGHUP: admin token re-read");
            } catch (const std::exception& error) {
                logger->error("SIGHUP: the admin API keeps its previous token: {}", error.what());
            }
        }
        // Certificates are re-read every time (a renewed file keeps its name); established
        // connections keep the context they were accepted with.
        for (auto& listener : listeners) {
            if (!listener->tls()) continue;
            try {
                listener->reloadTls(readTlsSettings(store, listener->tlsKeyPrefix()));
                logger->info("SIGHUP: {} listener certificate re-read", listener->name());
            } catch (const std::exception& error) {
                logger->error("SIGHUP: the {} listener keeps its previous certificate: {}", listener->name(), error.what());
            }
        }
        // The plugin set: unload what left the list, load what joined it. An entry is a name or a
        // path to <name>.so.
        const std::vector<std::string> wanted = pluginNames(next.plugins);
        const auto loaded = plugins.loadedNames();
        for (auto it = loaded.rbegin(); it != loaded.rend(); ++it) {
            if (std::find(wanted.begin(), wanted.end(), *it) == wanted.end()) {
                try {
                    plugins.unload(*it, false);
                } catch (const std::exception& error) {
                    logger->error("SIGHUP: plugin {} stays loaded: {}", *it, error.what());
                }
            }
        }
        for (std::size_t i = 0; i < next.plugins.size(); ++i) {
            const auto now = plugins.loadedNames();
            const std::string& name = wanted[i];
            if (std::find(now.begin(), now.end(), name) != now.end()) continue;
            try {
                plugins.load(next.plugins[i]);
            } catch (const std::exception& error) {
                logger->error("SIGHUP: plugin {} was not loaded: {}", name, error.what());
            }
        }
        // Plugins whose configuration or file changed get a new instance (and their dependents).
        for (const auto& status : plugins.status()) {
            const bool configChanged = std::any_of(changed.begin(), changed.end(), [&](const std::string& key) {
                return key.rfind(status.name + ".", 0) == 0;
            });
            bool fileChanged = false;
            try {
                fileChanged = PluginLibrary::sha256Of(status.file) != status.sha256;
            } catch (const std::exception&) {
                // The file is gone: keep running what is loaded.
            }
            if (!configChanged && !fileChanged) continue;
            try {
                plugins.reload(status.name);
                logger->info("SIGHUP: plugin {} reloaded ({})", status.name, configChanged ? "configuration" : "file");
            } catch (const std::exception& error) {
                logger->error("SIGHUP: plugin {} keeps running its previous configuration: {}", status.name, error.what());
            }
        }
        logger->info("SIGHUP: configuration reloaded ({} value(s) changed)", changed.size());
    } catch (const std::exception& error) {
        logger->error("SIGHUP: configuration reload failed; the running configuration stays: {}", error.what());
    }
}

int KeelApplication::main(const std::vector<std::string>& arguments) {
    if (!usageError_.empty()) {
        std::cerr << "keel: " << usageError_ << "\n";
        return kExitUsage;
    }
    if (helpRequested_) {
        Poco::Util::HelpFormatter help(options());
        help.setCommand(commandName());
        help.setUsage("[--config FILE] [--define key=value ...] [--check-config | --print-config]");
        help.setHeader("Keel, a plugin-based service host.");
        help.setFooter("Environment: KEEL_<SECTION>_<KEY> (e.g. KEEL_SERVER_PORT) and classic names such as "
                       "SERVER_PORT or DATABASE_URL. See docs/configuration.md.");
        help.format(std::cout);
        return EXIT_OK;
    }
    if (versionRequested_) {
        std::cout << "keel " << KEEL_VERSION << " (SDK " << KEEL_SDK_VERSION_STRING << ", SDK ABI "
                  << KEEL_SDK_ABI_VERSION << ", build " << hostBuildFingerprint() << ")\n";
        return EXIT_OK;
    }
    if (!arguments.empty()) {
        std::cerr << "keel: unexpected argument '" << arguments.front() << "' (see --help)\n";
        return kExitUsage;
    }
    if (!inspectPlugin_.empty()) {
        const auto inspection = inspectPlugin(inspectPlugin_);
        std::cout << "file:           " << inspectPlugin_ << "\n";
        if (inspection.opened) {
            std::cout << "name:           " << inspection.name << "\n"
                      << "version:        " << inspection.version << "\n"
                      << "description:    " << inspection.description << "\n"
                      << "sdk abi:        " << inspection.abiVersion << " (this host: " << KEEL_SDK_ABI_VERSION << ")\n"
                      << "sdk version:    " << inspection.sdkVersion << " (this host: " << KEEL_SDK_VERSION_STRING << ")\n"
                      << "fingerprint:    " << inspection.buildFingerprint << " (this host: " << hostBuildFingerprint()
                      << ")\n";
            std::string requirements;
            for (const auto& requirement : inspection.requirements) requirements += (requirements.empty() ? "" : ", ") + requirement;
            std::cout << "requires:       " << (requirements.empty() ? "-" : requirements) << "\n";
            if (!inspection.sha256.empty()) std::cout << "sha256:         " << inspection.sha256 << "\n";
        }
        std::cout << "accepted:       " << (inspection.accepted ? "yes" : "no: " + inspection.reason) << "\n";
        return inspection.accepted ? EXIT_OK : kExitStartup;
    }

    ConfigStore store;
    declareHostSettings(store);
    DatabaseRegistry::declareKeys(store);
    HostSettings settings;
    try {
        loadConfiguration(store);
        if (checkConfig_ || printConfig_ || configReference_) return checkOrPrintConfig(store);
        settings = readHostSettings(store);
    } catch (const ConfigError& error) {
        std::cerr << "keel: configuration error: " << error.what() << "\n";
        return kExitConfig;
    }

    LogManager logs;
    logs.configure(LogManager::parseLevel(settings.logLevel),
                   settings.logFormat == "json" ? LogFormat::Json : LogFormat::Text);
    logs.setInstance(settings.instanceId);
    auto logger = logs.logger("keel");
    prometheus::Registry registry;
    HostStateImpl state(KEEL_VERSION, settings.instanceId);

    PluginManagerOptions options;
    options.pluginsDirectory = resolvePluginsDirectory(settings.pluginsDirectory);
    options.privateDirectory = resolveRuntimeDirectory(settings.pluginsRuntimeDirectory);
    options.drainTimeout = settings.drainTimeout;
    options.stopTimeout = settings.stopTimeout;
    int exitCode = EXIT_OK;
    DatabaseRegistry databases(store, logs.logger("keel.database"));
    options.databases = &databases;
    {
        PluginManager plugins(options, store, logs, registry, state);
        Dispatcher dispatcher(plugins);
        SystemdNotifier systemd(logger);
        // Declared in this order so they go in reverse: listeners, then the I/O threads, then the
        // observer their connections report to.
        // Access-log lines a full queue dropped; the counter is forgotten before the plugin
        // manager (which owns it) goes.
        logs.countAccessDropsIn(&plugins.hostMetrics()
                                     .counter("keel_log_lines_dropped_total",
                                              "Log lines dropped because the writer's queue was full.", {})
                                     .Add({{"log", "access"}}));
        struct ForgetDropCounter {
            LogManager& logs;
            ~ForgetDropCounter() { logs.countAccessDropsIn(nullptr); }
        } forgetDropCounter{logs};
        // The pools outlive the plugin manager whose registry holds their series: same care.
        databases.exportMetrics(&plugins.hostMetrics());
        struct ForgetPoolMetrics {
            DatabaseRegistry& databases;
            ~ForgetPoolMetrics() { databases.exportMetrics(nullptr); }
        } forgetPoolMetrics{databases};
        FrontDoorObserver observer(plugins.hostMetrics(), logs, {"public", "admin"});
        IoThreads io(settings.ioThreads);
        std::vector<std::unique_ptr<HttpServer>> listeners;
        // Set below while the signal thread may already read it: atomic access only.
        std::shared_ptr<AdminToken> adminToken;
        auto summary = [&plugins, &dispatcher] {
            return std::to_string(plugins.loadedNames().size()) + " plugin(s), " + std::to_string(dispatcher.served()) +
                   " request(s) served, " + std::to_string(dispatcher.inFlight()) + " in flight";
        };
        SignalWatcher signals([&] {
            systemd.reloading();
            const auto token = std::atomic_load(&adminToken);
            reconfigure(store, logs, plugins, listeners, token.get());
            systemd.ready(summary());
        });
        // Tracing: the exporter is installed only with an endpoint, so without one spans cost nothing.
        auto& dropped = plugins.hostMetrics().counter("keel_trace_spans_dropped_total",
                                                      "Finished spans not exported, by reason.", {});
        std::unique_ptr<OtlpExporter> exporter;
        if (!settings.tracingEndpoint.empty()) {
            exporter = std::make_unique<OtlpExporter>(
                OtlpExporterOptions{settings.tracingEndpoint, settings.tracingServiceName, KEEL_VERSION,
                                    settings.instanceId, settings.tracingQueueSize, settings.tracingBatchSize,
                                    settings.tracingExportInterval, settings.tracingExportTimeout},
                dropped.Add({{"reason", "queue_full"}}), dropped.Add({{"reason", "export_failed"}}),
                logs.logger("keel.tracing"));
            setSpanExporter(exporter.get());
        }
        const TracingSettings tracing{!settings.tracingEndpoint.empty(), settings.tracingSampleRate};
        try {
            auto middleware = coreMiddleware(logs, options.listeners, tracing);
            auto token = std::make_shared<AdminToken>(settings.adminTokenFile);
            std::atomic_store(&adminToken, token);
            if (!token->configured()) {
                logger->warn("the admin API has no token (admin.token_file is empty): it listens on loopback only");
            }
            middleware.push_back(adminAccessMiddleware(
                AdminAccessRules{settings.adminAllowedHosts, settings.adminAllowedOrigins,
                                 settings.adminListener.tls.enabled()},
                token));
            std::vector<std::string> trustedPluginDirectories{options.pluginsDirectory};
            trustedPluginDirectories.insert(trustedPluginDirectories.end(), settings.pluginsAllowedDirectories.begin(),
                                            settings.pluginsAllowedDirectories.end());
            plugins.setHostContributions(adminRoutes(plugins, dispatcher, state, trustedPluginDirectories),
                                         std::move(middleware));
            setDefaultHttpClientCaFile(settings.httpClientCaFile);
            logger->info("open files limit: {}", raiseOpenFileLimit());
            auto inherited = socketActivationListeners();
            for (const auto* listener : {&settings.publicListener, &settings.adminListener}) {
                if (listener == &settings.adminListener && !settings.adminEnabled) continue;
                listeners.push_back(std::make_unique<HttpServer>(*listener, dispatcher, io, observer, logger));
                const auto socket = inherited.find(listener->name);
                listeners.back()->start(socket == inherited.end() ? -1 : socket->second);
                if (socket != inherited.end()) inherited.erase(socket);
            }
            for (const auto& [name, fd] : inherited) {
                logger->warn("socket activation: ignoring socket {} named '{}' (expected 'public' or 'admin')", fd, name);
            }
            logger->info("keel {} starting: plugins from {}", KEEL_VERSION, options.pluginsDirectory);
            const auto report = plugins.loadAll(settings.plugins, settings.requiredPlugins);
            for (const auto& warning : store.unknownKeyWarnings(pluginNames(settings.plugins))) {
                logger->warn("{}", warning);
            }
            state.setReady(true);
            logger->info("keel ready: {} plugin(s) started, {} failed", report.started.size(), report.failed.size());
            systemd.ready(summary());
            // The watchdog probes /live through a plain listener (the probe does not speak TLS).
            const auto probed = std::find_if(listeners.begin(), listeners.end(), [](const auto& l) { return !l->tls(); });
            if (probed != listeners.end()) {
                const auto& probedOptions =
                    (*probed)->name() == "public" ? settings.publicListener : settings.adminListener;
                const std::string host = probedOptions.host == "0.0.0.0" || probedOptions.host == "::"
                                             ? "127.0.0.1"
                                             : (probedOptions.host.find(':') != std::string::npos
                                                    ? "[" + probedOptions.host + "]"
                                                    : probedOptions.host);
                const std::string live = "http://" + host + ":" + std::to_string((*probed)->port()) + "/live";
                systemd.startWatchdog(
                    [live](std::chrono::milliseconds timeout) {
                        // A real request through the listener: it fails when every worker is stuck.
                        try {
                            HttpClient client(HttpClientOptions{timeout, timeout, 1, "keel-watchdog", ""});
                            return client.send(ClientRequest{"GET", live, {}, "", timeout}).status == 200;
                        } catch (const std::exception&) {
                            return false;
                        }
                    },
                    summary);
            }
        } catch (const ConfigError& error) {
            logger->critical("configuration error: {}", error.what());
            exitCode = kExitConfig;
        } catch (const std::exception& error) {
            logger->critical("start-up failed: {}", error.what());
            exitCode = kExitStartup;
        }

        if (exitCode == EXIT_OK) {
            signals.waitForShutdown();
            systemd.stopping();
            // 1. Readiness turns false first; listeners keep accepting for the shutdown delay so a
            //    load balancer sees /ready fail before connections are refused.
            state.beginDrain();
            logger->info("shutdown: draining (delay {}ms, timeout {}ms)", settings.shutdownDelay.count(),
                         settings.shutdownTimeout.count());
            std::this_thread::sleep_for(settings.shutdownDelay);
        }
        // 2. Stop accepting: new connections are refused, idle ones closed.
        for (auto& listener : listeners) listener->stopAccepting();
        // 3. In-flight requests finish within the shutdown timeout, or the process leaves without
        //    unloading code that may still be running.
        const auto deadline = std::chrono::steady_clock::now() + settings.shutdownTimeout;
        if (!waitForListenersIdle(listeners, dispatcher, deadline)) {
            exitAtShutdownDeadline(listeners, dispatcher, settings, logs);
        }
        for (auto& listener : listeners) listener->closeAll();
        waitForConnectionsClosed(listeners, std::chrono::steady_clock::now() + std::chrono::seconds(1));
        io.stop();
        for (auto& listener : listeners) listener->stopWorkers();
        // 4. Tasks and plugins stop in reverse dependency order.
        plugins.unloadAll();
        // 5. Spans still queued are exported, within the export timeout.
        if (exporter) {
            exporter->shutdown(std::chrono::steady_clock::now() + settings.tracingExportTimeout);
            setSpanExporter(nullptr);
        }
        listeners.clear();
        logger->info("keel stopped after serving {} request(s)", dispatcher.served());
    }
    try {
        Poco::File(options.privateDirectory).remove(true);
    } catch (const Poco::Exception&) {
        // Already gone, or never created: nothing to clean.
    }
    logs.flush();
    return exitCode;
}

}  // namespace keel::host
