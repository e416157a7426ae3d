// Exports finished spans to an OpenTelemetry collector with OTLP/HTTP JSON (POST /v1/traces):
// a bounded queue filled by request threads (never blocking: a full queue drops and counts),
// drained in batches by one background thread with a timeout on every export.
#pragma once

#include <prometheus/counter.h>
#include <spdlog/logger.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "keel/http_client.h"
#include "keel/tracing.h"

namespace keel::host {

struct OtlpExporterOptions {
    std::string endpoint;  // "http://collector:4318" or a full ".../v1/traces" URL
    std::string serviceName = "keel";
    std::string serviceVersion;
    std::string instanceId;  // service.instance.id
    std::size_t queueSize = 2048;
    std::size_t batchSize = 512;
    std::chrono::milliseconds exportInterval{1000};
    std::chrono::milliseconds exportTimeout{2000};
};

class OtlpExporter final : public SpanExporter {
public:
    // `dropped` counts spans lost: queue full (on a request thread) or export failed.
    OtlpExporter(OtlpExporterOptions options, prometheus::Counter& droppedQueueFull,
                 prometheus::Counter& droppedExportFailed, std::shared_ptr<spdlog::logger> logger);
    ~OtlpExporter() override;

    void onEnd(SpanData&& span) override;
    // Exports what is queued (bounded by `deadline`), then stops the thread.
    void shutdown(std::chrono::steady_clock::time_point deadline);

    // The OTLP/JSON request body for `spans` (public for tests).
    static std::string encode(const std::vector<SpanData>& spans, const std::string& serviceName,
                              const std::string& serviceVersion, const std::string& instanceId = "");
    // endpoint + "/v1/traces" unless it already names that path.
    static std::string tracesUrl(const std::string& endpoint);

private:
    void run();
    bool exportBatch(const std::vector<SpanData>& batch);

    OtlpExporterOptions options_;
    std::string url_;
    prometheus::Counter& droppedQueueFull_;
    prometheus::Counter& droppedExportFailed_;
    std::shared_ptr<spdlog::logger> logger_;
    HttpClient client_;

    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<SpanData> queue_;
    bool stopping_ = false;
    std::chrono::steady_clock::time_point shutdownDeadline_;
    std::thread thread_;
};

// Ratio sampling of a new trace, deterministic in the trace id (as OpenTelemetry's
// TraceIdRatioBased): the low 64 bits of the id against rate * 2^64.
bool sampleTrace(const std::string& traceId, double rate);

}  // namespace keel::host
