// The harness is keel's own core (PluginManager, Dispatcher, core middleware) without sockets.
#include "keel/testing/plugin_harness.h"

#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/Path.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <spdlog/sinks/ostream_sink.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <sstream>

#include "config_store.h"
#include "core_middleware.h"
#include "database_registry.h"
#include "dispatcher.h"
#include "host_state.h"
#include "log_manager.h"
#include "plugin_manager.h"

namespace keel::testing {

namespace {
std::string privateDirectory() {
    static std::atomic<unsigned> sequence{0};
    return Poco::Path(Poco::Path::temp())
        .pushDirectory("keel-harness-" + std::to_string(::getpid()) + "-" + std::to_string(++sequence))
        .toString();
}
}  // namespace

struct PluginHarness::State {
    std::ostringstream logStream;
    host::ConfigStore config;
    host::LogManager logs{std::make_shared<spdlog::sinks::ostream_sink_mt>(logStream, true)};
    prometheus::Registry registry;
    host::HostStateImpl hostState{"test"};
    std::unique_ptr<host::DatabaseRegistry> databases;
    std::string directory = privateDirectory();
    std::unique_ptr<host::PluginManager> plugins;
    std::unique_ptr<host::Dispatcher> dispatcher;
};

PluginHarness::PluginHarness(const std::vector<std::string>& pluginFiles,
                             const std::map<std::string, std::string>& settings)
    : state_(std::make_unique<State>()) {
    state_->logs.configure(spdlog::level::debug, host::LogFormat::Text);
    host::DatabaseRegistry::declareKeys(state_->config);
    state_->databases = std::make_unique<host::DatabaseRegistry>(state_->config, state_->logs.logger("keel.database"));
    for (const auto& [key, value] : settings) {
        state_->config.setFromFile(key, value, ConfigSource{"harness setting " + key});
    }
    host::PluginManagerOptions options;
    options.privateDirectory = state_->directory;
    options.databases = state_->databases.get();
    options.drainTimeout = std::chrono::seconds(5);
    options.stopTimeout = std::chrono::seconds(5);
    state_->plugins = std::make_unique<host::PluginManager>(options, state_->config, state_->logs, state_->registry,
                                                            state_->hostState);
    state_->plugins->setHostContributions({}, host::coreMiddleware(state_->logs, options.listeners));
    state_->dispatcher = std::make_unique<host::Dispatcher>(*state_->plugins);
    try {
        for (const auto& file : pluginFiles) state_->plugins->load(file);
    } catch (const std::exception& error) {
        throw std::runtime_error(error.what());
    }
    state_->hostState.setReady(true);
}

PluginHarness::~PluginHarness() {
    state_->plugins->unloadAll();
    state_->dispatcher.reset();
    state_->plugins.reset();
    try {
        Poco::File(state_->directory).remove(true);
    } catch (const Poco::Exception&) {
        // Never created: nothing to remove.
    }
}

Response PluginHarness::call(const std::string& method, const std::string& target, const std::string& body,
                             const Headers& headers, const std::string& listener) {
    Request request(method, target);
    for (const auto& [name, value] : headers.fields()) request.headers().add(name, value);
    request.setBody(body);
    request.setListener(listener);
    request.setRemoteAddress("127.0.0.1:0");
    Response response;
    state_->dispatcher->dispatch(request, response);
    return response;
}

void PluginHarness::runTask(const std::string& plugin, const std::string& task) {
    state_->plugins->runPeriodicTaskOnce(plugin, task);
}

std::vector<HealthCheckReport> PluginHarness::runHealthChecks() { return state_->plugins->runAll(); }

std::string PluginHarness::metricsText() const {
    return prometheus::TextSerializer().Serialize(state_->registry.Collect());
}

std::string PluginHarness::logText() const {
    state_->logs.flush();
    return state_->logStream.str();
}

void PluginHarness::unload(const std::string& plugin) { state_->plugins->unload(plugin, false); }

}  // namespace keel::testing
