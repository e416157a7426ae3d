// OTLP/JSON encoding, ratio sampling and the exporter against a collector the test controls.
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <spdlog/sinks/null_sink.h>

#include <atomic>
#include <future>

#include "otlp_exporter.h"
#include "recording_http_server.h"

namespace keel::host {
namespace {

SpanData sampleSpan(const std::string& name) {
    SpanData span;
    span.traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    span.spanId = "00f067aa0ba902b7";
    span.parentSpanId = "b7ad6b7169203331";
    span.name = name;
    span.kind = SpanKind::Server;
    span.startUnixNanos = 1700000000000000000ull;
    span.endUnixNanos = 1700000000000500000ull;
    span.attributes = {{"http.request.method", std::string("GET")},
                       {"http.response.status_code", std::int64_t{503}},
                       {"ratio", 0.5},
                       {"flag", true}};
    span.status = SpanStatus::Error;
    span.statusMessage = "HTTP 503";
    return span;
}

TEST(OtlpEncoding, UsesOtlpJsonFieldNamesHexIdsAndStringNanos) {
    const std::string json = OtlpExporter::encode({sampleSpan("GET /x")}, "keel-test", "1.2.3", "node-1:8080");
    auto root = Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
    auto resourceSpans = root->getArray("resourceSpans")->getObject(0);
    auto resourceAttributes = resourceSpans->getObject("resource")->getArray("attributes");
    EXPECT_EQ(resourceAttributes->getObject(0)->getValue<std::string>("key"), "service.name");
    EXPECT_EQ(resourceAttributes->getObject(0)->getObject("value")->getValue<std::string>("stringValue"), "keel-test");
    EXPECT_EQ(resourceAttributes->getObject(2)->getValue<std::string>("key"), "service.instance.id");
    EXPECT_EQ(resourceAttributes->getObject(2)->getObject("value")->getValue<std::string>("stringValue"), "node-1:8080");
    auto span = resourceSpans->getArray("scopeSpans")->getObject(0)->getArray("spans")->getObject(0);
    EXPECT_EQ(span->getValue<std::string>("traceId"), "4bf92f3577b34da6a3ce929d0e0e4736");
    EXPECT_EQ(span->getValue<std::string>("spanId"), "00f067aa0ba902b7");
    EXPECT_EQ(span->getValue<std::string>("parentSpanId"), "b7ad6b7169203331");
    EXPECT_EQ(span->getValue<int>("kind"), 2);
    EXPECT_EQ(span->getValue<std::string>("startTimeUnixNano"), "1700000000000000000");
    EXPECT_EQ(span->getObject("status")->getValue<int>("code"), 2);
    auto attributes = span->getArray("attributes");
    EXPECT_EQ(attributes->getObject(1)->getObject("value")->getValue<std::string>("intValue"), "503");
    EXPECT_TRUE(attributes->getObject(2)->getObject("value")->has("doubleValue"));
    EXPECT_TRUE(attributes->getObject(3)->getObject("value")->getValue<bool>("boolValue"));
}

TEST(OtlpEncoding, AppendsTheTracesPathOnce) {
    EXPECT_EQ(OtlpExporter::tracesUrl("http://127.0.0.1:4318"), "http://127.0.0.1:4318/v1/traces");
    EXPECT_EQ(OtlpExporter::tracesUrl("http://127.0.0.1:4318/"), "http://127.0.0.1:4318/v1/traces");
    EXPECT_EQ(OtlpExporter::tracesUrl("http://c:4318/v1/traces"), "http://c:4318/v1/traces");
}

TEST(TraceSampling, IsAllOrNothingAtTheEndsAndProportionalBetween) {
    int sampled = 0;
    const int total = 20000;
    for (int i = 0; i < total; ++i) {
        const auto id = newTraceId();
        EXPECT_TRUE(sampleTrace(id, 1.0));
        EXPECT_FALSE(sampleTrace(id, 0.0));
        if (sampleTrace(id, 0.1)) ++sampled;
    }
    // Binomial(20000, 0.1): mean 2000, standard deviation ~42; +-6 sd never fails by chance.
    EXPECT_GT(sampled, 1750);
    EXPECT_LT(sampled, 2250);
    const auto id = newTraceId();
    EXPECT_EQ(sampleTrace(id, 0.3), sampleTrace(id, 0.3)) << "sampling must be deterministic per trace";
}

class OtlpExporterTest : public ::testing::Test {
protected:
    std::unique_ptr<OtlpExporter> exporter(const std::string& endpoint, std::size_t queue) {
        OtlpExporterOptions options;
        options.endpoint = endpoint;
        options.queueSize = queue;
        options.batchSize = 8;
        options.exportInterval = std::chrono::milliseconds(20);
        options.exportTimeout = std::chrono::milliseconds(200);
        return std::make_unique<OtlpExporter>(options, dropped.Add({{"reason", "queue_full"}}),
                                              dropped.Add({{"reason", "export_failed"}}),
                                              std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::null_sink_mt>()));
    }
    template <class Predicate>
    bool eventually(Predicate predicate) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!predicate()) {
            if (std::chrono::steady_clock::now() > deadline) return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        return true;
    }
    double droppedBy(const std::string& reason) { return dropped.Add({{"reason", reason}}).Value(); }

    prometheus::Registry registry;
    prometheus::Family<prometheus::Counter>& dropped =
        prometheus::BuildCounter().Name("dropped_total").Help("h").Register(registry);
};

TEST_F(OtlpExporterTest, DeliversBatchesToTheCollector) {
    testing::RecordingHttpServer collector;
    auto sink = exporter(collector.url(), 64);
    for (int i = 0; i < 10; ++i) sink->onEnd(sampleSpan("span " + std::to_string(i)));
    ASSERT_TRUE(eventually([&] { return collector.count() >= 2; }));
    sink->shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(2));
    const auto posted = collector.requests().front();
    EXPECT_EQ(posted.method, "POST");
    EXPECT_EQ(posted.uri, "/v1/traces");
    EXPECT_EQ(posted.headers.at("Content-Type"), "application/json");
    EXPECT_NE(posted.body.find("\"resourceSpans\""), std::string::npos);
    EXPECT_EQ(droppedBy("queue_full") + droppedBy("export_failed"), 0);
}

TEST_F(OtlpExporterTest, CountsSpansRejectedByAFailingCollector) {
    testing::RecordingHttpServer collector(500);
    auto sink = exporter(collector.url(), 64);
    for (int i = 0; i < 8; ++i) sink->onEnd(sampleSpan("s"));
    EXPECT_TRUE(eventually([&] { return droppedBy("export_failed") >= 8; }));
}

TEST_F(OtlpExporterTest, AHangingCollectorNeverBlocksTheCallerAndOverflowIsCounted) {
    testing::RecordingHttpServer collector(200, testing::RecordingHttpServer::Mode::Hang);
    auto sink = exporter(collector.url(), 16);
    const auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < 1000; ++i) sink->onEnd(sampleSpan("s"));
    // onEnd only queues: a thousand calls stay far below one export timeout.
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(200));
    EXPECT_GE(droppedBy("queue_full"), 1000 - 16 - 8);
    EXPECT_TRUE(eventually([&] { return droppedBy("export_failed") >= 1; }));
}

}  // namespace
}  // namespace keel::host
