// Outcome classification of HTTP statuses and failure names.
#include "keel/resilience.h"

#include <Poco/DateTimeParser.h>
#include <Poco/Exception.h>
#include <Poco/NumberParser.h>
#include <Poco/Timestamp.h>

namespace keel::resilience {

Pipeline::~Pipeline() = default;
ResilienceService::~ResilienceService() = default;

namespace {
// Retry-After is delay-seconds or an HTTP date.
std::optional<std::chrono::milliseconds> parseRetryAfter(const std::optional<std::string>& header) {
    if (!header || header->empty()) return std::nullopt;
    unsigned seconds = 0;
    if (Poco::NumberParser::tryParseUnsigned(*header, seconds)) return std::chrono::seconds(seconds);
    try {
        int zone = 0;
        const Poco::DateTime when = Poco::DateTimeParser::parse(*header, zone);
        const auto delta = when.timestamp() - Poco::Timestamp();
        return std::chrono::milliseconds(delta > 0 ? delta / 1000 : 0);
    } catch (const Poco::Exception&) {
        return std::nullopt;
    }
}
}  // namespace

Outcome Outcome::fromHttpStatus(int status, const std::optional<std::string>& retryAfterHeader) {
    if (status >= 200 && status < 400) return ok();
    const std::string detail = "HTTP " + std::to_string(status);
    if (status == 429) return failure(detail, true, true, parseRetryAfter(retryAfterHeader));
    if (status == 502 || status == 503 || status == 504) {
        return failure(detail, true, true, parseRetryAfter(retryAfterHeader));
    }
    if (status >= 500) return failure(detail, false, true);
    return failure(detail, false, false);
}

const char* failureName(Failure failure) {
    switch (failure) {
        case Failure::None: return "none";
        case Failure::CircuitOpen: return "circuit_open";
        case Failure::BulkheadFull: return "bulkhead_full";
        case Failure::Timeout: return "timeout";
        case Failure::RetriesExhausted: return "retries_exhausted";
        case Failure::RateLimited: return "rate_limited";
        case Failure::CallFailed: return "call_failed";
    }
    return "call_failed";
}

}  // namespace keel::resilience
