// ManagedRegistrar and ManagedPluginContext.
#include "managed_registrar.h"

#include <algorithm>
#include <stdexcept>

#include "core_middleware.h"
#include "plugin_manager.h"

namespace keel::host {

namespace {

Database& databaseOf(DatabaseRegistry* databases, const std::string& name) {
    if (databases == nullptr) throw std::runtime_error("this host has no database pools");
    return databases->get(name);
}

}  // namespace

void ManagedRegistrar::declare(ConfigKey key) {
    if (key.name.empty()) throw std::invalid_argument("a configuration key needs a name");
    const std::string fullName = plugin_.name() + "." + key.name;
    config_.declare(plugin_.name(), fullName, std::move(key));
}

const Settings& ManagedRegistrar::settings() {
    plugin_.settings = config_.settings(plugin_.name());
    return plugin_.settings;
}

Route& ManagedRegistrar::addRoute(Route route) {
    if (!route.handler) throw std::invalid_argument("route " + route.method + " " + route.pattern + " has no handler");
    checkListeners(route.listeners, "route " + route.pattern);
    plugin_.contributions.routes.push_back(std::move(route));
    return plugin_.contributions.routes.back();
}

void ManagedRegistrar::addMiddleware(Middleware middleware) {
    if (middleware.order < kFirstPluginMiddlewareOrder) {
        throw std::invalid_argument("middleware " + middleware.name + " has order " + std::to_string(middleware.order) +
                                    "; plugin middleware must use " + std::to_string(kFirstPluginMiddlewareOrder) +
                                    " or above (lower orders belong to the host)");
    }
    if (!middleware.run) throw std::invalid_argument("middleware " + middleware.name + " has no function");
    checkListeners(middleware.listeners, "middleware " + middleware.name);
    plugin_.contributions.middleware.push_back(std::move(middleware));
}

void ManagedRegistrar::addPeriodicTask(PeriodicTask task) {
    if (task.interval.count() <= 0) throw std::invalid_argument("periodic task " + task.name + " needs an interval > 0");
    if (!task.run) throw std::invalid_argument("periodic task " + task.name + " has no function");
    plugin_.contributions.periodicTasks.push_back(std::move(task));
}

void ManagedRegistrar::addLongRunningTask(LongRunningTask task) {
    if (!task.run) throw std::invalid_argument("task " + task.name + " has no function");
    plugin_.contributions.longRunningTasks.push_back(std::move(task));
}

void ManagedRegistrar::addHealthCheck(HealthCheck check) {
    if (check.name.empty() || !check.run) throw std::invalid_argument("a health check needs a name and a function");
    if (check.timeout.count() <= 0) throw std::invalid_argument("health check " + check.name + " needs a timeout > 0");
    for (const auto& existing : plugin_.contributions.healthChecks) {
        if (existing.name == check.name) throw std::invalid_argument("health check " + check.name + " is registered twice");
    }
    plugin_.contributions.healthChecks.push_back(std::move(check));
}

Database& ManagedRegistrar::database(const std::string& name) { return databaseOf(databases_, name); }

void ManagedRegistrar::addMigrations(const std::string& database, std::vector<Migration> migrations) {
    for (const auto& migration : migrations) {
        if (migration.version <= 0) throw std::invalid_argument("migration " + migration.name + " needs a version > 0");
    }
    plugin_.contributions.migrations.emplace_back(database, std::move(migrations));
}

void ManagedRegistrar::provideService(const std::string& name, const std::string& interfaceId,
                                      std::shared_ptr<void> service) {
    if (!service) throw std::invalid_argument("service " + name + " is null");
    if (!plugin_.contributions.services.emplace(name, ServiceEntry{interfaceId, std::move(service)}).second) {
        throw std::invalid_argument("service " + name + " is provided twice");
    }
}

void ManagedRegistrar::checkListeners(const std::vector<std::string>& listeners, const std::string& what) const {
    for (const auto& listener : listeners) {
        if (std::find(listeners_.begin(), listeners_.end(), listener) == listeners_.end()) {
            throw std::invalid_argument(what + " names an unknown listener '" + listener + "'");
        }
    }
}

HealthChecks& ManagedPluginContext::healthChecks() { return manager_; }
const HostState& ManagedPluginContext::hostState() const { return manager_.hostState_; }
const Features& ManagedPluginContext::features() const { return *manager_.features_; }
std::vector<prometheus::MetricFamily> ManagedPluginContext::collectMetrics() const { return manager_.collectMetrics(); }
Database& ManagedPluginContext::database(const std::string& name) {
    return databaseOf(manager_.options_.databases, name);
}
std::shared_ptr<void> ManagedPluginContext::findService(const std::string& name, const std::string& interfaceId) {
    return manager_.findService(name, interfaceId);
}

}  // namespace keel::host
