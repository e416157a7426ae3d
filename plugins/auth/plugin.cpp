// The auth plugin: who is calling the public API. auth.mode picks JWT bearer tokens or API keys;
// the middleware sets keel::Principal on the request, and the host enforces the scopes routes
// declare with requireScope().
#include <keel/plugin.h>

#include <map>
#include <memory>

#include "auth_settings.h"
#include "authenticator.h"

namespace keel::plugins::auth {

namespace {

// The authentication band (300-399): inside the metrics middleware (110), so refusals are counted
// with their 401, and inside the rate limiter (200), so a flood of forged tokens is throttled
// before any signature is checked.
constexpr int kAuthMiddlewareOrder = 300;

// Every reason a credential is refused for (AuthenticationError reasons and the middleware's own):
// their series exist from start-up at 0, and a refusal never creates one.
constexpr const char* kFailureReasons[] = {"missing", "malformed", "algorithm", "signature", "expired",
                                           "not_yet_valid", "issuer", "audience", "claims", "unknown_key"};

}  // namespace

class AuthPlugin final : public Plugin {
public:
    static constexpr PluginInfo kInfo{"auth", "1.0.0", "Authentication of the public API: JWT or API keys", nullptr};

    void configure(Registrar& registrar) override {
        for (auto& key : authKeys()) registrar.declare(std::move(key));
        const Settings& settings = registrar.settings();
        const AuthMode mode = parseMode(settings.getString("mode"));
        auto logger = registrar.logger();
        std::unique_ptr<JwtVerifier> jwt;
        std::unique_ptr<ApiKeyFile> apiKeys;
        if (mode == AuthMode::Jwt) {
            jwt = makeJwtVerifier(settings);
            logger->info("auth: JWT bearer tokens ({}), issuer {}, audience {}", jwt->algorithm(),
                         settings.getString("jwt.issuer").empty() ? "not checked" : settings.getString("jwt.issuer"),
                         settings.getString("jwt.audience").empty() ? "not checked" : settings.getString("jwt.audience"));
        } else if (mode == AuthMode::ApiKey) {
            const std::string file = settings.getString("api_keys_file");
            if (file.empty()) throw ConfigError("auth.mode = api_key needs auth.api_keys_file");
            apiKeys = std::make_unique<ApiKeyFile>(file);
            logger->info("auth: API keys from {} ({} keys)", file, apiKeys->keys()->size());
        } else {
            // No middleware at all: nothing runs per request, and the host does not consider the
            // public listener authenticated (scoped routes stay open, as before authentication).
            logger->warn("auth.mode = none: the public API accepts every caller and route scopes are not enforced; "
                         "set auth.mode = jwt or api_key in production");
            return;
        }

        auto& failures = registrar.metrics().counter("auth_failures_total", "Refused credentials by reason.");
        for (const char* reason : kFailureReasons) failures_.emplace(reason, &failures.Add({{"reason", reason}}));
        authenticator_ = std::make_unique<Authenticator>(std::move(jwt), std::move(apiKeys), [this](const char* reason) {
            if (const auto counter = failures_.find(reason); counter != failures_.end()) counter->second->Increment();
        });

        registrar.addMiddleware({"auth", kAuthMiddlewareOrder,
                                 [this](Request& request, Response& response, const Next& next) {
                                     authenticator_->handle(request, response, next);
                                 },
                                 {kPublicListener}, /*authenticates=*/true,
                                 /*nonBlocking=*/true});  // keys in memory; the file is re-read by a task
        if (ApiKeyFile* keys = authenticator_->apiKeys()) {
            registrar.addPeriodicTask({"api_keys_reload", settings.getDuration("api_keys.reload_interval"),
                                       std::chrono::milliseconds(0), false, [keys, logger] {
                                           try {
                                               if (keys->reloadIfChanged()) {
                                                   logger->info("auth: API keys reloaded ({} keys)", keys->keys()->size());
                                               }
                                           } catch (const std::exception& error) {
                                               logger->error("auth: API key file not reloaded, the previous keys stay: {}",
                                                             error.what());
                                           }
                                       }});
        }
    }

private:
    std::unique_ptr<Authenticator> authenticator_;
    std::map<std::string, prometheus::Counter*, std::less<>> failures_;  // by reason, made in configure()
};

}  // namespace keel::plugins::auth

KEEL_PLUGIN(keel::plugins::auth::AuthPlugin)
