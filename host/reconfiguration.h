// SIGHUP: the configuration files are read again and what can change live does (log settings,
// feature flags, the admin token, listener certificates, the plugin set and each plugin's
// configuration); what needs a restart is named in the log. Invalid files change nothing.
#pragma once

#include <functional>
#include <memory>
#include <vector>

namespace keel::host {

class AdminToken;
class ConfigStore;
class HostStateImpl;
class HttpServer;
class LogManager;
class PluginManager;

struct RunningHost {
    ConfigStore& store;
    LogManager& logs;
    PluginManager& plugins;
    std::vector<std::unique_ptr<HttpServer>>& listeners;
    AdminToken* adminToken;  // null: none configured yet
    HostStateImpl& state;
};

// `loadFiles` reads the file layers (main file and conf.d) into the store it is given.
void reconfigure(const std::function<void(ConfigStore&)>& loadFiles, RunningHost host);

}  // namespace keel::host
