// The sd_notify protocol (libsystemd): READY=1 once listeners are bound and plugins started,
// STATUS= with a short summary, RELOADING=1 ... READY=1 around SIGHUP, STOPPING=1 at shutdown,
// and WATCHDOG=1 at half the watchdog interval — only while a real request to /live through the
// public listener succeeds, so a wedged host stops pinging and systemd restarts it. Without
// NOTIFY_SOCKET every call does nothing. Thread-safe.
#pragma once

#include <spdlog/logger.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace keel::host {

class SystemdNotifier {
public:
    explicit SystemdNotifier(std::shared_ptr<spdlog::logger> logger);
    ~SystemdNotifier();

    bool enabled() const { return enabled_; }
    void ready(const std::string& status);
    void reloading();
    // Also ends the watchdog pings: a draining host stops answering /live on purpose.
    void stopping();
    void status(const std::string& status);
    // Starts the watchdog thread when systemd asked for one (WatchdogSec=). `healthy` is called
    // every half interval; `summary` feeds STATUS= on the same beat.
    void startWatchdog(std::function<bool(std::chrono::milliseconds timeout)> healthy,
                       std::function<std::string()> summary);
    // Ends the pings and joins the thread (idempotent): before what `healthy` reads goes away.
    void stopWatchdog();

private:
    void send(const std::string& message);

    std::shared_ptr<spdlog::logger> logger_;
    bool enabled_ = false;
    std::mutex mutex_;
    std::condition_variable stop_;
    bool stopping_ = false;
    std::thread watchdog_;
};

}  // namespace keel::host
