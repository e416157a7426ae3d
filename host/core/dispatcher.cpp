// Snapshot pinning and in-flight accounting around the pipeline.
#include "dispatcher.h"

namespace keel::host {

void Dispatcher::enterCurrent(Admission& admission) {
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
        admission.routed_ = admission.snapshot_->route(*admission.request_);
    } catch (...) {
        // Out of memory while matching: run() answers from an empty match (404) rather than the
        // I/O thread that admitted it failing.
        admission.routed_ = {};
    }
}

Dispatcher::Admission Dispatcher::admit(Request& request) {
    Admission admission;
    inFlight_.fetch_add(1);
    admission.dispatcher_ = this;
    admission.request_ = &request;
    enterCurrent(admission);
    admission.nonBlocking_ = admission.routed_.nonBlocking;
    if (!admission.nonBlocking_) {
        // Bound for a worker: it enters the snapshot current when it starts. A queued request that
        // held one would make an unload wait for it, and an unload runs on a worker too: one queued
        // behind it would hold it up until its drain timeout.
        admission.leave();
    }
    return admission;
}

void Dispatcher::run(Admission& admission, Response& response) {
    if (admission.dispatcher_ != this) return;
    if (!admission.snapshot_) enterCurrent(admission);
    {
        struct CurrentSnapshot {
            explicit CurrentSnapshot(const PipelineSnapshot* snapshot) { setCurrentThreadSnapshot(snapshot); }
            ~CurrentSnapshot() { setCurrentThreadSnapshot(nullptr); }
        } current(admission.snapshot_.get());
        admission.snapshot_->run(admission.routed_, *admission.request_, response);
    }
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
        nonBlocking_ = std::exchange(other.nonBlocking_, false);
    }
    return *this;
}

void Dispatcher::Admission::leave() {
    if (!snapshot_) return;
    // What plugins of this snapshot put on the request goes before the snapshot is left: the
    // request may be destroyed later on a front-door thread, after a drain let those plugins be
    // unloaded, and a principal made by a plugin releases itself through that plugin's code.
    request_->setPrincipal(nullptr);
    request_->setAccess(nullptr);
    snapshot_->leave();
    snapshot_.reset();
    routed_ = {};
}

void Dispatcher::Admission::release() {
    if (dispatcher_ == nullptr) return;
    leave();
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
