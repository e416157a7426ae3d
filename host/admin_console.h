// The admin console: one page on the admin listener (HTML, CSS and JavaScript compiled in, no
// external resource) that shows the running host and calls the admin API for its actions.
#pragma once

#include <string>
#include <vector>

#include "keel/route.h"

namespace keel::host {

// GET /admin/ (the page; /admin redirects there), /admin/console.css and /admin/console.js.
std::vector<Route> adminConsoleRoutes();
// The console's own files hold no data: they are served without the admin token (the page asks
// for it and sends it with every API call), but still only to an allowed Host.
bool isAdminConsoleAsset(const std::string& routePattern);

}  // namespace keel::host
