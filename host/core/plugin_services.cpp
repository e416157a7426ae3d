// What the running plugins offer the rest of the host: their status for /admin/plugins, their
// services to other plugins, their health checks, migrations and periodic tasks run on demand.
// The lifecycle itself (load, reload, unload) is in plugin_manager.cpp.
#include "plugin_manager.h"

#include <Poco/DirectoryIterator.h>
#include <Poco/Path.h>

#include <algorithm>
#include <stdexcept>

#include "plugin_library.h"

namespace keel::host {

namespace {

std::string describeRoute(const Route& route) {
    std::string listeners;
    for (const auto& listener : route.listeners) listeners += (listeners.empty() ? "" : ",") + listener;
    return route.method + " " + route.pattern + " (" + listeners + ")";
}

}  // namespace

std::vector<PluginStatus> PluginManager::status() const {
    std::vector<PluginStatus> result;
    for (const auto& plugin : loadedPlugins()) {
        PluginStatus status;
        status.name = plugin->name();
        status.version = plugin->library->version();
        status.description = plugin->library->description();
        status.state = pluginStateName(plugin->state);
        status.file = plugin->library->path();
        status.sha256 = plugin->library->sha256();
        status.loadedAt = plugin->loadedAt;
        status.requirements = plugin->library->requirements();
        for (const auto& route : plugin->contributions.routes) status.routes.push_back(describeRoute(route));
        status.inFlight = published_.inFlight(*plugin);
        result.push_back(std::move(status));
    }
    return result;
}

std::vector<std::string> PluginManager::availableNames() const {
    std::vector<std::string> names;
    try {
        for (Poco::DirectoryIterator it(options_.pluginsDirectory), end; it != end; ++it) {
            const Poco::Path path(it.path());
            if (path.getExtension() == "so" && isValidPluginName(path.getBaseName()) && it->isFile()) {
                names.push_back(path.getBaseName());
            }
        }
    } catch (const Poco::Exception&) {
        return {};  // no such directory: nothing to offer
    }
    std::sort(names.begin(), names.end());
    return names;
}

std::shared_ptr<void> PluginManager::findService(const std::string& name, const std::string& interfaceId) const {
    std::vector<std::shared_ptr<LoadedPlugin>> providers;
    {
        // New versions being started during a reload come first: their dependents must bind to them.
        std::lock_guard<std::mutex> lock(stateMutex_);
        providers.assign(pending_.rbegin(), pending_.rend());
        providers.insert(providers.end(), plugins_.begin(), plugins_.end());
    }
    for (const auto& plugin : providers) {
        const auto found = plugin->contributions.services.find(name);
        if (found == plugin->contributions.services.end()) continue;
        if (found->second.interfaceId != interfaceId) {
            throw std::runtime_error("service " + name + " of plugin " + plugin->name() + " implements " +
                                     found->second.interfaceId + ", not " + interfaceId);
        }
        return found->second.object;
    }
    return nullptr;
}

std::vector<HealthCheckReport> PluginManager::runChecks(bool readinessOnly) {
    std::vector<HealthCheckEntry> entries;
    if (options_.databases != nullptr) {
        for (auto& check : options_.databases->healthChecks()) {
            if (!readinessOnly || check.readiness) entries.push_back(HealthCheckEntry{"keel", check, nullptr});
        }
    }
    for (const auto& plugin : loadedPlugins()) {
        for (const auto& check : plugin->contributions.healthChecks) {
            if (!readinessOnly || check.readiness) entries.push_back(HealthCheckEntry{plugin->name(), check, plugin});
        }
    }
    return healthRunner_.run(entries);
}

std::vector<HealthCheckReport> PluginManager::runAll() { return runChecks(false); }

std::vector<HealthCheckReport> PluginManager::runReadiness() { return runChecks(true); }

void PluginManager::migrate(const LoadedPlugin& plugin) {
    for (const auto& [database, migrations] : plugin.contributions.migrations) {
        if (options_.databases == nullptr) throw std::runtime_error("this host has no database pools");
        options_.databases->migrate(plugin.name(), options_.databases->get(database), migrations);
    }
}

bool PluginManager::completeDeferredStart(const std::shared_ptr<LoadedPlugin>& plugin) {
    try {
        migrate(*plugin);
    } catch (const DatabaseUnavailable&) {
        return false;  // still down: the retrier backs off
    } catch (const std::exception& error) {
        // Reachable, but a migration is wrong: retrying cannot help. The routes keep answering
        // 503 until the plugin is reloaded with a fixed migration (as a failed load would need).
        logger_->error("plugin {} stays unavailable: {}; fix the migration and reload the plugin", plugin->name(),
                       error.what());
        return true;
    }
    std::lock_guard<std::mutex> lifecycle(lifecycleMutex_);
    if (plugin->state != PluginState::Started) return true;  // unloaded meanwhile
    plugin->tasks->start(plugin->contributions.periodicTasks, plugin->contributions.longRunningTasks);
    plugin->databaseReady.store(true, std::memory_order_release);
    logger_->info("plugin {}: its database is reachable and migrated; routes and tasks run", plugin->name());
    return true;
}

void PluginManager::runPeriodicTaskOnce(const std::string& pluginName, const std::string& taskName) {
    for (const auto& plugin : loadedPlugins()) {
        if (plugin->name() != pluginName) continue;
        for (const auto& task : plugin->contributions.periodicTasks) {
            if (task.name == taskName) {
                task.run();
                return;
            }
        }
    }
    throw std::invalid_argument("plugin " + pluginName + " has no periodic task " + taskName);
}

}  // namespace keel::host
