// The real keel binary with real plugins over loopback sockets.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "keel/version.h"
#include "keel_process.h"

namespace keel::testing {
namespace {

const std::string kTestPlugins = KEEL_TEST_PLUGIN_DIR;

// The default set plus the test probe, loaded from its path.
std::vector<std::string> withProbe(std::vector<std::string> extra = {}) { return withPlugins("health, hello", std::move(extra)); }

std::string mapsOf(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/maps");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

TEST(KeelIntegration, ServesHealthReadyAndLiveOnBothListeners) {
    KeelProcess keel(withProbe());
    ASSERT_TRUE(keel.waitUntilLive()) << keel.output();
    // Live comes first, ready once start-up has finished.
    ASSERT_TRUE(eventually([&] { return httpRequest(keel.publicPort(), "GET", "/ready").status == 200; }))
        << keel.output();
    for (int port : {keel.publicPort(), keel.adminPort()}) {
        auto health = httpRequest(port, "GET", "/health");
        EXPECT_EQ(health.status, 200) << health.body;
        EXPECT_EQ(health.headers["Content-Type"], "application/health+json");
        EXPECT_NE(health.body.find("\"status\":\"pass\""), std::string::npos) << health.body;
        EXPECT_NE(health.body.find("\"probe:probe\""), std::string::npos) << health.body;
        EXPECT_EQ(httpRequest(port, "GET", "/ready").status, 200);
        EXPECT_EQ(httpRequest(port, "GET", "/live").status, 200);
    }
    keel.signal(SIGTERM);
    EXPECT_EQ(keel.waitForExit(), 0) << keel.output();
}

TEST(KeelIntegration, FailingCriticalCheckMakesHealth503) {
    KeelProcess keel(withProbe({"--define", "probe.healthy=false"}));
    ASSERT_TRUE(keel.waitUntilLive()) << keel.output();
    auto health = httpRequest(keel.publicPort(), "GET", "/health");
    EXPECT_EQ(health.status, 503);
    // The public listener says which check failed, not why (a database's reason names its host);
    // the admin listener tells the operator everything.
    EXPECT_EQ(health.body.find("probe told to be unhealthy"), std::string::npos) << health.body;
    EXPECT_NE(health.body.find("probe unavailable"), std::string::npos) << health.body;
    auto detailed = httpRequest(keel.adminPort(), "GET", "/health");
    EXPECT_EQ(detailed.status, 503);
    EXPECT_NE(detailed.body.find("probe told to be unhealthy"), std::string::npos) << detailed.body;
}

TEST(KeelIntegration, HandlerExceptionGives500ProblemAndTheNextRequestSucceeds) {
    KeelProcess keel(withProbe());
    ASSERT_TRUE(keel.waitUntilLive()) << keel.output();
    auto failed = httpRequest(keel.publicPort(), "GET", "/probe/throw");
    EXPECT_EQ(failed.status, 500);
    EXPECT_EQ(failed.headers["Content-Type"], "application/problem+json");
    const auto next = httpRequest(keel.publicPort(), "GET", "/probe/ok");
    EXPECT_EQ(next.status, 200);
    EXPECT_EQ(next.body, "v1");
    EXPECT_NE(keel.output().find("probe handler failed"), std::string::npos);
}

TEST(KeelIntegration, AnswersProblemsFor404And405AndOversizedBodies) {
    KeelProcess keel(withProbe({"--define", "server.max_body_size=16"}));
    ASSERT_TRUE(keel.waitUntilLive()) << keel.output();
    EXPECT_EQ(httpRequest(keel.publicPort(), "GET", "/no/such/path").status, 404);
    auto wrongMethod = httpRequest(keel.publicPort(), "POST", "/hello/Ada", "{}", "application/json");
    EXPECT_EQ(wrongMethod.status, 405);
    EXPECT_EQ(wrongMethod.headers["Allow"], "GET, HEAD");
    auto tooLarge = httpRequest(keel.publicPort(), "POST", "/hello/Ada", std::string(64, 'x'), "text/plain");
    EXPECT_EQ(tooLarge.status, 413);
    EXPECT_EQ(tooLarge.headers["Content-Type"], "application/problem+json");
}

TEST(KeelIntegration, UnloadThenLoadTheExamplePluginThroughTheAdminApi) {
    KeelProcess keel(withProbe());
    ASSERT_TRUE(keel.waitUntilLive()) << keel.output();
    ASSERT_EQ(httpRequest(keel.publicPort(), "GET", "/hello/Ada").status, 200);
    ASSERT_NE(mapsOf(keel.pid()).find("hello.so"), std::string::npos);

    EXPECT_EQ(httpRequest(keel.adminPort(), "DELETE", "/admin/plugins/hello").status, 204);
    EXPECT_EQ(httpRequest(keel.publicPort(), "GET", "/hello/Ada").status, 404);
    EXPECT_TRUE(eventually([&] { return mapsOf(keel.pid()).find("hello.so") == std::string::npos; }))
        << "hello.so is still mapped after unload";
    EXPECT_EQ(httpRequest(keel.adminPort(), "DELETE", "/admin/plugins/hello").status, 404);

    const auto loaded = httpRequest(keel.adminPort(), "POST", "/admin/plugins", R"({"name":"hello"})", "application/json");
    EXPECT_EQ(loaded.status, 201) << loaded.body;
    EXPECT_NE(loaded.body.find("\"name\":\"hello\""), std::string::npos);
    EXPECT_EQ(httpRequest(keel.publicPort(), "GET", "/hello/Ada").body, R"({"message":"Hello, Ada!"})");

    const auto refused = httpRequest(keel.adminPort(), "POST", "/admin/plugins",
                                     R"({"path":")" + kTestPlugins + R"(/wrong_abi.so"})", "application/json");
    EXPECT_EQ(refused.status, 422);
    EXPECT_NE(refused.body.find("SDK ABI 999"), std::string::npos) << refused.body;
    keel.signal(SIGTERM);
    EXPECT_EQ(keel.waitForExit(), 0) << keel.output();
}

// A refused load says how to fix it, names the operator's file (never the private copy) and
// is written to the log as well as answered.
TEST(KeelIntegration, RefusedLoadsNameTheFixAndAreLogged) {
    const std::string directory = "/tmp/keel-refused-" + std::to_string(::getpid());
    shellOutput("mkdir -p " + directory + " && cp " + kTestPlugins + "/probe.so " + directory +
                "/renamed.so && echo 'not a plugin' > " + directory + "/text.so");
    KeelProcess keel(withPlugins("health, hello", {"--define", "plugins.allowed_dirs=" + kTestPlugins + "," + directory}));
    ASSERT_TRUE(keel.waitUntilLive()) << keel.output();
    const auto load = [&](const std::string& body) {
        return httpRequest(keel.adminPort(), "POST", "/admin/plugins", body, "application/json");
    };
    const auto again = load(R"({"name":"hello"})");
    EXPECT_EQ(again.status, 409);
    EXPECT_NE(again.body.find("already loaded; to replace it with this file, POST /admin/plugins/hello/reload"),
              std::string::npos)
        << again.body;
    const auto renamed = load(R"({"path":")" + directory + R"(/renamed.so"})");
    EXPECT_EQ(renamed.status, 422);
    EXPECT_NE(renamed.body.find("declares the name 'probe'; a plugin's file must be named after it (probe.so)"),
              std::string::npos)
        << renamed.body;
    const auto text = load(R"({"path":")" + directory + R"(/text.so"})");
    EXPECT_EQ(text.status, 422);
    EXPECT_NE(text.body.find(directory + "/text.so"), std::string::npos) << text.body;
    EXPECT_EQ(text.body.find("keel-plugins-"), std::string::npos) << "the private copy is named: " << text.body;
    const std::string output = keel.output();
    EXPECT_NE(output.find("load of plugin hello refused: plugin hello is already loaded"), std::string::npos) << output;
    EXPECT_NE(output.find("load of plugin renamed refused"), std::string::npos) << output;
    EXPECT_NE(output.find("load of plugin text refused"), std::string::npos) << output;
    shellOutput("rm -rf " + directory);
}

TEST(KeelIntegration, UnloadingAProviderIsRefusedWhileUsedAndCascadesOnRequest) {
    KeelProcess keel(withProbe());
    ASSERT_TRUE(keel.waitUntilLive()) << keel.output();
    const auto consumer = httpRequest(keel.adminPort(), "POST", "/admin/plugins",
                                      R"({"path":")" + kTestPlugins + R"(/consumer.so"})", "application/json");
    ASSERT_EQ(consumer.status, 201) << consumer.body;
    EXPECT_EQ(httpRequest(keel.publicPort(), "GET", "/consumer/uses").body, "probe:hi");
    const auto refused = httpRequest(keel.adminPort(), "DELETE", "/admin/plugins/probe");
    EXPECT_EQ(refused.status, 409);
    EXPECT_NE(refused.body.find("required by consumer"), std::string::npos) << refused.body;
    EXPECT_EQ(httpRequest(keel.adminPort(), "DELETE", "/admin/plugins/probe?cascade=true").status, 204);
    EXPECT_EQ(httpRequest(keel.publicPort(), "GET", "/consumer/uses").status, 404);
    EXPECT_EQ(httpRequest(keel.publicPort(), "GET", "/live").status, 200) << keel.output();
    keel.signal(SIGTERM);
    EXPECT_EQ(keel.waitForExit(), 0) << keel.output();
}

TEST(KeelIntegration, SigtermDrainsInFlightRequestsRefusesNewConnectionsAndExitsZero) {
    KeelProcess keel(withProbe({"--define", "server.shutdown_delay=1500ms", "--define", "server.shutdown_timeout=20s"}));
    ASSERT_TRUE(keel.waitUntilLive()) << keel.output();

    auto slow = std::async(std::launch::async, [&] {
        return httpRequest(keel.publicPort(), "GET", "/probe/slow?ms=4000", "", "", std::chrono::seconds(30));
    });
    // Until the host counts it in flight (the status request itself is one).
    ASSERT_TRUE(eventually([&] {
        return httpRequest(keel.adminPort(), "GET", "/admin/status").body.find("\"in_flight\":2") != std::string::npos;
    })) << keel.output();

    keel.signal(SIGTERM);
    // During the shutdown delay readiness fails while connections are still accepted.
    EXPECT_TRUE(eventually([&] { return httpRequest(keel.publicPort(), "GET", "/ready").status == 503; },
                           std::chrono::seconds(1)));
    // Then new connections are refused while the slow request is still running.
    EXPECT_TRUE(eventually([&] {
        const auto attempt = httpRequest(keel.publicPort(), "GET", "/live", "", "", std::chrono::seconds(1));
        return attempt.status == 0;
    }));
    const auto finished = slow.get();
    EXPECT_EQ(finished.status, 200) << finished.error;
    EXPECT_EQ(finished.body, "v1 slow");
    EXPECT_EQ(keel.waitForExit(), 0) << keel.output();
}

TEST(KeelIntegration, SecondTerminationSignalExitsAtOnce) {
    KeelProcess keel(withProbe({"--define", "server.shutdown_delay=20s"}));
    ASSERT_TRUE(keel.waitUntilLive()) << keel.output();
    keel.signal(SIGTERM);
    ASSERT_TRUE(eventually([&] { return httpRequest(keel.publicPort(), "GET", "/ready").status == 503; }));
    keel.signal(SIGTERM);
    EXPECT_EQ(keel.waitForExit(std::chrono::seconds(5)), 128 + SIGTERM) << keel.output();
}

TEST(KeelIntegration, CheckConfigNamesKeyFileAndLineOfABadValue) {
    const std::string file = "/tmp/keel-it-bad-" + std::to_string(::getpid()) + ".ini";
    {
        std::ofstream out(file);
        out << "; a bad port\n[server]\nport = eighty\n";
    }
    const auto [code, output] = runKeel({"--config", file, "--check-config"});
    ::unlink(file.c_str());
    EXPECT_EQ(code, 78) << output;
    EXPECT_NE(output.find("server.port"), std::string::npos) << output;
    EXPECT_NE(output.find(file + ":3"), std::string::npos) << output;
    EXPECT_NE(output.find("expected an integer"), std::string::npos) << output;
}

TEST(KeelIntegration, InspectPluginPrintsTheDescriptorAndTheVerdictWithoutStartingIt) {
    const auto [accepted, good] = runKeel({"--inspect-plugin", std::string(KEEL_PLUGIN_DIR) + "/hello.so"});
    EXPECT_EQ(accepted, 0) << good;
    EXPECT_NE(good.find("name:           hello"), std::string::npos) << good;
    EXPECT_NE(good.find("sdk abi:        " + std::to_string(KEEL_SDK_ABI_VERSION)), std::string::npos) << good;
    EXPECT_NE(good.find("accepted:       yes"), std::string::npos) << good;
    const auto [refused, bad] = runKeel({"--inspect-plugin", kTestPlugins + "/wrong_abi.so"});
    EXPECT_EQ(refused, 1) << bad;
    EXPECT_NE(bad.find("sdk abi:        999"), std::string::npos) << bad;
    EXPECT_NE(bad.find("accepted:       no: plugin file"), std::string::npos) << bad;
}

TEST(KeelIntegration, TheShippedConfigurationsPassCheckConfig) {
    for (const std::string file : {"etc/keel.ini", "etc/production.ini"}) {
        std::vector<std::string> arguments{"--config", std::string(KEEL_SOURCE_DIR) + "/" + file, "--define",
                                           std::string("plugins.dir=") + KEEL_PLUGIN_DIR, "--check-config"};
        // production.ini names files only a real installation has: the test supplies stand-ins.
        if (file == "etc/production.ini") {
            const auto standIns = productionStandInDefines();
            arguments.insert(arguments.end(), standIns.begin(), standIns.end());
        }
        const auto [code, output] = runKeel(arguments);
        EXPECT_EQ(code, 0) << file << ": " << output;
        EXPECT_EQ(output.find("warning"), std::string::npos) << file << ": " << output;
    }
}

// Files read at start fail the check as they would fail the start (here the admin token).
TEST(KeelIntegration, CheckConfigReadsTheAdminTokenFile) {
    const auto [code, output] = runKeel({"--define", std::string("plugins.dir=") + KEEL_PLUGIN_DIR, "--define",
                                         "admin.token_file=/nonexistent/keel-admin.token", "--check-config"});
    EXPECT_EQ(code, 78) << output;
    EXPECT_NE(output.find("admin.token_file = \"/nonexistent/keel-admin.token\": the file does not exist"),
              std::string::npos)
        << output;
}

TEST(KeelIntegration, PrintConfigShowsSourcesAndWarnsAboutUnknownKeys) {
    const auto [code, output] =
        runKeel({"--print-config", "--define", "server.prot=1", "--define", "server.port=8181"});
    EXPECT_EQ(code, 0) << output;
    EXPECT_NE(output.find("server.port = 8181"), std::string::npos) << output;
    EXPECT_NE(output.find("log.level = info    # string, from embedded etc/keel.ini:"), std::string::npos) << output;
    EXPECT_NE(output.find("from --define server.port"), std::string::npos) << output;
    EXPECT_NE(output.find("hello.greeting = Hello"), std::string::npos) << output;
    EXPECT_NE(output.find("did you mean server.port?"), std::string::npos) << output;
}

TEST(KeelIntegration, EnvironmentOverridesTheFileAndClassicAliasesWork) {
    KeelProcess keel(withProbe(), {{"KEEL_HELLO_GREETING", "Hi"}, {"KEEL_LOG_LEVEL", "warn"}});
    ASSERT_TRUE(keel.waitUntilLive()) << keel.output();
    EXPECT_EQ(httpRequest(keel.publicPort(), "GET", "/hello/Bo").body, R"({"message":"Hi, Bo!"})");
}

}  // namespace
}  // namespace keel::testing
