// The metrics plugin: GET /metrics (Prometheus text format) on the admin listener and the HTTP
// request metrics middleware on every listener.
#include <memory>
#include <sstream>

#include <keel/plugin.h>
#include <prometheus/text_serializer.h>

#include "http_metrics.h"
#include "metrics_settings.h"
#include "process_metrics.h"

namespace keel::plugins::metrics {

class MetricsPlugin final : public Plugin {
public:
    static constexpr PluginInfo kInfo{"metrics", "1.0.0", "Prometheus metrics endpoint and HTTP request metrics",
                                      nullptr};

    void configure(Registrar& registrar) override {
        for (auto& key : metricsKeys()) registrar.declare(std::move(key));
        MetricsSettings settings = readMetricsSettings(registrar.settings());
        http_ = std::make_unique<HttpMetrics>(registrar.metrics(), std::move(settings.buckets));

        // Lock-free but for the first request of a new series: never blocks.
        Middleware middleware{"http-metrics", 110, [this](Request& request, Response& response, const Next& next) {
                                  http_->observe(request, response, next);
                              }};
        middleware.nonBlocking = true;
        registrar.addMiddleware(std::move(middleware));
        registrar.addRoute({"GET", "/metrics",
                            [this](Request&, Response& response) {
                                http_->publishActive();
                                auto families = context_->collectMetrics();
                                for (auto& family : collectProcessMetrics()) families.push_back(std::move(family));
                                response.send(200, prometheus::TextSerializer().Serialize(families),
                                              "text/plain; version=0.0.4; charset=utf-8");
                            },
                            {settings.listener}});
    }

    void start(Context& context) override { context_ = &context; }

private:
    std::unique_ptr<HttpMetrics> http_;
    Context* context_ = nullptr;
};

}  // namespace keel::plugins::metrics

KEEL_PLUGIN(keel::plugins::metrics::MetricsPlugin)
