// Every pipeline snapshot ever published and still alive: how many requests are running on a
// plugin's code, and whether all of them have left (what an unload waits for). Thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

#include "loaded_plugin.h"
#include "pipeline.h"

namespace keel::host {

class PublishedSnapshots {
public:
    // Remembers `snapshot` (weakly) and forgets the ones no request holds any more.
    void add(const std::shared_ptr<const PipelineSnapshot>& snapshot);
    // Requests in flight in the snapshots that reference `plugin`.
    int inFlight(const LoadedPlugin& plugin) const;
    // Waits until no request runs on `plugin`'s code (the calling request, when it is one, aside)
    // and every snapshot that pinned it is gone or counted; false at `deadline`.
    bool waitUntilIdle(const LoadedPlugin& plugin, std::chrono::steady_clock::time_point deadline) const;

private:
    struct Usage {
        int snapshots = 0;  // alive and referencing the plugin
        int requests = 0;   // in flight in them
    };
    Usage usage(const LoadedPlugin& plugin) const;

    mutable std::mutex mutex_;
    std::vector<std::weak_ptr<const PipelineSnapshot>> snapshots_;
};

}  // namespace keel::host
