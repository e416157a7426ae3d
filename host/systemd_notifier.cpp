// sd_notify messages and the watchdog loop.
#include "systemd_notifier.h"

#include <systemd/sd-daemon.h>

#include <cstdlib>

namespace keel::host {

SystemdNotifier::SystemdNotifier(std::shared_ptr<spdlog::logger> logger)
    : logger_(std::move(logger)), enabled_(std::getenv("NOTIFY_SOCKET") != nullptr) {}

SystemdNotifier::~SystemdNotifier() { stopWatchdog(); }

void SystemdNotifier::stopWatchdog() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    stop_.notify_all();
    if (watchdog_.joinable()) watchdog_.join();
}

void SystemdNotifier::send(const std::string& message) {
    if (!enabled_) return;
    const int result = sd_notify(0, message.c_str());
    if (result < 0) logger_->warn("sd_notify failed ({}): {}", result, message);
}

void SystemdNotifier::ready(const std::string& status) { send("READY=1\nSTATUS=" + status); }
void SystemdNotifier::reloading() { send("RELOADING=1\nSTATUS=reloading the configuration"); }
void SystemdNotifier::stopping() {
    stopWatchdog();
    send("STOPPING=1\nSTATUS=draining and stopping");
}
void SystemdNotifier::status(const std::string& status) { send("STATUS=" + status); }

void SystemdNotifier::startWatchdog(std::function<bool(std::chrono::milliseconds)> healthy,
                                    std::function<std::string()> summary) {
    std::uint64_t usec = 0;
    if (!enabled_ || sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return;
    const auto half = std::chrono::milliseconds(std::max<std::uint64_t>(1, usec / 2000));
    logger_->info("systemd watchdog: pinging every {}ms while /live answers", half.count());
    watchdog_ = std::thread([this, half, healthy = std::move(healthy), summary = std::move(summary)] {
        std::unique_lock<std::mutex> lock(mutex_);
        while (!stop_.wait_for(lock, half, [this] { return stopping_; })) {
            lock.unlock();
            // The probe must end before the next beat: half of the half interval.
            if (healthy(half / 2)) {
                send("WATCHDOG=1\nSTATUS=" + summary());
            } else {
                logger_->error("systemd watchdog: /live did not answer, or every worker is stuck; not pinging");
            }
            lock.lock();
        }
    });
}

}  // namespace keel::host
