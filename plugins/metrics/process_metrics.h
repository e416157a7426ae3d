// process_* metrics read from /proc at scrape time (prometheus-cpp ships no process collector).
#pragma once

#include <string>
#include <vector>

#include <prometheus/metric_family.h>

namespace keel::plugins::metrics {

struct ProcessStat {
    double cpuSeconds = 0;
    double residentBytes = 0;
    double virtualBytes = 0;
    double threads = 0;
    double startTimeSeconds = 0;
};

// Parses /proc/<pid>/stat text; `bootTime` from /proc/stat's btime. Throws std::runtime_error
// on text that is not a stat line.
ProcessStat parseProcessStat(const std::string& statText, double bootTime, long ticksPerSecond, long pageSize);

// The process_* families of the calling process; families whose source cannot be read are left out.
std::vector<prometheus::MetricFamily> collectProcessMetrics();

}  // namespace keel::plugins::metrics
