// What a plugin contributes, declared in Plugin::configure(). The host records every
// registration against the plugin so that unloading removes exactly that plugin's share.
// The Registrar is valid only during configure(); call it from that thread only.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "keel/auth.h"
#include "keel/config.h"
#include "keel/database.h"
#include "keel/export.h"
#include "keel/health.h"
#include "keel/metrics.h"
#include "keel/request.h"
#include "keel/response.h"
#include "keel/route.h"
#include "keel/stop_token.h"

namespace keel {

struct PeriodicTask {
    std::string name;
    std::chrono::milliseconds interval{1000};
    // A random extra delay in [0, jitter) before each run, so hosts started together spread out.
    std::chrono::milliseconds jitter{0};
    bool runImmediately = false;
    // Runs on a host thread; exceptions are logged and the next run still happens.
    std::function<void()> run;
};

struct LongRunningTask {
    std::string name;
    // Runs once on its own host thread; must return soon after the token is stopped.
    std::function<void(const StopToken&)> run;
};

class KEEL_SDK_API Registrar {
public:
    virtual ~Registrar();

    // Configuration: declare every key first, then read the validated values (throws ConfigError
    // naming key, source and expected form).
    virtual void declare(ConfigKey key) = 0;
    virtual const Settings& settings() = 0;

    // Returns the registered route so its access can be refined (requireScope); the reference is
    // valid until the next addRoute and only during configure().
    virtual Route& addRoute(Route route) = 0;
    virtual void addMiddleware(Middleware middleware) = 0;
    virtual void addPeriodicTask(PeriodicTask task) = 0;
    virtual void addLongRunningTask(LongRunningTask task) = 0;
    virtual void addHealthCheck(HealthCheck check) = 0;
    virtual Metrics& metrics() = 0;
    // The plugin's own logger ("plugin.<name>"), owned by the host.
    virtual std::shared_ptr<spdlog::logger> logger() = 0;

    // The host's database pool `name` ([database] for "default"), created on first use. Its
    // sessions may be borrowed from start() on. Throws ConfigError for a bad database.url.
    virtual Database& database(const std::string& name = "default") = 0;
    // Migrations applied to `database` after configure() and before start(), in version order,
    // each in its own transaction, recorded per plugin. A failing one fails the plugin's start.
    virtual void addMigrations(const std::string& database, std::vector<Migration> migrations) = 0;

    // Publishes `service` under `name` for other plugins. The object must stay usable until this
    // plugin's stop() returns; the host releases it before unloading the plugin.
    virtual void provideService(const std::string& name, const std::string& interfaceId,
                                std::shared_ptr<void> service) = 0;

    // Conveniences.
    Route& get(const std::string& pattern, Handler handler) { return addRoute({"GET", pattern, std::move(handler)}); }
    Route& post(const std::string& pattern, Handler handler) { return addRoute({"POST", pattern, std::move(handler)}); }
    template <class Interface>
    void provide(const std::string& name, std::shared_ptr<Interface> service) {
        provideService(name, Interface::kInterfaceId, std::static_pointer_cast<void>(std::move(service)));
    }
};

}  // namespace keel
