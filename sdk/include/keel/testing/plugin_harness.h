// An in-process host for plugin unit tests: loads real plugin files through the same loader,
// registrar and pipeline as keel (the host's request id, access log and recovery middleware
// included) and calls routes without sockets. Link keel::testing. One thread at a time.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "keel/headers.h"
#include "keel/health.h"
#include "keel/response.h"

namespace keel::testing {

class PluginHarness {
public:
    // Loads `pluginFiles` in order (a plugin's requirements first) with configuration values
    // given by full key ("hello.greeting" -> "Hi"). Throws std::runtime_error with the host's
    // message when a plugin is refused or fails to configure or start.
    explicit PluginHarness(const std::vector<std::string>& pluginFiles,
                           const std::map<std::string, std::string>& settings = {});
    ~PluginHarness();
    PluginHarness(const PluginHarness&) = delete;
    PluginHarness& operator=(const PluginHarness&) = delete;

    // Runs one request through the pipeline of `listener` ("public" or "admin").
    Response call(const std::string& method, const std::string& target, const std::string& body = "",
                  const Headers& headers = {}, const std::string& listener = "public");
    // Runs a periodic task once, now, on this thread (no waiting for its interval).
    void runTask(const std::string& plugin, const std::string& task);
    std::vector<HealthCheckReport> runHealthChecks();
    // The Prometheus text exposition of every metric the loaded plugins created.
    std::string metricsText() const;
    // Everything logged so far, one line per entry.
    std::string logText() const;
    // Unloads a plugin as the host would (its routes, tasks, metrics and services go).
    void unload(const std::string& plugin);

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace keel::testing
