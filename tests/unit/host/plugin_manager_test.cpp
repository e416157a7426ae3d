// The plugin manager against real plugin files: descriptor checks, dependency order, failures,
// and unload that really removes everything (routes, tasks, metrics, services, the mapping).
#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <spdlog/sinks/ostream_sink.h>

#include <fstream>
#include <future>
#include <thread>
#include <sstream>

#include "config_store.h"
#include "core_middleware.h"
#include "dispatcher.h"
#include "host_state.h"
#include "log_manager.h"
#include "plugin_manager.h"

namespace keel::host {
namespace {

const std::string kTestPlugins = KEEL_TEST_PLUGIN_DIR;

std::string mappedFiles() {
    std::ifstream maps("/proc/self/maps");
    std::stringstream text;
    text << maps.rdbuf();
    return text.str();
}

class PluginManagerTest : public ::testing::Test {
protected:
    PluginManagerTest() {
        logs.configure(spdlog::level::debug, LogFormat::Text);
        PluginManagerOptions options;
        options.pluginsDirectory = kTestPlugins;
        options.privateDirectory = "/tmp/keel-plugin-manager-test-" + std::to_string(::getpid());
        options.drainTimeout = std::chrono::seconds(5);
        options.stopTimeout = std::chrono::seconds(5);
        manager = std::make_unique<PluginManager>(options, config, logs, registry, state);
        manager->setHostContributions({}, coreMiddleware(logs, options.listeners));
        dispatcher = std::make_unique<Dispatcher>(*manager);
    }

    Response get(const std::string& target) {
        Request request("GET", target);
        request.setListener("public");
        Response response;
        dispatcher->dispatch(request, response);
        return response;
    }

    std::string metrics() { return prometheus::TextSerializer().Serialize(registry.Collect()); }

    std::ostringstream logText;
    ConfigStore config;
    LogManager logs{std::make_shared<spdlog::sinks::ostream_sink_mt>(logText)};
    prometheus::Registry registry;
    HostStateImpl state{"test"};
    std::unique_ptr<PluginManager> manager;
    std::unique_ptr<Dispatcher> dispatcher;
};

TEST(PluginNames, AListEntryIsANameOrAPathToNameDotSo) {
    EXPECT_EQ(pluginNameOf("orders"), "orders");
    EXPECT_EQ(pluginNameOf("/opt/keel/1.1.0/orders.so"), "orders");
    EXPECT_EQ(pluginNameOf("./plugins/hello.so"), "hello");
}

TEST_F(PluginManagerTest, RefusesPluginBuiltForAnotherAbiNamingBothNumbers) {
    try {
        manager->load("wrong_abi");
        FAIL() << "a wrong ABI must be refused";
    } catch (const PluginLoadError& error) {
        const std::string message = error.what();
        EXPECT_NE(message.find("wrong_abi.so"), std::string::npos) << message;
        EXPECT_NE(message.find("SDK ABI 999"), std::string::npos) << message;
        EXPECT_NE(message.find("SDK ABI " + std::to_string(KEEL_SDK_ABI_VERSION)), std::string::npos) << message;
    }
    EXPECT_TRUE(manager->loadedNames().empty());
}

TEST_F(PluginManagerTest, RefusesPluginWithAnotherBuildFingerprintNamingBoth) {
    try {
        manager->load("wrong_fingerprint");
        FAIL() << "a wrong fingerprint must be refused";
    } catch (const PluginLoadError& error) {
        const std::string message = error.what();
        EXPECT_NE(message.find("not binary compatible"), std::string::npos) << message;
        EXPECT_NE(message.find("gcc-1/cxx11abi=0/poco=0x0"), std::string::npos) << message;
        EXPECT_NE(message.find(KEEL_BUILD_FINGERPRINT), std::string::npos) << message;
    }
}

TEST_F(PluginManagerTest, RefusesLibraryWithoutEntryPoint) {
    try {
        manager->load("no_entry_point");
        FAIL() << "a library without descriptor must be refused";
    } catch (const PluginLoadError& error) {
        EXPECT_NE(std::string(error.what()).find("has no Keel descriptor section (.keel_plugin)"), std::string::npos)
            << error.what();
    }
}

TEST_F(PluginManagerTest, RefusesMissingFile) {
    EXPECT_THROW(manager->load("does_not_exist"), PluginLoadError);
}

TEST_F(PluginManagerTest, StartsPluginsInDependencyOrderWhateverTheListOrder) {
    const auto report = manager->loadAll({"consumer", "probe"}, {});
    ASSERT_EQ(report.failed.size(), 0u) << report.failed.begin()->second;
    EXPECT_EQ(report.started, (std::vector<std::string>{"probe", "consumer"}));
    // The consumer found the probe's service in start().
    EXPECT_EQ(get("/consumer/uses").body(), "probe:hi");
}

TEST_F(PluginManagerTest, ReportsMissingDependencyAndCycleButStartsTheRest) {
    const auto report = manager->loadAll({"needs_absent", "cycle_a", "cycle_b", "probe"}, {});
    EXPECT_EQ(report.started, (std::vector<std::string>{"probe"}));
    ASSERT_EQ(report.failed.count("needs_absent"), 1u);
    EXPECT_NE(report.failed.at("needs_absent").find("requires plugin absent, which is not in plugins.list"),
              std::string::npos);
    ASSERT_EQ(report.failed.count("cycle_a"), 1u);
    EXPECT_NE(report.failed.at("cycle_a").find("dependency cycle"), std::string::npos) << report.failed.at("cycle_a");
    EXPECT_EQ(get("/probe/ok").status(), 200);
}

TEST_F(PluginManagerTest, PluginThrowingInConfigureOrStartIsSkippedUnlessRequired) {
    config.setFromFile("failing.fail_in", "start", ConfigSource{"test"});
    auto report = manager->loadAll({"failing", "probe"}, {});
    EXPECT_EQ(report.started, (std::vector<std::string>{"probe"}));
    EXPECT_NE(report.failed.at("failing").find("failed in start: probe told to fail in start"), std::string::npos);
    EXPECT_EQ(get("/failing/ok").status(), 404);
    manager->unloadAll();

    config.setFromFile("failing.fail_in", "configure", ConfigSource{"test"});
    try {
        manager->loadAll({"failing", "probe"}, {"failing"});
        FAIL() << "a required plugin failing must stop start-up";
    } catch (const PluginLoadError& error) {
        EXPECT_NE(std::string(error.what()).find("failed in configure: probe told to fail in configure"),
                  std::string::npos)
            << error.what();
    }
}

TEST_F(PluginManagerTest, BadPluginConfigurationValueNamesKeyAndSource) {
    config.setFromFile("probe.middleware_order", "many", ConfigSource{"/etc/keel/keel.ini:7"});
    try {
        manager->load("probe");
        FAIL() << "a bad value must be refused";
    } catch (const ConfigError& error) {
        const std::string message = error.what();
        EXPECT_NE(message.find("probe.middleware_order"), std::string::npos) << message;
        EXPECT_NE(message.find("/etc/keel/keel.ini:7"), std::string::npos) << message;
        EXPECT_NE(message.find("expected an integer"), std::string::npos) << message;
    }
}

TEST_F(PluginManagerTest, UnloadRemovesRoutesTasksMetricsServicesAndTheMapping) {
    manager->load("probe");
    ASSERT_EQ(get("/probe/ok").body(), "v1");
    ASSERT_NE(metrics().find("probe_ticks_total"), std::string::npos);
    ASSERT_NE(manager->findService("probe.echo", "keel.test.echo/1"), nullptr);
    ASSERT_EQ(manager->runAll().size(), 1u);
    const auto maps = mappedFiles();
    ASSERT_NE(maps.find("probe.so"), std::string::npos);

    manager->unload("probe", false);

    EXPECT_EQ(get("/probe/ok").status(), 404);
    EXPECT_EQ(metrics().find("probe_ticks_total"), std::string::npos);
    EXPECT_EQ(manager->findService("probe.echo", "keel.test.echo/1"), nullptr);
    EXPECT_TRUE(manager->runAll().empty());
    EXPECT_EQ(mappedFiles().find("probe.so"), std::string::npos) << "dlclose left the plugin mapped";
    // The host keeps working: logging, routing, metrics.
    logs.logger("keel")->info("after unload");
    EXPECT_EQ(get("/anything").status(), 404);
    logs.flush();  // the access log's thread may still be writing the last request's line
    EXPECT_NE(logText.str().find("after unload"), std::string::npos);

    // And the plugin can come back, from another build.
    EXPECT_EQ(manager->load(kTestPlugins + "/v2/probe.so"), "probe");
    EXPECT_EQ(get("/probe/ok").body(), "v2");
}

TEST_F(PluginManagerTest, UnloadIsRefusedWhileOthersDependUnlessCascading) {
    manager->loadAll({"probe", "consumer"}, {});
    try {
        manager->unload("probe", false);
        FAIL() << "unloading a dependency must be refused";
    } catch (const PluginStateError& error) {
        EXPECT_EQ(error.httpStatus(), 409);
        EXPECT_NE(std::string(error.what()).find("required by consumer"), std::string::npos);
    }
    manager->unload("probe", true);
    EXPECT_TRUE(manager->loadedNames().empty());
}

TEST_F(PluginManagerTest, RequestsInFlightFinishOnTheCodeTheyStartedWith) {
    manager->load("probe");
    std::promise<void> started;
    Response slow;
    std::thread request([&] {
        Request r("GET", "/probe/slow?ms=300");
        r.setListener("public");
        started.set_value();
        dispatcher->dispatch(r, slow);
    });
    started.get_future().wait();
    // Wait until the dispatcher counts it, then unload: unload must wait for it.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (dispatcher->inFlight() == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    manager->unload("probe", false);
    request.join();
    EXPECT_EQ(slow.status(), 200);
    EXPECT_EQ(slow.body(), "v1 slow");
}

TEST_F(PluginManagerTest, PeriodicTasksRunOnHostThreadsAndStopOnUnload) {
    manager->load("probe");
    // The tick task runs every 50ms; wait (bounded) until it has run at least twice.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (metrics().find("probe_ticks_total 2") == std::string::npos &&
           metrics().find("probe_ticks_total 3") == std::string::npos && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_LT(std::chrono::steady_clock::now(), deadline) << metrics();
    manager->unload("probe", false);
    EXPECT_EQ(metrics().find("probe_ticks_total"), std::string::npos);
}

}  // namespace
}  // namespace keel::host
