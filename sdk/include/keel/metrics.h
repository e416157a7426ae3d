// Metric families in the host's Prometheus registry. The host creates and owns every family a
// plugin asks for and removes them when the plugin is unloaded; a plugin keeps only references,
// valid until its stop() returns.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

#include "keel/export.h"

namespace keel {

class KEEL_SDK_API Metrics {
public:
    using Labels = std::map<std::string, std::string>;
    virtual ~Metrics();
    // Returns the family `name`, creating it. Asking again for a family this plugin created returns
    // it; a name owned by another plugin (or of another type) throws std::invalid_argument.
    virtual prometheus::Family<prometheus::Counter>& counter(const std::string& name, const std::string& help,
                                                             const Labels& constantLabels = {}) = 0;
    virtual prometheus::Family<prometheus::Gauge>& gauge(const std::string& name, const std::string& help,
                                                         const Labels& constantLabels = {}) = 0;
    virtual prometheus::Family<prometheus::Histogram>& histogram(const std::string& name, const std::string& help,
                                                                 const Labels& constantLabels = {}) = 0;
};

}  // namespace keel
