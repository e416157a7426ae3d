// The host's admin routes (admin listener): list, load and unload plugins.
// Access control arrives with the admin token (docs/operations.md); until then the admin
// listener must stay on loopback, which is its default.
#pragma once

#include <vector>

#include "keel/registrar.h"
#include "plugin_manager.h"

namespace keel::host {

std::vector<Route> adminRoutes(PluginManager& plugins);

}  // namespace keel::host
