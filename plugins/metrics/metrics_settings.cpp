// metrics.* keys.
#include "metrics_settings.h"

#include <keel/route.h>

#include <stdexcept>

#include "http_metrics.h"

namespace keel::plugins::metrics {

std::vector<ConfigKey> metricsKeys() {
    return {
        ConfigKey::string("buckets", "0.005,0.01,0.025,0.05,0.1,0.25,0.5,1,2.5,5,10",
                          "Upper bounds (seconds) of http_server_request_duration_seconds."),
        ConfigKey::string("listener", kAdminListener, "Listener serving GET /metrics.")
            .oneOf({kPublicListener, kAdminListener}),
    };
}

MetricsSettings readMetricsSettings(const Settings& settings) {
    MetricsSettings metrics;
    const std::string buckets = settings.getString("buckets");
    try {
        metrics.buckets = HttpMetrics::parseBuckets(buckets);
    } catch (const std::invalid_argument& error) {
        throw ConfigError("metrics.buckets = \"" + buckets +
                          "\": expected strictly increasing positive numbers separated by commas (" + error.what() +
                          ")");
    }
    metrics.listener = settings.getString("listener");
    return metrics;
}

}  // namespace keel::plugins::metrics
