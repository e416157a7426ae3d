// Every configuration key of the metrics plugin, declared and read in one place.
#pragma once

#include <keel/config.h>

#include <string>
#include <vector>

namespace keel::plugins::metrics {

struct MetricsSettings {
    std::vector<double> buckets;  // upper bounds of http_server_request_duration_seconds, increasing
    std::string listener;         // where GET /metrics is served
};

// Every key of [metrics], relative to the section; plugin.cpp declares them.
std::vector<ConfigKey> metricsKeys();
// Throws ConfigError naming metrics.buckets when it is not increasing positive numbers.
MetricsSettings readMetricsSettings(const Settings& settings);

}  // namespace keel::plugins::metrics
