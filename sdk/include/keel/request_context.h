// The request a thread is serving, so log lines written anywhere during it carry its ids and
// spans and outgoing calls continue its trace. The storage lives in libkeel-sdk (never in a
// plugin) so it survives plugin unloads. The host sets it up per request; keel::Span updates
// `spanId` for its scope; plugins only read it.
#pragma once

#include <string>

#include "keel/export.h"

namespace keel {

struct RequestContext {
    std::string requestId;
    // W3C trace context of the current span, lowercase hex; empty when the request is untraced.
    std::string traceId;
    std::string spanId;  // the active span (server span, or the innermost keel::Span)
    bool sampled = false;
    std::string traceState;
};

// The context of the request the calling thread is serving, or nullptr.
KEEL_SDK_API RequestContext* currentRequestContext();

// Makes `context` current on this thread for the scope's lifetime (restores the previous one).
class KEEL_SDK_API RequestContextScope {
public:
    explicit RequestContextScope(RequestContext* context);
    ~RequestContextScope();
    RequestContextScope(const RequestContextScope&) = delete;
    RequestContextScope& operator=(const RequestContextScope&) = delete;

private:
    RequestContext* previous_;
};

}  // namespace keel
