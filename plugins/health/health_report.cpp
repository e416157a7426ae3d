// IETF health-check response rendering.
#include "health_report.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/Timestamp.h>

#include <keel/json.h>

namespace keel::plugins::health {

HealthStatus aggregateStatus(const std::vector<HealthCheckReport>& reports) {
    HealthStatus overall = HealthStatus::Pass;
    for (const auto& report : reports) {
        if (report.status == HealthStatus::Fail && report.critical) return HealthStatus::Fail;
        if (report.status != HealthStatus::Pass) overall = HealthStatus::Warn;
    }
    return overall;
}

int httpStatusFor(HealthStatus status) { return status == HealthStatus::Fail ? 503 : 200; }

std::string renderHealth(HealthStatus overall, const std::vector<HealthCheckReport>& reports,
                         const std::string& version, HealthDetail detail, const std::string& instanceId) {
    Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    body.set("status", healthStatusName(overall));
    body.set("version", "1");
    body.set("releaseId", version);
    body.set("serviceId", "keel");
    // Which process of a fleet answered (server.instance_id), for probes behind a balancer.
    if (!instanceId.empty()) body.set("instanceId", instanceId);
    Poco::JSON::Object::Ptr checks = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    for (const auto& report : reports) {
        Poco::JSON::Object::Ptr entry = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        entry->set("componentType", report.componentType);
        entry->set("status", healthStatusName(report.status));
        entry->set("observedValue", static_cast<double>(report.observed.count()) / 1000.0);
        entry->set("observedUnit", "ms");
        entry->set("critical", report.critical);
        const auto micros =
            std::chrono::duration_cast<std::chrono::microseconds>(report.time.time_since_epoch()).count();
        entry->set("time", Poco::DateTimeFormatter::format(Poco::Timestamp(micros), Poco::DateTimeFormat::ISO8601_FORMAT));
        if (!report.output.empty()) {
            entry->set("output", detail == HealthDetail::Full ? report.output
                                                              : report.name + " unavailable (details on the "
                                                                                       "admin listener and in the log)");
        }
        Poco::JSON::Array::Ptr list = new Poco::JSON::Array();
        list->add(entry);
        checks->set(report.plugin + ":" + report.name, list);
    }
    body.set("checks", checks);
    return toJsonText(body);
}

CachedProbe::CachedProbe(std::chrono::milliseconds ttl, Probe probe, Clock clock)
    : ttl_(ttl), probe_(std::move(probe)), clock_(std::move(clock)) {}

std::vector<HealthCheckReport> CachedProbe::get() {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto now = clock_();
    if (!cached_ || ttl_.count() == 0 || now - takenAt_ >= ttl_) {
        reports_ = probe_();
        takenAt_ = clock_();
        cached_ = true;
    }
    return reports_;
}

}  // namespace keel::plugins::health
