// The auth plugin's rules: JWT verification (every refusal with its precise reason, keys made by
// OpenSSL directly so Poco's verifier is checked against an independent signer), the API key
// file, and the middleware's 401 answers. A fixed clock replaces the wall clock.
#include <Poco/Base64Encoder.h>
#include <Poco/JWT/Signer.h>
#include <gtest/gtest.h>
#include <keel/problem.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "api_keys.h"
#include "authenticator.h"
#include "jwt_verifier.h"

namespace keel::plugins::auth {
namespace {

using Seconds = std::chrono::seconds;
const std::chrono::system_clock::time_point kNow{Seconds(1'800'000'000)};
const std::string kSecret = "0123456789abcdef0123456789abcdef-test-secret";

std::string base64Url(const std::string& bytes) {
    std::ostringstream out;
    Poco::Base64Encoder encoder(out, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
    encoder << bytes;
    encoder.close();
    return out.str();
}

std::string claims(const std::string& extra = "") {
    return R"({"sub":"alice","scope":"orders:read orders:write","iss":"https://issuer.example","aud":["keel","other"],)"
           R"("exp":)" + std::to_string(1'800'000'000 + 300) + extra + "}";
}

// Signs with OpenSSL's EVP interface: RS256 (PKCS#1 v1.5) or ES256 (the JOSE R||S form).
std::string signWith(EVP_PKEY* key, const std::string& algorithm, const std::string& payload) {
    const std::string input = base64Url(R"({"alg":")" + algorithm + R"(","typ":"JWT"})") + "." + base64Url(payload);
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    EXPECT_EQ(EVP_DigestSignInit(context.get(), nullptr, EVP_sha256(), nullptr, key), 1);
    std::size_t length = 0;
    EXPECT_EQ(EVP_DigestSign(context.get(), nullptr, &length, reinterpret_cast<const unsigned char*>(input.data()), input.size()), 1);
    std::string signature(length, '\0');
    EXPECT_EQ(EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                             reinterpret_cast<const unsigned char*>(input.data()), input.size()), 1);
    signature.resize(length);
    if (algorithm == "ES256") {
        const auto* der = reinterpret_cast<const unsigned char*>(signature.data());
        ECDSA_SIG* parsed = d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(signature.size()));
        std::string raw(64, '\0');
        BN_bn2binpad(ECDSA_SIG_get0_r(parsed), reinterpret_cast<unsigned char*>(raw.data()), 32);
        BN_bn2binpad(ECDSA_SIG_get0_s(parsed), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
        ECDSA_SIG_free(parsed);
        signature = raw;
    }
    return input + "." + base64Url(signature);
}

std::string publicPem(EVP_PKEY* key) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    PEM_write_bio_PUBKEY(bio.get(), key);
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(length));
}

std::string hs256(const std::string& payload, const std::string& secret = kSecret) {
    const std::string input = base64Url(R"({"alg":"HS256","typ":"JWT"})") + "." + base64Url(payload);
    Poco::JWT::Signer signer(secret);
    Poco::JWT::Token token(input + ".x");
    return signer.sign(token, Poco::JWT::Signer::ALGO_HS256);
}

JwtPolicy policy() {
    JwtPolicy policy;
    policy.issuer = "https://issuer.example";
    policy.audience = "keel";
    policy.leeway = Seconds(30);
    return policy;
}

std::unique_ptr<JwtVerifier> hmacVerifier(std::chrono::system_clock::time_point now = kNow) {
    return JwtVerifier::withSecret(kSecret, policy(), [now] { return now; });
}

// The reason of the refusal, and its text must contain `expected`.
void expectRefused(const JwtVerifier& verifier, const std::string& token, const std::string& reason,
                   const std::string& expected) {
    try {
        verifier.verify(token);
        FAIL() << "accepted a token that should fail with " << reason;
    } catch (const AuthenticationError& error) {
        EXPECT_EQ(std::string(error.reason()), reason) << error.what();
        EXPECT_NE(std::string(error.what()).find(expected), std::string::npos) << error.what();
    }
}

TEST(JwtVerifier, AcceptsAValidHs256TokenAndReadsSubjectAndScopes) {
    const Principal principal = hmacVerifier()->verify(hs256(claims()));
    EXPECT_EQ(principal.subject, "alice");
    EXPECT_EQ(principal.scheme, "jwt");
    EXPECT_TRUE(principal.hasScope("orders:read"));
    EXPECT_TRUE(principal.hasScope("orders:write"));
    EXPECT_FALSE(principal.hasScope("orders:admin"));
    // An array of scopes under "scp" works too.
    const auto listed = hmacVerifier()->verify(hs256(claims(R"(,"scp":["orders:admin"])")));
    EXPECT_TRUE(listed.hasScope("orders:admin"));
}

TEST(JwtVerifier, RefusesExpiredAndNotYetValidTokensOutsideTheLeeway) {
    const auto token = hs256(claims(R"(,"nbf":1800000100)"));
    expectRefused(*hmacVerifier(kNow), token, "not_yet_valid", "not valid before 2027-01-15T08:01:40Z");
    EXPECT_NO_THROW(hmacVerifier(kNow + Seconds(75))->verify(token)) << "inside the 30 s leeway";
    EXPECT_NO_THROW(hmacVerifier(kNow + Seconds(300 + 30))->verify(token)) << "expired, but within the leeway";
    expectRefused(*hmacVerifier(kNow + Seconds(300 + 31)), token, "expired", "expired at 2027-01-15T08:05:00Z");
    expectRefused(*hmacVerifier(), hs256(R"({"sub":"alice"})"), "claims", "no exp claim");
    expectRefused(*hmacVerifier(), hs256(R"({"sub":"alice","exp":"tomorrow"})"), "claims", "exp claim is not a number");
}

TEST(JwtVerifier, RefusesAWrongIssuerAudienceOrSubject) {
    expectRefused(*hmacVerifier(), hs256(claims(R"(,"iss":"https://evil.example")")), "issuer", "issuer");
    expectRefused(*hmacVerifier(), hs256(claims(R"(,"aud":"another-service")")), "audience", "audience");
    expectRefused(*hmacVerifier(), hs256(R"({"iss":"https://issuer.example","aud":"keel","exp":1800000300})"), "claims",
                  "no sub claim");
}

TEST(JwtVerifier, RefusesAWrongSignatureAndUnsignedTokens) {
    expectRefused(*hmacVerifier(), hs256(claims(), "another-secret-that-is-at-least-32-bytes"), "signature",
                  "signature does not verify");
    // A valid token with its claims swapped for forged ones keeps the old signature.
    const std::string valid = hs256(claims());
    const std::string forged = valid.substr(0, valid.find('.') + 1) + base64Url(claims(R"(,"scope":"orders:admin")")) +
                               valid.substr(valid.rfind('.'));
    expectRefused(*hmacVerifier(), forged, "signature", "signature does not verify");
    const std::string unsigned_ = base64Url(R"({"alg":"none","typ":"JWT"})") + "." + base64Url(claims()) + ".";
    expectRefused(*hmacVerifier(), unsigned_, "algorithm", "not signed (alg none)");
    expectRefused(*hmacVerifier(), base64Url(R"({"alg":"NONE"})") + "." + base64Url(claims()) + ".", "algorithm", "not signed");
    expectRefused(*hmacVerifier(), "not-a-token", "malformed", "not a JWT");
    expectRefused(*hmacVerifier(), "a.b.c.d", "malformed", "not a JWT");
    expectRefused(*hmacVerifier(), base64Url("[1]") + "." + base64Url(claims()) + ".c2ln", "malformed", "not JSON objects");
    expectRefused(*hmacVerifier(), std::string(9000, 'a'), "malformed", "longer than 8192");
}

TEST(JwtVerifier, VerifiesRs256AndRefusesHs256SignedWithThePublicKey) {
    EVP_PKEY* key = EVP_RSA_gen(2048);
    ASSERT_NE(key, nullptr);
    const std::string pem = publicPem(key);
    const auto verifier = JwtVerifier::withPublicKey(pem, policy(), [] { return kNow; });
    EXPECT_EQ(verifier->algorithm(), "RS256");
    EXPECT_EQ(verifier->verify(signWith(key, "RS256", claims())).subject, "alice");
    // The classic confusion: an HS256 token whose HMAC key is the (public) RSA key text.
    expectRefused(*verifier, hs256(claims(), pem), "algorithm", "signed with HS256; only RS256");
    EVP_PKEY* other = EVP_RSA_gen(2048);
    expectRefused(*verifier, signWith(other, "RS256", claims()), "signature", "does not verify");
    EVP_PKEY_free(other);
    EVP_PKEY_free(key);
}

TEST(JwtVerifier, VerifiesEs256InTheJoseSignatureForm) {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    ASSERT_NE(key, nullptr);
    const auto verifier = JwtVerifier::withPublicKey(publicPem(key), policy(), [] { return kNow; });
    EXPECT_EQ(verifier->algorithm(), "ES256");
    EXPECT_EQ(verifier->verify(signWith(key, "ES256", claims())).subject, "alice");
    expectRefused(*verifier, hs256(claims()), "algorithm", "only ES256");
    EVP_PKEY_free(key);
}

TEST(JwtVerifier, RefusesWeakOrUnusableKeys) {
    EXPECT_THROW(JwtVerifier::withSecret("short", policy(), [] { return kNow; }), std::invalid_argument);
    EXPECT_THROW(JwtVerifier::withPublicKey("not a key", policy(), [] { return kNow; }), std::invalid_argument);
    EVP_PKEY* weak = EVP_RSA_gen(1024);
    EXPECT_THROW(JwtVerifier::withPublicKey(publicPem(weak), policy(), [] { return kNow; }), std::invalid_argument);
    EVP_PKEY_free(weak);
}

const std::string kKeyDigest = sha256Hex("key-of-alice");

TEST(ApiKeySet, ParsesDigestsUsersAndScopesAndRefusesClearKeys) {
    const auto keys = ApiKeySet::parse("# comment\n\n" + kKeyDigest + "  alice  orders:read,orders:write\n" +
                                           sha256Hex("key-of-bob") + " bob orders:read\n",
                                       "keys.txt");
    EXPECT_EQ(keys.size(), 2u);
    const auto alice = keys.find("key-of-alice");
    ASSERT_TRUE(alice);
    EXPECT_EQ(alice->subject, "alice");
    EXPECT_EQ(alice->scheme, "api_key");
    EXPECT_TRUE(alice->hasScope("orders:write"));
    EXPECT_FALSE(keys.find("key-of-carol"));
    EXPECT_FALSE(keys.find(kKeyDigest)) << "the digest itself is not a key";
    try {
        ApiKeySet::parse("\nmy-secret-key alice orders:read\n", "keys.txt");
        FAIL() << "a clear key was accepted as a digest";
    } catch (const std::invalid_argument& error) {
        EXPECT_NE(std::string(error.what()).find("keys.txt line 2"), std::string::npos) << error.what();
        EXPECT_EQ(std::string(error.what()).find("my-secret-key"), std::string::npos) << "the line leaked";
    }
    EXPECT_THROW(ApiKeySet::parse(kKeyDigest + " a x\n" + kKeyDigest + " b y\n", "k"), std::invalid_argument);
    EXPECT_THROW(ApiKeySet::parse(kKeyDigest + "\n", "k"), std::invalid_argument);
}

class AuthenticatorTest : public ::testing::Test {
protected:
    void TearDown() override { std::remove(file_.c_str()); }
    void writeKeys(const std::string& text) {
        // A new file each time (as an editor or a config manager replaces it).
        const std::string temporary = file_ + ".new";
        std::ofstream(temporary) << text;
        ::chmod(temporary.c_str(), 0640);
        std::rename(temporary.c_str(), file_.c_str());
    }
    Response run(const Authenticator& authenticator, Request& request, bool* reached = nullptr) {
        Response response;
        authenticator.handle(request, response, [&] {
            if (reached != nullptr) *reached = true;
            response.send(200, "ok", "text/plain");
        });
        return response;
    }
    std::string file_ = "/tmp/keel-api-keys-" + std::to_string(::getpid());
    std::vector<std::string> failures_;
};

TEST_F(AuthenticatorTest, ApiKeysAreAcceptedUntilRevoked) {
    writeKeys(kKeyDigest + "  alice  orders:read\n");
    Authenticator authenticator(nullptr, std::make_unique<ApiKeyFile>(file_),
                                [this](const char* reason) { failures_.push_back(reason); });
    Request viaHeader("GET", "/api/v1/orders");
    viaHeader.headers().set("X-API-Key", "key-of-alice");
    bool reached = false;
    EXPECT_EQ(run(authenticator, viaHeader, &reached).status(), 200);
    EXPECT_TRUE(reached);
    ASSERT_NE(viaHeader.principal(), nullptr);
    EXPECT_EQ(viaHeader.principal()->subject, "alice");

    writeKeys("# alice's key revoked\n");
    EXPECT_TRUE(authenticator.apiKeys()->reloadIfChanged());
    EXPECT_FALSE(authenticator.apiKeys()->reloadIfChanged()) << "nothing changed since";
    Request again("GET", "/api/v1/orders");
    again.headers().set("Authorization", "Bearer key-of-alice");
    reached = false;
    const Response refused = run(authenticator, again, &reached);
    EXPECT_EQ(refused.status(), 401);
    EXPECT_FALSE(reached);
    EXPECT_NE(refused.body().find("revoked"), std::string::npos) << refused.body();
    EXPECT_EQ(failures_, std::vector<std::string>{"unknown_key"});

    // A broken file keeps the keys that were good (bob's, listed just before).
    writeKeys(sha256Hex("key-of-bob") + "  bob  orders:read\n");
    ASSERT_TRUE(authenticator.apiKeys()->reloadIfChanged());
    writeKeys("not a digest line\n");
    EXPECT_THROW(authenticator.apiKeys()->reloadIfChanged(), std::invalid_argument);
    const auto kept = authenticator.apiKeys()->keys();
    EXPECT_EQ(kept->size(), 1u);
    ASSERT_TRUE(kept->find("key-of-bob"));
    EXPECT_EQ(kept->find("key-of-bob")->subject, "bob");
}

TEST_F(AuthenticatorTest, AnswersMissingAndBadCredentialsWithPreciseChallenges) {
    Authenticator authenticator(hmacVerifier(), nullptr,
                                [this](const char* reason) { failures_.push_back(reason); });
    RouteAccess needsScope;
    needsScope.authenticated = true;
    needsScope.scopes = {"orders:read"};

    Request anonymous("GET", "/api/v1/orders");
    anonymous.setAccess(&needsScope);
    const Response missing = run(authenticator, anonymous);
    EXPECT_EQ(missing.status(), 401);
    EXPECT_EQ(missing.headers().get("WWW-Authenticate").value_or(""), "Bearer realm=\"keel\"");
    EXPECT_NE(missing.body().find("needs credentials"), std::string::npos) << missing.body();

    Request open("GET", "/health");  // no access requirements: anonymous callers pass
    bool reached = false;
    EXPECT_EQ(run(authenticator, open, &reached).status(), 200);
    EXPECT_TRUE(reached);
    EXPECT_EQ(open.principal(), nullptr);

    Request basic("GET", "/health");  // a credential that is present must be right, even on open routes
    basic.headers().set("Authorization", "Basic YWxpY2U6cHc=");
    EXPECT_EQ(run(authenticator, basic).status(), 401);

    Request expired("GET", "/api/v1/orders");
    expired.setAccess(&needsScope);
    expired.headers().set("Authorization", "bearer " + hs256(R"({"sub":"alice","exp":1700000000})"));
    const Response late = run(authenticator, expired);
    EXPECT_EQ(late.status(), 401);
    EXPECT_NE(late.headers().get("WWW-Authenticate").value_or("").find("error=\"invalid_token\""), std::string::npos);
    EXPECT_NE(late.body().find("expired at"), std::string::npos) << late.body();

    Request valid("GET", "/api/v1/orders");
    valid.setAccess(&needsScope);
    valid.headers().set("Authorization", "Bearer " + hs256(claims()));
    EXPECT_EQ(run(authenticator, valid).status(), 200);
    ASSERT_NE(valid.principal(), nullptr);
    EXPECT_EQ(valid.principal()->subject, "alice");
    EXPECT_EQ(failures_, (std::vector<std::string>{"missing", "malformed", "expired"}));
}

}  // namespace
}  // namespace keel::plugins::auth
