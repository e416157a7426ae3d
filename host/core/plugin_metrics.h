// One plugin's share of the host's Prometheus registry: families it created, removed from the
// registry when this object is destroyed (after the plugin's last request finished).
#pragma once

#include <prometheus/registry.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "keel/metrics.h"

namespace keel::host {

// Which plugin owns which family name, across all plugins. Thread-safe.
class MetricOwnership {
public:
    // Throws std::invalid_argument when another owner holds `name`.
    void claim(const std::string& name, const std::string& owner);
    void release(const std::string& name);

private:
    std::mutex mutex_;
    std::map<std::string, std::string> owners_;
};

class PluginMetrics final : public Metrics {
public:
    PluginMetrics(std::string owner, prometheus::Registry& registry, MetricOwnership& ownership);
    ~PluginMetrics() override;

    prometheus::Family<prometheus::Counter>& counter(const std::string& name, const std::string& help,
                                                     const Labels& constantLabels) override;
    prometheus::Family<prometheus::Gauge>& gauge(const std::string& name, const std::string& help,
                                                 const Labels& constantLabels) override;
    prometheus::Family<prometheus::Histogram>& histogram(const std::string& name, const std::string& help,
                                                         const Labels& constantLabels) override;
    std::size_t familyCount() const;

private:
    template <class Metric, class Builder>
    prometheus::Family<Metric>& family(std::map<std::string, prometheus::Family<Metric>*>& families,
                                       const std::string& name, const std::string& help, const Labels& labels,
                                       Builder builder);

    std::string owner_;
    prometheus::Registry& registry_;
    MetricOwnership& ownership_;
    mutable std::mutex mutex_;
    std::map<std::string, prometheus::Family<prometheus::Counter>*> counters_;
    std::map<std::string, prometheus::Family<prometheus::Gauge>*> gauges_;
    std::map<std::string, prometheus::Family<prometheus::Histogram>*> histograms_;
};

}  // namespace keel::host
