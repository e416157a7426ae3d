// Snapshot pinning and in-flight accounting around the pipeline.
#include "dispatcher.h"

namespace keel::host {

Dispatcher::Admission Dispatcher::admit(Request& request) {
    Admission admission;
    inFlight_.fetch_add(1);
    admission.dispatcher_ = this;
    admission.request_ = &request;
    // The snapshot (and every plugin it references) lives until this request is answered.
    // Entering, then checking it is still current, means an unload that published a newer
    // snapshot either sees this request counted or this request moves to the newer snapshot.
    while (true) {
        admission.snapshot_ = plugins_.snapshot();
        admission.snapshot_->enter();
        if (admission.snapshot_ == plugins_.snapshot()) break;
        admission.snapshot_->leave();
    }
    try {
        admission.routed_ = admission.snapshot_->route(request);
    } catch (...) {
        // Out of memory while matching: run() answers from an empty match (404) rather than the
        // I/O thread that admitted it failing.
        admission.routed_ = {};
    }
    return admission;
}

void Dispatcher::run(Admission& admission, Response& response) {
    if (admission.dispatcher_ != this) return;
    struct CurrentSnapshot {
        explicit CurrentSnapshot(const PipelineSnapshot* snapshot) { setCurrentThreadSnapshot(snapshot); }
        ~CurrentSnapshot() { setCurrentThreadSnapshot(nullptr); }
    } current(admission.snapshot_.get());
    admission.snapshot_->run(admission.routed_, *admission.request_, response);
    served_.fetch_add(1);
    admission.release();
}

Dispatcher::Admission& Dispatcher::Admission::operator=(Admission&& other) noexcept {
    if (this != &other) {
        release();
        dispatcher_ = std::exchange(other.dispatcher_, nullptr);
        request_ = std::exchange(other.request_, nullptr);
        snapshot_ = std::move(other.snapshot_);
        routed_ = std::move(other.routed_);
    }
    return *this;
}

void Dispatcher::Admission::release() {
    if (dispatcher_ == nullptr) return;
    // What plugins of this snapshot put on the request goes before the snapshot is left: the
    // request may be destroyed later on a front-door thread, after a drain let those plugins be
    // unloaded, and a principal made by a plugin releases itself through that plugin's code.
    request_->setPrincipal(nullptr);
    request_->setAccess(nullptr);
    snapshot_->leave();
    snapshot_.reset();
    routed_ = {};
    auto* dispatcher = std::exchange(dispatcher_, nullptr);
    if (dispatcher->inFlight_.fetch_sub(1) == 1) {
        std::lock_guard<std::mutex> lock(dispatcher->mutex_);
        dispatcher->idle_.notify_all();
    }
}

bool Dispatcher::waitIdle(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(mutex_);
    return idle_.wait_until(lock, deadline, [this] { return inFlight_.load() == 0; });
}

}  // namespace keel::host
