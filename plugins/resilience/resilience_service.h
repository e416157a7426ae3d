// The published service: pipelines by name, built from configuration on first use.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <spdlog/logger.h>
#include <string>

#include <keel/resilience.h>

#include "resilience_pipeline.h"

namespace keel::plugins::resilience {

class ResilienceRegistry final : public keel::resilience::ResilienceService {
public:
    ResilienceRegistry(std::map<std::string, PolicyConfig> policies, TimeSource& time,
                       std::shared_ptr<spdlog::logger> logger, ResilienceMetrics* metrics);

    std::shared_ptr<keel::resilience::Pipeline> pipeline(const std::string& name) override;
    // The pipeline `name` if it exists already (configured pipelines always do).
    std::shared_ptr<ResiliencePipeline> find(const std::string& name) const;
    std::vector<std::shared_ptr<ResiliencePipeline>> all() const;

private:
    std::shared_ptr<ResiliencePipeline> create(const std::string& name, const PolicyConfig& config);

    std::map<std::string, PolicyConfig> policies_;
    TimeSource& time_;
    std::shared_ptr<spdlog::logger> logger_;
    ResilienceMetrics* metrics_;
    mutable std::mutex mutex_;
    std::map<std::string, std::shared_ptr<ResiliencePipeline>> pipelines_;
};

}  // namespace keel::plugins::resilience
