// HostRuntime: start-up, the run loop and the shutdown sequence.
#include "host_runtime.h"

#include <algorithm>
#include <optional>
#include <atomic>
#include <cstdlib>
#include <thread>

#include "admin_access.h"
#include "admin_api.h"
#include "admin_console.h"
#include "config_store.h"
#include "core_middleware.h"
#include "exit_codes.h"
#include "keel/http_client.h"
#include "log_manager.h"
#include "reconfiguration.h"
#include "runtime_paths.h"
#include "socket_activation.h"

namespace keel::host {

namespace {

using Listeners = std::vector<std::unique_ptr<HttpServer>>;

PluginManagerOptions pluginManagerOptions(const HostSettings& settings, DatabaseRegistry& databases) {
    PluginManagerOptions options;
    options.pluginsDirectory = resolvePluginsDirectory(settings.pluginsDirectory);
    options.privateDirectory = resolveRuntimeDirectory(settings.pluginsRuntimeDirectory);
    options.drainTimeout = settings.drainTimeout;
    options.stopTimeout = settings.stopTimeout;
    options.databases = &databases;
    return options;
}

// True once no request is dispatched or waiting for a worker on any listener.
bool waitForListenersIdle(const Listeners& listeners, Dispatcher& dispatcher,
                          std::chrono::steady_clock::time_point deadline) {
    while (true) {
        if (!dispatcher.waitIdle(deadline)) return false;
        const bool queued = std::any_of(listeners.begin(), listeners.end(), [](const auto& l) { return !l->idle(); });
        if (!queued && dispatcher.inFlight() == 0) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

// Answers already written are given a moment to leave before their connections are closed.
void waitForConnectionsClosed(const Listeners& listeners, std::chrono::steady_clock::time_point deadline) {
    while (std::chrono::steady_clock::now() < deadline &&
           std::any_of(listeners.begin(), listeners.end(), [](const auto& l) { return l->openConnections() > 0; })) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

// The shutdown deadline passed with requests still running: their plugins' code is on the
// workers' stacks, so nothing may be unloaded. Report them, drop their connections and leave.
[[noreturn]] void exitAtShutdownDeadline(const Listeners& listeners, Dispatcher& dispatcher, const HostSettings& settings,
                                         LogManager& logs) {
    auto logger = logs.logger("keel");
    logger->error("shutdown: {} request(s) still running after server.shutdown_timeout ({}ms); exiting without "
                  "unloading plugins",
                  dispatcher.inFlight(), settings.shutdownTimeout.count());
    for (const auto& listener : listeners) {
        for (const auto& running : listener->runningRequests()) {
            logger->error("shutdown: still running on the {} listener: {}", listener->name(), running);
        }
        listener->closeAll();
    }
    waitForConnectionsClosed(listeners, std::chrono::steady_clock::now() + std::chrono::milliseconds(200));
    logs.flush();
    std::_Exit(kExitStartup);
}

// http://<host>:<port>/live of a listener, as a client on this machine reaches it.
std::string liveUrl(const ListenerOptions& options, int port) {
    const std::string& host = options.host;
    const std::string reachable = host == "0.0.0.0" || host == "::" ? "127.0.0.1"
                                  : host.find(':') != std::string::npos ? "[" + host + "]"
                                                                        : host;
    return "http://" + reachable + ":" + std::to_string(port) + "/live";
}

}  // namespace

HostRuntime::HostMetricLinks::HostMetricLinks(LogManager& logs, DatabaseRegistry& databases, PluginManager& plugins)
    : logs(logs), databases(databases) {
    logs.countAccessDropsIn(&plugins.hostMetrics()
                                 .counter("keel_log_lines_dropped_total",
                                          "Log lines dropped because the writer's queue was full.", {})
                                 .Add({{"log", "access"}}));
    databases.exportMetrics(&plugins.hostMetrics());
}

HostRuntime::HostMetricLinks::~HostMetricLinks() {
    logs.countAccessDropsIn(nullptr);
    databases.exportMetrics(nullptr);
}

HostRuntime::HostRuntime(ConfigStore& store, const HostSettings& settings, LogManager& logs,
                         std::function<void(ConfigStore&)> loadFiles)
    : store_(store),
      settings_(settings),
      logs_(logs),
      loadFiles_(std::move(loadFiles)),
      logger_(logs.logger("keel")),
      state_(KEEL_VERSION, settings.instanceId),
      databases_(store, logs.logger("keel.database")),
      options_(pluginManagerOptions(settings, databases_)),
      plugins_(options_, store, logs, registry_, state_),
      dispatcher_(plugins_),
      systemd_(logger_),
      metricLinks_(logs, databases_, plugins_),
      observer_(plugins_.hostMetrics(), logs, {"public", "admin"}),
      io_(settings.ioThreads),
      signals_(std::make_unique<SignalWatcher>([this] { onSighup(); })) {
    state_.setConfiguration({store.fileSources(), std::chrono::system_clock::now()});
}

HostRuntime::~HostRuntime() = default;

int HostRuntime::run() {
    startTracing();
    int exitCode = kExitOk;
    try {
        start();
    } catch (const ConfigError& error) {
        logger_->critical("configuration error: {}", error.what());
        exitCode = kExitConfig;
    } catch (const std::exception& error) {
        logger_->critical("start-up failed: {}", error.what());
        exitCode = kExitStartup;
    }
    if (exitCode == kExitOk) {
        signals_->waitForShutdown();
        drain();
    }
    stopServing();
    stopPluginsAndTracing();
    logger_->info("keel stopped after serving {} request(s)", dispatcher_.served());
    return exitCode;
}

// The exporter is installed only with an endpoint, so without one spans cost nothing.
void HostRuntime::startTracing() {
    if (settings_.tracingEndpoint.empty()) return;
    auto& dropped = plugins_.hostMetrics().counter("keel_trace_spans_dropped_total",
                                                   "Finished spans not exported, by reason.", {});
    exporter_ = std::make_unique<OtlpExporter>(
        OtlpExporterOptions{settings_.tracingEndpoint, settings_.tracingServiceName, KEEL_VERSION,
                            settings_.instanceId, settings_.tracingQueueSize, settings_.tracingBatchSize,
                            settings_.tracingExportInterval, settings_.tracingExportTimeout},
        dropped.Add({{"reason", "queue_full"}}), dropped.Add({{"reason", "export_failed"}}),
        logs_.logger("keel.tracing"));
    setSpanExporter(exporter_.get());
}

void HostRuntime::start() {
    installAdminApi();
    setDefaultHttpClientCaFile(settings_.httpClientCaFile);
    logger_->info("open files limit: {}", raiseOpenFileLimit());
    openListeners();
    loadPlugins();
    startWatchdog();
}

// The host's own middleware (request ids, tracing, access log, admin access) and admin routes.
void HostRuntime::installAdminApi() {
    auto middleware =
        coreMiddleware(logs_, options_.listeners, TracingSettings{exporter_ != nullptr, settings_.tracingSampleRate});
    auto token = std::make_shared<AdminToken>(settings_.adminTokenFile);
    std::atomic_store(&adminToken_, token);
    if (!token->configured()) {
        logger_->warn("the admin API has no token (admin.token_file is empty): it listens on loopback only");
    }
    middleware.push_back(adminAccessMiddleware(
        AdminAccessRules{settings_.adminAllowedHosts, settings_.adminAllowedOrigins,
                         settings_.adminListener.tls.enabled()},
        token));
    std::vector<std::string> trusted{options_.pluginsDirectory};
    trusted.insert(trusted.end(), settings_.pluginsAllowedDirectories.begin(), settings_.pluginsAllowedDirectories.end());
    auto routes = adminRoutes(plugins_, dispatcher_, state_, trusted);
    for (auto& route : adminConsoleRoutes()) routes.push_back(std::move(route));
    plugins_.setHostContributions(std::move(routes), std::move(middleware));
}

// The public and admin listeners, on sockets systemd passed (socket activation) or their own.
void HostRuntime::openListeners() {
    auto inherited = socketActivationListeners();
    for (const auto* listener : {&settings_.publicListener, &settings_.adminListener}) {
        if (listener == &settings_.adminListener && !settings_.adminEnabled) continue;
        listeners_.push_back(std::make_unique<HttpServer>(*listener, dispatcher_, io_, observer_, logger_));
        const auto socket = inherited.find(listener->name);
        listeners_.back()->start(socket == inherited.end() ? -1 : socket->second);
        if (socket != inherited.end()) inherited.erase(socket);
    }
    for (const auto& [name, fd] : inherited) {
        logger_->warn("socket activation: ignoring socket {} named '{}' (expected 'public' or 'admin')", fd, name);
    }
}

void HostRuntime::loadPlugins() {
    logger_->info("keel {} starting: plugins from {}", KEEL_VERSION, options_.pluginsDirectory);
    const auto report = plugins_.loadAll(settings_.plugins, settings_.requiredPlugins);
    for (const auto& warning : store_.unknownKeyWarnings(pluginNames(settings_.plugins))) logger_->warn("{}", warning);
    state_.setReady(true);
    logger_->info("keel ready: {} plugin(s) started, {} failed", report.started.size(), report.failed.size());
    systemd_.ready(summary());
}

// The watchdog probes /live through a plain listener (the probe does not speak TLS), a real
// request through the event loop. /live is non-blocking and answered on an I/O thread, so it
// says nothing of the workers: they count as stuck when every one is busy and none finished a
// request since the previous beat (half the watchdog interval).
void HostRuntime::startWatchdog() {
    const auto probed = std::find_if(listeners_.begin(), listeners_.end(), [](const auto& l) { return !l->tls(); });
    if (probed == listeners_.end()) return;
    const auto& options = (*probed)->name() == "public" ? settings_.publicListener : settings_.adminListener;
    const std::string live = liveUrl(options, (*probed)->port());
    const HttpServer* listener = probed->get();
    systemd_.startWatchdog(
        [live, listener, lastCompleted = std::optional<std::uint64_t>()](std::chrono::milliseconds timeout) mutable {
            const auto workers = listener->workerActivity();
            const bool stuck = workers.busy >= workers.threads && workers.completed == lastCompleted;
            lastCompleted = workers.completed;
            if (stuck) return false;
            try {
                HttpClient client(HttpClientOptions{timeout, timeout, 1, "keel-watchdog", ""});
                return client.send(ClientRequest{"GET", live, {}, "", timeout}).status == 200;
            } catch (const std::exception&) {
                return false;
            }
        },
        [this] { return summary(); });
}

// 1. Readiness turns false first; listeners keep accepting for the shutdown delay so a load
//    balancer sees /ready fail before connections are refused.
void HostRuntime::drain() {
    systemd_.stopping();
    state_.beginDrain();
    logger_->info("shutdown: draining (delay {}ms, timeout {}ms)", settings_.shutdownDelay.count(),
                  settings_.shutdownTimeout.count());
    std::this_thread::sleep_for(settings_.shutdownDelay);
}

// 2. New connections are refused, idle ones closed. 3. In-flight requests finish within the
// shutdown timeout, or the process leaves without unloading code that may still be running.
void HostRuntime::stopServing() {
    for (auto& listener : listeners_) listener->stopAccepting();
    const auto deadline = std::chrono::steady_clock::now() + settings_.shutdownTimeout;
    if (!waitForListenersIdle(listeners_, dispatcher_, deadline)) {
        exitAtShutdownDeadline(listeners_, dispatcher_, settings_, logs_);
    }
    for (auto& listener : listeners_) listener->closeAll();
    waitForConnectionsClosed(listeners_, std::chrono::steady_clock::now() + std::chrono::seconds(1));
    io_.stop();
    for (auto& listener : listeners_) listener->stopWorkers();
}

// 4. Tasks and plugins stop in reverse dependency order. 5. Spans still queued are exported,
// within the export timeout.
void HostRuntime::stopPluginsAndTracing() {
    plugins_.unloadAll();
    if (exporter_) {
        exporter_->shutdown(std::chrono::steady_clock::now() + settings_.tracingExportTimeout);
        setSpanExporter(nullptr);
    }
    systemd_.stopWatchdog();  // it reads the listeners' workers
    listeners_.clear();
}

void HostRuntime::onSighup() {
    systemd_.reloading();
    const auto token = std::atomic_load(&adminToken_);
    reconfigure(loadFiles_, RunningHost{store_, logs_, plugins_, listeners_, token.get(), state_});
    systemd_.ready(summary());
}

std::string HostRuntime::summary() const {
    return std::to_string(plugins_.loadedNames().size()) + " plugin(s), " + std::to_string(dispatcher_.served()) +
           " request(s) served, " + std::to_string(dispatcher_.inFlight()) + " in flight";
}

}  // namespace keel::host
