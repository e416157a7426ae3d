// Metrics and traces of the real keel binary, read by real tools: promtool, a Prometheus server,
// and OTLP collectors and downstream services the test controls.
#include <Poco/JSON/Parser.h>
#include <Poco/URI.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdio>
#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

#include "keel_process.h"
#include "otlp_spans.h"
#include "recording_http_server.h"

namespace keel::testing {
namespace {

const std::string kTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
const std::string kCallerSpan = "00f067aa0ba902b7";

std::vector<std::string> observed(std::vector<std::string> extra = {}) { return withPlugins("health, hello, metrics", std::move(extra)); }

// Runs a shell command with `input` on stdin; returns exit code and output.
std::pair<int, std::string> runWithInput(const std::string& command, const std::string& input) {
    const std::string file = "/tmp/keel-obs-" + std::to_string(::getpid()) + ".in";
    std::ofstream(file) << input;
    std::string output;
    FILE* pipe = ::popen((command + " < " + file + " 2>&1").c_str(), "r");
    char buffer[4096];
    while (pipe != nullptr && std::fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
    const int status = pipe != nullptr ? ::pclose(pipe) : -1;
    std::remove(file.c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

// Server spans of the probe's route (readiness polling is traced too, and not counted).
std::size_t serverSpans(const std::vector<ReceivedSpan>& spans) {
    return static_cast<std::size_t>(std::count_if(
        spans.begin(), spans.end(), [](const auto& s) { return s.kind == 2 && s.name == "GET /probe/ok"; }));
}

// Sends `count` requests, stops keel (which flushes its span queue) and returns what arrived.
std::vector<ReceivedSpan> spansForRequests(double rate, int count) {
    RecordingHttpServer collector;
    KeelProcess keel(observed({"--define", "tracing.endpoint=" + collector.url(), "--define",
                               "tracing.sample_rate=" + std::to_string(rate), "--define", "tracing.queue_size=4096"}));
    EXPECT_TRUE(keel.waitUntilLive()) << keel.output();
    for (int i = 0; i < count; ++i) EXPECT_EQ(httpRequest(keel.publicPort(), "GET", "/probe/ok").status, 200);
    keel.signal(SIGTERM);
    EXPECT_EQ(keel.waitForExit(), 0) << keel.output();
    return spansOf(collector);
}

TEST(Observability, PromtoolAcceptsTheMetricsExposition) {
    KeelProcess keel(observed());
    ASSERT_TRUE(keel.waitUntilLive()) << keel.output();
    httpRequest(keel.publicPort(), "GET", "/hello/Ada");
    httpRequest(keel.publicPort(), "GET", "/nowhere");
    const auto metrics = httpRequest(keel.adminPort(), "GET", "/metrics");
    ASSERT_EQ(metrics.status, 200);
    const auto [code, output] = runWithInput("promtool check metrics", metrics.body);
    EXPECT_EQ(code, 0) << output << "\n" << metrics.body;
}

TEST(Observability, ARealPrometheusScrapesKeelAndAnswersAQueryByRoute) {
    KeelProcess keel(observed());
    ASSERT_TRUE(keel.waitUntilLive()) << keel.output();
    for (int i = 0; i < 3; ++i) httpRequest(keel.publicPort(), "GET", "/hello/Ada");

    const std::string directory = "/tmp/keel-prometheus-" + std::to_string(::getpid());
    std::system(("rm -rf " + directory + " && mkdir -p " + directory).c_str());
    std::ofstream(directory + "/prometheus.yml")
        << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        << "scrape_configs:\n  - job_name: keel\n    static_configs:\n      - targets: ['127.0.0.1:"
        << keel.adminPort() << "']\n";
    const int port = freePort();
    ChildProcess prometheus({"/usr/bin/prometheus", "--config.file=" + directory + "/prometheus.yml",
                             "--storage.tsdb.path=" + directory + "/data",
                             "--web.listen-address=127.0.0.1:" + std::to_string(port), "--log.level=warn"});
    std::string answer;
    const std::string query = "/api/v1/query?query=" +
                              [] {
                                  std::string encoded;
                                  Poco::URI::encode(R"(http_server_requests_total{route="/hello/{name}"})", "{}\"/=&+",
                                                    encoded);
                                  return encoded;
                              }();
    const bool found = eventually(
        [&] {
            answer = httpRequest(port, "GET", query).body;
            return answer.find(R"("route":"/hello/{name}")") != std::string::npos;
        },
        std::chrono::seconds(40));
    prometheus.signal(SIGTERM);
    prometheus.waitForExit(std::chrono::seconds(10));
    std::system(("rm -rf " + directory).c_str());
    EXPECT_TRUE(found) << answer << "\n" << prometheus.output();
    EXPECT_NE(answer.find(R"("job":"keel")"), std::string::npos) << answer;
    EXPECT_NE(answer.find(R"("status":"200")"), std::string::npos) << answer;
}

TEST(Observability, TraceContinuesFromTheInboundRequestToTheDownstreamCall) {
    RecordingHttpServer collector;
    RecordingHttpServer downstream;
    KeelProcess keel(observed({"--define", "tracing.endpoint=" + collector.url(), "--define", "tracing.sample_rate=0"}));
    ASSERT_TRUE(keel.waitUntilLive()) << keel.output();
    // Sampled by the caller: parent-based sampling records it although the ratio is 0.
    const std::string traceparent = "00-" + kTrace + "-" + kCallerSpan + "-01";
    const auto response = httpRequest(keel.publicPort(), "GET", "/probe/downstream?url=" + downstream.url("/reserve"),
                                      "", "", std::chrono::seconds(10),
                                      {{"traceparent", traceparent}, {"tracestate", "vendor=abc"}});
    ASSERT_EQ(response.status, 200) << response.body;
    keel.signal(SIGTERM);
    ASSERT_EQ(keel.waitForExit(), 0) << keel.output();

    ASSERT_EQ(downstream.count(), 1u);
    const auto sent = downstream.requests().front().headers;
    ASSERT_EQ(sent.count("traceparent"), 1u);
    const std::string downstreamParent = sent.at("traceparent");
    EXPECT_EQ(downstreamParent.substr(0, 36), "00-" + kTrace + "-");
    EXPECT_EQ(sent.at("tracestate"), "vendor=abc");

    const auto spans = spansOf(collector);
    const auto server = std::find_if(spans.begin(), spans.end(), [](const auto& s) { return s.kind == 2; });
    const auto client = std::find_if(spans.begin(), spans.end(), [](const auto& s) { return s.kind == 3; });
    ASSERT_NE(server, spans.end());
    ASSERT_NE(client, spans.end());
    EXPECT_EQ(server->traceId, kTrace);
    EXPECT_EQ(server->parentSpanId, kCallerSpan);
    EXPECT_EQ(server->name, "GET /probe/downstream");
    EXPECT_EQ(client->traceId, kTrace);
    EXPECT_EQ(client->parentSpanId, server->spanId);
    EXPECT_EQ(downstreamParent, "00-" + kTrace + "-" + client->spanId + "-01");
}

TEST(Observability, SamplesNewTracesAtTheConfiguredRate) {
    EXPECT_EQ(serverSpans(spansForRequests(1.0, 200)), 200u);
    EXPECT_EQ(serverSpans(spansForRequests(0.0, 200)), 0u);
    // Binomial(1000, 0.1): mean 100, standard deviation 9.5; [50, 150] is beyond 5 deviations.
    const auto sampled = serverSpans(spansForRequests(0.1, 1000));
    EXPECT_GE(sampled, 50u);
    EXPECT_LE(sampled, 150u);
}

TEST(Observability, AFailingOrHangingCollectorNeverDelaysRequestsAndCountsDrops) {
    for (const auto mode : {RecordingHttpServer::Mode::Answer, RecordingHttpServer::Mode::Hang}) {
        RecordingHttpServer collector(500, mode);
        KeelProcess keel(observed({"--define", "tracing.endpoint=" + collector.url(), "--define",
                                   "tracing.sample_rate=1", "--define", "tracing.queue_size=8", "--define",
                                   "tracing.batch_size=4", "--define", "tracing.export_interval=50ms", "--define",
                                   "tracing.export_timeout=300ms"}));
        ASSERT_TRUE(keel.waitUntilLive()) << keel.output();
        auto slowest = std::chrono::steady_clock::duration::zero();
        for (int i = 0; i < 200; ++i) {
            const auto started = std::chrono::steady_clock::now();
            ASSERT_EQ(httpRequest(keel.publicPort(), "GET", "/probe/ok").status, 200);
            slowest = std::max(slowest, std::chrono::steady_clock::now() - started);
        }
        // The collector hangs for 10 s per export; a request waiting on it would show.
        EXPECT_LT(slowest, std::chrono::seconds(1));
        const std::string reason = mode == RecordingHttpServer::Mode::Hang ? "queue_full" : "export_failed";
        EXPECT_TRUE(eventually([&] {
            const auto metrics = httpRequest(keel.adminPort(), "GET", "/metrics").body;
            const auto at = metrics.find("keel_trace_spans_dropped_total{reason=\"" + reason + "\"} ");
            return at != std::string::npos && metrics.compare(at + 44 + reason.size(), 2, "0\n") != 0;
        })) << httpRequest(keel.adminPort(), "GET", "/metrics").body;
    }
}

TEST(Observability, LogLinesOfATracedRequestCarryItsTraceId) {
    RecordingHttpServer collector;
    KeelProcess keel(observed({"--define", "tracing.endpoint=" + collector.url()}));
    ASSERT_TRUE(keel.waitUntilLive()) << keel.output();
    ASSERT_EQ(httpRequest(keel.publicPort(), "GET", "/probe/log", "", "", std::chrono::seconds(10),
                          {{"traceparent", "00-" + kTrace + "-" + kCallerSpan + "-01"}})
                  .status,
              200);
    keel.signal(SIGTERM);
    ASSERT_EQ(keel.waitForExit(), 0);
    const std::string output = keel.output();
    std::istringstream lines(output);
    int tagged = 0;
    for (std::string line; std::getline(lines, line);) {
        if (line.find("probe log line") != std::string::npos || line.find("route=/probe/log") != std::string::npos) {
            EXPECT_NE(line.find("trace_id=" + kTrace), std::string::npos) << line;
            EXPECT_NE(line.find("span_id="), std::string::npos) << line;
            ++tagged;
        }
    }
    EXPECT_EQ(tagged, 2) << output;
}

// server.instance_id tells the processes of a fleet apart: every log line (JSON and text), the
// resource of every exported span, keel_build_info and the admin /health carry it.
TEST(Observability, EveryLogLineSpanAndBuildInfoNameTheInstance) {
    RecordingHttpServer collector;
    KeelProcess keel(observed({"--define", "tracing.endpoint=" + collector.url(), "--define", "tracing.sample_rate=1",
                               "--define", "server.instance_id=orders-7", "--define", "log.format=json"}));
    ASSERT_TRUE(keel.waitUntilLive()) << keel.output();
    EXPECT_EQ(httpRequest(keel.publicPort(), "GET", "/probe/log").status, 200);
    const auto metrics = httpRequest(keel.adminPort(), "GET", "/metrics").body;
    EXPECT_NE(metrics.find("keel_build_info{instance=\"orders-7\","), std::string::npos) << metrics;
    const auto health = httpRequest(keel.adminPort(), "GET", "/health").body;
    EXPECT_NE(health.find(R"("instanceId":"orders-7")"), std::string::npos) << health;
    EXPECT_EQ(httpRequest(keel.publicPort(), "GET", "/health").body.find("orders-7"), std::string::npos)
        << "the public listener does not name the host";
    EXPECT_TRUE(eventually([&] { return !spansOf(collector).empty(); }));
    keel.signal(SIGTERM);
    ASSERT_EQ(keel.waitForExit(), 0);
    for (const auto& span : spansOf(collector)) EXPECT_EQ(span.resource.at("service.instance.id"), "orders-7");
    std::istringstream lines(keel.output());
    int count = 0;
    for (std::string line; std::getline(lines, line); ++count) {
        EXPECT_NE(line.find(R"(,"instance":"orders-7"})"), std::string::npos) << line;
    }
    EXPECT_GT(count, 5);

    // Unset: the host name and the port; a value that would break a log line is refused.
    KeelProcess text(observed({"--define", "log.format=text"}));
    ASSERT_TRUE(text.waitUntilLive()) << text.output();
    const std::string expected = "instance=" + shellOutput("hostname") + ":" + std::to_string(text.publicPort());
    EXPECT_NE(text.output().find(expected), std::string::npos) << text.output();
    const auto [bad, message] = runKeel({"--define", "server.instance_id=web 1", "--check-config"});
    EXPECT_EQ(bad, 78) << message;
    EXPECT_NE(message.find("server.instance_id = \"web 1\" (from --define"), std::string::npos) << message;
}

}  // namespace
}  // namespace keel::testing
