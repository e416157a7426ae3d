// reconfigure and its steps.
#include "reconfiguration.h"

#include <algorithm>
#include <set>
#include <string>

#include "admin_access.h"
#include "config_store.h"
#include "feature_flags.h"
#include "host_state.h"
#include "host_settings.h"
#include "http_server.h"
#include "keel/http_client.h"
#include "log_manager.h"
#include "plugin_library.h"
#include "plugin_manager.h"

namespace keel::host {

namespace {

using Logger = std::shared_ptr<spdlog::logger>;

void warnAboutRestartOnlyKeys(const std::set<std::string>& changed, const Logger& logger) {
    for (const auto& key : changed) {
        if (key.rfind("server.tls.", 0) == 0 || key.rfind("admin.tls.", 0) == 0) continue;  // re-read below
        for (const char* section : {"server.", "admin.", "database.", "tracing.", "plugins.dir", "plugins.runtime_dir"}) {
            if (key.rfind(section, 0) == 0) logger->warn("{} changed: it takes effect after a restart", key);
        }
    }
}

// Token and certificate files are re-read every time: a rotated file keeps its name.
// Established connections keep the TLS context they were accepted with.
void rereadSecrets(const RunningHost& host, const Logger& logger) {
    if (host.adminToken != nullptr && host.adminToken->configured()) {
        try {
            host.adminToken->reload();
            logger->info("SIGHUP: admin token re-read");
        } catch (const std::exception& error) {
            logger->error("SIGHUP: the admin API keeps its previous token: {}", error.what());
        }
    }
    for (auto& listener : host.listeners) {
        if (!listener->tls()) continue;
        try {
            listener->reloadTls(readTlsSettings(host.store, listener->tlsKeyPrefix()));
            logger->info("SIGHUP: {} listener certificate re-read", listener->name());
        } catch (const std::exception& error) {
            logger->error("SIGHUP: the {} listener keeps its previous certificate: {}", listener->name(), error.what());
        }
    }
}

// Unloads what left plugins.list, loads what joined it. An entry is a name or a path to <name>.so.
void reconcilePluginSet(PluginManager& plugins, const std::vector<std::string>& entries, const Logger& logger) {
    const std::vector<std::string> wanted = pluginNames(entries);
    const auto loaded = plugins.loadedNames();
    for (auto it = loaded.rbegin(); it != loaded.rend(); ++it) {
        if (std::find(wanted.begin(), wanted.end(), *it) != wanted.end()) continue;
        try {
            plugins.unload(*it, false);
        } catch (const std::exception& error) {
            logger->error("SIGHUP: plugin {} stays loaded: {}", *it, error.what());
        }
    }
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const auto now = plugins.loadedNames();
        if (std::find(now.begin(), now.end(), wanted[i]) != now.end()) continue;
        try {
            plugins.load(entries[i]);
        } catch (const std::exception& error) {
            logger->error("SIGHUP: plugin {} was not loaded: {}", wanted[i], error.what());
        }
    }
}

// Plugins whose configuration or file changed get a new instance (and their dependents).
void reloadChangedPlugins(PluginManager& plugins, const std::set<std::string>& changed, const Logger& logger) {
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
}

}  // namespace

void reconfigure(const std::function<void(ConfigStore&)>& loadFiles, RunningHost host) {
    auto logger = host.logs.logger("keel");
    logger->info("SIGHUP: re-reading the configuration");
    try {
        ConfigStore files;
        loadFiles(files);
        declareFeatureFlags(host.store, files.keysSetUnder("features."));
        const auto changed = host.store.replaceFiles(files.fileEntries());
        host.state.setConfiguration({files.fileSources(), std::chrono::system_clock::now()});
        for (const auto& change : host.plugins.features().refresh()) logger->info("SIGHUP: feature {}", change);
        const HostSettings next = readHostSettings(host.store);
        setDefaultHttpClientCaFile(next.httpClientCaFile);
        host.logs.configure(LogManager::parseLevel(next.logLevel),
                            next.logFormat == "json" ? LogFormat::Json : LogFormat::Text);
        warnAboutRestartOnlyKeys(changed, logger);
        rereadSecrets(host, logger);
        reconcilePluginSet(host.plugins, next.plugins, logger);
        reloadChangedPlugins(host.plugins, changed, logger);
        logger->info("SIGHUP: configuration reloaded ({} value(s) changed)", changed.size());
    } catch (const std::exception& error) {
        logger->error("SIGHUP: configuration reload failed; the running configuration stays: {}", error.what());
    }
}

}  // namespace keel::host
