// GET/POST /admin/plugins, DELETE /admin/plugins/{name}.
#include "admin_api.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Timestamp.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "keel/problem.h"
#include "plugin_file.h"

namespace keel::host {

namespace {

std::string isoTimestamp(std::chrono::system_clock::time_point time) {
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
    return Poco::DateTimeFormatter::format(Poco::Timestamp(micros), Poco::DateTimeFormat::ISO8601_FRAC_FORMAT);
}

Poco::JSON::Object::Ptr describe(const PluginStatus& status) {
    Poco::JSON::Object::Ptr plugin = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    plugin->set("name", status.name);
    plugin->set("version", status.version);
    plugin->set("description", status.description);
    plugin->set("state", status.state);
    plugin->set("file", status.file);
    plugin->set("sha256", status.sha256);
    plugin->set("loaded_at", isoTimestamp(status.loadedAt));
    Poco::JSON::Array::Ptr requirements = new Poco::JSON::Array();
    for (const auto& requirement : status.requirements) requirements->add(requirement);
    plugin->set("dependencies", requirements);
    Poco::JSON::Array::Ptr routes = new Poco::JSON::Array();
    for (const auto& route : status.routes) routes->add(route);
    plugin->set("routes", routes);
    // Requests running where this plugin's code is reachable (this request included, for GET /admin/plugins).
    plugin->set("in_flight", status.inFlight);
    return plugin;
}

[[noreturn]] void badRequest(const std::string& detail) { throw HttpError(400, "Bad Request", detail); }

// A file named by path must be where the operator put plugins, and nobody else could have.
void requireTrustedFile(const std::string& path, const std::vector<std::string>& trustedDirectories) {
    if (path.find('\0') != std::string::npos) badRequest("\"path\" contains a NUL character");
    if (::access(path.c_str(), F_OK) != 0) return;  // the load itself answers "does not exist"
    try {
        checkTrustedPluginFile(path, trustedDirectories);
    } catch (const std::runtime_error& error) {
        throw HttpError(403, "Plugin File Not Trusted", error.what());
    }
}

// The optional JSON object of a POST, or null when the body is empty.
Poco::JSON::Object::Ptr jsonBody(const Request& request) {
    if (request.body().empty()) return nullptr;
    Poco::Dynamic::Var parsed;
    try {
        parsed = Poco::JSON::Parser().parse(request.body());
    } catch (const Poco::Exception& error) {
        badRequest("malformed JSON: " + error.message());
    }
    if (parsed.type() != typeid(Poco::JSON::Object::Ptr)) badRequest("expected a JSON object");
    return parsed.extract<Poco::JSON::Object::Ptr>();
}

void answerStatus(PluginManager& plugins, const Dispatcher& dispatcher, const HostStateImpl& hostState,
                  Response& response) {
    Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    const auto now = std::chrono::system_clock::now();
    body.set("version", hostState.version());
    body.set("instance_id", hostState.instanceId());
    body.set("started_at", isoTimestamp(hostState.startedAt()));
    body.set("uptime_seconds", std::chrono::duration<double>(now - hostState.startedAt()).count());
    body.set("ready", hostState.ready());
    body.set("draining", hostState.draining());
    body.set("in_flight", dispatcher.inFlight());  // this request is one of them
    body.set("served", static_cast<Poco::UInt64>(dispatcher.served()));
    body.set("plugins", static_cast<int>(plugins.loadedNames().size()));
    const auto configuration = hostState.configuration();
    Poco::JSON::Array::Ptr files = new Poco::JSON::Array();
    for (const auto& file : configuration.files) files->add(file);
    body.set("config_files", files);
    body.set("config_loaded_at", isoTimestamp(configuration.loadedAt));
    response.sendJson(200, body);
}

void answerFeatures(PluginManager& plugins, Response& response) {
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array();
    for (const auto& flag : plugins.features().list()) {
        Poco::JSON::Object::Ptr entry = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        entry->set("name", flag.name);
        entry->set("enabled", flag.enabled);
        entry->set("source", flag.source);
        list->add(entry);
    }
    Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    body.set("features", list);
    response.sendJson(200, body);
}

// Plugin files in plugins.dir that POST /admin/plugins {"name": ...} could load.
void answerAvailable(PluginManager& plugins, Response& response) {
    Poco::JSON::Array::Ptr names = new Poco::JSON::Array();
    for (const auto& name : plugins.availableNames()) names->add(name);
    Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    body.set("plugins", names);
    response.sendJson(200, body);
}

void answerPlugins(PluginManager& plugins, Response& response) {
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array();
    for (const auto& status : plugins.status()) list->add(describe(status));
    Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    body.set("plugins", list);
    response.sendJson(200, body);
}

// What POST /admin/plugins loads: {"name": "hello"} from plugins.dir, or {"path": "/x/y.so"}.
// Its Content-Type was checked by the admin access middleware (admin_access.cpp): JSON only.
std::string loadTarget(Request& request, const std::vector<std::string>& trustedDirectories) {
    const auto object = jsonBody(request);
    if (object.isNull()) badRequest("expected a JSON object with \"name\" or \"path\"");
    std::string target;
    if (object->has("name") && object->get("name").isString()) target = object->getValue<std::string>("name");
    if (object->has("path") && object->get("path").isString()) target = object->getValue<std::string>("path");
    if (target.empty()) badRequest("expected \"name\" (a plugin in plugins.dir) or \"path\" (a plugin file)");
    if (object->has("name") && !object->has("path") && !isValidPluginName(target)) {
        badRequest("\"name\" must be a plugin name ([a-z][a-z0-9_-]*, at most 64 characters); use \"path\" "
                   "for a file");
    }
    if (object->has("path")) requireTrustedFile(target, trustedDirectories);
    return target;
}

void loadPlugin(PluginManager& plugins, const std::vector<std::string>& trustedDirectories, Request& request,
                Response& response) {
    const std::string target = loadTarget(request, trustedDirectories);
    std::string name;
    try {
        name = plugins.load(target);
    } catch (const PluginStateError& error) {
        throw HttpError(error.httpStatus(), "Plugin Not Loaded", error.what());
    } catch (const PluginLoadError& error) {
        throw HttpError(422, "Plugin Not Loaded", error.what());
    } catch (const ConfigError& error) {
        throw HttpError(422, "Plugin Not Loaded", error.what());
    }
    for (const auto& status : plugins.status()) {
        if (status.name != name) continue;
        response.sendJson(201, *describe(status));
        response.setHeader("Location", "/admin/plugins/" + name);
    }
}

void reloadPlugin(PluginManager& plugins, const std::vector<std::string>& trustedDirectories, Request& request,
                  Response& response) {
    const auto body = jsonBody(request);
    std::string path;
    if (body && body->has("path")) path = body->optValue<std::string>("path", "");
    if (!path.empty()) requireTrustedFile(path, trustedDirectories);
    const std::string name = request.pathParameter("name");
    try {
        plugins.reload(name, path);
    } catch (const PluginStateError& error) {
        throw HttpError(error.httpStatus(), "Plugin Not Reloaded", error.what());
    } catch (const PluginLoadError& error) {
        throw HttpError(422, "Plugin Not Reloaded", std::string(error.what()) + "; the running version keeps serving");
    } catch (const ConfigError& error) {
        throw HttpError(422, "Plugin Not Reloaded", std::string(error.what()) + "; the running version keeps serving");
    }
    for (const auto& status : plugins.status()) {
        if (status.name == name) response.sendJson(200, *describe(status));
    }
}

void unloadPlugin(PluginManager& plugins, Request& request, Response& response) {
    const bool cascade = request.query("cascade").value_or("false") == "true";
    try {
        plugins.unload(request.pathParameter("name"), cascade);
    } catch (const PluginStateError& error) {
        throw HttpError(error.httpStatus(), error.httpStatus() == 404 ? "Not Found" : "Conflict", error.what());
    }
    response.setStatus(204);
}

}  // namespace

std::vector<Route> adminRoutes(PluginManager& plugins, const Dispatcher& dispatcher, const HostStateImpl& hostState,
                               const std::vector<std::string>& trustedDirectories) {
    const std::vector<std::string> admin{kAdminListener};
    return {
        Route{"GET", "/admin/status",
              [&plugins, &dispatcher, &hostState](Request&, Response& response) {
                  answerStatus(plugins, dispatcher, hostState, response);
              },
              admin},
        Route{"GET", "/admin/features", [&plugins](Request&, Response& response) { answerFeatures(plugins, response); },
              admin},
        Route{"GET", "/admin/plugins", [&plugins](Request&, Response& response) { answerPlugins(plugins, response); },
              admin},
        Route{"GET", "/admin/plugin-files",
              [&plugins](Request&, Response& response) { answerAvailable(plugins, response); }, admin},
        Route{"POST", "/admin/plugins",
              [&plugins, trustedDirectories](Request& request, Response& response) {
                  loadPlugin(plugins, trustedDirectories, request, response);
              },
              admin},
        Route{"POST", "/admin/plugins/{name}/reload",
              [&plugins, trustedDirectories](Request& request, Response& response) {
                  reloadPlugin(plugins, trustedDirectories, request, response);
              },
              admin},
        Route{"DELETE", "/admin/plugins/{name}",
              [&plugins](Request& request, Response& response) { unloadPlugin(plugins, request, response); }, admin},
    };
}

}  // namespace keel::host
