// Snapshot pinning and in-flight accounting around the pipeline.
#include "dispatcher.h"

#include "pipeline.h"

namespace keel::host {

void Dispatcher::dispatch(Request& request, Response& response) {
    inFlight_.fetch_add(1);
    struct Done {
        Dispatcher& dispatcher;
        ~Done() {
            dispatcher.served_.fetch_add(1);
            if (dispatcher.inFlight_.fetch_sub(1) == 1) {
                std::lock_guard<std::mutex> lock(dispatcher.mutex_);
                dispatcher.idle_.notify_all();
            }
        }
    } done{*this};
    // The snapshot (and every plugin it references) lives until this request is answered.
    // Entering, then checking it is still current, means an unload that published a newer
    // snapshot either sees this request counted or this request moves to the newer snapshot.
    std::shared_ptr<const PipelineSnapshot> snapshot;
    while (true) {
        snapshot = plugins_.snapshot();
        snapshot->enter();
        if (snapshot == plugins_.snapshot()) break;
        snapshot->leave();
    }
    // What plugins of this snapshot put on the request goes before the snapshot is left: the
    // request may be destroyed later on a front-door thread, after a drain let those plugins be
    // unloaded, and a principal made by a plugin releases itself through that plugin's code.
    struct Running {
        const PipelineSnapshot& snapshot;
        Request& request;
        ~Running() {
            request.setPrincipal(nullptr);
            request.setAccess(nullptr);
            setCurrentThreadSnapshot(nullptr);
            snapshot.leave();
        }
    } running{*snapshot, request};
    setCurrentThreadSnapshot(snapshot.get());
    snapshot->handle(request, response);
}

bool Dispatcher::waitIdle(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(mutex_);
    return idle_.wait_until(lock, deadline, [this] { return inFlight_.load() == 0; });
}

}  // namespace keel::host
