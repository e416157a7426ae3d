// The host's admin routes (admin listener): host status; list, load, reload and unload plugins;
// and the bearer-token check that guards them.
#pragma once

#include <vector>

#include "keel/registrar.h"
#include "dispatcher.h"
#include "plugin_manager.h"

namespace keel::host {

// `dispatcher` and `hostState` feed GET /admin/status (in-flight and served requests, readiness).
std::vector<Route> adminRoutes(PluginManager& plugins, const Dispatcher& dispatcher, const HostState& hostState);

// Requires "Authorization: Bearer <token>" on every admin-listener request except the routes
// scrapers and probes use (/metrics, /health, /ready, /live): 401 problem otherwise. Order 40.
Middleware adminTokenMiddleware(std::string token);
// Equal without revealing through timing where two strings differ.
bool constantTimeEquals(const std::string& a, const std::string& b);

}  // namespace keel::host
