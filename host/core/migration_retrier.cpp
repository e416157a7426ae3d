#include "migration_retrier.h"

#include <algorithm>

namespace keel::host {

namespace {
constexpr std::chrono::milliseconds kFirstDelay{250};
constexpr std::chrono::milliseconds kMaxDelay{10000};
}  // namespace

MigrationRetrier::MigrationRetrier(Attempt attempt, std::shared_ptr<spdlog::logger> logger)
    : attempt_(std::move(attempt)), logger_(std::move(logger)) {}

MigrationRetrier::~MigrationRetrier() { stop(); }

void MigrationRetrier::add(const std::shared_ptr<LoadedPlugin>& plugin) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;
    waiting_.push_back(plugin);
    if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
    wake_.notify_one();
}

void MigrationRetrier::stop() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
}

void MigrationRetrier::run() {
    auto delay = kFirstDelay;
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
        // Also woken by add(), so a new plugin waits at most the current delay.
        wake_.wait_for(lock, delay, [this] { return stopping_; });
        if (stopping_) break;
        std::vector<std::weak_ptr<LoadedPlugin>> round;
        round.swap(waiting_);
        lock.unlock();
        std::vector<std::weak_ptr<LoadedPlugin>> still;
        for (const auto& entry : round) {
            const auto plugin = entry.lock();
            if (plugin == nullptr) continue;
            bool done = false;
            try {
                done = attempt_(plugin);
            } catch (const std::exception& error) {
                logger_->error("plugin {}: deferred start failed: {}", plugin->name(), error.what());
            }
            if (!done) still.push_back(entry);
        }
        lock.lock();
        const bool progress = still.size() < round.size();
        waiting_.insert(waiting_.end(), still.begin(), still.end());
        delay = progress || waiting_.empty() ? kFirstDelay : std::min(delay * 2, kMaxDelay);
        if (waiting_.empty()) {
            wake_.wait(lock, [this] { return stopping_ || !waiting_.empty(); });
        }
    }
}

}  // namespace keel::host
