// Request id, access log and recovery: the middleware every request passes, whatever is loaded.
#include "core_middleware.h"

#include <algorithm>
#include <chrono>
#include <iterator>

#include <fmt/compile.h>
#include <spdlog/fmt/fmt.h>

#include "keel/ids.h"
#include "keel/request_context.h"
#include "keel/text.h"
#include "keel/tracing.h"
#include "otlp_exporter.h"
#include "pipeline.h"

namespace keel::host {

bool isAcceptableRequestId(const std::string& id) {
    if (id.empty() || id.size() > 128) return false;
    for (char c : id) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') return false;
    }
    return true;
}

namespace {

// Adopts the caller's X-Request-ID when it is safe to log, else makes one; echoes it back.
MiddlewareFunction requestId() {
    return [](Request& request, Response& response, const Next& next) {
        const auto offered = request.header("X-Request-ID");
        request.setRequestId(offered && isAcceptableRequestId(*offered) ? *offered : newUuid());
        RequestContext context;
        context.requestId = request.requestId();
        RequestContextScope scope(&context);
        next();
        response.setHeader("X-Request-ID", request.requestId());
    };
}

// The trace context of this request: the caller's (parent-based sampling) or a new one.
// Returns false when the request is not traced at all.
bool adoptTraceContext(Request& request, RequestContext& context, const TracingSettings& tracing) {
    const auto incoming = request.header("traceparent");
    const auto parent = incoming ? parseTraceParent(*incoming) : std::nullopt;
    if (parent) {
        // Parent-based: the caller's sampling decision stands.
        context.traceId = parent->traceId;
        context.spanId = parent->spanId;
        context.sampled = parent->sampled();
        const auto state = request.header("tracestate");
        context.traceState = state ? parseTraceState(*state).value_or("") : "";
        return true;
    }
    if (!tracing.enabled) return false;
    context.traceId = newTraceId();
    context.spanId.clear();
    context.sampled = sampleTrace(context.traceId, tracing.sampleRate);
    return true;
}

void describeServerSpan(Span& server, const Request& request) {
    const std::string& route = request.routePattern();
    server.setAttribute("http.request.method", request.method());
    server.setAttribute("url.path", request.path());
    if (!route.empty()) server.setAttribute("http.route", route);
    server.setAttribute("network.protocol.version", std::string("1.1"));
    server.setAttribute("keel.listener", request.listener());
    const std::string& remote = request.remoteAddress();
    server.setAttribute("client.address", remote.substr(0, remote.rfind(':')));
    if (const auto agent = request.header("User-Agent")) server.setAttribute("user_agent.original", *agent);
}

MiddlewareFunction tracingMiddleware(TracingSettings tracing) {
    return [tracing](Request& request, Response& response, const Next& next) {
        RequestContext* context = currentRequestContext();
        if (context == nullptr || !adoptTraceContext(request, *context, tracing)) {
            next();
            return;
        }
        // Most requests are not sampled: the span learns its name only when it records.
        Span server(std::string(), SpanKind::Server);
        if (server.recording()) {
            const std::string& route = request.routePattern();
            server.setName(route.empty() ? request.method() : request.method() + " " + route);
            describeServerSpan(server, request);
        }
        next();
        if (server.recording()) {
            server.setAttribute("http.response.status_code", static_cast<std::int64_t>(response.status()));
            if (response.status() >= 500) server.setStatus(SpanStatus::Error, "HTTP " + std::to_string(response.status()));
        }
    };
}

MiddlewareFunction accessLog(LogManager& logs) {
    return [access = logs.accessLogger(), &logs](Request& request, Response& response, const Next& next) {
        const auto started = std::chrono::steady_clock::now();
        next();
        if (!access->should_log(spdlog::level::info)) return;
        static const std::string kUnmatched = "unmatched";
        static const std::string kNone;
        const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                                std::chrono::steady_clock::now() - started)
                                .count();
        const std::string& route = request.routePattern().empty() ? kUnmatched : request.routePattern();
        const RequestContext* context = currentRequestContext();
        const std::string& traceId = context != nullptr ? context->traceId : kNone;
        const std::string& spanId = context != nullptr ? context->spanId : kNone;
        // duration_ms with three decimals, from whole microseconds: no floating-point formatting.
        const auto whole = micros / 1000;
        const auto fraction = micros % 1000;
        // The line is built on the stack with formats compiled in (this runs for every request),
        // then handed over as it is: the logger does not format it again.
        fmt::memory_buffer line;
        auto out = std::back_inserter(line);
        if (logs.format() == LogFormat::Json) {
            fmt::format_to(out,
                           FMT_COMPILE("\"request_id\":\"{}\",\"listener\":\"{}\",\"method\":\"{}\",\"route\":\"{}\","
                                       "\"status\":{},\"duration_ms\":{}.{:03},\"bytes\":{},\"remote\":\"{}\""),
                           jsonEscaped(request.requestId()), jsonEscaped(request.listener()),
                           jsonEscaped(request.method()), jsonEscaped(route), response.status(), whole, fraction,
                           response.body().size(), jsonEscaped(request.remoteAddress()));
            if (!traceId.empty()) {
                fmt::format_to(out, FMT_COMPILE(",\"trace_id\":\"{}\",\"span_id\":\"{}\""), traceId, spanId);
            }
        } else {
            fmt::format_to(out,
                           FMT_COMPILE("request_id={} listener={} method={} route={} status={} duration_ms={}.{:03} "
                                       "bytes={} remote={}"),
                           request.requestId(), request.listener(), request.method(), route, response.status(), whole,
                           fraction, response.body().size(), request.remoteAddress());
            if (!traceId.empty()) fmt::format_to(out, FMT_COMPILE(" trace_id={} span_id={}"), traceId, spanId);
        }
        access->log(spdlog::level::info, spdlog::string_view_t(line.data(), line.size()));
    };
}

}  // namespace

std::vector<Middleware> coreMiddleware(LogManager& logs, const std::vector<std::string>& listeners,
                                       TracingSettings tracing) {
    auto errors = logs.logger("keel");
    auto recovery = [errors](Request& request, Response& response, const Next& next) {
        try {
            next();
        } catch (...) {
            answerException(std::current_exception(), request, response, *errors);
        }
    };
    // None of them blocks: the access log and the span exporter queue (and drop when full).
    constexpr bool kAuthenticates = false;
    constexpr bool kNonBlocking = true;
    return {
        Middleware{"request-id", kRequestIdOrder, requestId(), listeners, kAuthenticates, kNonBlocking},
        Middleware{"tracing", kTracingOrder, tracingMiddleware(tracing), listeners, kAuthenticates, kNonBlocking},
        Middleware{"access-log", kAccessLogOrder, accessLog(logs), listeners, kAuthenticates, kNonBlocking},
        Middleware{"recovery", kRecoveryOrder, std::move(recovery), listeners, kAuthenticates, kNonBlocking},
    };
}

}  // namespace keel::host
