// Every configuration key of the auth plugin, declared and read in one place: the mode, and the
// verifier or key file it needs (their files are read here, so a bad one is a ConfigError naming
// the key).
#pragma once

#include <keel/config.h>

#include <memory>
#include <string>
#include <vector>

#include "jwt_verifier.h"

namespace keel::plugins::auth {

enum class AuthMode { None, Jwt, ApiKey };

// Every key of [auth], relative to the section; plugin.cpp declares them.
std::vector<ConfigKey> authKeys();
AuthMode parseMode(const std::string& mode);
// The verifier auth.jwt.* describe. Throws ConfigError naming the key.
std::unique_ptr<JwtVerifier> makeJwtVerifier(const Settings& settings);

}  // namespace keel::plugins::auth
