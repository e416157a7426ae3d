// Entry point of every request, whatever received it: pins the current pipeline snapshot for the
// request's whole life and counts requests in flight, so shutdown and unload know when the old
// code is idle (a listener cannot tell when handlers finish; see docs/design-notes.md). Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <utility>

#include "keel/request.h"
#include "keel/response.h"
#include "pipeline.h"
#include "plugin_manager.h"

namespace keel::host {

class Dispatcher {
public:
    // A request counted in flight until destroyed, and routed once to learn where it runs. Made
    // where the request was read. A non-blocking one stays in the snapshot it was routed in and
    // runs at once on that thread; any other leaves it and enters the snapshot current when a
    // worker runs it. Movable; the request must outlive it.
    class Admission {
    public:
        Admission() = default;
        Admission(Admission&& other) noexcept { *this = std::move(other); }
        Admission& operator=(Admission&& other) noexcept;
        ~Admission() { release(); }
        // The route and its listener's middleware never block (Route::nonBlocking).
        bool nonBlocking() const { return nonBlocking_; }

    private:
        friend class Dispatcher;
        void leave();    // the snapshot, if entered
        void release();  // and the in-flight count

        Dispatcher* dispatcher_ = nullptr;
        Request* request_ = nullptr;
        std::shared_ptr<const PipelineSnapshot> snapshot_;
        PipelineSnapshot::Routed routed_;
        bool nonBlocking_ = false;
    };

    explicit Dispatcher(PluginManager& plugins) : plugins_(plugins) {}

    Admission admit(Request& request);
    // Runs an admitted request on the calling thread; `admission` is spent afterwards.
    void run(Admission& admission, Response& response);
    void dispatch(Request& request, Response& response) {
        auto admission = admit(request);
        run(admission, response);
    }

    int inFlight() const { return inFlight_.load(); }
    std::uint64_t served() const { return served_.load(); }
    // Waits until no request is in flight; false when `deadline` passed first.
    bool waitIdle(std::chrono::steady_clock::time_point deadline);

private:
    // Enters the current snapshot (retrying while it is replaced) and routes the request there.
    void enterCurrent(Admission& admission);

    PluginManager& plugins_;
    std::atomic<int> inFlight_{0};
    std::atomic<std::uint64_t> served_{0};
    std::mutex mutex_;
    std::condition_variable idle_;
};

}  // namespace keel::host
