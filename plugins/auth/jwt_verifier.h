// JSON Web Tokens (RFC 7519) checked the strict way: one algorithm, fixed by the key the operator
// configured (never by the token), a signature that verifies, and exp/nbf/iss/aud within leeway.
// Pure logic with an injectable clock, so every rule is unit-tested without waiting.
#pragma once

#include <keel/auth.h>

#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

namespace keel::plugins::auth {

// Why a credential was refused: a metric label from a small fixed set, and words fit for the
// client (no secrets, no token text).
class AuthenticationError : public std::runtime_error {
public:
    AuthenticationError(const char* reason, const std::string& detail) : std::runtime_error(detail), reason_(reason) {}
    const char* reason() const { return reason_; }

private:
    const char* reason_;  // "malformed", "algorithm", "signature", "expired", "not_yet_valid", "issuer", ...
};

struct JwtPolicy {
    std::string issuer;    // "" : any issuer
    std::string audience;  // "" : any audience
    std::chrono::seconds leeway{30};
};

using WallClock = std::function<std::chrono::system_clock::time_point()>;

class JwtVerifier {
public:
    // HS256 with a shared secret (at least 32 bytes, RFC 7518 section 3.2).
    static std::unique_ptr<JwtVerifier> withSecret(const std::string& secret, JwtPolicy policy, WallClock clock);
    // RS256 or ES256 (P-256), chosen by the type of the PEM public key. Throws std::invalid_argument
    // for text that is not such a key.
    static std::unique_ptr<JwtVerifier> withPublicKey(const std::string& pem, JwtPolicy policy, WallClock clock);
    ~JwtVerifier();

    // The caller the token proves: sub as subject, scope (space-separated string, or an array,
    // also under "scp") as scopes. Throws AuthenticationError saying precisely what failed.
    Principal verify(const std::string& token) const;
    const std::string& algorithm() const { return algorithm_; }

private:
    struct Keys;
    JwtVerifier(std::string algorithm, std::unique_ptr<Keys> keys, JwtPolicy policy, WallClock clock);

    std::string algorithm_;
    std::unique_ptr<Keys> keys_;
    JwtPolicy policy_;
    WallClock clock_;
};

}  // namespace keel::plugins::auth
