// Entry point of every request, whatever received it: pins the current pipeline snapshot for the
// request's whole life and counts requests in flight, so shutdown and unload know when the old
// code is idle (a listener cannot tell when handlers finish; see docs/design-notes.md). Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "keel/request.h"
#include "keel/response.h"
#include "plugin_manager.h"

namespace keel::host {

class Dispatcher {
public:
    explicit Dispatcher(PluginManager& plugins) : plugins_(plugins) {}

    void dispatch(Request& request, Response& response);
    int inFlight() const { return inFlight_.load(); }
    std::uint64_t served() const { return served_.load(); }
    // Waits until no request is in flight; false when `deadline` passed first.
    bool waitIdle(std::chrono::steady_clock::time_point deadline);

private:
    PluginManager& plugins_;
    std::atomic<int> inFlight_{0};
    std::atomic<std::uint64_t> served_{0};
    std::mutex mutex_;
    std::condition_variable idle_;
};

}  // namespace keel::host
