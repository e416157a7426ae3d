// Credential extraction (RFC 6750 bearer tokens; X-API-Key for API keys) and the 401 answer.
#include "authenticator.h"

#include <Poco/String.h>
#include <keel/config.h>
#include <keel/problem.h>
#include <sys/stat.h>

#include <cstring>
#include <fstream>
#include <sstream>

namespace keel::plugins::auth {

namespace {

const char* kRealm = "keel";
const char* kBearer = "Bearer";

// A credential's scheme prefix, compared case-insensitively as RFC 9110 says.
bool startsWithScheme(const std::string& value, const std::string& scheme) {
    return value.size() > scheme.size() && Poco::icompare(value.substr(0, scheme.size()), scheme) == 0 &&
           value[scheme.size()] == ' ';
}

}  // namespace

namespace {
std::string identityOf(const struct stat& info) {
    return std::to_string(info.st_ino) + ":" + std::to_string(info.st_size) + ":" + std::to_string(info.st_mtim.tv_sec) +
           "." + std::to_string(info.st_mtim.tv_nsec);
}
}  // namespace

ApiKeyFile::ApiKeyFile(std::string path) : path_(std::move(path)) {
    try {
        keys_ = read();
    } catch (const std::exception& error) {
        throw ConfigError("auth.api_keys_file = \"" + path_ + "\": " + error.what());
    }
}

std::string ApiKeyFile::identity() const {
    struct stat info {};
    return ::stat(path_.c_str(), &info) != 0 ? "missing" : identityOf(info);
}

std::shared_ptr<const ApiKeySet> ApiKeyFile::read() {
    struct stat info {};
    if (::stat(path_.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
        throw std::runtime_error("the file does not exist or is not a regular file");
    }
    // Digests are not secrets, but whoever may write the file may grant themselves any scope.
    if ((info.st_mode & S_IWOTH) != 0) throw std::runtime_error("other users may write it (chmod o-w)");
    std::ifstream in(path_);
    if (!in) throw std::runtime_error("the file cannot be read by this process");
    std::ostringstream text;
    text << in.rdbuf();
    auto keys = std::make_shared<const ApiKeySet>(ApiKeySet::parse(text.str(), path_));
    identity_ = identityOf(info);
    return keys;
}

bool ApiKeyFile::reloadIfChanged() {
    const std::string now = identity();
    if (now == identity_) return false;
    auto keys = read();  // throws: the old keys stay
    std::atomic_store(&keys_, std::move(keys));
    return true;
}

Authenticator::Authenticator(std::unique_ptr<JwtVerifier> jwt, std::unique_ptr<ApiKeyFile> apiKeys,
                             FailureCounter countFailure)
    : jwt_(std::move(jwt)), apiKeys_(std::move(apiKeys)), countFailure_(std::move(countFailure)) {}

void Authenticator::handle(Request& request, Response& response, const Next& next) const {
    std::string credential;
    if (const auto authorization = request.header("Authorization")) {
        if (!startsWithScheme(*authorization, kBearer)) {
            refuse(response, "malformed", "the Authorization header must use the Bearer scheme", true);
            return;
        }
        credential = Poco::trim(authorization->substr(std::strlen(kBearer) + 1));
    } else if (!jwt_) {
        credential = Poco::trim(request.header("X-API-Key").value_or(""));
    }
    if (credential.empty()) {
        if (request.access().authenticated) {
            refuse(response, "missing",
                   std::string("this route needs credentials: send ") +
                       (jwt_ ? "Authorization: Bearer <token>" : "Authorization: Bearer <api key> or X-API-Key"),
                   false);
            return;
        }
        next();
        return;
    }
    try {
        request.setPrincipal(authenticate(credential));
    } catch (const AuthenticationError& error) {
        refuse(response, error.reason(), error.what(), true);
        return;
    }
    next();
}

std::shared_ptr<const Principal> Authenticator::authenticate(const std::string& credential) const {
    if (jwt_) return std::make_shared<const Principal>(jwt_->verify(credential));
    auto principal = apiKeys_->keys()->find(credential);
    if (!principal) throw AuthenticationError("unknown_key", "the API key is not known (or was revoked)");
    return principal;
}

void Authenticator::refuse(Response& response, const char* reason, const std::string& detail, bool credentialSent) const {
    if (countFailure_) countFailure_(reason);
    writeProblem(response, Problem::of(401, "Unauthorized", detail));
    // RFC 6750 section 3: no error code when the request carried no credential at all.
    std::string challenge = std::string("Bearer realm=\"") + kRealm + "\"";
    if (credentialSent) {
        std::string description = detail;
        for (char& c : description) {
            if (c == '"' || c == '\\') c = '\'';
        }
        challenge += ", error=\"invalid_token\", error_description=\"" + description + "\"";
    }
    response.setHeader("WWW-Authenticate", challenge);
}

}  // namespace keel::plugins::auth
