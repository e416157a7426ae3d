// The auth middleware's decision for one request: which credential it carries, whether it proves
// a caller, and the 401 answer when it does not. Public routes stay open to anonymous callers;
// a credential that is present but wrong is refused everywhere, so a client learns at once that
// its token is bad.
#pragma once

#include <keel/route.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "api_keys.h"
#include "jwt_verifier.h"

namespace keel::plugins::auth {

// The API key file, re-read when it changes (checked by the plugin's periodic task), so a key is
// revoked by deleting its line. Readers and the reloader never block each other.
class ApiKeyFile {
public:
    // Reads `path` now; throws ConfigError naming auth.api_keys_file on any problem.
    explicit ApiKeyFile(std::string path);
    // Re-reads the file if its identity (inode, size, modification time) changed. A broken file
    // keeps the previous keys and throws (std::invalid_argument or std::runtime_error) saying why.
    bool reloadIfChanged();
    std::shared_ptr<const ApiKeySet> keys() const { return std::atomic_load(&keys_); }

private:
    std::string identity() const;
    // Checks the file (regular, not writable by others) and parses it; sets identity_ from the
    // same stat. Throws saying why.
    std::shared_ptr<const ApiKeySet> read();

    std::string path_;
    std::string identity_;
    std::shared_ptr<const ApiKeySet> keys_;
};

using FailureCounter = std::function<void(const char* reason)>;

// JWT when `jwt` is given, API keys otherwise (auth.mode = none registers no authenticator).
class Authenticator {
public:
    Authenticator(std::unique_ptr<JwtVerifier> jwt, std::unique_ptr<ApiKeyFile> apiKeys, FailureCounter countFailure);

    // Sets the request's principal from its credential and calls `next`, or answers 401.
    void handle(Request& request, Response& response, const Next& next) const;
    ApiKeyFile* apiKeys() const { return apiKeys_.get(); }

private:
    std::shared_ptr<const Principal> authenticate(const std::string& credential) const;
    void refuse(Response& response, const char* reason, const std::string& detail, bool credentialSent) const;

    std::unique_ptr<JwtVerifier> jwt_;
    std::unique_ptr<ApiKeyFile> apiKeys_;
    FailureCounter countFailure_;
};

}  // namespace keel::plugins::auth
