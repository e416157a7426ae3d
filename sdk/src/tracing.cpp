// W3C Trace Context parsing and the span recorder. Ids are random (keel/ids.h), made in this
// library (never a plugin's).
#include "keel/tracing.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>

#include "keel/ids.h"
#include "keel/request_context.h"

namespace keel {

namespace {

std::atomic<SpanExporter*> installedExporter{nullptr};

bool isLowerHex(const std::string& text) {
    for (char c : text) {
        if (!std::isdigit(static_cast<unsigned char>(c)) && !(c >= 'a' && c <= 'f')) return false;
    }
    return true;
}

bool allZero(const std::string& text) { return text.find_first_not_of('0') == std::string::npos; }

std::uint64_t nowUnixNanos() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
}

bool validKey(const std::string& key) {
    // simple-key: lcalpha 0*255( lcalpha / DIGIT / "_" / "-"/ "*" / "/" ), or tenant@system.
    if (key.empty() || key.size() > 256) return false;
    const auto at = key.find('@');
    auto validPart = [](const std::string& part, bool first) {
        if (part.empty()) return false;
        if (first && !(std::islower(static_cast<unsigned char>(part[0])) || std::isdigit(static_cast<unsigned char>(part[0]))))
            return false;
        for (char c : part) {
            if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_' ||
                  c == '-' || c == '*' || c == '/')) {
                return false;
            }
        }
        return true;
    };
    if (at == std::string::npos) return std::islower(static_cast<unsigned char>(key[0])) && validPart(key, true);
    return validPart(key.substr(0, at), true) && validPart(key.substr(at + 1), true) &&
           key.find('@', at + 1) == std::string::npos;
}

bool validValue(const std::string& value) {
    if (value.empty() || value.size() > 256 || value.back() == ' ') return false;
    for (char c : value) {
        if (c < 0x20 || c > 0x7e || c == ',' || c == '=') return false;
    }
    return true;
}

std::string trimSpaces(const std::string& text) {
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string::npos) return "";
    const auto last = text.find_last_not_of(" \t");
    return text.substr(first, last - first + 1);
}

}  // namespace

std::optional<TraceParent> parseTraceParent(const std::string& header) {
    const std::string text = trimSpaces(header);
    // version "-" trace-id "-" parent-id "-" trace-flags: 2+1+32+1+16+1+2 = 55 characters.
    if (text.size() < 55) return std::nullopt;
    const std::string version = text.substr(0, 2);
    if (!isLowerHex(version) || version == "ff") return std::nullopt;
    if (version == "00" && text.size() != 55) return std::nullopt;
    // A future version may append fields, always after a '-'.
    if (text.size() > 55 && text[55] != '-') return std::nullopt;
    if (text[2] != '-' || text[35] != '-' || text[52] != '-') return std::nullopt;
    TraceParent parent;
    parent.traceId = text.substr(3, 32);
    parent.spanId = text.substr(36, 16);
    const std::string flags = text.substr(53, 2);
    if (!isLowerHex(parent.traceId) || !isLowerHex(parent.spanId) || !isLowerHex(flags)) return std::nullopt;
    if (allZero(parent.traceId) || allZero(parent.spanId)) return std::nullopt;
    parent.flags = static_cast<std::uint8_t>(std::stoi(flags, nullptr, 16));
    return parent;
}

std::string formatTraceParent(const std::string& traceId, const std::string& spanId, bool sampled) {
    return "00-" + traceId + "-" + spanId + (sampled ? "-01" : "-00");
}

std::optional<std::string> parseTraceState(const std::string& header) {
    std::string normalised;
    std::vector<std::string> keys;
    std::size_t start = 0;
    while (start <= header.size()) {
        auto end = header.find(',', start);
        if (end == std::string::npos) end = header.size();
        const std::string member = trimSpaces(header.substr(start, end - start));
        start = end + 1;
        if (member.empty()) continue;  // empty list members are allowed and dropped
        const auto equals = member.find('=');
        if (equals == std::string::npos) return std::nullopt;
        const std::string key = member.substr(0, equals);
        const std::string value = member.substr(equals + 1);
        if (!validKey(key) || !validValue(value)) return std::nullopt;
        for (const auto& seen : keys) {
            if (seen == key) return std::nullopt;  // duplicate keys make the header invalid
        }
        keys.push_back(key);
        if (keys.size() > 32) return std::nullopt;
        normalised += (normalised.empty() ? "" : ",") + key + "=" + value;
    }
    return normalised;
}

std::string newTraceId() { return randomHex(16); }
std::string newSpanId() { return randomHex(8); }

SpanExporter::~SpanExporter() = default;

void setSpanExporter(SpanExporter* exporter) { installedExporter.store(exporter); }
bool spanExporterInstalled() { return installedExporter.load() != nullptr; }

Span::Span(std::string name, SpanKind kind) {
    RequestContext* context = currentRequestContext();
    if (context == nullptr || context->traceId.empty()) return;
    // Even an unsampled span gets an id and becomes current, so a downstream call carries a
    // well-formed traceparent whose parent is this span.
    data_.spanId = newSpanId();
    previousSpanId_ = context->spanId;
    context->spanId = data_.spanId;
    active_ = true;
    recording_ = context->sampled && spanExporterInstalled();
    if (!recording_) return;
    data_.traceId = context->traceId;
    data_.parentSpanId = previousSpanId_;
    data_.traceState = context->traceState;
    data_.name = std::move(name);
    data_.kind = kind;
    data_.startUnixNanos = nowUnixNanos();
}

Span::~Span() {
    if (active_) {
        if (RequestContext* context = currentRequestContext()) context->spanId = previousSpanId_;
    }
    if (!recording_) return;
    data_.endUnixNanos = nowUnixNanos();
    if (SpanExporter* exporter = installedExporter.load()) exporter->onEnd(std::move(data_));
}

void Span::setAttribute(const std::string& key, AttributeValue value) {
    if (recording_) data_.attributes.emplace_back(key, std::move(value));
}

void Span::setStatus(SpanStatus status, const std::string& message) {
    if (!recording_) return;
    data_.status = status;
    data_.statusMessage = message;
}

void Span::setName(std::string name) {
    if (recording_) data_.name = std::move(name);
}

}  // namespace keel
