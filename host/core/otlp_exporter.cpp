// OTLP/JSON encoding (field names per opentelemetry-proto's JSON mapping: ids as hex, 64-bit
// integers as strings, enums as numbers) and the export loop.
#include "otlp_exporter.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cmath>

#include "keel/json.h"

namespace keel::host {

bool sampleTrace(const std::string& traceId, double rate) {
    if (rate >= 1.0) return true;
    if (rate <= 0.0 || traceId.size() != 32) return false;
    const std::uint64_t low = std::stoull(traceId.substr(16), nullptr, 16);
    // Compare in long double: 2^64 * rate does not fit a uint64 exactly.
    return static_cast<long double>(low) < static_cast<long double>(rate) * 18446744073709551616.0L;
}

std::string OtlpExporter::tracesUrl(const std::string& endpoint) {
    std::string url = endpoint;
    while (!url.empty() && url.back() == '/') url.pop_back();
    const std::string suffix = "/v1/traces";
    if (url.size() >= suffix.size() && url.compare(url.size() - suffix.size(), suffix.size(), suffix) == 0) return url;
    return url + suffix;
}

namespace {

Poco::JSON::Object::Ptr anyValue(const AttributeValue& value) {
    Poco::JSON::Object::Ptr wrapped = new Poco::JSON::Object();
    std::visit(
        [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::string>) wrapped->set("stringValue", v);
            if constexpr (std::is_same_v<T, std::int64_t>) wrapped->set("intValue", std::to_string(v));
            if constexpr (std::is_same_v<T, double>) wrapped->set("doubleValue", v);
            if constexpr (std::is_same_v<T, bool>) wrapped->set("boolValue", v);
        },
        value);
    return wrapped;
}

Poco::JSON::Object::Ptr keyValue(const std::string& key, const AttributeValue& value) {
    Poco::JSON::Object::Ptr pair = new Poco::JSON::Object();
    pair->set("key", key);
    pair->set("value", anyValue(value));
    return pair;
}

}  // namespace

std::string OtlpExporter::encode(const std::vector<SpanData>& spans, const std::string& serviceName,
                                 const std::string& serviceVersion, const std::string& instanceId) {
    Poco::JSON::Array::Ptr resourceAttributes = new Poco::JSON::Array();
    resourceAttributes->add(keyValue("service.name", serviceName));
    if (!serviceVersion.empty()) resourceAttributes->add(keyValue("service.version", serviceVersion));
    if (!instanceId.empty()) resourceAttributes->add(keyValue("service.instance.id", instanceId));
    resourceAttributes->add(keyValue("telemetry.sdk.name", std::string("keel")));
    resourceAttributes->add(keyValue("telemetry.sdk.language", std::string("cpp")));
    Poco::JSON::Object::Ptr resource = new Poco::JSON::Object();
    resource->set("attributes", resourceAttributes);

    Poco::JSON::Array::Ptr spanList = new Poco::JSON::Array();
    for (const auto& span : spans) {
        Poco::JSON::Object::Ptr item = new Poco::JSON::Object();
        item->set("traceId", span.traceId);
        item->set("spanId", span.spanId);
        if (!span.parentSpanId.empty()) item->set("parentSpanId", span.parentSpanId);
        if (!span.traceState.empty()) item->set("traceState", span.traceState);
        item->set("name", span.name);
        item->set("kind", static_cast<int>(span.kind));
        item->set("startTimeUnixNano", std::to_string(span.startUnixNanos));
        item->set("endTimeUnixNano", std::to_string(span.endUnixNanos));
        Poco::JSON::Array::Ptr attributes = new Poco::JSON::Array();
        for (const auto& [key, value] : span.attributes) attributes->add(keyValue(key, value));
        item->set("attributes", attributes);
        Poco::JSON::Object::Ptr status = new Poco::JSON::Object();
        status->set("code", static_cast<int>(span.status));
        if (!span.statusMessage.empty()) status->set("message", span.statusMessage);
        item->set("status", status);
        spanList->add(item);
    }
    Poco::JSON::Object::Ptr scope = new Poco::JSON::Object();
    scope->set("name", "keel");
    if (!serviceVersion.empty()) scope->set("version", serviceVersion);
    Poco::JSON::Object::Ptr scopeSpans = new Poco::JSON::Object();
    scopeSpans->set("scope", scope);
    scopeSpans->set("spans", spanList);
    Poco::JSON::Array::Ptr scopeSpansList = new Poco::JSON::Array();
    scopeSpansList->add(scopeSpans);
    Poco::JSON::Object::Ptr resourceSpans = new Poco::JSON::Object();
    resourceSpans->set("resource", resource);
    resourceSpans->set("scopeSpans", scopeSpansList);
    Poco::JSON::Array::Ptr resourceSpansList = new Poco::JSON::Array();
    resourceSpansList->add(resourceSpans);
    Poco::JSON::Object body;
    body.set("resourceSpans", resourceSpansList);
    return toJsonText(body);
}

OtlpExporter::OtlpExporter(OtlpExporterOptions options, prometheus::Counter& droppedQueueFull,
                           prometheus::Counter& droppedExportFailed, std::shared_ptr<spdlog::logger> logger)
    : options_(std::move(options)),
      url_(tracesUrl(options_.endpoint)),
      droppedQueueFull_(droppedQueueFull),
      droppedExportFailed_(droppedExportFailed),
      logger_(std::move(logger)),
      client_(HttpClientOptions{options_.exportTimeout, options_.exportTimeout, 2, "keel-otlp-exporter", ""}),
      thread_([this] { run(); }) {}

OtlpExporter::~OtlpExporter() { shutdown(std::chrono::steady_clock::now() + options_.exportTimeout); }

void OtlpExporter::onEnd(SpanData&& span) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!stopping_ && queue_.size() < options_.queueSize) {
            queue_.push_back(std::move(span));
            if (queue_.size() >= options_.batchSize) wake_.notify_one();
            return;
        }
    }
    droppedQueueFull_.Increment();
}

void OtlpExporter::shutdown(std::chrono::steady_clock::time_point deadline) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!stopping_) {
            stopping_ = true;
            shutdownDeadline_ = deadline;
        }
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void OtlpExporter::run() {
    while (true) {
        std::vector<SpanData> batch;
        bool finishing = false;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            wake_.wait_for(lock, options_.exportInterval,
                           [this] { return stopping_ || queue_.size() >= options_.batchSize; });
            finishing = stopping_;
            while (!queue_.empty() && batch.size() < options_.batchSize) {
                batch.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
            if (finishing && batch.empty()) return;
            if (finishing && std::chrono::steady_clock::now() >= shutdownDeadline_) {
                droppedExportFailed_.Increment(static_cast<double>(batch.size() + queue_.size()));
                queue_.clear();
                return;
            }
        }
        if (!batch.empty()) exportBatch(batch);
    }
}

bool OtlpExporter::exportBatch(const std::vector<SpanData>& batch) {
    const std::size_t count = batch.size();
    try {
        ClientRequest request;
        request.method = "POST";
        request.url = url_;
        request.headers.set("Content-Type", "application/json");
        request.body = encode(batch, options_.serviceName, options_.serviceVersion, options_.instanceId);
        const auto response = client_.send(request);
        if (response.status >= 200 && response.status < 300) return true;
        logger_->warn("trace export to {} answered {}; {} span(s) dropped", url_, response.status, count);
    } catch (const std::exception& error) {
        logger_->warn("trace export to {} failed: {}; {} span(s) dropped", url_, error.what(), count);
    }
    droppedExportFailed_.Increment(static_cast<double>(count));
    return false;
}

}  // namespace keel::host
