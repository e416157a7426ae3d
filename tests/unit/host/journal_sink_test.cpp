// journald entries: priority, structured request fields, no timestamp in the message.
#include <gtest/gtest.h>
#include <spdlog/logger.h>

#include <algorithm>

#include "journal_sink.h"
#include "keel/request_context.h"

namespace keel::host {
namespace {

bool has(const std::vector<std::string>& fields, const std::string& field) {
    return std::find(fields.begin(), fields.end(), field) != fields.end();
}

TEST(JournalSink, SendsPriorityPluginAndRequestFieldsWithTheBareMessage) {
    std::vector<std::vector<std::string>> sent;
    auto sink = std::make_shared<JournalSink>([&](const std::vector<std::string>& fields) { sent.push_back(fields); });
    spdlog::logger logger("plugin.orders", sink);
    RequestContext context;
    context.requestId = "req-9";
    context.traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    context.spanId = "00f067aa0ba902b7";
    {
        RequestContextScope scope(&context);
        logger.warn("inventory slow: {} ms", 812);
    }
    logger.error("outside a request");
    ASSERT_EQ(sent.size(), 2u);
    EXPECT_TRUE(has(sent[0], "MESSAGE=inventory slow: 812 ms"));
    EXPECT_TRUE(has(sent[0], "PRIORITY=4"));
    EXPECT_TRUE(has(sent[0], "SYSLOG_IDENTIFIER=keel"));
    EXPECT_TRUE(has(sent[0], "KEEL_PLUGIN=orders"));
    EXPECT_TRUE(has(sent[0], "REQUEST_ID=req-9"));
    EXPECT_TRUE(has(sent[0], "TRACE_ID=4bf92f3577b34da6a3ce929d0e0e4736"));
    EXPECT_TRUE(has(sent[0], "SPAN_ID=00f067aa0ba902b7"));
    EXPECT_TRUE(has(sent[1], "PRIORITY=3"));
    EXPECT_EQ(std::count_if(sent[1].begin(), sent[1].end(), [](const auto& f) { return f.rfind("REQUEST_ID=", 0) == 0; }), 0);
}

TEST(JournalSink, RecognisesTheJournalOnlyWhenJournalStreamNamesStandardError) {
    ::setenv("JOURNAL_STREAM", "1:1", 1);
    EXPECT_FALSE(JournalSink::stderrIsJournal());
    ::unsetenv("JOURNAL_STREAM");
    EXPECT_FALSE(JournalSink::stderrIsJournal());
}

}  // namespace
}  // namespace keel::host
