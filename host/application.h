// The keel executable's command line on top of Poco's ServerApplication (daemon, pid file and
// option handling): reports (command_reports.h) or a running host (host_runtime.h).
#pragma once

#include <Poco/Util/ServerApplication.h>

#include <optional>
#include <string>
#include <vector>

#include "command_reports.h"

namespace keel::host {

class ConfigStore;
struct HostSettings;

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
    int printHelp();
    // --config-reference, --print-config or --check-config, when one was given.
    std::optional<ConfigReport> requestedReport() const;
    // Runs the host until SIGTERM or SIGINT; returns the exit code.
    int serve(ConfigStore& store, const HostSettings& settings);

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
