// Keel as an attacker meets it: a web page driving the admin API (foreign Host, cross-site
// Origin, text/plain bodies), an admin listener on the network without a token, a token file
// others can read, a rotated token, metrics a client could skew, and secrets searched for in
// everything the process prints.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "keel_process.h"

namespace keel::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::string tempFile(const std::string& name, const std::string& text, mode_t mode) {
    const std::string path = "/tmp/keel-security-" + std::to_string(::getpid()) + "-" + name;
    std::ofstream(path) << text;
    ::chmod(path.c_str(), mode);
    return path;
}

class AdminApi : public ::testing::Test {
protected:
    void SetUp() override {
        keel_ = std::make_unique<KeelProcess>(withPlugins("health, hello"));
        ASSERT_TRUE(keel_->waitUntilLive()) << keel_->output();
        host_ = "127.0.0.1:" + std::to_string(keel_->adminPort());
    }
    HttpResult admin(const std::string& method, const std::string& target, const std::string& body,
                     const std::string& contentType, const std::map<std::string, std::string>& headers = {}) {
        return httpRequest(keel_->adminPort(), method, target, body, contentType, seconds(10), headers);
    }
    std::unique_ptr<KeelProcess> keel_;
    std::string host_;
};

TEST_F(AdminApi, ATextPlainReloadIsRefusedAndNothingIsLoaded) {
    // What a cross-site form or fetch without a preflight can send.
    const auto answer = admin("POST", "/admin/plugins/hello/reload", R"({"path":"/tmp/evil.so"})", "text/plain");
    EXPECT_EQ(answer.status, 415) << answer.body;
    EXPECT_EQ(answer.header("Content-Type"), "application/problem+json");
    EXPECT_EQ(admin("POST", "/admin/plugins/hello/reload", "", "").status, 415) << "an empty form post";
    EXPECT_EQ(admin("POST", "/admin/plugins", R"({"name":"hello"})", "application/x-www-form-urlencoded").status, 415);
    EXPECT_EQ(admin("POST", "/admin/plugins/hello/reload", "", "application/json").status, 200);
}

TEST_F(AdminApi, AForeignHostIsMisdirected) {
    const auto rebound = admin("GET", "/admin/plugins", "", "", {{"Host", "attacker.example"}});
    EXPECT_EQ(rebound.status, 421) << rebound.body;
    EXPECT_EQ(admin("POST", "/admin/plugins/hello/reload", "", "application/json", {{"Host", "attacker.example:80"}}).status,
              421);
    EXPECT_EQ(admin("GET", "/admin/plugins", "", "", {{"Host", host_}}).status, 200);
    EXPECT_EQ(admin("GET", "/admin/plugins", "", "", {{"Host", "localhost:" + std::to_string(keel_->adminPort())}}).status,
              200);
    // Scrapers and probes keep working whatever Host they send.
    EXPECT_EQ(admin("GET", "/health", "", "", {{"Host", "kubelet.example"}}).status, 200);
}

TEST_F(AdminApi, ACrossSiteOriginIsRefusedTheListenersOwnIsNot) {
    const auto evil = admin("POST", "/admin/plugins/hello/reload", "", "application/json",
                            {{"Origin", "http://evil.example"}});
    EXPECT_EQ(evil.status, 403) << evil.body;
    EXPECT_EQ(admin("GET", "/admin/plugins", "", "", {{"Origin", "null"}}).status, 403);
    EXPECT_EQ(admin("GET", "/admin/plugins", "", "", {{"Origin", "http://" + host_}, {"Host", host_}}).status, 200);
}

TEST_F(AdminApi, AnswersCarrySecurityHeadersAndNoServerBanner) {
    const auto answer = admin("GET", "/admin/plugins", "", "");
    EXPECT_EQ(answer.header("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(answer.header("Cache-Control"), "no-store");
    EXPECT_EQ(answer.header("Server"), "");
    EXPECT_EQ(answer.header("Strict-Transport-Security"), "") << "no HSTS without TLS";
    const auto hello = httpRequest(keel_->publicPort(), "GET", "/hello/Ada");
    EXPECT_EQ(hello.header("X-Content-Type-Options"), "nosniff");
}

TEST(AdminStartup, ANetworkFacingAdminListenerWithoutATokenDoesNotStart) {
    KeelProcess keel(withPlugins("health", {"--define", "admin.host=0.0.0.0"}));
    EXPECT_EQ(keel.waitForExit(seconds(15)), 78);
    EXPECT_NE(keel.output().find("admin.token_file"), std::string::npos) << keel.output();
    EXPECT_NE(keel.output().find("admin.host"), std::string::npos) << keel.output();
}

TEST(AdminStartup, ATokenFileOthersCanReadDoesNotStart) {
    const std::string token = "world-readable-token-7f3a";
    const std::string file = tempFile("readable-token", token + "\n", 0644);
    KeelProcess keel(withPlugins("health", {"--define", "admin.token_file=" + file}));
    EXPECT_EQ(keel.waitForExit(seconds(15)), 78);
    EXPECT_NE(keel.output().find("other users may read"), std::string::npos) << keel.output();
    EXPECT_EQ(keel.output().find(token), std::string::npos) << "the token leaked";
    std::remove(file.c_str());
}

TEST(AdminToken, IsRotatedBySighup) {
    const std::string file = tempFile("rotated-token", "first-token-1111\n", 0600);
    KeelProcess keel(withPlugins("health", {"--define", "admin.token_file=" + file}));
    ASSERT_TRUE(keel.waitUntilLive()) << keel.output();
    const auto status = [&](const std::string& token) {
        return httpRequest(keel.adminPort(), "GET", "/admin/plugins", "", "", seconds(10),
                           {{"Authorization", "Bearer " + token}})
            .status;
    };
    EXPECT_EQ(status("first-token-1111"), 200);
    EXPECT_EQ(status("second-token-2222"), 401);
    std::ofstream(file, std::ios::trunc) << "second-token-2222\n";
    keel.signal(SIGHUP);
    EXPECT_TRUE(eventually([&] { return status("second-token-2222") == 200; })) << keel.output();
    EXPECT_EQ(status("first-token-1111"), 401);
    keel.signal(SIGTERM);
    EXPECT_EQ(keel.waitForExit(), 0);
    for (const char* token : {"first-token-1111", "second-token-2222"}) {
        EXPECT_EQ(keel.output().find(token), std::string::npos) << token << " leaked:\n" << keel.output();
    }
    std::remove(file.c_str());
}

TEST(AdminConsole, ItsFilesNeedNoTokenButTheApiDoesAndAForeignHostGetsNeither) {
    const std::string file = tempFile("console-token", "console-token-5555\n", 0600);
    KeelProcess keel(withPlugins("health, hello", {"--define", "admin.token_file=" + file}));
    ASSERT_TRUE(keel.waitUntilLive()) << keel.output();
    const auto get = [&](const std::string& target, const std::map<std::string, std::string>& headers = {}) {
        return httpRequest(keel.adminPort(), "GET", target, "", "", seconds(10), headers);
    };
    const auto page = get("/admin/");
    EXPECT_EQ(page.status, 200);
    EXPECT_EQ(page.header("Content-Type"), "text/html; charset=utf-8");
    EXPECT_NE(page.header("Content-Security-Policy").find("script-src 'self'"), std::string::npos);
    EXPECT_EQ(page.header("Content-Security-Policy").find("unsafe-inline"), std::string::npos);
    EXPECT_EQ(page.body.find("<script>"), std::string::npos) << "no inline script";
    EXPECT_EQ(get("/admin/console.js").header("Content-Type"), "text/javascript; charset=utf-8");
    EXPECT_EQ(get("/admin/console.css").status, 200);
    const auto redirect = get("/admin");
    EXPECT_EQ(redirect.status, 308);
    EXPECT_EQ(redirect.header("Location"), "/admin/");
    EXPECT_EQ(get("/admin/", {{"Host", "attacker.example"}}).status, 421) << "rebinding still refused";
    EXPECT_EQ(get("/admin/status").status, 401) << "the data still needs the token";
    EXPECT_EQ(get("/admin/plugin-files").status, 401);
    EXPECT_EQ(httpRequest(keel.publicPort(), "GET", "/admin/").status, 404) << "not on the public listener";
}

TEST(AdminConsole, StatusSaysWhereTheConfigurationCameFromAndPluginFilesListsWhatCanBeLoaded) {
    KeelProcess keel(withPlugins("health"));
    ASSERT_TRUE(keel.waitUntilLive()) << keel.output();
    const auto status = httpRequest(keel.adminPort(), "GET", "/admin/status");
    ASSERT_EQ(status.status, 200) << status.body;
    for (const char* field : {"\"instance_id\"", "\"uptime_seconds\"", "\"started_at\"", "\"config_files\"",
                              "\"config_loaded_at\""}) {
        EXPECT_NE(status.body.find(field), std::string::npos) << field << " in " << status.body;
    }
    const auto files = httpRequest(keel.adminPort(), "GET", "/admin/plugin-files");
    ASSERT_EQ(files.status, 200) << files.body;
    for (const char* name : {"\"hello\"", "\"orders\"", "\"health\""}) {
        EXPECT_NE(files.body.find(name), std::string::npos) << name << " in " << files.body;
    }
}

TEST(Metrics, ClientErrorsAreCountedUnderTheStatusTheClientGot) {
    const std::string database = "/tmp/keel-security-" + std::to_string(::getpid()) + "-metrics.db";
    KeelProcess keel(withPlugins("health, metrics, resilience, orders", {"--define", "database.url=sqlite:" + database}));
    ASSERT_TRUE(keel.waitUntilLive()) << keel.output();
    for (int i = 0; i < 3; ++i) {
        const auto invalid = httpRequest(keel.publicPort(), "POST", "/api/v1/orders", R"({"user_id":"","items":[]})",
                                         "application/json");
        ASSERT_EQ(invalid.status, 422) << invalid.body;
    }
    const auto metrics = httpRequest(keel.adminPort(), "GET", "/metrics").body;
    const std::string counted =
        R"(http_server_requests_total{method="POST",route="/api/v1/orders",status="422"} 3)";
    EXPECT_NE(metrics.find(counted), std::string::npos) << metrics.substr(0, 3000);
    EXPECT_EQ(metrics.find(R"(route="/api/v1/orders",status="500")"), std::string::npos);
    EXPECT_NE(metrics.find(R"(http_server_request_duration_seconds_count{method="POST",route="/api/v1/orders",status="422"} 3)"),
              std::string::npos)
        << "every request is timed, failed ones included";
    std::remove(database.c_str());
}

TEST(Metrics, FailedLoadsOfInventedNamesShareOneSeries) {
    const std::string file = tempFile("metrics-token", "metrics-token-3333\n", 0600);
    KeelProcess keel(withPlugins("health, metrics", {"--define", "admin.token_file=" + file}));
    ASSERT_TRUE(keel.waitUntilLive()) << keel.output();
    for (const char* name : {"no-such-plugin-1", "no-such-plugin-2", "no-such-plugin-3", "../../etc/passwd"}) {
        const auto refused = httpRequest(keel.adminPort(), "POST", "/admin/plugins", std::string(R"({"name":")") + name + "\"}",
                                         "application/json", seconds(10), {{"Authorization", "Bearer metrics-token-3333"}});
        EXPECT_GE(refused.status, 400) << name;
    }
    const auto metrics = httpRequest(keel.adminPort(), "GET", "/metrics").body;
    EXPECT_NE(metrics.find(R"(keel_plugin_loads_total{plugin="unknown",result="failed"} 3)"), std::string::npos)
        << metrics.substr(0, 4000);
    EXPECT_EQ(metrics.find("no-such-plugin"), std::string::npos);
    std::remove(file.c_str());
}

TEST(Secrets, NeverAppearInTheOutputOrInAnswers) {
    const std::string password = "Pa55@word:with-at";
    const std::string queryPassword = "QueryPassw0rd";
    const std::string token = "admin-token-secret-4444";
    const std::string file = tempFile("secret-token", token + "\n", 0600);
    // An unreachable database: the orders plugin fails to start and says why, URL included.
    const std::string url = "postgresql://keel:Pa55%40word%3Awith-at@127.0.0.1:1/orders?password=" + queryPassword;
    KeelProcess keel(withPlugins("health, metrics, resilience, orders",
                                 {"--define", "admin.token_file=" + file, "--define", "database.connect_timeout=1s"}),
                     {{"DATABASE_URL", url}});
    ASSERT_TRUE(keel.waitUntilLive(seconds(30))) << keel.output();
    std::string answers;
    const std::map<std::string, std::string> auth{{"Authorization", "Bearer " + token}};
    for (const char* path : {"/health", "/ready", "/admin/plugins", "/admin/status", "/metrics"}) {
        answers += httpRequest(keel.adminPort(), "GET", path, "", "", seconds(10), auth).body;
        answers += httpRequest(keel.publicPort(), "GET", path).body;
    }
    keel.signal(SIGTERM);
    keel.waitForExit();
    const auto printed = runKeel({"--define", "database.url=" + url, "--print-config"});
    for (const std::string& secret : {password, std::string("Pa55%40word"), queryPassword, token}) {
        EXPECT_EQ(keel.output().find(secret), std::string::npos) << secret << " in the log:\n" << keel.output();
        EXPECT_EQ(answers.find(secret), std::string::npos) << secret << " in an answer";
        EXPECT_EQ(printed.second.find(secret), std::string::npos) << secret << " in --print-config";
    }
    std::remove(file.c_str());
}

// A file whose constructor writes a marker when the library is mapped, built for an ABI no host
// accepts: every way of loading it must refuse it from the file alone.
class HostileFile : public ::testing::Test {
protected:
    void SetUp() override { std::remove(kMarker.c_str()); }
    void TearDown() override { std::remove(kMarker.c_str()); }
    bool constructorRan() const { return ::access(kMarker.c_str(), F_OK) == 0; }
    const std::string kMarker = std::string(KEEL_TEST_PLUGIN_DIR) + "/../hostile-constructor-ran";
    const std::string kHostile = std::string(KEEL_TEST_PLUGIN_DIR) + "/hostile/probe.so";
};

TEST_F(HostileFile, InspectingItNeverRunsIt) {
    const auto [code, output] = runKeel({"--inspect-plugin", kHostile});
    EXPECT_NE(code, 0);
    EXPECT_NE(output.find("built for SDK ABI 1"), std::string::npos) << output;
    EXPECT_FALSE(constructorRan());
}

TEST_F(HostileFile, RefusedAtStartUpByLoadAndByReloadWithoutRunning) {
    KeelProcess keel({"--define", std::string("plugins.dir=") + KEEL_PLUGIN_DIR, "--define",
                      "plugins.list=health, hello, " + kHostile, "--define",
                      std::string("plugins.allowed_dirs=") + KEEL_TEST_PLUGIN_DIR});
    ASSERT_TRUE(keel.waitUntilLive()) << keel.output();
    EXPECT_NE(keel.output().find("built for SDK ABI 1"), std::string::npos) << keel.output();
    const auto load = httpRequest(keel.adminPort(), "POST", "/admin/plugins", R"({"path":")" + kHostile + "\"}",
                                  "application/json");
    EXPECT_EQ(load.status, 422) << load.body;
    const auto reload = httpRequest(keel.adminPort(), "POST", "/admin/plugins/hello/reload",
                                    R"({"path":")" + kHostile + "\"}", "application/json");
    EXPECT_EQ(reload.status, 422) << reload.body;
    EXPECT_EQ(httpRequest(keel.publicPort(), "GET", "/hello/Ada").status, 200) << "hello keeps serving";
    EXPECT_FALSE(constructorRan()) << "the file's code ran";
}

TEST(PluginFiles, ALoadByPathOutsideTheTrustedDirectoriesIsRefused) {
    const std::string elsewhere = "/tmp/keel-untrusted-" + std::to_string(::getpid());
    ASSERT_EQ(shellOutput("mkdir -p " + elsewhere + " && cp " + std::string(KEEL_TEST_PLUGIN_DIR) + "/v2/probe.so " +
                          elsewhere + "/probe.so && echo ok"),
              "ok");
    KeelProcess keel(withPlugins("health"));
    ASSERT_TRUE(keel.waitUntilLive()) << keel.output();
    const auto outside = httpRequest(keel.adminPort(), "POST", "/admin/plugins/probe/reload",
                                     R"({"path":")" + elsewhere + "/probe.so\"}", "application/json");
    EXPECT_EQ(outside.status, 403) << outside.body;
    EXPECT_NE(outside.body.find("plugins.allowed_dirs"), std::string::npos) << outside.body;
    // Inside a trusted directory but writable by anyone: refused too (a private copy, so no other
    // test sees the mode change).
    const std::string copyDir = std::string(KEEL_TEST_PLUGIN_DIR) + "/security-" + std::to_string(::getpid());
    const std::string copy = copyDir + "/probe.so";
    ASSERT_EQ(shellOutput("mkdir -p " + copyDir + " && cp " + std::string(KEEL_TEST_PLUGIN_DIR) + "/v2/probe.so " +
                          copy + " && chmod 0777 " + copy + " && echo ok"),
              "ok");
    const auto open = httpRequest(keel.adminPort(), "POST", "/admin/plugins/probe/reload",
                                  R"({"path":")" + copy + "\"}", "application/json");
    EXPECT_EQ(open.status, 403) << open.body;
    EXPECT_NE(open.body.find("writable by other users"), std::string::npos) << open.body;
    EXPECT_EQ(httpRequest(keel.publicPort(), "GET", "/probe/ok").body, "v1") << "v1 keeps serving";
    // The same file, no longer writable by others, is accepted: the check refuses only what it names.
    ::chmod(copy.c_str(), 0755);
    const auto trusted = httpRequest(keel.adminPort(), "POST", "/admin/plugins/probe/reload",
                                     R"({"path":")" + copy + "\"}", "application/json");
    EXPECT_EQ(trusted.status, 200) << trusted.body;
    EXPECT_EQ(httpRequest(keel.publicPort(), "GET", "/probe/ok").body, "v2");
    const auto nul = httpRequest(keel.adminPort(), "POST", "/admin/plugins", R"({"name":"probe\u0000x"})",
                                 "application/json");
    EXPECT_EQ(nul.status, 400) << nul.body;
    shellOutput("rm -rf " + elsewhere + " " + copyDir);
}

}  // namespace
}  // namespace keel::testing
