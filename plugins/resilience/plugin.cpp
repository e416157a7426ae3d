// The resilience plugin: publishes named pipelines as the `resilience` service, guards listeners
// with the rate limiter, and adds /admin/resilience.
#include <memory>

#include <keel/plugin.h>

#include "resilience_settings.h"
#include "rate_limit_middleware.h"
#include "resilience_admin.h"
#include "resilience_service.h"

namespace keel::plugins::resilience {

class ResiliencePlugin final : public Plugin {
public:
    static constexpr PluginInfo kInfo{"resilience", "1.0.0",
                                      "Circuit breaker, retry, timeout, bulkhead and rate limiter", nullptr};

    void configure(Registrar& registrar) override {
        registrar.declare(ConfigKey::string("pipelines", "",
                                            "Named pipelines besides default, comma-separated; each reads "
                                            "[resilience.policy.<name>]."));
        for (auto& key : policyKeysFor("default", {})) registrar.declare(std::move(key));
        for (auto& key : rateLimitKeys()) registrar.declare(std::move(key));
        const auto defaults = policyValues(registrar.settings(), "default");
        std::vector<std::string> names{"default"};
        for (const auto& name : registrar.settings().getList("pipelines")) {
            if (name == "default") continue;  // always there
            for (auto& key : policyKeysFor(name, defaults)) registrar.declare(std::move(key));
            names.push_back(name);
        }
        const Settings& settings = registrar.settings();
        std::map<std::string, PolicyConfig> policies;
        for (const auto& name : names) policies[name] = readPolicy(settings, name);

        metrics_ = std::make_unique<ResilienceMetrics>(registrar.metrics());
        registry_ = std::make_shared<ResilienceRegistry>(std::move(policies), time_, registrar.logger(), metrics_.get());
        registrar.provide<keel::resilience::ResilienceService>("resilience", registry_);

        const auto rateLimit = readRateLimit(settings);
        if (rateLimit.enabled()) {
            rateLimiter_ = std::make_unique<RateLimitMiddleware>(rateLimit, time_, *metrics_, registrar.logger());
            Middleware middleware{"rate-limit", kRateLimitOrder,
                                  [this](Request& request, Response& response, const Next& next) {
                                      rateLimiter_->handle(request, response, next);
                                  },
                                  rateLimit.listeners};
            // Buckets in memory decide at once; a limit shared through Redis waits for its answer.
            middleware.nonBlocking = rateLimit.redisUrl.empty();
            registrar.addMiddleware(std::move(middleware));
        }
        for (auto& route : adminRoutes(*registry_, rateLimiter_.get())) registrar.addRoute(std::move(route));
    }

private:
    SystemTimeSource time_;
    std::unique_ptr<ResilienceMetrics> metrics_;
    std::shared_ptr<ResilienceRegistry> registry_;
    std::unique_ptr<RateLimitMiddleware> rateLimiter_;
};

}  // namespace keel::plugins::resilience

KEEL_PLUGIN(keel::plugins::resilience::ResiliencePlugin)
