#include "feature_flags.h"

#include <atomic>

namespace keel::host {

namespace {
constexpr const char* kPrefix = "features.";
}  // namespace

void declareFeatureFlags(ConfigStore& store, const std::set<std::string>& keys) {
    for (const auto& key : keys) {
        if (key.size() <= std::string(kPrefix).size() || store.isDeclared(key)) continue;
        store.declare("keel", key, ConfigKey::boolean(key, false, "Feature flag (set in the configuration); plugins "
                                                                  "read it with context.features().enabled(\"" +
                                                                      key.substr(std::string(kPrefix).size()) + "\")."));
    }
}

FeatureFlags::FeatureFlags(const ConfigStore& config, prometheus::Family<prometheus::Gauge>& gauge)
    : config_(config), gauge_(gauge), flags_(std::make_shared<const std::map<std::string, Flag>>()) {
    refresh();
}

std::vector<std::string> FeatureFlags::refresh() {
    auto next = std::make_shared<std::map<std::string, Flag>>();
    const std::string prefix(kPrefix);
    const Settings settings = config_.settings("features");  // validated: "true", "yes", "1" are all on
    for (const auto& value : config_.effective()) {
        if (value.key.rfind(prefix, 0) != 0 || value.type != "boolean") continue;
        Flag flag{value.key.substr(prefix.size()), settings.getBool(value.key.substr(prefix.size())), value.source};
        next->emplace(flag.name, flag);
    }
    const auto previous = std::atomic_load(&flags_);
    std::vector<std::string> changes;
    for (const auto& [name, flag] : *next) {
        const auto before = previous->find(name);
        const bool was = before != previous->end() && before->second.enabled;
        if (before != previous->end() && was != flag.enabled) {
            changes.push_back(name + ": " + (was ? "on" : "off") + " -> " + (flag.enabled ? "on" : "off"));
        }
        gauge_.Add({{"feature", name}}).Set(flag.enabled ? 1 : 0);
    }
    std::atomic_store(&flags_, std::shared_ptr<const std::map<std::string, Flag>>(std::move(next)));
    return changes;
}

bool FeatureFlags::enabled(const std::string& name) const {
    const auto flags = std::atomic_load(&flags_);
    const auto found = flags->find(name);
    return found != flags->end() && found->second.enabled;
}

std::vector<FeatureFlags::Flag> FeatureFlags::list() const {
    const auto flags = std::atomic_load(&flags_);
    std::vector<Flag> list;
    for (const auto& [name, flag] : *flags) list.push_back(flag);
    return list;
}

}  // namespace keel::host
