// Time for the policies, injectable so unit tests drive every transition without sleeping.
#pragma once

#include <keel/resilience.h>

#include <mutex>
#include <vector>

namespace keel::plugins::resilience {

using keel::resilience::Clock;

class TimeSource {
public:
    virtual ~TimeSource() = default;
    virtual Clock::time_point now() const = 0;
    // Blocks the caller until `until` (retry backoff).
    virtual void sleepUntil(Clock::time_point until) = 0;
};

class SystemTimeSource final : public TimeSource {
public:
    Clock::time_point now() const override { return Clock::now(); }
    void sleepUntil(Clock::time_point until) override;
};

// For tests: time moves only when told to, and sleeping moves it (and records the sleep).
class ManualTimeSource final : public TimeSource {
public:
    Clock::time_point now() const override;
    void sleepUntil(Clock::time_point until) override;
    void advance(Clock::duration by);
    std::vector<Clock::duration> sleeps() const;

private:
    mutable std::mutex mutex_;
    Clock::time_point now_{std::chrono::hours(1000)};
    std::vector<Clock::duration> sleeps_;
};

}  // namespace keel::plugins::resilience
