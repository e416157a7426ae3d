// The real greeter.so, loaded through the host's own loader and pipeline: no sockets, no database.
#include <gtest/gtest.h>
#include <keel/testing/plugin_harness.h>

namespace {

TEST(Greeter, GreetsByNameWithTheConfiguredSalutationAndCountsIt) {
    keel::testing::PluginHarness harness({GREETER_PLUGIN_FILE}, {{"greeter.salutation", "Howdy"}});
    const keel::Response response = harness.call("GET", "/greet/Ada");
    EXPECT_EQ(response.status(), 200);
    EXPECT_EQ(response.body(), "Howdy, Ada!");
    EXPECT_NE(harness.metricsText().find("greeter_greetings_total 1"), std::string::npos);
}

TEST(Greeter, RefusesANameLongerThan64CharactersWithAProblem) {
    keel::testing::PluginHarness harness({GREETER_PLUGIN_FILE});
    const keel::Response response = harness.call("GET", "/greet/" + std::string(65, 'a'));
    EXPECT_EQ(response.status(), 400);
    EXPECT_EQ(response.headers().get("Content-Type").value_or(""), "application/problem+json");
}

}  // namespace
