// Every configuration key of the health plugin, declared and read in one place.
#pragma once

#include <keel/config.h>

#include <chrono>
#include <vector>

namespace keel::plugins::health {

struct HealthSettings {
    std::chrono::milliseconds cacheTtl{1000};    // /health results reused this long
    std::chrono::milliseconds readyCache{1000};  // /ready (readiness checks) results reused this long
};

// Every key of [health], relative to the section; plugin.cpp declares them.
std::vector<ConfigKey> healthKeys();
HealthSettings readHealthSettings(const Settings& settings);

}  // namespace keel::plugins::health
