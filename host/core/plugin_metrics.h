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

// Which plugin owns which family name, across all plugins. Two versions of one plugin (during a
// reload) share its families: each holds a claim, and the family leaves the registry only when
// the last claim is released, so counters carry on across a reload. Thread-safe.
class MetricOwnership {
public:
    // Throws std::invalid_argument when another owner holds `name`.
    void claim(const std::string& name, const std::string& owner);
    // True when that was the last claim: the family must be removed from the registry.
    bool release(const std::string& name);

private:
    struct Claim {
        std::string owner;
        int holders = 0;
    };
    std::mutex mutex_;
    std::map<std::string, Claim> owners_;
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
