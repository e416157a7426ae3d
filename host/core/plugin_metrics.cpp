// Family creation on a plugin's behalf and removal when it goes.
#include "plugin_metrics.h"

#include <stdexcept>

namespace keel::host {

void MetricOwnership::claim(const std::string& name, const std::string& owner) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& claim = owners_[name];
    if (claim.holders > 0 && claim.owner != owner) {
        throw std::invalid_argument("metric family " + name + " already belongs to " + claim.owner);
    }
    claim.owner = owner;
    ++claim.holders;
}

bool MetricOwnership::release(const std::string& name) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto found = owners_.find(name);
    if (found == owners_.end()) return true;
    if (--found->second.holders > 0) return false;
    owners_.erase(found);
    return true;
}

PluginMetrics::PluginMetrics(std::string owner, prometheus::Registry& registry, MetricOwnership& ownership)
    : owner_(std::move(owner)), registry_(registry), ownership_(ownership) {}

PluginMetrics::~PluginMetrics() {
    auto removeAll = [this](auto& families) {
        for (auto& [name, family] : families) {
            if (ownership_.release(name)) registry_.Remove(*family);
        }
        families.clear();
    };
    removeAll(counters_);
    removeAll(gauges_);
    removeAll(histograms_);
}

template <class Metric, class Builder>
prometheus::Family<Metric>& PluginMetrics::family(std::map<std::string, prometheus::Family<Metric>*>& families,
                                                  const std::string& name, const std::string& help,
                                                  const Labels& labels, Builder builder) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (const auto existing = families.find(name); existing != families.end()) return *existing->second;
    const bool ownedElsewhere =
        counters_.count(name) + gauges_.count(name) + histograms_.count(name) != 0;  // same plugin, other type
    if (ownedElsewhere) throw std::invalid_argument("metric family " + name + " already exists with another type");
    ownership_.claim(name, owner_);
    try {
        auto& created = builder.Name(name).Help(help).Labels(labels).Register(registry_);
        families.emplace(name, &created);
        return created;
    } catch (...) {
        ownership_.release(name);
        throw;
    }
}

prometheus::Family<prometheus::Counter>& PluginMetrics::counter(const std::string& name, const std::string& help,
                                                                const Labels& constantLabels) {
    return family(counters_, name, help, constantLabels, prometheus::BuildCounter());
}

prometheus::Family<prometheus::Gauge>& PluginMetrics::gauge(const std::string& name, const std::string& help,
                                                            const Labels& constantLabels) {
    return family(gauges_, name, help, constantLabels, prometheus::BuildGauge());
}

prometheus::Family<prometheus::Histogram>& PluginMetrics::histogram(const std::string& name,
                                                                    const std::string& help,
                                                                    const Labels& constantLabels) {
    return family(histograms_, name, help, constantLabels, prometheus::BuildHistogram());
}

std::size_t PluginMetrics::familyCount() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return counters_.size() + gauges_.size() + histograms_.size();
}

}  // namespace keel::host
