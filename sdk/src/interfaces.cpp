// Out-of-line destructors and defaults of the SDK interfaces: they anchor each vtable and
// typeinfo in libkeel-sdk, so host and plugins share one definition across dlopen boundaries.
#include "keel/context.h"
#include "keel/features.h"
#include "keel/health.h"
#include "keel/metrics.h"
#include "keel/plugin.h"
#include "keel/registrar.h"

namespace keel {

Plugin::~Plugin() = default;
void Plugin::start(Context& /*context*/) {}
void Plugin::stop(std::chrono::steady_clock::time_point /*deadline*/) {}
Registrar::~Registrar() = default;
Context::~Context() = default;
Metrics::~Metrics() = default;
HealthChecks::~HealthChecks() = default;
HostState::~HostState() = default;
Features::~Features() = default;

const char* healthStatusName(HealthStatus status) {
    switch (status) {
        case HealthStatus::Pass: return "pass";
        case HealthStatus::Warn: return "warn";
        case HealthStatus::Fail: return "fail";
    }
    return "fail";
}

}  // namespace keel
