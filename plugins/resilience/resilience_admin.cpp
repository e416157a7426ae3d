// Admin view and breaker overrides.
#include "resilience_admin.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <keel/problem.h>


namespace keel::plugins::resilience {

namespace {

using Object = Poco::JSON::Object;

Object::Ptr describe(const ResiliencePipeline& pipeline, CircuitBreaker& breaker) {
    const auto& config = pipeline.config();
    Object::Ptr policy = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    policy->set("max_concurrent", config.bulkhead.maxConcurrent);
    policy->set("max_queue", config.bulkhead.maxQueue);
    policy->set("max_wait_ms", static_cast<Poco::Int64>(config.bulkhead.maxWait.count()));
    policy->set("timeout_ms", static_cast<Poco::Int64>(config.timeout.count()));
    policy->set("attempt_timeout_ms", static_cast<Poco::Int64>(config.attemptTimeout.count()));
    policy->set("max_attempts", config.retry.maxAttempts);
    policy->set("backoff_base_ms", static_cast<Poco::Int64>(config.retry.baseDelay.count()));
    policy->set("backoff_max_ms", static_cast<Poco::Int64>(config.retry.maxDelay.count()));
    policy->set("retry_budget_ratio", config.retry.budgetRatio);
    policy->set("breaker_window",
                config.breaker.window == CircuitBreakerConfig::Window::Time ? std::string("time") : std::string("count"));
    policy->set("breaker_window_size", config.breaker.windowSize);
    policy->set("failure_rate_threshold", config.breaker.failureRateThreshold);
    policy->set("slow_call_rate_threshold", config.breaker.slowCallRateThreshold);
    policy->set("slow_call_duration_ms", static_cast<Poco::Int64>(config.breaker.slowCallDuration.count()));
    policy->set("minimum_calls", config.breaker.minimumCalls);
    policy->set("open_duration_ms", static_cast<Poco::Int64>(config.breaker.openDuration.count()));
    policy->set("half_open_calls", config.breaker.halfOpenCalls);
    policy->set("failure_threshold", config.breaker.consecutiveFailures);

    const auto snapshot = breaker.snapshot();
    Object::Ptr breakerState = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    breakerState->set("state", breakerStateName(snapshot.state));
    breakerState->set("calls_in_window", snapshot.calls);
    breakerState->set("failure_rate", snapshot.failureRate);
    breakerState->set("slow_call_rate", snapshot.slowCallRate);
    breakerState->set("consecutive_failures", snapshot.consecutiveFailures);
    if (snapshot.untilTrial) breakerState->set("next_trial_in_ms", static_cast<Poco::Int64>(snapshot.untilTrial->count()));
    Object::Ptr bulkhead = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    bulkhead->set("in_use", pipeline.bulkhead().inUse());
    bulkhead->set("waiting", pipeline.bulkhead().waiting());

    Object::Ptr item = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    item->set("name", pipeline.name());
    item->set("policy", policy);
    item->set("breaker", breakerState);
    item->set("bulkhead", bulkhead);
    return item;
}

}  // namespace

std::vector<Route> adminRoutes(ResilienceRegistry& registry, const RateLimitMiddleware* rateLimit) {
    const std::vector<std::string> admin{kAdminListener};
    std::vector<Route> routes;
    routes.push_back(Route{"GET", "/admin/resilience",
                           [&registry, rateLimit](Request&, Response& response) {
                               Poco::JSON::Array::Ptr pipelines = new Poco::JSON::Array();
                               for (const auto& pipeline : registry.all()) {
                                   pipelines->add(describe(*pipeline, pipeline->breaker()));
                               }
                               Object body(Poco::JSON_PRESERVE_KEY_ORDER);
                               body.set("pipelines", pipelines);
                               Object::Ptr limit = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
                               limit->set("enabled", rateLimit != nullptr);
                               if (rateLimit != nullptr) {
                                   const auto& settings = rateLimit->settings();
                                   limit->set("rps", settings.limits.rate);
                                   limit->set("burst", settings.limits.burst);
                                   limit->set("per_key_rps", settings.limits.perKeyRate);
                                   limit->set("per_key_burst", settings.limits.perKeyBurst);
                                   limit->set("key", settings.key);
                                   limit->set("remembered_keys", static_cast<Poco::UInt64>(rateLimit->rememberedKeys()));
                                   limit->set("tokens", rateLimit->globalTokens());
                               }
                               body.set("rate_limit", limit);
                               response.sendJson(200, body);
                           },
                           admin});
    routes.push_back(Route{
        "POST", "/admin/resilience/{pipeline}/breaker",
        [&registry](Request& request, Response& response) {
            const auto pipeline = registry.find(request.pathParameter("pipeline"));
            if (!pipeline) {
                throw HttpError(404, "Not Found", "no pipeline named " + request.pathParameter("pipeline"));
            }
            std::string state;
            try {
                auto body = Poco::JSON::Parser().parse(request.body()).extract<Object::Ptr>();
                state = body->optValue<std::string>("state", "");
            } catch (const Poco::Exception& error) {
                throw HttpError(400, "Bad Request", "expected {\"state\": \"open\" | \"closed\" | \"auto\"}: " +
                                                        error.message());
            }
            if (state == "open") {
                pipeline->breaker().force(BreakerState::ForcedOpen);
            } else if (state == "closed") {
                pipeline->breaker().force(BreakerState::ForcedClosed);
            } else if (state == "auto") {
                pipeline->breaker().release();
            } else {
                throw HttpError(400, "Bad Request", "\"state\" must be \"open\", \"closed\" or \"auto\"");
            }
            response.sendJson(200, *describe(*pipeline, pipeline->breaker()));
        },
        admin});
    return routes;
}

}  // namespace keel::plugins::resilience
