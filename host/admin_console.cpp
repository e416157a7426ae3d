// The console's files, compiled in by keel_embed_text (host/CMakeLists.txt) from host/console/.
#include "admin_console.h"

#include <set>

#include "console_assets.h"  // generated

namespace keel::host {

namespace {

// Only the page's own files and its own origin: no inline script or style, no framing, no form
// posts, no request to anywhere but the admin listener.
constexpr const char* kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

Route asset(const std::string& pattern, const char* body, const char* contentType) {
    return Route{"GET", pattern,
                 [body, contentType](Request&, Response& response) {
                     response.send(200, body, contentType);
                     response.setHeader("Content-Security-Policy", kContentSecurityPolicy);
                     response.setHeader("Referrer-Policy", "no-referrer");
                     response.setHeader("X-Frame-Options", "DENY");
                 },
                 {kAdminListener}};
}

}  // namespace

std::vector<Route> adminConsoleRoutes() {
    return {
        asset("/admin/", console::kIndexHtml, "text/html; charset=utf-8"),
        asset("/admin/console.css", console::kConsoleCss, "text/css; charset=utf-8"),
        asset("/admin/console.js", console::kConsoleJs, "text/javascript; charset=utf-8"),
        // The page's address ends in a slash so its relative links resolve; /admin goes there.
        Route{"GET", "/admin",
              [](Request&, Response& response) {
                  response.setStatus(308);
                  response.setHeader("Location", "/admin/");
              },
              {kAdminListener}},
    };
}

bool isAdminConsoleAsset(const std::string& routePattern) {
    static const std::set<std::string> assets = [] {
        std::set<std::string> patterns;
        for (const auto& route : adminConsoleRoutes()) patterns.insert(route.pattern);
        return patterns;
    }();
    return assets.count(routePattern) != 0;
}

}  // namespace keel::host
