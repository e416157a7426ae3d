// sigwait loop. SIGUSR2 is used internally to end the loop when the watcher is destroyed.
#include "signal_watcher.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace keel::host {

namespace {
sigset_t watchedSignals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR2);
    return set;
}
}  // namespace

void SignalWatcher::blockSignals() {
    const sigset_t set = watchedSignals();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    ::signal(SIGPIPE, SIG_IGN);  // a client closing early must not kill the process
}

SignalWatcher::SignalWatcher(std::function<void()> onReload)
    : onReload_(std::move(onReload)), thread_([this] { run(); }) {}

SignalWatcher::~SignalWatcher() {
    pthread_kill(thread_.native_handle(), SIGUSR2);
    thread_.join();
}

void SignalWatcher::run() {
    const sigset_t set = watchedSignals();
    while (true) {
        int signal = 0;
        if (sigwait(&set, &signal) != 0) continue;
        if (signal == SIGUSR2) return;
        if (signal == SIGHUP) {
            if (onReload_) onReload_();
            continue;
        }
        std::unique_lock<std::mutex> lock(mutex_);
        if (shutdownRequested_) {
            const char message[] = "keel: second termination signal, exiting immediately\n";
            [[maybe_unused]] auto written = ::write(STDERR_FILENO, message, sizeof message - 1);
            std::_Exit(128 + signal);
        }
        shutdownRequested_ = true;
        changed_.notify_all();
    }
}

void SignalWatcher::waitForShutdown() {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [this] { return shutdownRequested_; });
}

void SignalWatcher::requestShutdown() {
    std::lock_guard<std::mutex> lock(mutex_);
    shutdownRequested_ = true;
    changed_.notify_all();
}

}  // namespace keel::host
