// Token checks in the order that gives the most precise answer: shape, algorithm (decided by the
// configured key, so "none" and HS256-signed-with-the-RSA-public-key are refused before any
// cryptography), signature, then the time and audience claims.
#include "jwt_verifier.h"

#include <Poco/Crypto/ECKey.h>
#include <Poco/Crypto/EVPPKey.h>
#include <Poco/Crypto/RSAKey.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JWT/JWTException.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>
#include <Poco/StringTokenizer.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <optional>

namespace keel::plugins::auth {

namespace {

constexpr std::size_t kMaxTokenLength = 8192;

std::string utcText(std::int64_t secondsSinceEpoch) {
    return Poco::DateTimeFormatter::format(Poco::Timestamp::fromEpochTime(static_cast<std::time_t>(secondsSinceEpoch)),
                                           Poco::DateTimeFormat::ISO8601_FORMAT);
}

// A NumericDate claim (seconds since the epoch), or nullopt when absent.
std::optional<std::int64_t> numericDate(const Poco::JSON::Object& claims, const std::string& name) {
    if (!claims.has(name)) return std::nullopt;
    const auto value = claims.get(name);
    if (!value.isNumeric()) throw AuthenticationError("claims", "the token's " + name + " claim is not a number of seconds");
    try {
        return static_cast<std::int64_t>(value.convert<double>());
    } catch (const Poco::Exception&) {
        throw AuthenticationError("claims", "the token's " + name + " claim is not a number of seconds");
    }
}

// A claim that is a string or an array of strings (aud, scope, scp).
std::vector<std::string> stringOrList(const Poco::JSON::Object& claims, const std::string& name, bool split) {
    std::vector<std::string> values;
    if (!claims.has(name)) return values;
    const auto value = claims.get(name);
    if (value.isString()) {
        const std::string& text = value.extract<std::string>();
        if (!split) return {text};
        Poco::StringTokenizer parts(text, " ", Poco::StringTokenizer::TOK_IGNORE_EMPTY);
        return {parts.begin(), parts.end()};
    }
    const auto list = claims.getArray(name);
    if (list.isNull()) throw AuthenticationError("claims", "the token's " + name + " claim is neither a string nor a list");
    for (std::size_t i = 0; i < list->size(); ++i) {
        const auto item = list->get(static_cast<unsigned>(i));
        if (!item.isString()) throw AuthenticationError("claims", "the token's " + name + " claim holds a value that is not a string");
        values.push_back(item.extract<std::string>());
    }
    return values;
}

bool isBase64UrlSegment(const std::string& text, std::size_t begin, std::size_t end) {
    if (begin >= end) return false;
    return std::all_of(text.begin() + static_cast<std::ptrdiff_t>(begin), text.begin() + static_cast<std::ptrdiff_t>(end),
                       [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; });
}

}  // namespace

struct JwtVerifier::Keys {
    Poco::JWT::Signer signer;
};

JwtVerifier::JwtVerifier(std::string algorithm, std::unique_ptr<Keys> keys, JwtPolicy policy, WallClock clock)
    : algorithm_(std::move(algorithm)), keys_(std::move(keys)), policy_(std::move(policy)), clock_(std::move(clock)) {
    keys_->signer.setAlgorithms({algorithm_});
}

JwtVerifier::~JwtVerifier() = default;

std::unique_ptr<JwtVerifier> JwtVerifier::withSecret(const std::string& secret, JwtPolicy policy, WallClock clock) {
    if (secret.size() < 32) {
        throw std::invalid_argument("an HS256 secret needs at least 32 bytes (it has " + std::to_string(secret.size()) + ")");
    }
    auto keys = std::make_unique<Keys>();
    keys->signer.setHMACKey(secret);
    return std::unique_ptr<JwtVerifier>(
        new JwtVerifier(Poco::JWT::Signer::ALGO_HS256, std::move(keys), std::move(policy), std::move(clock)));
}

std::unique_ptr<JwtVerifier> JwtVerifier::withPublicKey(const std::string& pem, JwtPolicy policy, WallClock clock) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
    EVP_PKEY* key = bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr;
    if (key == nullptr) throw std::invalid_argument("not a PEM public key (-----BEGIN PUBLIC KEY-----)");
    Poco::Crypto::EVPPKey evpKey(key);  // takes its own reference
    EVP_PKEY_free(key);
    auto keys = std::make_unique<Keys>();
    std::string algorithm;
    switch (EVP_PKEY_base_id(static_cast<const EVP_PKEY*>(evpKey))) {
        case EVP_PKEY_RSA:
            if (EVP_PKEY_bits(static_cast<const EVP_PKEY*>(evpKey)) < 2048) {
                throw std::invalid_argument("the RSA key has fewer than 2048 bits");
            }
            keys->signer.setRSAKey(new Poco::Crypto::RSAKey(evpKey));
            algorithm = Poco::JWT::Signer::ALGO_RS256;
            break;
        case EVP_PKEY_EC:
            if (EVP_PKEY_bits(static_cast<const EVP_PKEY*>(evpKey)) != 256) {
                throw std::invalid_argument("the EC key is not on P-256 (ES256 needs P-256)");
            }
            keys->signer.setECKey(new Poco::Crypto::ECKey(evpKey));
            algorithm = Poco::JWT::Signer::ALGO_ES256;
            break;
        default:
            throw std::invalid_argument("the public key is neither RSA (RS256) nor EC P-256 (ES256)");
    }
    return std::unique_ptr<JwtVerifier>(new JwtVerifier(algorithm, std::move(keys), std::move(policy), std::move(clock)));
}

Principal JwtVerifier::verify(const std::string& jwt) const {
    if (jwt.size() > kMaxTokenLength) {
        throw AuthenticationError("malformed", "the token is longer than " + std::to_string(kMaxTokenLength) + " characters");
    }
    const auto firstDot = jwt.find('.');
    const auto secondDot = firstDot == std::string::npos ? std::string::npos : jwt.find('.', firstDot + 1);
    if (secondDot == std::string::npos || jwt.find('.', secondDot + 1) != std::string::npos ||
        !isBase64UrlSegment(jwt, 0, firstDot) || !isBase64UrlSegment(jwt, firstDot + 1, secondDot)) {
        throw AuthenticationError("malformed", "the bearer token is not a JWT (three base64url parts separated by dots)");
    }
    Poco::JWT::Token token;
    try {
        token = Poco::JWT::Token(jwt);
    } catch (const Poco::Exception&) {
        throw AuthenticationError("malformed", "the token's header or claims are not JSON objects");
    }
    const std::string algorithm = token.getAlgorithm();
    if (algorithm.empty() || Poco::icompare(algorithm, "none") == 0) {
        throw AuthenticationError("algorithm", "the token is not signed (alg none); only " + algorithm_ + " tokens are accepted");
    }
    if (algorithm != algorithm_) {
        throw AuthenticationError("algorithm", "the token is signed with " + algorithm.substr(0, 16) + "; only " + algorithm_ +
                                  " tokens are accepted");
    }
    if (!isBase64UrlSegment(jwt, secondDot + 1, jwt.size())) throw AuthenticationError("malformed", "the token has no signature");
    Poco::JWT::Token verified;
    try {
        if (!keys_->signer.tryVerify(jwt, verified)) throw AuthenticationError("signature", "the token's signature does not verify");
    } catch (const AuthenticationError&) {
        throw;
    } catch (const Poco::Exception&) {
        throw AuthenticationError("signature", "the token's signature does not verify");
    }

    const Poco::JSON::Object& claims = verified.payload();
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(clock_().time_since_epoch()).count();
    const auto leeway = policy_.leeway.count();
    const auto expires = numericDate(claims, "exp");
    if (!expires) throw AuthenticationError("claims", "the token has no exp claim; tokens must expire");
    if (now > *expires + leeway) throw AuthenticationError("expired", "the token expired at " + utcText(*expires));
    if (const auto notBefore = numericDate(claims, "nbf"); notBefore && now + leeway < *notBefore) {
        throw AuthenticationError("not_yet_valid", "the token is not valid before " + utcText(*notBefore));
    }
    if (!policy_.issuer.empty()) {
        const auto issuer = stringOrList(claims, "iss", false);
        if (issuer.size() != 1 || issuer[0] != policy_.issuer) {
            throw AuthenticationError("issuer", "the token's issuer (iss) is not the trusted issuer (auth.jwt.issuer)");
        }
    }
    if (!policy_.audience.empty()) {
        const auto audiences = stringOrList(claims, "aud", false);
        if (std::find(audiences.begin(), audiences.end(), policy_.audience) == audiences.end()) {
            throw AuthenticationError("audience", "the token's audience (aud) does not include this service (auth.jwt.audience)");
        }
    }
    Principal principal;
    principal.scheme = "jwt";
    const auto subject = stringOrList(claims, "sub", false);
    if (subject.size() != 1 || subject[0].empty()) throw AuthenticationError("claims", "the token has no sub claim naming the user");
    principal.subject = subject[0];
    for (const char* claim : {"scope", "scp"}) {
        for (auto& scope : stringOrList(claims, claim, true)) principal.scopes.insert(std::move(scope));
    }
    return principal;
}

}  // namespace keel::plugins::auth
