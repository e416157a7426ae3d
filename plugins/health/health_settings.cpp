// health.* keys.
#include "health_settings.h"

namespace keel::plugins::health {

std::vector<ConfigKey> healthKeys() {
    return {
        ConfigKey::duration("cache_ttl", "1s",
                            "How long a /health result is reused, so probes cannot overload dependencies (0: never).")
            .range(0, 60000),
        ConfigKey::duration("ready_cache", "1s",
                            "How long the result of the readiness checks (a database ping) is reused by /ready "
                            "(0: never).")
            .range(0, 60000),
    };
}

HealthSettings readHealthSettings(const Settings& settings) {
    return HealthSettings{settings.getDuration("cache_ttl"), settings.getDuration("ready_cache")};
}

}  // namespace keel::plugins::health
