// Finishes the start of plugins that started without their database: one host thread retries
// their migrations with exponential backoff (250 ms doubling to 10 s) until each succeeds or the
// plugin is gone. Thread-safe.
#pragma once

#include <spdlog/logger.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "loaded_plugin.h"

namespace keel::host {

class MigrationRetrier {
public:
    // `attempt` returns true when the plugin needs no more attempts (done, or unloaded).
    using Attempt = std::function<bool(const std::shared_ptr<LoadedPlugin>&)>;
    MigrationRetrier(Attempt attempt, std::shared_ptr<spdlog::logger> logger);
    ~MigrationRetrier();

    void add(const std::shared_ptr<LoadedPlugin>& plugin);
    // Ends the thread after the attempt under way; add() does nothing afterwards.
    void stop();

private:
    void run();

    const Attempt attempt_;
    std::shared_ptr<spdlog::logger> logger_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    // Weak: an unloaded plugin is not kept alive (its library stays closable) by waiting here.
    std::vector<std::weak_ptr<LoadedPlugin>> waiting_;
    std::thread thread_;  // started with the first plugin
};

}  // namespace keel::host
