// Reads the spans an OTLP/HTTP JSON exporter sent to a RecordingHttpServer playing the collector.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "recording_http_server.h"

namespace keel::testing {

struct ReceivedSpan {
    std::string traceId, spanId, parentSpanId, name;
    int kind = 0;  // 2: server, 3: client
    int statusCode = 0;
    std::map<std::string, std::string> resource;  // string attributes of the span's resource
};

std::vector<ReceivedSpan> spansOf(const RecordingHttpServer& collector);

}  // namespace keel::testing
