// The keel executable: command line, configuration, listeners, plugins and the shutdown
// sequence, on top of Poco's ServerApplication (daemon, pid file and option handling).
#pragma once

#include <Poco/Util/ServerApplication.h>

#include <memory>
#include <string>
#include <vector>

namespace keel::host {

class AdminToken;

class ConfigStore;
class LogManager;
class PluginManager;
class HttpServer;

class KeelApplication final : public Poco::Util::ServerApplication {
public:
    KeelApplication();

protected:
    void defineOptions(Poco::Util::OptionSet& options) override;
    int main(const std::vector<std::string>& arguments) override;

private:
    void handleDefine(const std::string& name, const std::string& value);
    // Loads the main file (or the embedded default), then conf.d, environment and --define.
    void loadConfiguration(ConfigStore& store) const;
    // Only the file layers (main file and conf.d), as SIGHUP re-reads them.
    void loadConfigurationFiles(ConfigStore& store) const;
    // SIGHUP: re-read files; apply log settings, the plugin set and plugin configuration live;
    // report what needs a restart; keep everything as it was when the files are invalid.
    void reconfigure(ConfigStore& store, LogManager& logs, PluginManager& plugins,
                     std::vector<std::unique_ptr<HttpServer>>& listeners, AdminToken* adminToken);
    int checkOrPrintConfig(ConfigStore& store);

    std::string configFile_;
    std::vector<std::pair<std::string, std::string>> defines_;
    bool helpRequested_ = false;
    bool versionRequested_ = false;
    bool checkConfig_ = false;
    bool printConfig_ = false;
    bool configReference_ = false;
    std::string inspectPlugin_;
    std::string usageError_;
};

}  // namespace keel::host
