// The [features] section as live flags: every features.<name> key is a boolean, the host's own
// (new_feature, classic ENABLE_NEW_FEATURE) and any an operator adds. Plugins read them through
// Context::features(); SIGHUP re-reads them. Thread-safe: enabled() reads an immutable snapshot.
#pragma once

#include <prometheus/family.h>
#include <prometheus/gauge.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "config_store.h"
#include "keel/features.h"

namespace keel::host {

// Declares a boolean key for each of `keys` (features.<name>) that nothing declared yet, so an
// operator's own flag is validated and listed rather than reported as unknown.
void declareFeatureFlags(ConfigStore& store, const std::set<std::string>& keys);

class FeatureFlags final : public Features {
public:
    struct Flag {
        std::string name;
        bool enabled = false;
        std::string source;  // "default", "etc/keel.ini:12", "environment variable ENABLE_NEW_FEATURE"
    };

    // `gauge`: keel_feature_enabled{feature}, 1 or 0.
    FeatureFlags(const ConfigStore& config, prometheus::Family<prometheus::Gauge>& gauge);

    // Re-reads every declared features.* key; returns "name: off -> on" for each flag that changed.
    std::vector<std::string> refresh();
    bool enabled(const std::string& name) const override;
    std::vector<Flag> list() const;

private:
    const ConfigStore& config_;
    prometheus::Family<prometheus::Gauge>& gauge_;
    std::shared_ptr<const std::map<std::string, Flag>> flags_;  // atomic access only
};

}  // namespace keel::host
