// Everything the host holds for one loaded plugin. Shared by the plugin manager and by every
// pipeline snapshot that routes to it, so its code stays mapped while any request can run it.
// Members are declared so destruction runs contributions -> metrics -> instance -> library.
#pragma once

#include <spdlog/logger.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "keel/plugin.h"
#include "plugin_library.h"
#include "plugin_metrics.h"
#include "task_runner.h"

namespace keel::host {

struct ServiceEntry {
    std::string interfaceId;
    std::shared_ptr<void> object;
};

// What one plugin registered: the registrations, nothing else.
struct PluginContributions {
    std::vector<Route> routes;
    std::vector<Middleware> middleware;
    std::vector<PeriodicTask> periodicTasks;
    std::vector<LongRunningTask> longRunningTasks;
    std::vector<HealthCheck> healthChecks;
    std::map<std::string, ServiceEntry> services;
    std::vector<std::pair<std::string, std::vector<Migration>>> migrations;  // by database
};

enum class PluginState { Configured, Started, Stopping, Stopped, Failed };
const char* pluginStateName(PluginState state);

struct LoadedPlugin {
    LoadedPlugin(std::unique_ptr<PluginLibrary> library, std::shared_ptr<spdlog::logger> logger);
    ~LoadedPlugin();

    const std::string& name() const { return library->name(); }

    std::unique_ptr<PluginLibrary> library;  // destroyed last: closes the file
    std::unique_ptr<Plugin, void (*)(Plugin*)> instance;
    std::shared_ptr<spdlog::logger> logger;
    Settings settings;
    std::unique_ptr<PluginMetrics> metrics;
    std::unique_ptr<TaskRunner> tasks;
    std::unique_ptr<Context> context;  // what start() received; host code
    PluginContributions contributions;  // destroyed first: its functions are plugin code
    std::atomic<PluginState> state{PluginState::Configured};
    std::atomic<int> liveSnapshots{0};  // pipeline snapshots alive that pin this plugin
    // False while a database it uses was unreachable and its migrations are still to be applied:
    // its routes answer 503 and its tasks wait (see MigrationRetrier).
    std::atomic<bool> databaseReady{true};
    std::chrono::system_clock::time_point loadedAt = std::chrono::system_clock::now();
};

}  // namespace keel::host
