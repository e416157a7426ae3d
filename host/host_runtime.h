// A running keel: everything it owns, built in start-up order and torn down in reverse, with
// start-up and shutdown as named steps (docs/operations.md, "Graceful shutdown").
#pragma once

#include <prometheus/registry.h>
#include <spdlog/logger.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "database_registry.h"
#include "dispatcher.h"
#include "host_settings.h"
#include "host_state.h"
#include "http_server.h"
#include "otlp_exporter.h"
#include "plugin_manager.h"
#include "signal_watcher.h"
#include "systemd_notifier.h"

namespace keel::host {

class AdminToken;
class ConfigStore;
class LogManager;

class HostRuntime {
public:
    // `loadFiles` reads the configuration files again (SIGHUP).
    HostRuntime(ConfigStore& store, const HostSettings& settings, LogManager& logs,
                std::function<void(ConfigStore&)> loadFiles);
    ~HostRuntime();
    HostRuntime(const HostRuntime&) = delete;
    HostRuntime& operator=(const HostRuntime&) = delete;

    // Starts, serves until SIGTERM or SIGINT, shuts down; returns the exit code. Exits the
    // process itself (code 1) when requests outlive server.shutdown_timeout.
    int run();
    // Where private plugin copies went (removed by the caller once everything is unloaded).
    const std::string& privateDirectory() const { return options_.privateDirectory; }

private:
    // The access-log drop counter and the pool series live in the plugin manager's registry:
    // linked after it is built, unlinked before it goes.
    struct HostMetricLinks {
        HostMetricLinks(LogManager& logs, DatabaseRegistry& databases, PluginManager& plugins);
        ~HostMetricLinks();
        LogManager& logs;
        DatabaseRegistry& databases;
    };

    void startTracing();
    void start();
    void installAdminApi();
    void openListeners();
    void loadPlugins();
    void startWatchdog();
    void drain();
    void stopServing();
    void stopPluginsAndTracing();
    void onSighup();
    std::string summary() const;

    ConfigStore& store_;
    const HostSettings& settings_;
    LogManager& logs_;
    const std::function<void(ConfigStore&)> loadFiles_;
    std::shared_ptr<spdlog::logger> logger_;
    prometheus::Registry registry_;
    HostStateImpl state_;
    DatabaseRegistry databases_;
    PluginManagerOptions options_;
    PluginManager plugins_;
    Dispatcher dispatcher_;
    SystemdNotifier systemd_;
    HostMetricLinks metricLinks_;
    FrontDoorObserver observer_;  // the listeners' connections report here: it outlives them
    IoThreads io_;
    std::vector<std::unique_ptr<HttpServer>> listeners_;
    std::shared_ptr<AdminToken> adminToken_;  // read by the signal thread: atomic access only
    std::unique_ptr<SignalWatcher> signals_;
    std::unique_ptr<OtlpExporter> exporter_;
};

}  // namespace keel::host
