// The metrics plugin: GET /metrics (Prometheus text format) on the admin listener and the HTTP
// request metrics middleware on every listener.
#include <memory>
#include <sstream>

#include <keel/plugin.h>
#include <prometheus/text_serializer.h>

#include "http_metrics.h"
#include "process_metrics.h"

namespace keel::plugins::metrics {

class MetricsPlugin final : public Plugin {
public:
    static constexpr PluginInfo kInfo{"metrics", "1.0.0", "Prometheus metrics endpoint and HTTP request metrics",
                                      nullptr};

    void configure(Registrar& registrar) override {
        registrar.declare(ConfigKey::string("buckets", "0.005,0.01,0.025,0.05,0.1,0.25,0.5,1,2.5,5,10",
                                            "Upper bounds (seconds) of http_server_request_duration_seconds."));
        registrar.declare(ConfigKey::string("listener", kAdminListener, "Listener serving GET /metrics.")
                              .oneOf({kPublicListener, kAdminListener}));
        const Settings& settings = registrar.settings();
        std::vector<double> buckets;
        try {
            buckets = HttpMetrics::parseBuckets(settings.getString("buckets"));
        } catch (const std::invalid_argument& error) {
            throw ConfigError("metrics.buckets = \"" + settings.getString("buckets") +
                              "\": expected strictly increasing positive numbers separated by commas (" +
                              error.what() + ")");
        }
        http_ = std::make_unique<HttpMetrics>(registrar.metrics(), std::move(buckets));

        registrar.addMiddleware({"http-metrics", 110, [this](Request& request, Response& response, const Next& next) {
                                     http_->observe(request, response, next);
                                 }});
        registrar.addRoute({"GET", "/metrics",
                            [this](Request&, Response& response) {
                                auto families = context_->collectMetrics();
                                for (auto& family : collectProcessMetrics()) families.push_back(std::move(family));
                                response.send(200, prometheus::TextSerializer().Serialize(families),
                                              "text/plain; version=0.0.4; charset=utf-8");
                            },
                            {settings.getString("listener")}});
    }

    void start(Context& context) override { context_ = &context; }

private:
    std::unique_ptr<HttpMetrics> http_;
    Context* context_ = nullptr;
};

}  // namespace keel::plugins::metrics

KEEL_PLUGIN(keel::plugins::metrics::MetricsPlugin)
