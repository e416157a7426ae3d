// /proc/self readers.
#include "process_metrics.h"

#include <dirent.h>
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace keel::plugins::metrics {

namespace {

std::string readFile(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

prometheus::MetricFamily family(const std::string& name, const std::string& help, prometheus::MetricType type,
                                double value) {
    prometheus::MetricFamily result;
    result.name = name;
    result.help = help;
    result.type = type;
    prometheus::ClientMetric metric;
    if (type == prometheus::MetricType::Counter) {
        metric.counter.value = value;
    } else {
        metric.gauge.value = value;
    }
    result.metric.push_back(metric);
    return result;
}

double bootTimeSeconds() {
    std::istringstream in(readFile("/proc/stat"));
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("btime ", 0) == 0) return std::stod(line.substr(6));
    }
    return 0;
}

}  // namespace

ProcessStat parseProcessStat(const std::string& statText, double bootTime, long ticksPerSecond, long pageSize) {
    // The command name is in parentheses and may contain spaces: fields start after the last ')'.
    const auto close = statText.rfind(')');
    if (close == std::string::npos) throw std::runtime_error("not a /proc stat line");
    std::istringstream in(statText.substr(close + 1));
    std::vector<std::string> fields;  // fields[0] is field 3 (state) of proc(5)
    for (std::string field; in >> field;) fields.push_back(field);
    if (fields.size() < 22) throw std::runtime_error("short /proc stat line");
    auto field = [&](int number) { return std::stod(fields.at(static_cast<std::size_t>(number - 3))); };
    ProcessStat stat;
    stat.cpuSeconds = (field(14) + field(15)) / static_cast<double>(ticksPerSecond);
    stat.threads = field(20);
    stat.startTimeSeconds = bootTime + field(22) / static_cast<double>(ticksPerSecond);
    stat.virtualBytes = field(23);
    stat.residentBytes = field(24) * static_cast<double>(pageSize);
    return stat;
}

std::vector<prometheus::MetricFamily> collectProcessMetrics() {
    using prometheus::MetricType;
    std::vector<prometheus::MetricFamily> families;
    try {
        const auto stat = parseProcessStat(readFile("/proc/self/stat"), bootTimeSeconds(), sysconf(_SC_CLK_TCK),
                                           sysconf(_SC_PAGESIZE));
        families.push_back(family("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                                  MetricType::Counter, stat.cpuSeconds));
        families.push_back(family("process_resident_memory_bytes", "Resident memory size in bytes.", MetricType::Gauge,
                                  stat.residentBytes));
        families.push_back(family("process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType::Gauge,
                                  stat.virtualBytes));
        families.push_back(family("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
                                  MetricType::Gauge, stat.startTimeSeconds));
        families.push_back(family("process_threads", "Number of OS threads in the process.", MetricType::Gauge,
                                  stat.threads));
    } catch (const std::exception&) {
        // /proc unavailable: the families are simply absent from this scrape.
    }
    if (DIR* directory = ::opendir("/proc/self/fd")) {
        double open = 0;
        while (const dirent* entry = ::readdir(directory)) {
            if (entry->d_name[0] != '.') ++open;
        }
        ::closedir(directory);
        families.push_back(family("process_open_fds", "Number of open file descriptors.", MetricType::Gauge,
                                  open - 1));  // minus the one opendir itself holds
    }
    // The allocator's own figures: resident memory also counts code, stacks and pages touched
    // once, so only these tell a heap that grows under steady load from one that has settled.
    // mallinfo2 walks the arenas under their locks: fine at scrape time, never per request.
    const struct mallinfo2 heap = ::mallinfo2();
    families.push_back(family("keel_heap_in_use_bytes",
                              "Heap bytes handed out by malloc and not yet freed (glibc mallinfo2: uordblks + hblkhd).",
                              MetricType::Gauge, static_cast<double>(heap.uordblks + heap.hblkhd)));
    families.push_back(family("keel_heap_held_bytes",
                              "Heap bytes malloc holds from the system, in use or free (glibc mallinfo2: arena + hblkhd).",
                              MetricType::Gauge, static_cast<double>(heap.arena + heap.hblkhd)));
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
        families.push_back(family("process_max_fds", "Maximum number of open file descriptors.", MetricType::Gauge,
                                  static_cast<double>(limit.rlim_cur)));
    }
    return families;
}

}  // namespace keel::plugins::metrics
