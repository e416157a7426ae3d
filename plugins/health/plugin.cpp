// The health plugin: /health (aggregated checks), /ready and /live on every listener.
#include <memory>

#include <keel/plugin.h>

#include "health_report.h"
#include "health_settings.h"

namespace keel::plugins::health {

namespace {
constexpr const char* kHealthJson = "application/health+json";

void sendStatus(Response& response, bool pass, const std::string& output) {
    std::string body = std::string("{\"status\":\"") + (pass ? "pass" : "fail") + "\"";
    if (!output.empty()) body += ",\"output\":\"" + output + "\"";
    body += "}";
    response.send(pass ? 200 : 503, body, kHealthJson);
    response.setHeader("Cache-Control", "no-store");
}
}  // namespace

class HealthPlugin final : public Plugin {
public:
    static constexpr PluginInfo kInfo{"health", "1.0.0", "Health, readiness and liveness endpoints", nullptr};

    void configure(Registrar& registrar) override {
        for (auto& key : healthKeys()) registrar.declare(std::move(key));
        const HealthSettings settings = readHealthSettings(registrar.settings());
        const auto ttl = settings.cacheTtl;
        readyTtl_ = settings.readyCache;
        const std::vector<std::string> everywhere{kPublicListener, kAdminListener};

        registrar.addRoute({"GET", "/health",
                            [this](Request& request, Response& response) {
                                sendReports(request, response, probe_->get());
                            },
                            everywhere});
        // Ready: the host is started and not draining, and every readiness check (a database
        // ping, cached for ready_cache) passes; a failing one is named on the admin listener.
        registrar.addRoute({"GET", "/ready",
                            [this](Request& request, Response& response) {
                                if (!host_->ready()) {
                                    sendStatus(response, false, host_->draining() ? "draining" : "starting");
                                    return;
                                }
                                const auto reports = readiness_->get();
                                if (aggregateStatus(reports) != HealthStatus::Fail) {
                                    sendStatus(response, true, "");
                                    return;
                                }
                                sendReports(request, response, reports);
                            },
                            everywhere});
        // Answering at all proves the dispatcher is responsive.
        // Non-blocking, so it answers on the I/O thread even when every worker is busy: a busy
        // host is alive. /health and /ready may run their checks, so they wait for a worker.
        registrar.addRoute({"GET", "/live", [](Request&, Response& response) { sendStatus(response, true, ""); },
                            everywhere})
            .markNonBlocking();
        ttl_ = ttl;
    }

    void start(Context& context) override {
        host_ = &context.hostState();
        HealthChecks* checks = &context.healthChecks();
        probe_ = std::make_unique<CachedProbe>(ttl_, [checks] { return checks->runAll(); });
        readiness_ = std::make_unique<CachedProbe>(readyTtl_, [checks] { return checks->runReadiness(); });
    }

private:
    void sendReports(const Request& request, Response& response, const std::vector<HealthCheckReport>& reports) const {
        const auto overall = aggregateStatus(reports);
        const auto detail = request.listener() == kAdminListener ? HealthDetail::Full : HealthDetail::Public;
        // The instance id names a host: the admin listener shows it, the public one does not.
        const std::string instance = detail == HealthDetail::Full ? host_->instanceId() : "";
        response.send(httpStatusFor(overall), renderHealth(overall, reports, host_->version(), detail, instance),
                      kHealthJson);
        response.setHeader("Cache-Control", "no-store");
    }

    std::chrono::milliseconds ttl_{1000};
    const HostState* host_ = nullptr;
    std::unique_ptr<CachedProbe> probe_;
    std::chrono::milliseconds readyTtl_{1000};
    std::unique_ptr<CachedProbe> readiness_;
};

}  // namespace keel::plugins::health

KEEL_PLUGIN(keel::plugins::health::HealthPlugin)
