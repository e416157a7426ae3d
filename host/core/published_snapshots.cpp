// The in-flight scan over published snapshots, shared by unloads and /admin/plugins.
#include "published_snapshots.h"

#include <algorithm>
#include <thread>

namespace keel::host {

void PublishedSnapshots::add(const std::shared_ptr<const PipelineSnapshot>& snapshot) {
    std::lock_guard<std::mutex> lock(mutex_);
    snapshots_.erase(std::remove_if(snapshots_.begin(), snapshots_.end(), [](const auto& s) { return s.expired(); }),
                     snapshots_.end());
    snapshots_.push_back(snapshot);
}

PublishedSnapshots::Usage PublishedSnapshots::usage(const LoadedPlugin& plugin) const {
    Usage usage;
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& weak : snapshots_) {
        const auto snapshot = weak.lock();
        if (!snapshot || !snapshot->references(&plugin)) continue;
        ++usage.snapshots;
        usage.requests += snapshot->active();
    }
    return usage;
}

int PublishedSnapshots::inFlight(const LoadedPlugin& plugin) const { return usage(plugin).requests; }

bool PublishedSnapshots::waitUntilIdle(const LoadedPlugin& plugin,
                                       std::chrono::steady_clock::time_point deadline) const {
    // An admin request unloading this plugin runs in a snapshot that references it: not its own wait.
    const PipelineSnapshot* own = currentThreadSnapshot();
    const int ownRequests = own != nullptr && own->references(&plugin) ? 1 : 0;
    while (true) {
        const Usage now = usage(plugin);
        // A snapshot whose last request just let go can be expired here yet still be destroyed on
        // that request's thread: only its count dropping (release/acquire) orders that request's
        // work before what the unload does next.
        if (now.requests <= ownRequests && plugin.liveSnapshots.load(std::memory_order_acquire) == now.snapshots) {
            return true;
        }
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

}  // namespace keel::host
