// A test plugin that uses the resilience service the way a third-party plugin would: it calls a
// URL through a named pipeline with the SDK HTTP client and reports what the pipeline decided.
#include <keel/http_client.h>
#include <keel/plugin.h>
#include <keel/problem.h>
#include <keel/resilience.h>

namespace keel::plugins::resilient_caller {

class ResilientCallerPlugin final : public Plugin {
public:
    static constexpr const char* kRequirements[] = {"resilience", nullptr};
    static constexpr PluginInfo kInfo{"resilient_caller", "1.0.0", "Calls a URL through a resilience pipeline",
                                      kRequirements};

    void configure(Registrar& registrar) override {
        registrar.declare(ConfigKey::string("pipeline", "downstream", "Resilience pipeline the calls go through."));
        pipelineName_ = registrar.settings().getString("pipeline");
        registrar.get("/caller/call", [this](Request& request, Response& response) {
            const auto url = request.query("url");
            if (!url) throw HttpError(400, "Missing url", "pass ?url=http://127.0.0.1:port/path");
            int status = 0;
            const auto result = pipeline_->execute([&](const resilience::Attempt& attempt) {
                try {
                    const auto reply = client_.send(ClientRequest{"GET", *url, {}, "", attempt.remaining()});
                    status = reply.status;
                    return resilience::Outcome::fromHttpStatus(reply.status, reply.headers.get("Retry-After"));
                } catch (const HttpClientError& error) {
                    // No answer (refused, reset, timed out): the downstream's failure, worth retrying.
                    return resilience::Outcome::failure(error.what(), true);
                }
            });
            response.sendJson(200, "{\"failure\":\"" + std::string(resilience::failureName(result.failure)) +
                                       "\",\"attempts\":" + std::to_string(result.attempts) +
                                       ",\"status\":" + std::to_string(status) + "}");
        });
    }

    void start(Context& context) override {
        pipeline_ = context.service<resilience::ResilienceService>("resilience")->pipeline(pipelineName_);
    }

    void stop(std::chrono::steady_clock::time_point) override { pipeline_.reset(); }

private:
    std::string pipelineName_;
    std::shared_ptr<resilience::Pipeline> pipeline_;
    HttpClient client_;
};

}  // namespace keel::plugins::resilient_caller

KEEL_PLUGIN(keel::plugins::resilient_caller::ResilientCallerPlugin)
