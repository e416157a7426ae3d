// Cooperative cancellation for long-running tasks. The host owns the source; the task polls or
// waits on the token. Thread-safe; cheap to copy.
#pragma once

#include <chrono>
#include <memory>

#include "keel/export.h"

namespace keel {

class KEEL_SDK_API StopToken {
public:
    StopToken();
    bool stopRequested() const;
    // Sleeps up to `timeout`; returns true at once when stop is (or becomes) requested.
    bool waitFor(std::chrono::milliseconds timeout) const;
    // Requests the stop and wakes every waiter. Called by the host.
    void requestStop();

private:
    struct State;
    std::shared_ptr<State> state_;
};

}  // namespace keel
