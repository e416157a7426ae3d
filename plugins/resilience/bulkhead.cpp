// Bulkhead slots and the bounded wait queue.
#include "bulkhead.h"

#include <algorithm>

namespace keel::plugins::resilience {

bool Bulkhead::tryEnter(Clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (inUse_ < config_.maxConcurrent && waiting_ == 0) {
        ++inUse_;
        return true;
    }
    if (waiting_ >= config_.maxQueue || config_.maxWait.count() <= 0) return false;
    const auto until = std::min(deadline, Clock::now() + config_.maxWait);
    ++waiting_;
    const bool entered = freed_.wait_until(lock, until, [this] { return inUse_ < config_.maxConcurrent; });
    --waiting_;
    if (entered) ++inUse_;
    return entered;
}

void Bulkhead::leave() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        --inUse_;
    }
    freed_.notify_one();
}

int Bulkhead::inUse() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return inUse_;
}

int Bulkhead::waiting() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return waiting_;
}

}  // namespace keel::plugins::resilience
