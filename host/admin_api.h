// The host's admin routes (admin listener): host status; list, load, reload and unload plugins.
// Who may call them: admin_access.h.
#pragma once

#include <string>
#include <vector>

#include "keel/registrar.h"
#include "dispatcher.h"
#include "plugin_manager.h"

namespace keel::host {

// `dispatcher` and `hostState` feed GET /admin/status (in-flight and served requests, readiness).
// A plugin file named by path must lie in one of `trustedDirectories` (plugins.dir and
// plugins.allowed_dirs; see checkTrustedPluginFile): 403 otherwise.
std::vector<Route> adminRoutes(PluginManager& plugins, const Dispatcher& dispatcher, const HostStateImpl& hostState,
                               const std::vector<std::string>& trustedDirectories);

}  // namespace keel::host
