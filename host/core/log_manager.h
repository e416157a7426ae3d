// Creates every logger in the process (host, access log, one per plugin) on host-owned sinks, so
// no logger or sink code lives in a plugin (docs/design-notes.md), and applies log.level/log.format.
// Thread-safe.
#pragma once

#include <spdlog/logger.h>

#include <atomic>
#include <cstdint>

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "async_log_sink.h"

namespace keel::host {

enum class LogFormat { Text, Json };

class LogManager {
public:
    // Logs to standard error (or the journal under systemd).
    LogManager();
    // Logs to `sink` (tests capture lines with an ostream sink).
    explicit LogManager(const spdlog::sink_ptr& sink);
    ~LogManager();

    void configure(spdlog::level::level_enum level, LogFormat format);
    // server.instance_id, added to every line from now on ("" : none). Set once, at start.
    void setInstance(const std::string& instance);
    LogFormat format() const;
    // Throws std::invalid_argument for an unknown name ("trace" ... "off").
    static spdlog::level::level_enum parseLevel(const std::string& name);

    // The logger `name`, created on first use.
    std::shared_ptr<spdlog::logger> logger(const std::string& name);
    // The access log: its messages are preformatted fields (key=value or JSON members), written
    // by a thread of its own through a bounded queue (log.access_queue_size lines).
    std::shared_ptr<spdlog::logger> accessLogger();
    // Access-log lines dropped because the queue was full; also counted in `counter` when set
    // (nullptr: no longer).
    std::uint64_t accessLinesDropped() const;
    void countAccessDropsIn(prometheus::Counter* counter);
    // Writes everything logged so far, the queued access-log lines included.
    void flush();

private:
    LogManager(spdlog::sink_ptr sink, spdlog::sink_ptr accessTarget);

    mutable std::mutex mutex_;
    spdlog::sink_ptr sink_;
    spdlog::sink_ptr accessTarget_;            // where the access writer writes
    std::shared_ptr<AsyncLogSink> accessSink_;  // what the access logger writes to
    spdlog::level::level_enum level_ = spdlog::level::info;
    // Read by the access log for every request: no lock for it.
    std::atomic<LogFormat> format_{LogFormat::Text};
    std::string instance_;
    std::map<std::string, std::shared_ptr<spdlog::logger>> loggers_;
    std::shared_ptr<spdlog::logger> access_;
};

}  // namespace keel::host
