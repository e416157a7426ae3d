// Loads, starts, stops and unloads plugins, and publishes the pipeline snapshot requests run on.
// Load and unload are serialised; readers (snapshot, status, services, health) never wait for
// them. Thread-safe.
#pragma once

#include <prometheus/registry.h>
#include <spdlog/logger.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "config_store.h"
#include "database_registry.h"
#include "feature_flags.h"
#include "health_check_runner.h"
#include "host_state.h"
#include "loaded_plugin.h"
#include "log_manager.h"
#include "migration_retrier.h"
#include "pipeline.h"
#include "plugin_metrics.h"
#include "published_snapshots.h"

namespace keel::host {

struct PluginManagerOptions {
    std::string pluginsDirectory;   // where a plugin listed by name is found as <name>.so
    std::string privateDirectory;   // where private copies are opened from
    std::chrono::milliseconds drainTimeout{std::chrono::seconds(10)};
    std::chrono::milliseconds stopTimeout{std::chrono::seconds(10)};
    std::vector<std::string> listeners{kPublicListener, kAdminListener};
    // Database pools plugins may use; null: none (Registrar::database throws).
    DatabaseRegistry* databases = nullptr;
};

// A plugin cannot be unloaded because others depend on it, or is not loaded.
class PluginStateError : public std::runtime_error {
public:
    PluginStateError(int httpStatus, const std::string& message)
        : std::runtime_error(message), httpStatus_(httpStatus) {}
    int httpStatus() const { return httpStatus_; }

private:
    int httpStatus_;
};

struct PluginStatus {
    std::string name;
    std::string version;
    std::string description;
    std::string state;
    std::string file;
    std::string sha256;
    std::chrono::system_clock::time_point loadedAt;
    std::vector<std::string> requirements;
    std::vector<std::string> routes;  // "GET /hello/{name} (public)"
    int inFlight = 0;                 // requests running on snapshots that reach the plugin
};

struct StartupReport {
    std::vector<std::string> started;               // in start order
    std::map<std::string, std::string> failed;      // plugin -> reason
};

// The plugin a plugins.list entry names: the entry itself, or <name> of a path to <name>.so.
std::string pluginNameOf(const std::string& entry);
// pluginNameOf() of each entry.
std::vector<std::string> pluginNames(const std::vector<std::string>& entries);

class PluginManager final : public HealthChecks {
public:
    PluginManager(PluginManagerOptions options, ConfigStore& config, LogManager& logs,
                  prometheus::Registry& registry, const HostState& hostState);
    ~PluginManager() override;

    // The host's own routes and middleware, part of every snapshot.
    void setHostContributions(std::vector<Route> routes, std::vector<Middleware> middleware);

    // Start-up: loads `names` in dependency order. A plugin that fails is skipped with its
    // dependents; throws PluginLoadError if a `required` one fails, ConfigError on a bad value.
    // With `configureOnly`, plugins declare their configuration and are discarded without
    // starting (--check-config, --print-config); their declarations stay.
    StartupReport loadAll(const std::vector<std::string>& names, const std::set<std::string>& required,
                          bool configureOnly = false);
    // Runtime: loads one plugin by name (from the plugin directory) or by path; its requirements
    // must be loaded. Returns its name. Throws PluginLoadError, ConfigError or PluginStateError.
    std::string load(const std::string& nameOrPath);
    // Unloads `name`; with `cascade`, its dependents first. Throws PluginStateError.
    void unload(const std::string& name, bool cascade);
    // Replaces `name` with a new version from `path` (default: its current file), started on the
    // side with its dependents restarted on it, switched in one snapshot; the old versions finish
    // their requests and are unloaded. On any failure the old versions keep serving and the
    // error is thrown (PluginLoadError, ConfigError, PluginStateError). Returns the new version.
    std::string reload(const std::string& name, const std::string& path = "");
    // Stops and unloads everything in reverse dependency order.
    void unloadAll();

    std::shared_ptr<const PipelineSnapshot> snapshot() const;
    std::vector<PluginStatus> status() const;
    // Names of the plugin files (<name>.so) in the plugins directory, loaded or not, sorted.
    std::vector<std::string> availableNames() const;
    std::vector<std::string> loadedNames() const;
    std::shared_ptr<void> findService(const std::string& name, const std::string& interfaceId) const;
    // Runs every loaded plugin's health checks.
    std::vector<HealthCheckReport> runAll() override;
    std::vector<HealthCheckReport> runReadiness() override;
    // A periodic task of a loaded plugin, run once now on the caller's thread (test harness).
    void runPeriodicTaskOnce(const std::string& plugin, const std::string& task);

    std::string resolvePath(const std::string& nameOrPath) const;
    // The host's own families (keel_*), owned by "keel" in the registry.
    Metrics& hostMetrics() { return *hostMetrics_; }
    // The [features] flags plugins see; refresh() them after the configuration changed.
    FeatureFlags& features() { return *features_; }
    std::vector<prometheus::MetricFamily> collectMetrics() const { return registry_.Collect(); }

private:
    // `replacing`: a new version of a loaded plugin, kept in pending_ until reload() swaps it in.
    std::shared_ptr<LoadedPlugin> configureAndStart(std::unique_ptr<PluginLibrary> library, bool configureOnly = false,
                                                    bool replacing = false);
    // The loaded set with the pending replacements and `plugin` in place (for route checks).
    std::vector<std::shared_ptr<LoadedPlugin>> candidatesWith(const std::shared_ptr<LoadedPlugin>& plugin) const;
    void unloadOne(const std::string& name);
    // Stops a plugin that no request can reach any more: tasks, drain, stop(), destruction.
    void retire(std::shared_ptr<LoadedPlugin> victim, bool undeclare);
    void publishSnapshot();
    // keel_plugin_info: the series of `gone` removed, the one of `running` set (either may be null).
    void showPluginInfo(const LoadedPlugin* gone, const LoadedPlugin* running);
    // Throws PluginLoadError when the file at `path` is not named <plugin name>.so.
    static void requireNamedAfterItsPlugin(const std::string& path, const PluginLibrary& library);
    std::shared_ptr<const PipelineSnapshot> buildSnapshot(const std::vector<std::shared_ptr<LoadedPlugin>>& plugins) const;
    std::vector<std::shared_ptr<LoadedPlugin>> loadedPlugins() const;
    std::vector<HealthCheckReport> runChecks(bool readinessOnly);
    // Applies the plugin's migrations; DatabaseUnavailable when its database cannot be reached.
    void migrate(const LoadedPlugin& plugin);
    // For a plugin started without its database: migrates, then opens its routes and starts its
    // tasks. False while the database is still unreachable (the retrier tries again later).
    bool completeDeferredStart(const std::shared_ptr<LoadedPlugin>& plugin);

    friend class ManagedPluginContext;

    PluginManagerOptions options_;
    ConfigStore& config_;
    LogManager& logs_;
    prometheus::Registry& registry_;
    const HostState& hostState_;
    std::shared_ptr<spdlog::logger> logger_;
    MetricOwnership metricOwnership_;
    HealthCheckRunner healthRunner_;
    std::unique_ptr<PluginMetrics> hostMetrics_;
    prometheus::Family<prometheus::Gauge>* pluginInfo_ = nullptr;
    prometheus::Family<prometheus::Counter>* pluginLoads_ = nullptr;
    std::unique_ptr<FeatureFlags> features_;
    void countLoad(const std::string& plugin, bool succeeded);

    std::mutex lifecycleMutex_;  // serialises load/unload
    mutable std::mutex stateMutex_;
    std::vector<std::shared_ptr<LoadedPlugin>> plugins_;  // in start order
    std::vector<std::shared_ptr<LoadedPlugin>> pending_;  // new versions during a reload
    std::shared_ptr<PluginContributions> hostContributions_;
    // Listeners a published snapshot had authenticating middleware on: they stay so (fail closed).
    std::set<std::string> authenticatedListeners_;
    // Plugins whose tasks never stopped: their code must stay mapped until the process ends.
    std::vector<std::shared_ptr<LoadedPlugin>> abandoned_;
    std::shared_ptr<const PipelineSnapshot> snapshot_;
    PublishedSnapshots published_;
    MigrationRetrier migrationRetrier_;  // last: its thread calls back into this object
};

}  // namespace keel::host
