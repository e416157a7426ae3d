// The host's own middleware, outermost on every listener: request id (order 10), tracing (15),
// access log (20), recovery (30). Plugin middleware must use orders of 100 and above.
#pragma once

#include <string>
#include <vector>

#include "keel/registrar.h"
#include "log_manager.h"

namespace keel::host {

inline constexpr int kRequestIdOrder = 10;
inline constexpr int kTracingOrder = 15;
inline constexpr int kAccessLogOrder = 20;
inline constexpr int kRecoveryOrder = 30;
inline constexpr int kFirstPluginMiddlewareOrder = 100;

struct TracingSettings {
    // On: new traces are started (and sampled at `sampleRate`) for requests without a valid
    // traceparent. Off: only an incoming traceparent is continued, for log correlation.
    bool enabled = false;
    double sampleRate = 0.1;
};

std::vector<Middleware> coreMiddleware(LogManager& logs, const std::vector<std::string>& listeners,
                                       TracingSettings tracing = {});

// True when `id` is 1-128 characters of [A-Za-z0-9._-], the only X-Request-ID we pass on.
bool isAcceptableRequestId(const std::string& id);

}  // namespace keel::host
