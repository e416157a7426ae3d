// TLS and mutual TLS on the listeners, certificate rotation on SIGHUP, and https:// downstream
// calls through the SDK client, with a CA and certificates made by openssl for each run.
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/X509Certificate.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>

#include "keel_process.h"
#include "raw_connection.h"

namespace keel::testing {
namespace {

using std::chrono::seconds;

// A throwaway CA with two server certificates (for rotation) and one client certificate.
class TestCertificates {
public:
    TestCertificates() : dir_("/tmp/keel_tls_" + std::to_string(::getpid())) {
        const std::string script =
            "set -e; rm -rf " + dir_ + "; mkdir -p " + dir_ + "; cd " + dir_ +
            "; openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj '/CN=Keel Test CA' "
            "-keyout ca.key -out ca.pem 2>/dev/null"
            "; for name in server-a server-b; do openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
            "-subj \"/CN=$name\" -keyout $name.key -out $name.csr 2>/dev/null; printf "
            "'subjectAltName=IP:127.0.0.1,DNS:localhost\\nextendedKeyUsage=serverAuth\\n' > $name.ext; openssl x509 -req "
            "-in $name.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile $name.ext -out $name.pem "
            "2>/dev/null; done"
            "; openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/O=Keel Test/CN=test-client' "
            "-keyout client.key -out client.csr 2>/dev/null; printf 'extendedKeyUsage=clientAuth\\n' > client.ext; "
            "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile client.ext "
            "-out client.pem 2>/dev/null"
            "; openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj '/CN=rogue' "
            "-keyout rogue.key -out rogue.pem 2>/dev/null"
            "; cp server-a.pem server.pem; cp server-a.key server.key; chmod 600 *.key; echo ok";
        created_ = shellOutput(script) == "ok";
    }
    ~TestCertificates() { shellOutput("rm -rf " + dir_); }
    bool created() const { return created_; }
    std::string path(const std::string& file) const { return dir_ + "/" + file; }
    // Makes server.pem/server.key the `name` pair (as a certificate renewal would).
    void install(const std::string& name) const {
        shellOutput("cp " + path(name + ".pem") + " " + path("server.pem") + ".new && mv " + path("server.pem") + ".new " +
                    path("server.pem") + " && cp " + path(name + ".key") + " " + path("server.key") + ".new && mv " +
                    path("server.key") + ".new " + path("server.key"));
    }

private:
    std::string dir_;
    bool created_ = false;
};

class Tls : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(certificates_.created()) << "openssl could not make the test certificates"; }

    std::vector<std::string> tlsArguments(const std::string& clientAuth = "none") const {
        return {"--define", "server.tls.cert_file=" + certificates_.path("server.pem"), "--define",
                "server.tls.key_file=" + certificates_.path("server.key"), "--define",
                "server.tls.client_ca_file=" + certificates_.path("ca.pem"), "--define",
                "server.tls.client_auth=" + clientAuth};
    }
    // KeelProcess polls /live over plain HTTP; a TLS public listener is polled through admin.
    static bool waitUntilServing(KeelProcess& keel) {
        return eventually([&] { return httpRequest(keel.adminPort(), "GET", "/live").status == 200; }, seconds(20));
    }
    std::string curl(int port, const std::string& path, const std::string& extra = "") const {
        return shellOutput("curl -sS --max-time 5 --cacert " + certificates_.path("ca.pem") + " " + extra +
                           " -w ' HTTP=%{http_code}' https://127.0.0.1:" + std::to_string(port) + path + " 2>&1");
    }
    Poco::Net::Context::Ptr clientContext() const {
        Poco::Net::Context::Params params;
        params.caLocation = certificates_.path("ca.pem");
        params.verificationMode = Poco::Net::Context::VERIFY_RELAXED;
        params.loadDefaultCAs = false;
        return new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
    }

    TestCertificates certificates_;
};

int pocoGet(Poco::Net::HTTPSClientSession& session, const std::string& path, std::string& body) {
    Poco::Net::HTTPRequest request("GET", path, Poco::Net::HTTPMessage::HTTP_1_1);
    request.setKeepAlive(true);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    auto& in = session.receiveResponse(response);
    body.clear();
    Poco::StreamCopier::copyToString(in, body);
    return response.getStatus();
}

TEST_F(Tls, CurlWithTheCaCompletesARoundTripAndPlainHttpToTheTlsPortIsClosed) {
    KeelProcess keel(withPlugins("health", tlsArguments()), {}, true);
    ASSERT_TRUE(waitUntilServing(keel)) << keel.output();
    EXPECT_EQ(curl(keel.publicPort(), "/probe/ok"), "v1 HTTP=200");
    // Without a client certificate the subject is empty.
    EXPECT_EQ(curl(keel.publicPort(), "/probe/client-subject"), " HTTP=200");

    RawConnection plain(keel.publicPort());
    plain.send("GET /probe/ok HTTP/1.1\r\nHost: x\r\n\r\n");
    const auto answer = plain.readAll(seconds(3));
    EXPECT_EQ(answer.find("HTTP/1.1"), std::string::npos) << answer;
    EXPECT_NE(httpRequest(keel.adminPort(), "GET", "/metrics").status, 0);
    keel.signal(SIGTERM);
    EXPECT_EQ(keel.waitForExit(), 0) << keel.output();
    EXPECT_NE(keel.output().find("rejected=tls_handshake"), std::string::npos) << keel.output();
}

TEST_F(Tls, RequiredClientCertificatesAreVerifiedAndTheirSubjectReachesPlugins) {
    KeelProcess keel(withPlugins("health", tlsArguments("require")), {}, true);
    ASSERT_TRUE(waitUntilServing(keel)) << keel.output();
    const std::string withCertificate =
        "--cert " + certificates_.path("client.pem") + " --key " + certificates_.path("client.key");
    EXPECT_EQ(curl(keel.publicPort(), "/probe/client-subject", withCertificate), "CN=test-client,O=Keel Test HTTP=200");
    const auto refused = curl(keel.publicPort(), "/probe/ok");
    EXPECT_EQ(refused.find("HTTP=200"), std::string::npos) << refused;
    // A certificate that does not chain to the client CA is refused as well.
    const auto foreign = curl(keel.publicPort(), "/probe/ok",
                              "--cert " + certificates_.path("rogue.pem") + " --key " + certificates_.path("rogue.key"));
    EXPECT_EQ(foreign.find("HTTP=200"), std::string::npos) << foreign;
}

TEST_F(Tls, OptionalClientCertificatesAreVerifiedWhenSent) {
    KeelProcess keel(withPlugins("health", tlsArguments("optional")), {}, true);
    ASSERT_TRUE(waitUntilServing(keel)) << keel.output();
    EXPECT_EQ(curl(keel.publicPort(), "/probe/ok"), "v1 HTTP=200");
    EXPECT_EQ(curl(keel.publicPort(), "/probe/client-subject",
                   "--cert " + certificates_.path("client.pem") + " --key " + certificates_.path("client.key")),
              "CN=test-client,O=Keel Test HTTP=200");
}

TEST_F(Tls, OldProtocolVersionsAreRefused) {
    KeelProcess keel(withPlugins("health", tlsArguments()), {}, true);
    ASSERT_TRUE(waitUntilServing(keel)) << keel.output();
    // SECLEVEL=0 lets this client offer TLS 1.1 at all, so only the server can refuse it.
    const auto old = curl(keel.publicPort(), "/probe/ok", "--tlsv1.1 --tls-max 1.1 --ciphers DEFAULT@SECLEVEL=0");
    EXPECT_EQ(old.find("HTTP=200"), std::string::npos) << old;
    EXPECT_EQ(curl(keel.publicPort(), "/probe/ok", "--tlsv1.2 --tls-max 1.2"), "v1 HTTP=200");
}

TEST_F(Tls, ACertificateReplacedOnDiskIsServedAfterSighupWhileAnEstablishedConnectionStaysUp) {
    KeelProcess keel(withPlugins("health", tlsArguments()), {}, true);
    ASSERT_TRUE(waitUntilServing(keel)) << keel.output();
    Poco::Net::HTTPSClientSession established("127.0.0.1", static_cast<Poco::UInt16>(keel.publicPort()), clientContext());
    established.setKeepAlive(true);
    established.setTimeout(Poco::Timespan(5, 0));
    std::string body;
    ASSERT_EQ(pocoGet(established, "/probe/ok", body), 200);
    EXPECT_EQ(established.serverCertificate().commonName(), "server-a");

    certificates_.install("server-b");
    keel.signal(SIGHUP);
    ASSERT_TRUE(eventually([&] { return keel.output().find("public listener certificate re-read") != std::string::npos; }))
        << keel.output();

    Poco::Net::HTTPSClientSession fresh("127.0.0.1", static_cast<Poco::UInt16>(keel.publicPort()), clientContext());
    ASSERT_EQ(pocoGet(fresh, "/probe/ok", body), 200);
    EXPECT_EQ(fresh.serverCertificate().commonName(), "server-b");
    // The connection made before the SIGHUP still works and still has the old certificate: it was
    // never closed and re-established.
    ASSERT_EQ(pocoGet(established, "/probe/ok", body), 200);
    EXPECT_EQ(established.serverCertificate().commonName(), "server-a");
}

TEST_F(Tls, ABadCertificateAtStartNamesTheKeyAndABadOneOnSighupKeepsTheOld) {
    auto [code, output] = runKeel({"--define", "server.port=0", "--define", "admin.port=0", "--define",
                                   "server.tls.cert_file=" + certificates_.path("ca.key"), "--define",
                                   "server.tls.key_file=" + certificates_.path("server-a.key")});
    EXPECT_EQ(code, 1) << output;
    EXPECT_NE(output.find("server.tls.cert_file"), std::string::npos) << output;

    KeelProcess keel(withPlugins("health", tlsArguments()), {}, true);
    ASSERT_TRUE(waitUntilServing(keel)) << keel.output();
    shellOutput("cp " + certificates_.path("server-b.key") + " " + certificates_.path("server.key"));  // mismatched pair
    keel.signal(SIGHUP);
    ASSERT_TRUE(eventually([&] { return keel.output().find("keeps its previous certificate") != std::string::npos; }))
        << keel.output();
    EXPECT_EQ(curl(keel.publicPort(), "/probe/ok"), "v1 HTTP=200");
}

TEST_F(Tls, DownstreamHttpsCallsVerifyTheServerAgainstTheConfiguredCa) {
    KeelProcess downstream(withPlugins("health", tlsArguments()), {}, true);
    ASSERT_TRUE(waitUntilServing(downstream)) << downstream.output();
    const std::string url = "https://127.0.0.1:" + std::to_string(downstream.publicPort()) + "/probe/ok";
    const std::string urlByName = "https://localhost:" + std::to_string(downstream.publicPort()) + "/probe/ok";

    KeelProcess trusting(withPlugins("health", {"--define", "http_client.ca_file=" + certificates_.path("ca.pem")}));
    ASSERT_TRUE(trusting.waitUntilLive()) << trusting.output();
    const auto ok = httpRequest(trusting.publicPort(), "GET", "/probe/downstream?url=" + url);
    EXPECT_EQ(ok.body, "downstream 200");
    EXPECT_EQ(httpRequest(trusting.publicPort(), "GET", "/probe/downstream?url=" + urlByName).body, "downstream 200");

    // The system store does not know the test CA: the call fails instead of trusting anyone.
    KeelProcess strict(withPlugins("health"));
    ASSERT_TRUE(strict.waitUntilLive()) << strict.output();
    const auto refused = httpRequest(strict.publicPort(), "GET", "/probe/downstream?url=" + url);
    EXPECT_GE(refused.status, 500) << refused.body;
    EXPECT_EQ(refused.body.find("downstream 200"), std::string::npos);
}

TEST_F(Tls, TheAdminListenerHasItsOwnTlsKeys) {
    KeelProcess keel(withPlugins("health", {"--define", "admin.tls.cert_file=" + certificates_.path("server.pem"),
                                            "--define", "admin.tls.key_file=" + certificates_.path("server.key")}));
    ASSERT_TRUE(keel.waitUntilLive()) << keel.output();  // the public listener stays plain
    const auto live = curl(keel.adminPort(), "/live");
    EXPECT_NE(live.find("HTTP=200"), std::string::npos) << live;
    EXPECT_EQ(httpRequest(keel.adminPort(), "GET", "/live").status, 0);  // plain HTTP to it is closed
}

TEST_F(Tls, OrdersReserveInventoryOverHttpsWithTheTestCa) {
    KeelProcess inventory(withPlugins("health", tlsArguments()), {}, true);
    ASSERT_TRUE(waitUntilServing(inventory)) << inventory.output();
    const std::string database = "/tmp/keel_tls_orders_" + std::to_string(::getpid()) + ".db";
    KeelProcess orders(
        withPlugins("health, resilience, orders",
                    {"--define", "database.url=sqlite:" + database, "--define",
                     "http_client.ca_file=" + certificates_.path("ca.pem")}),
        {{"INVENTORY_SERVICE_URL", "https://localhost:" + std::to_string(inventory.publicPort()) + "/probe"}});
    ASSERT_TRUE(orders.waitUntilLive()) << orders.output();
    ASSERT_TRUE(eventually([&] { return httpRequest(orders.publicPort(), "GET", "/api/v1/orders").status == 200; }));
    const auto created = httpRequest(orders.publicPort(), "POST", "/api/v1/orders",
                                     R"({"user_id":"u-1","items":[{"product_id":"p-1","quantity":2,"price":"1.25"}]})",
                                     "application/json");
    EXPECT_EQ(created.status, 201) << created.body << orders.output();
    EXPECT_EQ(curl(inventory.publicPort(), "/probe/reservations"), "1 HTTP=200");
    ::unlink(database.c_str());
}

}  // namespace
}  // namespace keel::testing
