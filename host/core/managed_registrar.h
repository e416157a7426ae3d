// What a plugin sees of the host: the Registrar that records its registrations during
// configure() (checked as they come), and the Context start() receives.
#pragma once

#include <string>
#include <vector>

#include "config_store.h"
#include "database_registry.h"
#include "keel/context.h"
#include "keel/registrar.h"
#include "loaded_plugin.h"

namespace keel::host {

class PluginManager;

class ManagedRegistrar final : public Registrar {
public:
    ManagedRegistrar(LoadedPlugin& plugin, ConfigStore& config, const std::vector<std::string>& listeners,
                     DatabaseRegistry* databases)
        : plugin_(plugin), config_(config), listeners_(listeners), databases_(databases) {}

    void declare(ConfigKey key) override;
    const Settings& settings() override;
    Route& addRoute(Route route) override;
    void addMiddleware(Middleware middleware) override;
    void addPeriodicTask(PeriodicTask task) override;
    void addLongRunningTask(LongRunningTask task) override;
    void addHealthCheck(HealthCheck check) override;
    Metrics& metrics() override { return *plugin_.metrics; }
    std::shared_ptr<spdlog::logger> logger() override { return plugin_.logger; }
    Database& database(const std::string& name) override;
    void addMigrations(const std::string& database, std::vector<Migration> migrations) override;
    void provideService(const std::string& name, const std::string& interfaceId,
                        std::shared_ptr<void> service) override;

private:
    void checkListeners(const std::vector<std::string>& listeners, const std::string& what) const;

    LoadedPlugin& plugin_;
    ConfigStore& config_;
    const std::vector<std::string>& listeners_;
    DatabaseRegistry* databases_;
};

// What start() receives: the plugin's own settings and logger, and the host's shared parts.
class ManagedPluginContext final : public Context {
public:
    ManagedPluginContext(LoadedPlugin& plugin, PluginManager& manager) : plugin_(plugin), manager_(manager) {}

    const Settings& settings() const override { return plugin_.settings; }
    std::shared_ptr<spdlog::logger> logger() const override { return plugin_.logger; }
    HealthChecks& healthChecks() override;
    const HostState& hostState() const override;
    const Features& features() const override;
    std::vector<prometheus::MetricFamily> collectMetrics() const override;
    Database& database(const std::string& name) override;
    std::shared_ptr<void> findService(const std::string& name, const std::string& interfaceId) override;

private:
    LoadedPlugin& plugin_;
    PluginManager& manager_;
};

}  // namespace keel::host
