// An out-of-tree example plugin built against the installed SDK only: a route with a path
// parameter, a configuration key and a counter.
#include <keel/plugin.h>
#include <keel/problem.h>

namespace greeter {

class GreeterPlugin final : public keel::Plugin {
public:
    static constexpr keel::PluginInfo kInfo{"greeter", "1.0.0", "Greets from outside the Keel tree", nullptr};

    void configure(keel::Registrar& registrar) override {
        registrar.declare(keel::ConfigKey::string("salutation", "Greetings", "First word of the greeting."));
        salutation_ = registrar.settings().getString("salutation");
        auto& greeted = registrar.metrics().counter("greeter_greetings_total", "Greetings served.").Add({});
        registrar.get("/greet/{name}", [this, &greeted](keel::Request& request, keel::Response& response) {
            const std::string& name = request.pathParameter("name");
            if (name.size() > 64) throw keel::HttpError(400, "Invalid name", "a name is at most 64 characters");
            greeted.Increment();
            response.send(200, salutation_ + ", " + name + "!");
        });
    }

private:
    std::string salutation_;
};

}  // namespace greeter

KEEL_PLUGIN(greeter::GreeterPlugin)
