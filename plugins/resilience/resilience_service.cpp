// Pipeline registry.
#include "resilience_service.h"

#include <random>

namespace keel::plugins::resilience {

ResilienceRegistry::ResilienceRegistry(std::map<std::string, PolicyConfig> policies, TimeSource& time,
                                       std::shared_ptr<spdlog::logger> logger, ResilienceMetrics* metrics)
    : policies_(std::move(policies)), time_(time), logger_(std::move(logger)), metrics_(metrics) {
    for (const auto& [name, config] : policies_) pipelines_[name] = create(name, config);
}

std::shared_ptr<ResiliencePipeline> ResilienceRegistry::create(const std::string& name, const PolicyConfig& config) {
    // Full jitter needs a uniform source; one generator per pipeline, guarded (calls are concurrent).
    auto generator = std::make_shared<std::pair<std::mutex, std::mt19937_64>>();
    generator->second.seed(std::random_device{}());
    auto uniform = [generator] {
        std::lock_guard<std::mutex> lock(generator->first);
        return std::uniform_real_distribution<double>(0.0, 1.0)(generator->second);
    };
    return std::make_shared<ResiliencePipeline>(name, config, time_, uniform, logger_,
                                                metrics_ != nullptr ? metrics_->forPipeline(name) : PipelineMetrics{});
}

std::shared_ptr<keel::resilience::Pipeline> ResilienceRegistry::pipeline(const std::string& name) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& pipeline = pipelines_[name];
    if (!pipeline) {
        logger_->warn("pipeline {} is not in resilience.pipelines; it runs with the default policy", name);
        pipeline = create(name, policies_.at("default"));
    }
    return pipeline;
}

std::shared_ptr<ResiliencePipeline> ResilienceRegistry::find(const std::string& name) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto found = pipelines_.find(name);
    return found == pipelines_.end() ? nullptr : found->second;
}

std::vector<std::shared_ptr<ResiliencePipeline>> ResilienceRegistry::all() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::shared_ptr<ResiliencePipeline>> list;
    for (const auto& [name, pipeline] : pipelines_) list.push_back(pipeline);
    return list;
}

}  // namespace keel::plugins::resilience
