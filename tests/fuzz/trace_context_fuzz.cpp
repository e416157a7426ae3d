// traceparent and tracestate: what is accepted is exactly the W3C shape, and a traceparent
// formatted from what was parsed parses back to the same ids.
#include <keel/tracing.h>

#include <algorithm>
#include <string>

#include "fuzz_target.h"

namespace {
bool lowerHex(const std::string& text, std::size_t length) {
    return text.size() == length && std::all_of(text.begin(), text.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           }) && text != std::string(length, '0');
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string input(reinterpret_cast<const char*>(data), size);
    const auto newline = input.find('\n');
    const std::string traceparent = input.substr(0, newline);
    const std::string tracestate = newline == std::string::npos ? "" : input.substr(newline + 1);
    if (const auto parsed = keel::parseTraceParent(traceparent)) {
        FUZZ_ASSERT(lowerHex(parsed->traceId, 32), "trace id is not 32 lowercase hex digits, not all zero");
        FUZZ_ASSERT(lowerHex(parsed->spanId, 16), "span id is not 16 lowercase hex digits, not all zero");
        const auto again = keel::parseTraceParent(keel::formatTraceParent(parsed->traceId, parsed->spanId, parsed->sampled()));
        FUZZ_ASSERT(again && again->traceId == parsed->traceId && again->spanId == parsed->spanId,
                    "a formatted traceparent does not parse back");
    }
    if (const auto state = keel::parseTraceState(tracestate)) {
        FUZZ_ASSERT(state->size() <= tracestate.size(), "normalising tracestate made it longer");
        FUZZ_ASSERT(keel::parseTraceState(*state) == state, "normalised tracestate is not stable");
    }
    return 0;
}
