// The example plugin through the SDK test harness: no sockets, the real hello.so.
#include <gtest/gtest.h>

#include <keel/testing/plugin_harness.h>

#include "greeting.h"

namespace keel::plugins::hello {
namespace {

const std::string kHello = std::string(KEEL_PLUGIN_DIR) + "/hello.so";

TEST(HelloGreeting, AcceptsOnlyShortPlainNames) {
    EXPECT_TRUE(isValidName("Ada Lovelace"));
    EXPECT_FALSE(isValidName(""));
    EXPECT_FALSE(isValidName(std::string(65, 'a')));
    EXPECT_FALSE(isValidName("<script>"));
}

TEST(HelloGreeting, EscapesTheGreetingAsJson) {
    EXPECT_EQ(greetingJson("Say \"hi\"", "Bo"), R"({"message":"Say \"hi\", Bo!"})");
    EXPECT_EQ(greetingJson("Hi\\\n\x01", "Bo"), R"({"message":"Hi\\\n\u0001, Bo!"})");
    EXPECT_EQ(greetingJson("Grüß", "Bo"), "{\"message\":\"Grüß, Bo!\"}") << "UTF-8 is sent as it is";
}

TEST(HelloPlugin, GreetsByPathParameterWithTheConfiguredGreeting) {
    testing::PluginHarness harness({kHello}, {{"hello.greeting", "Bonjour"}});
    const auto response = harness.call("GET", "/hello/Ada");
    EXPECT_EQ(response.status(), 200);
    EXPECT_EQ(response.body(), R"({"message":"Bonjour, Ada!"})");
    EXPECT_EQ(response.headers().get("Content-Type").value_or(""), "application/json");
    EXPECT_TRUE(response.headers().has("X-Request-ID"));
}

TEST(HelloPlugin, RejectsAnInvalidNameWithAProblem) {
    testing::PluginHarness harness({kHello});
    const auto response = harness.call("GET", "/hello/%3Cscript%3E");
    EXPECT_EQ(response.status(), 400);
    EXPECT_EQ(response.headers().get("Content-Type").value_or(""), "application/problem+json");
}

TEST(HelloPlugin, HeartbeatTaskCountsEachRun) {
    testing::PluginHarness harness({kHello}, {{"hello.heartbeat_interval", "1h"}});
    harness.runTask("hello", "heartbeat");
    harness.runTask("hello", "heartbeat");
    EXPECT_NE(harness.metricsText().find("hello_heartbeats_total 2"), std::string::npos) << harness.metricsText();
}

TEST(HelloPlugin, BadConfigurationIsRefusedNamingTheKey) {
    try {
        testing::PluginHarness harness({kHello}, {{"hello.heartbeat_interval", "soon"}});
        FAIL() << "a bad duration must be refused";
    } catch (const std::runtime_error& error) {
        EXPECT_NE(std::string(error.what()).find("hello.heartbeat_interval"), std::string::npos) << error.what();
    }
}

}  // namespace
}  // namespace keel::plugins::hello
