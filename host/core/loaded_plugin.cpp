// LoadedPlugin lifetime.
#include "loaded_plugin.h"

namespace keel::host {

namespace {
void destroyNothing(Plugin*) {}
}  // namespace

const char* pluginStateName(PluginState state) {
    switch (state) {
        case PluginState::Configured: return "configured";
        case PluginState::Started: return "started";
        case PluginState::Stopping: return "stopping";
        case PluginState::Stopped: return "stopped";
        case PluginState::Failed: return "failed";
    }
    return "failed";
}

LoadedPlugin::LoadedPlugin(std::unique_ptr<PluginLibrary> loadedLibrary, std::shared_ptr<spdlog::logger> pluginLogger)
    : library(std::move(loadedLibrary)),
      instance(nullptr, destroyNothing),
      logger(std::move(pluginLogger)),
      tasks(std::make_unique<TaskRunner>(logger)) {}

LoadedPlugin::~LoadedPlugin() {
    // Explicit order, whatever the member order: plugin code must be released before the
    // library is closed.
    contributions = PluginContributions();
    tasks.reset();
    context.reset();
    metrics.reset();
    instance.reset();
    library.reset();
}

}  // namespace keel::host
