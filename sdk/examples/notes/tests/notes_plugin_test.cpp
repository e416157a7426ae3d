// tests/notes_plugin_test.cpp — the real notes.so, through the host's loader and pipeline.
#include <gtest/gtest.h>
#include <keel/testing/plugin_harness.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace notes {
namespace {

// Requirements first.
const std::vector<std::string> kPlugins = {RESILIENCE_PLUGIN_FILE, NOTES_PLUGIN_FILE};

// A fresh SQLite file per test; the harness runs the migrations on it when it starts the plugin.
std::map<std::string, std::string> settingsWith(std::map<std::string, std::string> settings) {
    const std::string file =
        ::testing::TempDir() + ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
    std::remove(file.c_str());
    settings.emplace("database.url", "sqlite:" + file);
    return settings;
}

TEST(NotesPlugin, StoresANoteAndAnswersItByItsId) {
    keel::testing::PluginHarness harness(kPlugins, settingsWith({}));
    EXPECT_EQ(harness.call("PUT", "/notes/shopping", "buy milk").status(), 204);
    const keel::Response response = harness.call("GET", "/notes/shopping");
    EXPECT_EQ(response.status(), 200);
    EXPECT_EQ(response.body(), "buy milk");
    EXPECT_TRUE(response.headers().has("X-Request-ID"));
    EXPECT_NE(harness.metricsText().find("notes_written_total 1"), std::string::npos);
}

TEST(NotesPlugin, AnswersAnUnknownIdWithA404Problem) {
    keel::testing::PluginHarness harness(kPlugins, settingsWith({}));
    const keel::Response response = harness.call("GET", "/notes/nothing");
    EXPECT_EQ(response.status(), 404);
    EXPECT_EQ(response.headers().get("Content-Type").value_or(""), "application/problem+json");
    EXPECT_NE(response.body().find("there is no note 'nothing'"), std::string::npos);
}

TEST(NotesPlugin, AnswersInJsonWhenConfiguredTo) {
    keel::testing::PluginHarness harness(kPlugins, settingsWith({{"notes.format", "json"}}));
    harness.call("PUT", "/notes/a", "hi");
    EXPECT_EQ(harness.call("GET", "/notes/a").body(), R"({"id":"a","text":"hi"})");
}

TEST(NotesPlugin, KeepsANotificationTheWebhookDidNotTakeAndWarnsAboutTheBacklog) {
    // One attempt, so the pass ends at the refused connection instead of after the default backoff.
    keel::testing::PluginHarness harness(kPlugins,
                                         settingsWith({{"resilience.pipelines", "notes_webhook"},
                                                       {"resilience.policy.notes_webhook.max_attempts", "1"},
                                                       {"notes.notify.url", "http://127.0.0.1:1/hook"},
                                                       {"notes.notify.interval", "1h"},
                                                       {"notes.notify.max_backlog", "0"}}));
    harness.call("PUT", "/notes/a", "first");
    harness.runTask("notes", "deliver");  // connection refused: the pipeline gives up, the row stays
    EXPECT_NE(harness.metricsText().find("notes_notifications_pending 1"), std::string::npos);
    bool warned = false;
    for (const keel::HealthCheckReport& report : harness.runHealthChecks()) {
        if (report.plugin == "notes" && report.name == "notifications")
            warned = report.status == keel::HealthStatus::Warn;
    }
    EXPECT_TRUE(warned);
}

}  // namespace
}  // namespace notes
