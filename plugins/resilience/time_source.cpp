// System and manual time sources.
#include "time_source.h"

#include <thread>

namespace keel::plugins::resilience {

void SystemTimeSource::sleepUntil(Clock::time_point until) { std::this_thread::sleep_until(until); }

Clock::time_point ManualTimeSource::now() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return now_;
}

void ManualTimeSource::sleepUntil(Clock::time_point until) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (until > now_) {
        sleeps_.push_back(until - now_);
        now_ = until;
    } else {
        sleeps_.push_back(Clock::duration::zero());
    }
}

void ManualTimeSource::advance(Clock::duration by) {
    std::lock_guard<std::mutex> lock(mutex_);
    now_ += by;
}

std::vector<Clock::duration> ManualTimeSource::sleeps() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return sleeps_;
}

}  // namespace keel::plugins::resilience
