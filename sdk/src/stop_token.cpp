// Stop token shared between the host (which stops) and a task (which waits).
#include "keel/stop_token.h"

#include <condition_variable>
#include <mutex>

namespace keel {

struct StopToken::State {
    std::mutex mutex;
    std::condition_variable changed;
    bool stopped = false;
};

StopToken::StopToken() : state_(std::make_shared<State>()) {}

bool StopToken::stopRequested() const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    return state_->stopped;
}

bool StopToken::waitFor(std::chrono::milliseconds timeout) const {
    std::unique_lock<std::mutex> lock(state_->mutex);
    return state_->changed.wait_for(lock, timeout, [this] { return state_->stopped; });
}

void StopToken::requestStop() {
    {
        std::lock_guard<std::mutex> lock(state_->mutex);
        state_->stopped = true;
    }
    state_->changed.notify_all();
}

}  // namespace keel
