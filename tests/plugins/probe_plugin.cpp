// A plugin built several ways for tests: its name, requirements, ABI number and fingerprint
// come from compile definitions, and configuration decides where it fails.
#include <pthread.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>

#include <keel/http_client.h>
#include <keel/plugin.h>
#include <keel/problem.h>

#ifndef PROBE_NAME
#error "PROBE_NAME must be defined"
#endif
#ifndef PROBE_VERSION
#define PROBE_VERSION "1.0.0"
#endif
#ifndef PROBE_REPLY
#define PROBE_REPLY "v1"
#endif

#ifdef PROBE_MISSING_SYMBOL
extern "C" void keel_symbol_nobody_defines();
#endif

#ifdef PROBE_CONSTRUCTOR_MARKER
#include <cstdio>
// A hostile file: code that runs the moment the library is mapped, before any descriptor could
// be checked through dlsym. Keel must refuse the file without mapping it: the marker never appears.
__attribute__((constructor)) static void probeWritesWhenMapped() {
    if (std::FILE* marker = std::fopen(PROBE_CONSTRUCTOR_MARKER, "w")) std::fclose(marker);
}
#endif

namespace keel::plugins::probe {

// What the probe publishes for a consumer plugin to find.
class Echo {
public:
    static constexpr const char* kInterfaceId = "keel.test.echo/1";
    virtual ~Echo() = default;
    virtual std::string echo(const std::string& text) const = 0;
};

class EchoService final : public Echo {
public:
    std::string echo(const std::string& text) const override { return std::string(PROBE_NAME) + ":" + text; }
};

#ifdef PROBE_REQUIRES
static constexpr const char* kRequirements[] = {PROBE_REQUIRES, nullptr};
#define PROBE_REQUIREMENTS kRequirements
#else
#define PROBE_REQUIREMENTS nullptr
#endif

inline void sendThreadName(const Request& request, Response& response) {
    char name[16] = {};
    pthread_getname_np(pthread_self(), name, sizeof name);
    const auto n = request.query("n");
    response.send(200, std::string(name) + (n ? " #" + *n : ""));
}

class ProbePlugin final : public Plugin {
public:
    static constexpr PluginInfo kInfo{PROBE_NAME, PROBE_VERSION, "Test probe", PROBE_REQUIREMENTS};

    void configure(Registrar& registrar) override {
        registrar.declare(ConfigKey::string("fail_in", "", "Lifecycle step that throws: configure or start.")
                              .oneOf({"", "configure", "start"}));
        registrar.declare(ConfigKey::integer("middleware_order", 150, "Order of the probe's middleware.").atLeast(0));
        registrar.declare(ConfigKey::boolean("healthy", true, "Result of the probe's health check."));
        registrar.declare(ConfigKey::boolean("non_blocking_middleware", false,
                                             "Declare the probe's middleware non-blocking (Middleware::nonBlocking)."));
        const Settings& settings = registrar.settings();
        failInStart_ = settings.getString("fail_in") == "start";
        if (settings.getString("fail_in") == "configure") throw std::runtime_error("probe told to fail in configure");

        const std::string base = std::string("/") + PROBE_NAME;
        ticks_ = &registrar.metrics().counter(std::string(PROBE_NAME) + "_ticks_total", "Probe task runs.").Add({});
        registrar.get(base + "/ok", [](Request&, Response& response) { response.send(200, PROBE_REPLY); });
        registrar.get(base + "/throw", [](Request&, Response&) { throw std::runtime_error("probe handler failed"); });
        registrar.get(base + "/http-error", [](Request&, Response&) {
            throw HttpError(409, "Probe Conflict", "the probe says conflict");
        });
        // Headers the server must frame itself or drop, next to ones it must keep as they are.
        registrar.get(base + "/own-headers", [](Request&, Response& response) {
            response.send(200, PROBE_REPLY);
            response.setHeader("Content-Length", "999");
            response.setHeader("connection", "upgrade");
            response.setHeader("Cache-Control", "max-age=60");
            response.setHeader("X-Split", "a\r\nX-Injected: 1");
            response.setHeader("x-content-type-options", "nosniff");
        });
        registrar.get(base + "/slow", [](Request& request, Response& response) {
            const int millis = std::min(10000, std::stoi(request.query("ms").value_or("500")));
            std::this_thread::sleep_for(std::chrono::milliseconds(millis));
            response.send(200, std::string(PROBE_REPLY) + " slow");
        });
        // Counts the requests that reached a handler, so front-door tests can prove that a refused
        // request never did.
        registrar.post(base + "/echo", [this](Request& request, Response& response) {
            echoCalls_.fetch_add(1);
            response.send(200, request.body(), "application/octet-stream");
        });
        registrar.get(base + "/calls", [this](Request&, Response& response) {
            response.send(200, std::to_string(echoCalls_.load()));
        });
        // A stand-in inventory service for the orders plugin (POST {base}/reserve and /release).
        registrar.post(base + "/reserve", [this](Request&, Response& response) {
            reservations_.fetch_add(1);
            response.sendJson(200, "{}");
        });
        registrar.post(base + "/release", [](Request&, Response& response) { response.sendJson(200, "{}"); });
        registrar.get(base + "/reservations", [this](Request&, Response& response) {
            response.send(200, std::to_string(reservations_.load()));
        });
        registrar.get(base + "/client-subject", [](Request& request, Response& response) {
            response.send(200, request.clientCertificateSubject());
        });
        registrar.get(base + "/items/{id}", [](Request& request, Response& response) {
            response.send(200, "item " + request.pathParameter("id"));
        });
        // The thread a handler ran on ("keel-io" or "keel-public-w"), with and without Route::nonBlocking.
        // ?n=7 appends " #7", so pipelined answers can be told apart.
        registrar.get(base + "/thread", [](Request& request, Response& response) { sendThreadName(request, response); })
            .markNonBlocking();
        registrar.get(base + "/worker-thread",
                      [](Request& request, Response& response) { sendThreadName(request, response); });
        Middleware header{std::string(PROBE_NAME) + "-header", static_cast<int>(settings.getInt("middleware_order")),
                          [](Request&, Response& response, const Next& next) {
                              next();
                              response.headers().add("X-Probe", PROBE_NAME);
                          }};
        header.nonBlocking = settings.getBool("non_blocking_middleware");
        registrar.addMiddleware(std::move(header));
        registrar.addPeriodicTask({"tick", std::chrono::milliseconds(50), std::chrono::milliseconds(0), false,
                                   [this] { ticks_->Increment(); }});
        const bool healthy = settings.getBool("healthy");
        registrar.addHealthCheck({"probe", std::chrono::milliseconds(500), true, "component", [healthy] {
                                      return HealthCheckResult{healthy ? HealthStatus::Pass : HealthStatus::Fail,
                                                               healthy ? "" : "probe told to be unhealthy"};
                                  }});
        registrar.provide<Echo>(std::string(PROBE_NAME) + ".echo", std::make_shared<EchoService>());
        // Calls `url` through the SDK client, so the trace continues downstream.
        registrar.get(base + "/downstream", [this](Request& request, Response& response) {
            const auto url = request.query("url");
            if (!url) throw HttpError(400, "Missing url", "pass ?url=http://127.0.0.1:port/path");
            const auto downstream = client_.send(ClientRequest{"GET", *url, {}, "", std::nullopt});
            response.send(200, "downstream " + std::to_string(downstream.status));
        });
        auto logger = registrar.logger();
        registrar.get(base + "/log", [logger](Request&, Response& response) {
            logger->info("probe log line");
            response.send(200, "logged");
        });
#ifdef PROBE_USES
        registrar.get(base + "/uses", [this](Request&, Response& response) { response.send(200, used_->echo("hi")); });
#endif
    }

    void start(Context& context) override {
#ifdef PROBE_FAIL_IN_START
        failInStart_ = true;
#endif
#ifdef PROBE_MISSING_SYMBOL
        keel_symbol_nobody_defines();  // unresolved: dlopen (RTLD_NOW) refuses the file
#endif
        if (failInStart_) throw std::runtime_error("probe told to fail in start");
#ifdef PROBE_USES
        used_ = context.service<Echo>(PROBE_USES);
#else
        (void)context;
#endif
    }

private:
    bool failInStart_ = false;
    std::atomic<int> echoCalls_{0};
    std::atomic<int> reservations_{0};
    HttpClient client_{HttpClientOptions{std::chrono::milliseconds(1000), std::chrono::milliseconds(2000), 4,
                                         "keel-probe", ""}};
    prometheus::Counter* ticks_ = nullptr;
    std::shared_ptr<Echo> used_;
};

}  // namespace keel::plugins::probe

KEEL_PLUGIN(keel::plugins::probe::ProbePlugin)
