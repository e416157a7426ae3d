// The request a thread is serving, so log lines written anywhere during it carry its ids.
// The storage lives in libkeel-sdk (never in a plugin) so it survives plugin unloads.
#pragma once

#include <string>

#include "keel/export.h"

namespace keel {

struct RequestContext {
    std::string requestId;
    std::string traceId;
    std::string spanId;
};

// The context of the request the calling thread is serving, or nullptr.
KEEL_SDK_API const RequestContext* currentRequestContext();

// Makes `context` current on this thread for the scope's lifetime (restores the previous one).
class KEEL_SDK_API RequestContextScope {
public:
    explicit RequestContextScope(const RequestContext* context);
    ~RequestContextScope();
    RequestContextScope(const RequestContextScope&) = delete;
    RequestContextScope& operator=(const RequestContextScope&) = delete;

private:
    const RequestContext* previous_;
};

}  // namespace keel
