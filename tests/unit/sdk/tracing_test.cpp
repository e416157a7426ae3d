// W3C Trace Context parsing and keel::Span parent/child bookkeeping.
#include <gtest/gtest.h>

#include <keel/request_context.h>
#include <keel/tracing.h>

#include <mutex>
#include <vector>

namespace keel {
namespace {

const std::string kTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
const std::string kSpan = "00f067aa0ba902b7";

TEST(TraceParent, ParsesTheSpecificationExample) {
    const auto parent = parseTraceParent("00-" + kTrace + "-" + kSpan + "-01");
    ASSERT_TRUE(parent);
    EXPECT_EQ(parent->traceId, kTrace);
    EXPECT_EQ(parent->spanId, kSpan);
    EXPECT_TRUE(parent->sampled());
    EXPECT_FALSE(parseTraceParent("00-" + kTrace + "-" + kSpan + "-00")->sampled());
}

TEST(TraceParent, RejectsMalformedAndAllZeroIds) {
    for (const std::string& bad : std::vector<std::string>{
             std::string(""),
             "00-" + kTrace + "-" + kSpan,                                   // no flags
             "00-" + std::string(32, '0') + "-" + kSpan + "-01",              // zero trace id
             "00-" + kTrace + "-" + std::string(16, '0') + "-01",             // zero span id
             "00-4BF92F3577B34DA6A3CE929D0E0E4736-" + kSpan + "-01",          // uppercase
             "ff-" + kTrace + "-" + kSpan + "-01",                            // forbidden version
             "00-" + kTrace + "-" + kSpan + "-01-extra",                      // version 00 is exact
             "0g-" + kTrace + "-" + kSpan + "-01",                            // not hex
             "00_" + kTrace + "-" + kSpan + "-01",                            // wrong separator
             "00-" + kTrace + "-" + kSpan + "-0x",                            // bad flags
         }) {
        EXPECT_FALSE(parseTraceParent(bad)) << bad;
    }
}

TEST(TraceParent, ReadsAHigherVersionByItsFirstFourFields) {
    const auto parent = parseTraceParent("cc-" + kTrace + "-" + kSpan + "-01-what-the-future-holds");
    ASSERT_TRUE(parent);
    EXPECT_EQ(parent->traceId, kTrace);
    EXPECT_FALSE(parseTraceParent("cc-" + kTrace + "-" + kSpan + "-01x"));
}

TEST(TraceParent, FormatsVersion00) {
    EXPECT_EQ(formatTraceParent(kTrace, kSpan, true), "00-" + kTrace + "-" + kSpan + "-01");
    EXPECT_EQ(formatTraceParent(kTrace, kSpan, false), "00-" + kTrace + "-" + kSpan + "-00");
}

TEST(TraceState, NormalisesValidListsAndRejectsInvalidOnes) {
    EXPECT_EQ(parseTraceState("congo=t61rcWkgMzE, rojo=00f067aa0ba902b7"), "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
    EXPECT_EQ(parseTraceState("a=1,,b=2"), "a=1,b=2");
    EXPECT_EQ(parseTraceState("tenant@vendor=x"), "tenant@vendor=x");
    EXPECT_FALSE(parseTraceState("Upper=1"));
    EXPECT_FALSE(parseTraceState("a=1,a=2"));
    EXPECT_FALSE(parseTraceState("novalue"));
    std::string tooMany;
    for (int i = 0; i < 33; ++i) tooMany += "k" + std::to_string(i) + "=v,";
    EXPECT_FALSE(parseTraceState(tooMany));
}

TEST(TraceIds, AreRandomLowercaseHexAndNeverZero) {
    const auto trace = newTraceId();
    EXPECT_EQ(trace.size(), 32u);
    EXPECT_NE(trace, newTraceId());
    EXPECT_TRUE(parseTraceParent(formatTraceParent(trace, newSpanId(), true)));
}

class RecordingExporter final : public SpanExporter {
public:
    void onEnd(SpanData&& span) override {
        std::lock_guard<std::mutex> lock(mutex);
        spans.push_back(std::move(span));
    }
    std::mutex mutex;
    std::vector<SpanData> spans;
};

class SpanTest : public ::testing::Test {
protected:
    void SetUp() override { setSpanExporter(&exporter); }
    void TearDown() override { setSpanExporter(nullptr); }
    RecordingExporter exporter;
};

TEST_F(SpanTest, IsANoOpOutsideATracedRequest) {
    { Span span("lonely"); EXPECT_FALSE(span.recording()); }
    RequestContext untraced;
    RequestContextScope scope(&untraced);
    { Span span("untraced"); EXPECT_FALSE(span.recording()); }
    EXPECT_TRUE(exporter.spans.empty());
}

TEST_F(SpanTest, NestsAsChildrenAndRestoresTheCurrentSpan) {
    RequestContext context;
    context.traceId = kTrace;
    context.spanId = kSpan;
    context.sampled = true;
    RequestContextScope scope(&context);
    std::string outerId;
    {
        Span outer("outer", SpanKind::Server);
        outerId = outer.spanId();
        EXPECT_EQ(context.spanId, outerId);
        {
            Span inner("inner");
            inner.setAttribute("answer", std::int64_t{42});
            inner.setStatus(SpanStatus::Error, "bad");
        }
        EXPECT_EQ(context.spanId, outerId);
    }
    EXPECT_EQ(context.spanId, kSpan);
    ASSERT_EQ(exporter.spans.size(), 2u);
    const auto& inner = exporter.spans[0];
    const auto& outer = exporter.spans[1];
    EXPECT_EQ(outer.parentSpanId, kSpan);
    EXPECT_EQ(inner.parentSpanId, outer.spanId);
    EXPECT_EQ(inner.traceId, kTrace);
    EXPECT_EQ(inner.status, SpanStatus::Error);
    EXPECT_LE(outer.startUnixNanos, inner.startUnixNanos);
    EXPECT_GE(outer.endUnixNanos, inner.endUnixNanos);
}

TEST_F(SpanTest, UnsampledSpansTakeAnIdButAreNotExported) {
    RequestContext context;
    context.traceId = kTrace;
    context.spanId = kSpan;
    context.sampled = false;
    RequestContextScope scope(&context);
    {
        Span span("quiet");
        EXPECT_FALSE(span.recording());
        EXPECT_NE(context.spanId, kSpan);
        EXPECT_EQ(context.spanId.size(), 16u);
    }
    EXPECT_EQ(context.spanId, kSpan);
    EXPECT_TRUE(exporter.spans.empty());
}

}  // namespace
}  // namespace keel
