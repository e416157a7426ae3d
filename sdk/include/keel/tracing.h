// W3C Trace Context and spans. The host starts a server span per request (when tracing is on)
// and exports finished spans with OTLP; a plugin adds child spans with keel::Span, and
// keel::HttpClient continues the trace downstream. Without an exporter, spans cost nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "keel/export.h"

namespace keel {

// A parsed `traceparent` (https://www.w3.org/TR/trace-context/), ids in lowercase hex.
struct TraceParent {
    std::string traceId;  // 32 hex digits, not all zero
    std::string spanId;   // 16 hex digits, not all zero (the caller's span: our parent)
    std::uint8_t flags = 0;
    bool sampled() const { return (flags & 0x01) != 0; }
};

// Parses a traceparent header. Version 00 must match exactly; a higher version (not ff) is read
// by its first four fields as the specification asks. Returns nullopt for anything invalid,
// which means: start a new trace.
KEEL_SDK_API std::optional<TraceParent> parseTraceParent(const std::string& header);
// "00-<trace>-<span>-<flags>".
KEEL_SDK_API std::string formatTraceParent(const std::string& traceId, const std::string& spanId, bool sampled);
// Validates a tracestate header (at most 32 list members of key=value); returns it normalised
// (empty members dropped), or nullopt when invalid (then it is not propagated).
KEEL_SDK_API std::optional<std::string> parseTraceState(const std::string& header);

KEEL_SDK_API std::string newTraceId();  // random, never all zero
KEEL_SDK_API std::string newSpanId();

enum class SpanKind { Internal = 1, Server = 2, Client = 3, Producer = 4, Consumer = 5 };
enum class SpanStatus { Unset = 0, Ok = 1, Error = 2 };

using AttributeValue = std::variant<std::string, std::int64_t, double, bool>;

// A finished span, as handed to the exporter.
struct SpanData {
    std::string traceId;
    std::string spanId;
    std::string parentSpanId;  // empty for a root span
    std::string traceState;
    std::string name;
    SpanKind kind = SpanKind::Internal;
    std::uint64_t startUnixNanos = 0;
    std::uint64_t endUnixNanos = 0;
    std::vector<std::pair<std::string, AttributeValue>> attributes;
    SpanStatus status = SpanStatus::Unset;
    std::string statusMessage;
};

// Receives finished, sampled spans; installed by the host. Must not block: implementations
// queue and drop when full. Called from any thread.
class KEEL_SDK_API SpanExporter {
public:
    virtual ~SpanExporter();
    virtual void onEnd(SpanData&& span) = 0;
};

// Installs (or, with nullptr, removes) the process's exporter. Host only.
KEEL_SDK_API void setSpanExporter(SpanExporter* exporter);
KEEL_SDK_API bool spanExporterInstalled();

// A span that is a child of the thread's current span and becomes the current span for its
// lifetime (so logs, nested spans and HttpClient calls see it). Ends in the destructor.
// Records only when the request is sampled and an exporter is installed; otherwise it only
// takes an id, and every other call is a no-op. Create and destroy on one thread, nested like
// scopes.
class KEEL_SDK_API Span {
public:
    explicit Span(std::string name, SpanKind kind = SpanKind::Internal);
    ~Span();
    Span(const Span&) = delete;
    Span& operator=(const Span&) = delete;

    bool recording() const { return recording_; }
    void setAttribute(const std::string& key, AttributeValue value);
    void setStatus(SpanStatus status, const std::string& message = "");
    void setName(std::string name);
    // Empty when the thread serves no traced request.
    const std::string& spanId() const { return data_.spanId; }

private:
    bool recording_ = false;
    bool active_ = false;  // became the current span
    std::string previousSpanId_;
    SpanData data_;
};

}  // namespace keel
