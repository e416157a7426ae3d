// The auth plugin in a running keel, as a hostile client meets it: forged, expired and misdirected
// tokens, alg "none", HS256 signed with the RS256 public key, cross-user reads, missing scopes,
// revoked API keys. Every refusal is checked for its status, its precise problem and that nothing
// reached the database. Orders live in SQLite here; the secrets test uses the PostgreSQL cluster
// scripts/test starts, with a role of its own.
#include <Poco/Crypto/RSAKey.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <fstream>

#include "keel_process.h"

namespace keel::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const std::string kIssuer = "https://issuer.test/";
const std::string kAudience = "keel-orders";
const std::string kSecret = "jwt-secret-that-is-long-enough-0123456789";

std::string scratch(const std::string& name) { return "/tmp/keel-auth-" + std::to_string(::getpid()) + "-" + name; }

std::string writeFile(const std::string& name, const std::string& text, mode_t mode) {
    const std::string path = scratch(name);
    const std::string temporary = path + ".new";
    std::ofstream(temporary) << text;
    ::chmod(temporary.c_str(), mode);
    std::rename(temporary.c_str(), path.c_str());  // a new file, as a config manager writes it
    return path;
}

struct Claims {
    std::string subject = "alice";
    std::string scope = "orders:read orders:write";
    std::string issuer = kIssuer;
    std::string audience = kAudience;
    int expiresIn = 300;  // seconds from now
    int validFrom = 0;    // nbf, seconds from now (0: no nbf)
};

std::string sign(const Poco::JWT::Signer& signer, const std::string& algorithm, const Claims& claims) {
    Poco::JWT::Token token;
    token.setType("JWT");
    if (!claims.subject.empty()) token.setSubject(claims.subject);
    token.payload().set("scope", claims.scope);
    token.setIssuer(claims.issuer);
    token.setAudience(claims.audience);
    const Poco::Timestamp now;
    token.setExpiration(now + Poco::Timespan(claims.expiresIn, 0));
    if (claims.validFrom != 0) token.setNotBefore(now + Poco::Timespan(claims.validFrom, 0));
    return signer.sign(token, algorithm);
}

std::string hs256(const Claims& claims, const std::string& secret = kSecret) {
    Poco::JWT::Signer signer(secret);
    return sign(signer, Poco::JWT::Signer::ALGO_HS256, claims);
}

Poco::JSON::Object::Ptr json(const std::string& text) {
    return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
}

const std::string kOrder = R"({"items":[{"product_id":"p-1","quantity":1,"price":"2.50"}]})";

class AuthTest : public ::testing::Test {
protected:
    void TearDown() override {
        keel_.reset();
        shellOutput("rm -f " + scratch("*"));
    }
    void start(std::vector<std::string> authDefines) {
        database_ = scratch("orders.db");
        std::vector<std::string> arguments{"--define", "database.url=sqlite:" + database_};
        for (auto& define : authDefines) arguments.insert(arguments.end(), {"--define", define});
        keel_ = std::make_unique<KeelProcess>(withPlugins("health, metrics, auth, resilience, orders", arguments));
        ASSERT_TRUE(keel_->waitUntilLive()) << keel_->output();
        ASSERT_TRUE(eventually([&] { return call("GET", "/api/v1/orders", "").status == 401; })) << keel_->output();
    }
    void startJwt() {
        start({"auth.mode=jwt", "auth.jwt.secret_file=" + writeFile("secret", kSecret + "\n", 0600),
               "auth.jwt.issuer=" + kIssuer, "auth.jwt.audience=" + kAudience});
    }
    HttpResult call(const std::string& method, const std::string& target, const std::string& token,
                    const std::string& body = "", std::map<std::string, std::string> headers = {}) {
        if (!token.empty()) headers["Authorization"] = "Bearer " + token;
        return httpRequest(keel_->publicPort(), method, target, body, body.empty() ? "" : "application/json",
                           seconds(10), headers);
    }
    int storedOrders() {
        Poco::Data::SQLite::Connector::registerConnector();
        Poco::Data::Session session("sqlite", database_);
        int count = 0;
        session << "SELECT COUNT(*) FROM orders", Poco::Data::Keywords::into(count), Poco::Data::Keywords::now;
        return count;
    }
    // A refusal: 401, a problem whose detail holds `detail`, a Bearer challenge, nothing stored.
    void expectUnauthorized(const std::string& token, const std::string& detail, const std::string& why) {
        const int before = storedOrders();
        const auto answer = call("POST", "/api/v1/orders", token, kOrder);
        EXPECT_EQ(answer.status, 401) << why << ": " << answer.body;
        EXPECT_EQ(answer.header("Content-Type"), "application/problem+json") << why;
        EXPECT_NE(answer.body.find(detail), std::string::npos) << why << ": " << answer.body;
        EXPECT_EQ(answer.header("WWW-Authenticate").rfind("Bearer realm=\"keel\"", 0), 0u) << why;
        EXPECT_EQ(storedOrders(), before) << why << ": an order was stored";
    }

    std::string database_;
    std::unique_ptr<KeelProcess> keel_;
};

TEST_F(AuthTest, AValidTokenCreatesOrdersThatOnlyItsUserSees) {
    startJwt();
    const auto alice = hs256({});
    const auto created = call("POST", "/api/v1/orders", alice, kOrder);
    ASSERT_EQ(created.status, 201) << created.body;
    const auto aliceOrder = json(created.body);
    EXPECT_EQ(aliceOrder->getValue<std::string>("user_id"), "alice") << "user_id comes from the token";
    const std::string aliceId = aliceOrder->getValue<std::string>("id");

    Claims bobClaims;
    bobClaims.subject = "bob";
    const auto bob = hs256(bobClaims);
    const auto bobOrder = call("POST", "/api/v1/orders", bob, R"({"user_id":"bob",)" + kOrder.substr(1));
    ASSERT_EQ(bobOrder.status, 201) << bobOrder.body;
    const std::string bobId = json(bobOrder.body)->getValue<std::string>("id");

    // Ordering for someone else, reading someone else's order, listing someone else's orders.
    const auto impostor = call("POST", "/api/v1/orders", alice, R"({"user_id":"bob",)" + kOrder.substr(1));
    EXPECT_EQ(impostor.status, 403) << impostor.body;
    const auto crossRead = call("GET", "/api/v1/orders/" + bobId, alice);
    const auto missing = call("GET", "/api/v1/orders/00000000-0000-4000-8000-000000000000", alice);
    EXPECT_EQ(crossRead.status, 404) << crossRead.body;
    EXPECT_EQ(json(crossRead.body)->getValue<std::string>("title"), json(missing.body)->getValue<std::string>("title"));
    EXPECT_EQ(call("GET", "/api/v1/orders/" + aliceId, alice).status, 200);
    const auto own = json(call("GET", "/api/v1/orders", alice).body)->getArray("orders");
    ASSERT_EQ(own->size(), 1u);
    EXPECT_EQ(own->getObject(0)->getValue<std::string>("id"), aliceId);
    EXPECT_EQ(call("GET", "/api/v1/orders?user_id=bob", alice).status, 403);
    EXPECT_EQ(storedOrders(), 2);

    // orders:admin sees every user's orders.
    Claims adminClaims;
    adminClaims.subject = "support";
    adminClaims.scope = "orders:read orders:admin";
    const auto admin = hs256(adminClaims);
    EXPECT_EQ(json(call("GET", "/api/v1/orders", admin).body)->getArray("orders")->size(), 2u);
    EXPECT_EQ(call("GET", "/api/v1/orders/" + bobId, admin).status, 200);
    // Probes and the OpenAPI document need no token.
    EXPECT_EQ(call("GET", "/health", "").status, 200);
    EXPECT_EQ(call("GET", "/api/v1/openapi.yaml", "").status, 200);
}

TEST_F(AuthTest, EveryBadTokenIsRefusedWithAPreciseProblem) {
    startJwt();
    Claims expired;
    expired.expiresIn = -120;
    Claims early;
    early.validFrom = 3600;
    Claims foreignIssuer;
    foreignIssuer.issuer = "https://evil.example/";
    Claims foreignAudience;
    foreignAudience.audience = "another-service";
    Claims anonymous;
    anonymous.subject = "";
    const std::string good = hs256({});
    const std::string unsignedToken = good.substr(0, good.rfind('.') + 1);  // "header.claims."
    // alg "none": the same claims, a header claiming no signature, an empty signature.
    const std::string noneHeader = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0";  // {"alg":"none","typ":"JWT"}
    const std::string algNone = noneHeader + good.substr(good.find('.'), good.rfind('.') - good.find('.')) + ".";

    expectUnauthorized("", "this route needs credentials", "no token");
    expectUnauthorized(hs256(expired), "the token expired at", "expired");
    expectUnauthorized(hs256(early), "the token is not valid before", "not yet valid");
    expectUnauthorized(hs256(foreignIssuer), "issuer (iss) is not the trusted issuer", "wrong issuer");
    expectUnauthorized(hs256(foreignAudience), "audience (aud) does not include this service", "wrong audience");
    expectUnauthorized(hs256({}, "another-secret-that-is-long-enough-987654"), "signature does not verify",
                       "wrong signature");
    expectUnauthorized(algNone, "not signed (alg none)", "alg none");
    expectUnauthorized(unsignedToken, "has no signature", "signature stripped");
    expectUnauthorized(hs256(anonymous), "no sub claim", "no subject");
    expectUnauthorized("garbage", "not a JWT", "not a token");
    const auto basic = call("GET", "/api/v1/orders", "", "", {{"Authorization", "Basic YWxpY2U6cHc="}});
    EXPECT_EQ(basic.status, 401);
    EXPECT_NE(basic.body.find("Bearer scheme"), std::string::npos) << basic.body;
    // The refusals are counted by reason (every series exists from start-up at 0, so the count
    // must have moved), with no token text in any label.
    const auto metrics = httpRequest(keel_->adminPort(), "GET", "/metrics").body;
    for (const char* reason : {"missing", "expired", "not_yet_valid", "issuer", "audience", "signature", "algorithm",
                               "malformed", "claims"}) {
        const std::string series = std::string("auth_failures_total{reason=\"") + reason + "\"} ";
        const auto at = metrics.find(series);
        ASSERT_NE(at, std::string::npos) << reason << "\n" << metrics;
        EXPECT_GE(std::atof(metrics.c_str() + at + series.size()), 1.0) << reason << "\n" << metrics;
    }
    EXPECT_NE(metrics.find(R"(status="401")"), std::string::npos);
}

// Fail closed: once the auth plugin served the public listener, unloading it (or a failed reload)
// leaves the scoped routes answering 401 from the host, never open; unscoped routes stay open.
TEST_F(AuthTest, ScopedRoutesStayClosedWhenTheAuthPluginIsUnloaded) {
    startJwt();
    const auto alice = hs256({});
    ASSERT_EQ(call("GET", "/api/v1/orders", alice).status, 200);
    const auto unloaded = httpRequest(keel_->adminPort(), "DELETE", "/admin/plugins/auth");
    ASSERT_LT(unloaded.status, 300) << unloaded.body;
    for (const std::string& token : {std::string(), alice}) {
        const auto answer = call("POST", "/api/v1/orders", token, kOrder);
        EXPECT_EQ(answer.status, 401) << answer.body;
        EXPECT_NE(answer.body.find("no authenticating plugin"), std::string::npos) << answer.body;
        EXPECT_EQ(answer.header("WWW-Authenticate"), "Bearer realm=\"keel\"");
    }
    EXPECT_EQ(call("GET", "/api/v1/orders", alice).status, 401);
    EXPECT_EQ(call("GET", "/api/v1/openapi.yaml", "").status, 200);
    EXPECT_EQ(storedOrders(), 0);
}

TEST_F(AuthTest, AMissingScopeIsForbiddenBeforeTheHandlerRuns) {
    startJwt();
    Claims reader;
    reader.scope = "orders:read";
    const auto answer = call("POST", "/api/v1/orders", hs256(reader), kOrder);
    EXPECT_EQ(answer.status, 403) << answer.body;
    EXPECT_NE(answer.body.find("needs the scope orders:write"), std::string::npos) << answer.body;
    EXPECT_EQ(storedOrders(), 0);
    EXPECT_EQ(call("GET", "/api/v1/orders", hs256(reader)).status, 200);
}

TEST_F(AuthTest, Rs256TokensVerifyAndHs256SignedWithThePublicKeyDoesNot) {
    const std::string privateKey = scratch("issuer-private.pem");
    const std::string publicKey = scratch("issuer-public.pem");
    shellOutput("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " + privateKey +
                " 2>/dev/null && openssl pkey -in " + privateKey + " -pubout -out " + publicKey);
    start({"auth.mode=jwt", "auth.jwt.public_key_file=" + publicKey, "auth.jwt.issuer=" + kIssuer,
           "auth.jwt.audience=" + kAudience});
    Poco::JWT::Signer rsa(new Poco::Crypto::RSAKey("", privateKey));
    const auto created = call("POST", "/api/v1/orders", sign(rsa, Poco::JWT::Signer::ALGO_RS256, {}), kOrder);
    EXPECT_EQ(created.status, 201) << created.body;
    std::ifstream in(publicKey);
    const std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    expectUnauthorized(hs256({}, pem), "signed with HS256; only RS256", "HS256 signed with the RSA public key");
}

TEST_F(AuthTest, ApiKeysWorkUntilTheirLineIsRemoved) {
    const std::string digest = shellOutput("printf %s 'alice-key-123' | sha256sum | cut -d' ' -f1");
    const std::string keys = writeFile("keys", digest + "  alice  orders:read orders:write\n", 0640);
    start({"auth.mode=api_key", "auth.api_keys_file=" + keys, "auth.api_keys.reload_interval=100ms"});
    const auto created = call("POST", "/api/v1/orders", "", kOrder, {{"X-API-Key", "alice-key-123"}});
    ASSERT_EQ(created.status, 201) << created.body;
    EXPECT_EQ(json(created.body)->getValue<std::string>("user_id"), "alice");
    EXPECT_EQ(call("GET", "/api/v1/orders", "alice-key-123").status, 200) << "also as a bearer credential";
    EXPECT_EQ(call("GET", "/api/v1/orders", "wrong-key").status, 401);

    writeFile("keys", "# alice's key was revoked\n", 0640);
    EXPECT_TRUE(eventually([&] { return call("GET", "/api/v1/orders", "alice-key-123").status == 401; }, seconds(5)))
        << keel_->output();
    expectUnauthorized("alice-key-123", "not known (or was revoked)", "revoked key");
}

TEST(AuthStartup, AModeWithoutItsKeyOrAWeakSecretDoesNotStart) {
    const std::string weak = writeFile("weak", "short\n", 0600);
    const std::string readable = writeFile("readable", kSecret + "\n", 0644);
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
        {{"auth.mode=jwt"}, "set exactly one of auth.jwt.secret_file"},
        {{"auth.mode=jwt", "auth.jwt.secret_file=" + weak}, "at least 32 bytes"},
        {{"auth.mode=jwt", "auth.jwt.secret_file=" + readable}, "other users may read or write it"},
        {{"auth.mode=api_key"}, "auth.api_keys_file"},
        {{"auth.mode=oauth"}, "auth.mode"},
    };
    for (const auto& [defines, expected] : cases) {
        std::vector<std::string> arguments{"--define", "plugins.list=health, auth", "--define",
                                           std::string("plugins.dir=") + KEEL_PLUGIN_DIR, "--check-config"};
        for (const auto& define : defines) arguments.insert(arguments.end(), {"--define", define});
        const auto [code, output] = runKeel(arguments);
        EXPECT_EQ(code, 78) << expected << "\n" << output;
        EXPECT_NE(output.find(expected), std::string::npos) << output;
        EXPECT_EQ(output.find(kSecret), std::string::npos) << "the secret leaked: " << output;
    }
    shellOutput("rm -f " + scratch("*"));
}

// Everything one keel prints and answers in a run that uses every secret it can hold: a database
// password (a role of its own on the test cluster), a JWT secret and an admin token, at debug
// level, through start-up, orders, refusals, admin calls, a reload, SIGHUP and SIGTERM.
TEST(Secrets, AFullRunWithEverySecretConfiguredShowsNoneOfThem) {
    const char* base = std::getenv("KEELTEST_DATABASE_URL");
    ASSERT_NE(base, nullptr) << "KEELTEST_DATABASE_URL is not set: run the tests with scripts/test";
    const std::string role = "keel_secret_" + std::to_string(::getpid());
    const std::string password = "Pg-Pass-" + std::to_string(::getpid()) + "-q7Zx";
    const std::string token = "admin-token-" + std::to_string(::getpid()) + "-Lk3v";
    const std::string psql = std::string("psql -X -tA \"") + base + "\" -c ";
    shellOutput(psql + "\"CREATE ROLE " + role + " LOGIN PASSWORD '" + password + "'\"");
    // PostgreSQL 15: only a member of the owner role may create a database it owns.
    shellOutput(psql + "\"GRANT " + role + " TO CURRENT_USER\" -c \"CREATE DATABASE " + role + " OWNER " + role + "\"");
    struct DropRole {  // whatever happens below, the shared cluster gets rid of them
        std::string command;
        ~DropRole() { shellOutput(command); }
    } dropRole{psql + "\"DROP DATABASE IF EXISTS " + role + " WITH (FORCE)\" -c \"DROP ROLE IF EXISTS " + role + "\""};
    ASSERT_NE(shellOutput(psql + "\"SELECT datname FROM pg_database WHERE datname = '" + role + "'\"").find(role),
              std::string::npos)
        << "could not create role and database " << role << " (the test role needs CREATEROLE)";
    std::string url(base);
    const auto at = url.find('@');
    url = "postgresql://" + role + ":" + password + url.substr(at, url.rfind('/') - at + 1) + role;

    const std::string tokenFile = writeFile("admin-token", token + "\n", 0600);
    const std::string secretFile = writeFile("jwt-secret", kSecret + "\n", 0600);
    const std::vector<std::string> settings{"--define", "admin.token_file=" + tokenFile, "--define", "auth.mode=jwt",
                                            "--define", "auth.jwt.secret_file=" + secretFile, "--define", "log.level=debug"};
    std::string seen;  // every answer's headers and body
    auto record = [&seen](const HttpResult& answer) {
        for (const auto& [name, value] : answer.headers) seen += name + ": " + value + "\n";
        seen += answer.body + "\n";
        return answer;
    };
    {
        KeelProcess keel(withPlugins("health, metrics, auth, resilience, orders", settings), {{"DATABASE_URL", url}});
        ASSERT_TRUE(keel.waitUntilLive()) << keel.output();
        const std::map<std::string, std::string> admin{{"Authorization", "Bearer " + token}};
        const std::map<std::string, std::string> user{{"Authorization", "Bearer " + hs256({}, kSecret)}};
        ASSERT_TRUE(eventually([&] {
            return httpRequest(keel.publicPort(), "GET", "/api/v1/orders", "", "", seconds(5), user).status == 200;
        })) << keel.output();
        EXPECT_EQ(record(httpRequest(keel.publicPort(), "POST", "/api/v1/orders", kOrder, "application/json", seconds(10),
                                     user)).status, 201);
        record(httpRequest(keel.publicPort(), "GET", "/api/v1/orders", "", "", seconds(10), user));
        record(httpRequest(keel.publicPort(), "GET", "/api/v1/orders", "", "", seconds(10),
                           {{"Authorization", "Bearer " + hs256({}, kSecret + "-tampered")}}));
        record(httpRequest(keel.publicPort(), "POST", "/api/v1/orders", "{broken", "application/json", seconds(10), user));
        record(httpRequest(keel.adminPort(), "GET", "/admin/plugins", "", "", seconds(10),
                           {{"Authorization", "Bearer wrong-" + token}}));
        for (const char* path : {"/admin/status", "/admin/plugins", "/admin/resilience", "/metrics", "/health"}) {
            EXPECT_EQ(record(httpRequest(keel.adminPort(), "GET", path, "", "", seconds(10), admin)).status, 200) << path;
            record(httpRequest(keel.publicPort(), "GET", path));
        }
        EXPECT_EQ(record(httpRequest(keel.adminPort(), "POST", "/admin/plugins/orders/reload", "", "application/json",
                                     seconds(30), admin)).status, 200);
        keel.signal(SIGHUP);
        EXPECT_TRUE(eventually([&] { return keel.output().find("SIGHUP") != std::string::npos; })) << keel.output();
        keel.signal(SIGTERM);
        EXPECT_EQ(keel.waitForExit(), 0) << keel.output();
        seen += keel.output();
    }
    std::vector<std::string> offline{"--define", "database.url=" + url, "--define",
                                     std::string("plugins.dir=") + KEEL_PLUGIN_DIR, "--define",
                                     "plugins.list=health, metrics, auth, resilience, orders"};
    offline.insert(offline.end(), settings.begin(), settings.end());
    for (const char* mode : {"--print-config", "--check-config"}) {
        auto arguments = offline;
        arguments.push_back(mode);
        seen += runKeel(arguments).second;
    }
    ASSERT_NE(seen.find("\"status\""), std::string::npos) << "the run produced nothing to search";
    for (const std::string& secret : {password, token, kSecret}) {
        EXPECT_EQ(seen.find(secret), std::string::npos) << "a secret appears in the run's output:\n" << seen;
    }
    shellOutput("rm -f " + scratch("*"));
}

}  // namespace
}  // namespace keel::testing
