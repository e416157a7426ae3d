// spansOf: resourceSpans -> scopeSpans -> spans, with the resource's string attributes copied
// onto each span so tests can tell which instance sent it.
#include "otlp_spans.h"

#include <Poco/JSON/Parser.h>

namespace keel::testing {

namespace {

std::map<std::string, std::string> stringAttributes(const Poco::JSON::Object::Ptr& resource) {
    std::map<std::string, std::string> attributes;
    if (resource.isNull() || !resource->has("attributes")) return attributes;
    const auto list = resource->getArray("attributes");
    for (std::size_t i = 0; i < list->size(); ++i) {
        const auto attribute = list->getObject(i);
        const auto value = attribute->getObject("value");
        if (value->has("stringValue")) {
            attributes[attribute->getValue<std::string>("key")] = value->getValue<std::string>("stringValue");
        }
    }
    return attributes;
}

}  // namespace

std::vector<ReceivedSpan> spansOf(const RecordingHttpServer& collector) {
    std::vector<ReceivedSpan> spans;
    for (const auto& request : collector.requests()) {
        auto root = Poco::JSON::Parser().parse(request.body).extract<Poco::JSON::Object::Ptr>();
        auto resources = root->getArray("resourceSpans");
        for (std::size_t r = 0; r < resources->size(); ++r) {
            const auto resourceSpans = resources->getObject(r);
            const auto resource = stringAttributes(resourceSpans->getObject("resource"));
            auto scopes = resourceSpans->getArray("scopeSpans");
            for (std::size_t s = 0; s < scopes->size(); ++s) {
                auto list = scopes->getObject(s)->getArray("spans");
                for (std::size_t i = 0; i < list->size(); ++i) {
                    auto span = list->getObject(i);
                    ReceivedSpan received;
                    received.traceId = span->getValue<std::string>("traceId");
                    received.spanId = span->getValue<std::string>("spanId");
                    received.parentSpanId = span->optValue<std::string>("parentSpanId", "");
                    received.name = span->getValue<std::string>("name");
                    received.kind = span->getValue<int>("kind");
                    received.statusCode = span->getObject("status")->getValue<int>("code");
                    received.resource = resource;
                    spans.push_back(received);
                }
            }
        }
    }
    return spans;
}

}  // namespace keel::testing
