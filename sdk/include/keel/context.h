// What a started plugin can reach: its settings, its logger, other plugins' services and the
// host's health and readiness state. Valid from start() until stop() returns; thread-safe.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include <prometheus/metric_family.h>
#include <spdlog/logger.h>

#include <vector>

#include "keel/config.h"
#include "keel/database.h"
#include "keel/export.h"
#include "keel/features.h"
#include "keel/health.h"

namespace keel {

class KEEL_SDK_API Context {
public:
    virtual ~Context();

    virtual const Settings& settings() const = 0;
    virtual std::shared_ptr<spdlog::logger> logger() const = 0;
    virtual HealthChecks& healthChecks() = 0;
    virtual const HostState& hostState() const = 0;
    // The [features] flags, live (re-read on SIGHUP).
    virtual const Features& features() const = 0;
    // A snapshot of every metric family in the host's registry (all plugins' and the host's
    // own), for an exposition endpoint.
    virtual std::vector<prometheus::MetricFamily> collectMetrics() const = 0;

    // The database pool `name`, as Registrar::database.
    virtual Database& database(const std::string& name = "default") = 0;

    // The service published under `name` with `interfaceId`, or nullptr.
    virtual std::shared_ptr<void> findService(const std::string& name, const std::string& interfaceId) = 0;

    // Typed lookup; throws std::runtime_error naming the service when it is absent. A plugin that
    // uses another plugin's service lists that plugin in its `requires`, so the provider starts first.
    template <class Interface>
    std::shared_ptr<Interface> service(const std::string& name) {
        auto found = findService(name, Interface::kInterfaceId);
        if (!found) {
            throw std::runtime_error("service '" + name + "' (" + Interface::kInterfaceId + ") is not provided");
        }
        return std::static_pointer_cast<Interface>(found);
    }
};

}  // namespace keel
