// The example plugin: a route with a path parameter, a configuration key, a metric and a
// periodic task. Read it with docs/writing-plugins.md.
#include <atomic>
#include <string>

#include <keel/plugin.h>
#include <keel/problem.h>

#include "greeting.h"

namespace keel::plugins::hello {

class HelloPlugin final : public Plugin {
public:
    static constexpr PluginInfo kInfo{"hello", "1.0.0", "Greets people by name", nullptr};

    void configure(Registrar& registrar) override {
        registrar.declare(ConfigKey::string("greeting", "Hello", "Word the greeting starts with."));
        registrar.declare(ConfigKey::duration("heartbeat_interval", "30s", "How often the heartbeat task runs.")
                              .atLeast(10));
        const Settings& settings = registrar.settings();
        greeting_ = settings.getString("greeting");

        auto& greetings = registrar.metrics().counter("hello_greetings_total", "Greetings served.");
        auto& greeted = greetings.Add({});
        auto& heartbeats = registrar.metrics().counter("hello_heartbeats_total", "Heartbeat task runs.").Add({});
        auto logger = registrar.logger();

        registrar.get("/hello/{name}", [this, &greeted](Request& request, Response& response) {
            const std::string& name = request.pathParameter("name");
            if (!isValidName(name)) {
                throw HttpError(400, "Invalid name", "a name is 1-64 letters, digits, spaces, '-' or '_'");
            }
            greeted.Increment();
            response.sendJson(200, greetingJson(greeting_, name));
        }).markNonBlocking();  // no I/O: answered on the I/O thread that read the request

        registrar.addPeriodicTask({"heartbeat", settings.getDuration("heartbeat_interval"),
                                   std::chrono::milliseconds(1000), false, [logger, &heartbeats] {
                                       heartbeats.Increment();
                                       logger->debug("heartbeat");
                                   }});
    }

private:
    std::string greeting_;
};

}  // namespace keel::plugins::hello

KEEL_PLUGIN(keel::plugins::hello::HelloPlugin)
