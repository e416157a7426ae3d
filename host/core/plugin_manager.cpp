// Plugin lifecycles: loading in dependency order (dependency_graph.h), configure and start with
// the registrar and context plugins see (managed_registrar.h), reloading and unloading that wait
// for the last request on the old code before the library is closed.
#include "plugin_manager.h"

#include <Poco/File.h>
#include <Poco/Path.h>

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <thread>

#include "core_middleware.h"
#include "dependency_graph.h"
#include "managed_registrar.h"

namespace keel::host {

namespace {

// Sections the host owns; a plugin may not take them as its name.
const std::set<std::string> kReservedSections = {"server", "admin", "log", "plugins", "keel", "database",
                                                 "tracing", "features", "host"};

// Name and requirements of each plugin, in the given order.
RequirementList requirementsOf(const std::vector<std::shared_ptr<LoadedPlugin>>& plugins) {
    RequirementList list;
    for (const auto& plugin : plugins) list.emplace_back(plugin->name(), plugin->library->requirements());
    return list;
}

}  // namespace

std::string pluginNameOf(const std::string& entry) {
    return entry.find('/') == std::string::npos ? entry : Poco::Path(entry).getBaseName();
}

std::vector<std::string> pluginNames(const std::vector<std::string>& entries) {
    std::vector<std::string> names;
    names.reserve(entries.size());
    for (const auto& entry : entries) names.push_back(pluginNameOf(entry));
    return names;
}

PluginManager::PluginManager(PluginManagerOptions options, ConfigStore& config, LogManager& logs,
                             prometheus::Registry& registry, const HostState& hostState)
    : options_(std::move(options)),
      config_(config),
      logs_(logs),
      registry_(registry),
      hostState_(hostState),
      logger_(logs.logger("keel")),
      hostContributions_(std::make_shared<PluginContributions>()),
      migrationRetrier_([this](const std::shared_ptr<LoadedPlugin>& plugin) { return completeDeferredStart(plugin); },
                        logger_) {
    hostMetrics_ = std::make_unique<PluginMetrics>("keel", registry_, metricOwnership_);
    hostMetrics_->gauge("keel_build_info", "Build of the running keel: version, SDK ABI and server.instance_id.", {})
        .Add({{"version", hostState_.version()},
              {"sdk_abi", std::to_string(KEEL_SDK_ABI_VERSION)},
              {"instance", hostState_.instanceId()}})
        .Set(1);
    pluginInfo_ = &hostMetrics_->gauge("keel_plugin_info", "Loaded plugins and their versions (value 1).", {});
    pluginLoads_ = &hostMetrics_->counter("keel_plugin_loads_total", "Plugin load attempts by result.", {});
    features_ = std::make_unique<FeatureFlags>(
        config_, hostMetrics_->gauge("keel_feature_enabled", "Feature flags of [features]: 1 on, 0 off.", {}));
    publishSnapshot();
}

void PluginManager::showPluginInfo(const LoadedPlugin* gone, const LoadedPlugin* running) {
    if (gone != nullptr) {
        pluginInfo_->Remove(&pluginInfo_->Add({{"plugin", gone->name()}, {"version", gone->library->version()}}));
    }
    if (running != nullptr) {
        pluginInfo_->Add({{"plugin", running->name()}, {"version", running->library->version()}}).Set(1);
    }
}

void PluginManager::countLoad(const std::string& plugin, bool succeeded) {
    // A failed load keeps its name only when it is a plugin Keel knows (loaded now, or a file in
    // the plugins directory): an admin client inventing names must not grow the registry.
    std::string label = plugin;
    if (!succeeded) {
        const bool plainName = isValidPluginName(plugin);
        const auto names = loadedNames();
        const bool loaded = std::find(names.begin(), names.end(), plugin) != names.end();
        const bool onDisk = plainName && !options_.pluginsDirectory.empty() &&
                            ::access((options_.pluginsDirectory + "/" + plugin + ".so").c_str(), F_OK) == 0;
        if (!plainName || !(loaded || onDisk)) label = "unknown";
    }
    pluginLoads_->Add({{"plugin", label}, {"result", succeeded ? "success" : "failed"}}).Increment();
}

PluginManager::~PluginManager() {
    migrationRetrier_.stop();  // first: it may wait for the lifecycle lock unloadAll holds
    unloadAll();
}

void PluginManager::setHostContributions(std::vector<Route> routes, std::vector<Middleware> middleware) {
    auto contributions = std::make_shared<PluginContributions>();
    contributions->routes = std::move(routes);
    contributions->middleware = std::move(middleware);
    {
        std::lock_guard<std::mutex> lock(stateMutex_);
        hostContributions_ = contributions;
    }
    std::lock_guard<std::mutex> lifecycle(lifecycleMutex_);
    publishSnapshot();
}

std::string PluginManager::resolvePath(const std::string& nameOrPath) const {
    if (nameOrPath.find('/') != std::string::npos) return nameOrPath;
    return Poco::Path(options_.pluginsDirectory).makeDirectory().setFileName(nameOrPath + ".so").toString();
}

std::vector<std::shared_ptr<LoadedPlugin>> PluginManager::loadedPlugins() const {
    std::lock_guard<std::mutex> lock(stateMutex_);
    return plugins_;
}

std::vector<std::string> PluginManager::loadedNames() const {
    std::vector<std::string> names;
    for (const auto& plugin : loadedPlugins()) names.push_back(plugin->name());
    return names;
}

std::shared_ptr<const PipelineSnapshot> PluginManager::buildSnapshot(const std::vector<std::shared_ptr<LoadedPlugin>>& plugins) const {
    std::shared_ptr<PluginContributions> host;
    std::set<std::string> authenticated;
    {
        std::lock_guard<std::mutex> lock(stateMutex_);
        host = hostContributions_;
        authenticated = authenticatedListeners_;
    }
    std::vector<PipelineContributor> contributors;
    contributors.push_back({"keel", &host->routes, &host->middleware, host, nullptr});
    for (const auto& plugin : plugins) {
        contributors.push_back({plugin->name(), &plugin->contributions.routes, &plugin->contributions.middleware,
                                plugin, &plugin->liveSnapshots, &plugin->databaseReady});
    }
    return std::make_shared<const PipelineSnapshot>(contributors, logger_, authenticated);
}

void PluginManager::publishSnapshot() {
    auto next = buildSnapshot(loadedPlugins());
    {
        std::lock_guard<std::mutex> lock(stateMutex_);
        authenticatedListeners_ = next->authenticatedListeners();  // only ever grows
    }
    published_.add(next);
    std::atomic_store(&snapshot_, std::move(next));
}

std::shared_ptr<const PipelineSnapshot> PluginManager::snapshot() const { return std::atomic_load(&snapshot_); }

std::vector<std::shared_ptr<LoadedPlugin>> PluginManager::candidatesWith(const std::shared_ptr<LoadedPlugin>& plugin) const {
    std::lock_guard<std::mutex> lock(stateMutex_);
    auto candidates = plugins_;
    auto substitute = [&candidates](const std::shared_ptr<LoadedPlugin>& replacement) {
        for (auto& candidate : candidates) {
            if (candidate->name() == replacement->name()) {
                candidate = replacement;
                return;
            }
        }
        candidates.push_back(replacement);
    };
    for (const auto& waiting : pending_) substitute(waiting);
    substitute(plugin);
    return candidates;
}

std::shared_ptr<LoadedPlugin> PluginManager::configureAndStart(std::unique_ptr<PluginLibrary> library,
                                                              bool configureOnly, bool replacing) {
    const std::string name = library->name();
    const std::string file = library->path();
    if (kReservedSections.count(name) != 0) {
        throw PluginLoadError("plugin file " + file + " is named '" + name +
                              "', a configuration section reserved for the host");
    }
    auto plugin = std::make_shared<LoadedPlugin>(std::move(library), logs_.logger("plugin." + name));
    plugin->metrics = std::make_unique<PluginMetrics>(name, registry_, metricOwnership_);
    // A replacement shares its keys with the running version: never undeclare them.
    auto fail = [&](const std::string& step, const std::string& reason) {
        if (!replacing) config_.undeclareOwner(name);
        return PluginLoadError("plugin " + name + " (" + file + ") failed in " + step + ": " + reason);
    };

    try {
        plugin->instance = plugin->library->createPlugin();
        ManagedRegistrar registrar(*plugin, config_, options_.listeners, options_.databases);
        plugin->instance->configure(registrar);
        plugin->settings = config_.settings(name);
        // Route conflicts are found before anything starts.
        buildSnapshot(candidatesWith(plugin));
    } catch (const ConfigError&) {
        if (!replacing) config_.undeclareOwner(name);
        throw;
    } catch (const std::exception& error) {
        throw fail("configure", error.what());
    } catch (...) {
        throw fail("configure", "a non-standard exception");
    }

    if (configureOnly) return plugin;
    try {
        migrate(*plugin);
    } catch (const DatabaseUnavailable& error) {
        if (options_.databases->requiredAtStart()) throw fail("migration", error.what());
        // A state, not a failure: the plugin starts, its routes answer 503 until the database is
        // reachable and the migrations are applied in the background.
        plugin->databaseReady = false;
        logger_->warn("plugin {}: {}; it starts without its database: its routes answer 503 and /ready fails "
                      "until the database is reachable (retried with backoff; database.required_at_start = "
                      "true stops start-up instead)",
                      name, error.what());
    } catch (const std::exception& error) {
        throw fail("migration", error.what());
    }
    plugin->context = std::make_unique<ManagedPluginContext>(*plugin, *this);
    try {
        plugin->instance->start(*plugin->context);
    } catch (const std::exception& error) {
        const std::string reason = error.what();
        try {
            plugin->instance->stop(std::chrono::steady_clock::now() + options_.stopTimeout);
        } catch (...) {
            logger_->warn("plugin {} also failed in stop after a failed start", name);
        }
        throw fail("start", reason);
    } catch (...) {
        throw fail("start", "a non-standard exception");
    }
    if (plugin->databaseReady) {
        plugin->tasks->start(plugin->contributions.periodicTasks, plugin->contributions.longRunningTasks);
    }
    plugin->state = PluginState::Started;
    if (!plugin->databaseReady) migrationRetrier_.add(plugin);
    {
        std::lock_guard<std::mutex> lock(stateMutex_);
        // A replacement waits on the side until reload() swaps it in.
        (replacing ? pending_ : plugins_).push_back(plugin);
    }
    if (!replacing) showPluginInfo(nullptr, plugin.get());
    logger_->info("plugin {} {} started ({} routes, {} middleware, {} tasks, {} health checks)", name,
                  plugin->library->version(), plugin->contributions.routes.size(),
                  plugin->contributions.middleware.size(),
                  plugin->contributions.periodicTasks.size() + plugin->contributions.longRunningTasks.size(),
                  plugin->contributions.healthChecks.size());
    return plugin;
}

StartupReport PluginManager::loadAll(const std::vector<std::string>& names, const std::set<std::string>& required,
                                     bool configureOnly) {
    std::lock_guard<std::mutex> lifecycle(lifecycleMutex_);
    StartupReport report;
    std::map<std::string, std::unique_ptr<PluginLibrary>> libraries;
    // An entry is a plugin name (found in the plugin directory) or a path to a plugin file.
    const std::vector<std::string>& entries = names;
    const std::vector<std::string> listedNames = pluginNames(entries);
    const std::set<std::string> listed(listedNames.begin(), listedNames.end());
    for (const auto& requiredName : required) {
        if (listed.count(requiredName) == 0) {
            throw PluginLoadError("plugin " + requiredName + " is in plugins.required but not in plugins.list");
        }
    }
    for (std::size_t index = 0; index < entries.size(); ++index) {
        const std::string& name = listedNames[index];
        try {
            auto library = PluginLibrary::open(resolvePath(entries[index]), options_.privateDirectory);
            if (library->name() != name) {
                throw PluginLoadError("plugin file " + library->path() + " declares the name '" + library->name() +
                                      "', but plugins.list asks for '" + name + "'");
            }
            libraries[name] = std::move(library);
        } catch (const PluginLoadError& error) {
            report.failed[name] = error.what();
        }
    }
    // Requirements must be listed too; then order by dependencies, refusing cycles.
    for (const auto& [name, library] : libraries) {
        for (const auto& requirement : library->requirements()) {
            if (listed.count(requirement) == 0) {
                report.failed[name] = "plugin " + name + " requires plugin " + requirement + ", which is not in plugins.list";
            }
        }
    }
    RequirementList opened;
    for (const auto& name : listedNames) {
        if (libraries.count(name) != 0) opened.emplace_back(name, libraries[name]->requirements());
    }
    const StartOrder plan = startOrder(opened);
    for (const auto& [name, cycle] : plan.cycles) {
        report.failed[name] = "plugin " + name + " is part of a dependency cycle: " + cycle;
    }
    const std::vector<std::string>& order = plan.order;

    for (const auto& name : order) {
        if (report.failed.count(name) != 0) continue;
        std::string blocked;
        for (const auto& requirement : libraries[name]->requirements()) {
            if (report.failed.count(requirement) != 0) blocked = requirement;
        }
        if (!blocked.empty()) {
            report.failed[name] = "plugin " + name + " requires plugin " + blocked + ", which failed to load";
            continue;
        }
        try {
            configureAndStart(std::move(libraries[name]), configureOnly);
            report.started.push_back(name);
        } catch (const PluginLoadError& error) {
            report.failed[name] = error.what();
        }
    }
    publishSnapshot();
    if (!configureOnly) {
        for (const auto& name : report.started) countLoad(name, true);
        for (const auto& [name, reason] : report.failed) countLoad(name, false);
    }

    std::string requiredFailures;
    for (const auto& [name, reason] : report.failed) {
        logger_->error("{}", reason);
        if (required.count(name) != 0) requiredFailures += (requiredFailures.empty() ? "" : "; ") + reason;
    }
    if (!requiredFailures.empty()) throw PluginLoadError("a required plugin failed: " + requiredFailures);
    return report;
}

std::string PluginManager::load(const std::string& nameOrPath) {
    std::lock_guard<std::mutex> lifecycle(lifecycleMutex_);
    const std::string path = resolvePath(nameOrPath);
    std::string name = pluginNameOf(path);  // not const: returned by move
    try {
        auto library = PluginLibrary::open(path, options_.privateDirectory);
        requireNamedAfterItsPlugin(path, *library);
        const auto loaded = loadedNames();
        if (std::find(loaded.begin(), loaded.end(), name) != loaded.end()) {
            throw PluginStateError(409, "plugin " + name + " is already loaded; to replace it with this file, POST "
                                        "/admin/plugins/" + name + "/reload");
        }
        for (const auto& requirement : library->requirements()) {
            if (std::find(loaded.begin(), loaded.end(), requirement) == loaded.end()) {
                throw PluginStateError(409, "plugin " + name + " requires plugin " + requirement +
                                                ", which is not loaded; load it first");
            }
        }
        configureAndStart(std::move(library));
    } catch (const std::exception& error) {
        countLoad(name, false);
        logger_->error("load of plugin {} refused: {}", name, error.what());
        throw;
    }
    countLoad(name, true);
    publishSnapshot();
    return name;
}

void PluginManager::requireNamedAfterItsPlugin(const std::string& path, const PluginLibrary& library) {
    // SIGHUP and the plugin list find a plugin by its file name: the two must agree.
    if (pluginNameOf(path) != library.name()) {
        throw PluginLoadError("plugin file " + path + " declares the name '" + library.name() +
                              "'; a plugin's file must be named after it (" + library.name() + ".so)");
    }
}

void PluginManager::unload(const std::string& name, bool cascade) {
    std::lock_guard<std::mutex> lifecycle(lifecycleMutex_);
    const RequirementList started = requirementsOf(loadedPlugins());
    const bool found = std::any_of(started.begin(), started.end(), [&](const auto& p) { return p.first == name; });
    if (!found) throw PluginStateError(404, "plugin " + name + " is not loaded");
    // Stopped latest started first.
    const auto dependents = transitiveDependents(name, started);
    if (!dependents.empty() && !cascade) {
        std::string list;
        for (const auto& dependent : dependents) list += (list.empty() ? "" : ", ") + dependent;
        throw PluginStateError(409, "plugin " + name + " is required by " + list +
                                        "; unload those first or ask for a cascade");
    }
    for (auto it = dependents.rbegin(); it != dependents.rend(); ++it) unloadOne(*it);
    unloadOne(name);
}

void PluginManager::unloadAll() {
    std::lock_guard<std::mutex> lifecycle(lifecycleMutex_);
    // Names, not references: a reference held here would keep a plugin's library open past the
    // unload of what it depends on.
    const auto names = loadedNames();
    for (auto it = names.rbegin(); it != names.rend(); ++it) unloadOne(*it);
}

void PluginManager::unloadOne(const std::string& name) {
    std::shared_ptr<LoadedPlugin> victim;
    {
        std::lock_guard<std::mutex> lock(stateMutex_);
        const auto found =
            std::find_if(plugins_.begin(), plugins_.end(), [&](const auto& p) { return p->name() == name; });
        if (found == plugins_.end()) return;
        victim = *found;
        plugins_.erase(found);
    }
    publishSnapshot();  // new requests no longer reach it
    showPluginInfo(victim.get(), nullptr);
    retire(std::move(victim), true);
    logger_->info("plugin {} unloaded", name);
}

void PluginManager::retire(std::shared_ptr<LoadedPlugin> victim, bool undeclare) {
    const std::string name = victim->name();
    victim->state = PluginState::Stopping;
    const auto stopDeadline = std::chrono::steady_clock::now() + options_.stopTimeout;
    const auto stuckTasks = victim->tasks->stop(stopDeadline);

    // Wait until no request runs on a snapshot that can reach the plugin's code.
    const bool drained = published_.waitUntilIdle(*victim, std::chrono::steady_clock::now() + options_.drainTimeout);
    if (!drained) {
        logger_->error("plugin {}: requests still running after the {}ms drain timeout; its library is closed "
                       "when the last of them finishes",
                       name, options_.drainTimeout.count());
    }
    try {
        victim->instance->stop(stopDeadline);
    } catch (const std::exception& error) {
        logger_->error("plugin {} failed in stop: {}", name, error.what());
    } catch (...) {
        logger_->error("plugin {} failed in stop with a non-standard exception", name);
    }
    victim->state = PluginState::Stopped;
    if (undeclare) config_.undeclareOwner(name);
    if (!stuckTasks.empty()) {
        logger_->error("plugin {} keeps its code mapped until exit: task(s) did not stop", name);
        std::lock_guard<std::mutex> lock(stateMutex_);
        abandoned_.push_back(victim);
    }
    victim.reset();  // the last reference closes the library
}

std::string PluginManager::reload(const std::string& name, const std::string& path) {
    std::lock_guard<std::mutex> lifecycle(lifecycleMutex_);
    std::vector<std::shared_ptr<LoadedPlugin>> current = loadedPlugins();
    const auto old = std::find_if(current.begin(), current.end(), [&](const auto& p) { return p->name() == name; });
    if (old == current.end()) throw PluginStateError(404, "plugin " + name + " is not loaded");
    const std::string file = path.empty() ? (*old)->library->path() : resolvePath(path);

    // Dependents, transitively, in start order: they are restarted on the new version.
    std::vector<std::shared_ptr<LoadedPlugin>> dependents;
    for (const auto& dependent : transitiveDependents(name, requirementsOf(current))) {
        dependents.push_back(
            *std::find_if(current.begin(), current.end(), [&](const auto& p) { return p->name() == dependent; }));
    }
    std::vector<std::shared_ptr<LoadedPlugin>> replacements;
    auto abandon = [&] {
        // The new versions never served: stop and drop them; the old ones keep serving.
        {
            std::lock_guard<std::mutex> lock(stateMutex_);
            pending_.clear();
        }
        for (auto it = replacements.rbegin(); it != replacements.rend(); ++it) retire(std::move(*it), false);
    };
    try {
        auto library = PluginLibrary::open(file, options_.privateDirectory);
        if (library->name() != name) {
            throw PluginLoadError("plugin file " + file + " declares the name '" + library->name() + "', not '" + name + "'");
        }
        requireNamedAfterItsPlugin(file, *library);
        for (const auto& requirement : library->requirements()) {
            if (std::none_of(current.begin(), current.end(), [&](const auto& p) { return p->name() == requirement; })) {
                throw PluginStateError(409, "plugin " + name + " requires plugin " + requirement + ", which is not loaded");
            }
        }
        replacements.push_back(configureAndStart(std::move(library), false, true));
        for (const auto& dependent : dependents) {
            replacements.push_back(configureAndStart(
                PluginLibrary::open(dependent->library->path(), options_.privateDirectory), false, true));
        }
    } catch (const std::exception& error) {
        abandon();
        countLoad(name, false);
        logger_->error("reload of plugin {} refused, the running version keeps serving: {}", name, error.what());
        throw;
    } catch (...) {
        abandon();
        countLoad(name, false);
        throw;
    }

    // One snapshot switches the plugin and its dependents together.
    std::vector<std::shared_ptr<LoadedPlugin>> retired;
    {
        std::lock_guard<std::mutex> lock(stateMutex_);
        for (const auto& replacement : replacements) {
            for (auto& plugin : plugins_) {
                if (plugin->name() != replacement->name()) continue;
                retired.push_back(plugin);
                plugin = replacement;
            }
        }
        pending_.clear();
    }
    publishSnapshot();
    for (std::size_t i = 0; i < retired.size(); ++i) {
        showPluginInfo(retired[i].get(), replacements[i].get());
    }
    // Dependents first: they hold services of the plugin they depend on.
    for (auto it = retired.rbegin(); it != retired.rend(); ++it) retire(std::move(*it), false);
    countLoad(name, true);
    logger_->info("plugin {} reloaded from {} (version {}); {} dependent(s) restarted", name, file,
                  replacements.front()->library->version(), dependents.size());
    return replacements.front()->library->version();
}

}  // namespace keel::host
