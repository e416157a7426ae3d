// Backoff and retry budget.
#include "retry_policy.h"

#include <algorithm>
#include <cmath>

namespace keel::plugins::resilience {

std::chrono::milliseconds backoffDelay(const RetryConfig& config, int retry, const std::function<double()>& uniform01) {
    const double exponential = static_cast<double>(config.baseDelay.count()) * std::pow(2.0, std::max(0, retry - 1));
    const double ceiling = std::min(static_cast<double>(config.maxDelay.count()), exponential);
    return std::chrono::milliseconds(static_cast<long long>(std::floor(ceiling * uniform01())));
}

RetryBudget::RetryBudget(const RetryConfig& config, const TimeSource& time)
    : ratio_(config.budgetRatio), window_(config.budgetWindow), minimum_(config.budgetMinimumRetries), time_(time) {}

RetryBudget::Bucket& RetryBudget::currentLocked() {
    const auto now = time_.now();
    while (!buckets_.empty() && now - buckets_.front().start >= window_) buckets_.pop_front();
    if (buckets_.empty() || now - buckets_.back().start >= std::chrono::seconds(1)) buckets_.push_back(Bucket{now});
    return buckets_.back();
}

void RetryBudget::recordCall() {
    std::lock_guard<std::mutex> lock(mutex_);
    ++currentLocked().calls;
}

bool RetryBudget::tryRetry() {
    std::lock_guard<std::mutex> lock(mutex_);
    Bucket& current = currentLocked();
    int calls = 0;
    int retries = 0;
    for (const auto& bucket : buckets_) {
        calls += bucket.calls;
        retries += bucket.retries;
    }
    const double allowed = std::max(static_cast<double>(minimum_), ratio_ * calls);
    if (retries + 1 > allowed) return false;
    ++current.retries;
    return true;
}

}  // namespace keel::plugins::resilience
