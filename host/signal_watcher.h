// Turns SIGTERM/SIGINT/SIGHUP into events on a dedicated thread (sigwait), so shutdown and
// reload run as ordinary code rather than inside a signal handler. A second SIGTERM/SIGINT
// during shutdown exits at once. blockSignals() must run before any other thread exists.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace keel::host {

class SignalWatcher {
public:
    // Blocks the watched signals in the calling thread (and so in every thread it creates).
    static void blockSignals();

    explicit SignalWatcher(std::function<void()> onReload);
    ~SignalWatcher();

    // Returns when SIGTERM or SIGINT arrived (or requestShutdown() was called).
    void waitForShutdown();
    void requestShutdown();

private:
    void run();

    std::function<void()> onReload_;
    std::mutex mutex_;
    std::condition_variable changed_;
    bool shutdownRequested_ = false;
    std::thread thread_;
};

}  // namespace keel::host
