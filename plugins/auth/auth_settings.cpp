// auth.* keys, the mode and the JWT verifier they configure.
#include "auth_settings.h"

#include <fstream>
#include <sstream>

namespace keel::plugins::auth {

namespace {

std::string readPublicKey(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw ConfigError("auth.jwt.public_key_file = \"" + path + "\": the file cannot be read");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

std::vector<ConfigKey> authKeys() {
    using K = ConfigKey;
    return {
        K::string("mode", "none",
                  "none: every caller is anonymous and scopes are not enforced (a warning at start); jwt: "
                  "Authorization: Bearer <JWT>; api_key: keys listed in auth.api_keys_file.")
            .oneOf({"none", "jwt", "api_key"}),
        K::string("jwt.secret_file", "",
                  "File holding the HS256 secret (at least 32 bytes, first line; mode 0600 or 0640)."),
        K::string("jwt.public_key_file", "",
                  "PEM public key verifying RS256 (RSA, 2048 bits or more) or ES256 (EC P-256) tokens."),
        K::string("jwt.issuer", "", "Required iss claim. Empty: not checked."),
        K::string("jwt.audience", "", "Required aud claim (one of the token's audiences). Empty: not checked."),
        K::duration("jwt.leeway", "30s", "Clock skew allowed when checking exp and nbf.").range(0, 300000),
        K::string("api_keys_file", "",
                  "API key list: one \"<sha256-hex of the key>  <user>  <scope>...\" line per key."),
        K::duration("api_keys.reload_interval", "5s",
                    "How often auth.api_keys_file is checked for changes (a removed line revokes a key).")
            .range(50, 3600000),
    };
}

AuthMode parseMode(const std::string& mode) {
    if (mode == "jwt") return AuthMode::Jwt;
    if (mode == "api_key") return AuthMode::ApiKey;
    return AuthMode::None;
}

std::unique_ptr<JwtVerifier> makeJwtVerifier(const Settings& settings) {
    const std::string secretFile = settings.getString("jwt.secret_file");
    const std::string publicKeyFile = settings.getString("jwt.public_key_file");
    if (secretFile.empty() == publicKeyFile.empty()) {
        throw ConfigError("auth.mode = jwt: set exactly one of auth.jwt.secret_file (HS256) and "
                          "auth.jwt.public_key_file (RS256 or ES256)");
    }
    JwtPolicy policy;
    policy.issuer = settings.getString("jwt.issuer");
    policy.audience = settings.getString("jwt.audience");
    policy.leeway = std::chrono::duration_cast<std::chrono::seconds>(settings.getDuration("jwt.leeway"));
    const WallClock clock = [] { return std::chrono::system_clock::now(); };
    try {
        if (!secretFile.empty()) {
            return JwtVerifier::withSecret(readSecretFile("auth.jwt.secret_file", secretFile), policy, clock);
        }
        return JwtVerifier::withPublicKey(readPublicKey(publicKeyFile), policy, clock);
    } catch (const std::invalid_argument& error) {
        const std::string key = secretFile.empty() ? "auth.jwt.public_key_file = \"" + publicKeyFile + "\""
                                                   : "auth.jwt.secret_file = \"" + secretFile + "\"";
        throw ConfigError(key + ": " + error.what());
    }
}

}  // namespace keel::plugins::auth
