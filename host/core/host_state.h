// Readiness and drain state shared by the application, the dispatcher and the health plugin.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "keel/health.h"

namespace keel::host {

class HostStateImpl final : public HostState {
public:
    explicit HostStateImpl(std::string version, std::string instanceId = "")
        : version_(std::move(version)),
          instanceId_(std::move(instanceId)),
          startedAt_(std::chrono::system_clock::now()) {}

    bool ready() const override { return ready_.load() && !draining_.load(); }
    bool draining() const override { return draining_.load(); }
    std::chrono::system_clock::time_point startedAt() const override { return startedAt_; }
    std::string version() const override { return version_; }
    std::string instanceId() const override { return instanceId_; }

    void setReady(bool ready) { ready_.store(ready); }
    void beginDrain() { draining_.store(true); }

    // The configuration files in effect and when they were read (start-up, then each SIGHUP
    // that applied them), for the admin console.
    struct Configuration {
        std::vector<std::string> files;
        std::chrono::system_clock::time_point loadedAt;
    };
    void setConfiguration(Configuration configuration) {
        std::lock_guard<std::mutex> lock(configurationMutex_);
        configuration_ = std::move(configuration);
    }
    Configuration configuration() const {
        std::lock_guard<std::mutex> lock(configurationMutex_);
        return configuration_;
    }

private:
    std::string version_;
    std::string instanceId_;
    std::chrono::system_clock::time_point startedAt_;
    std::atomic<bool> ready_{false};
    std::atomic<bool> draining_{false};
    mutable std::mutex configurationMutex_;
    Configuration configuration_;
};

}  // namespace keel::host
