// RFC 9457 problem details rendering.
#include "keel/problem.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <sstream>

#include "keel/response.h"

namespace keel {

void writeProblem(Response& response, const Problem& problem) {
    Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    body.set("type", problem.type.empty() ? std::string("about:blank") : problem.type);
    body.set("title", problem.title.empty() ? std::string(reasonPhrase(problem.status)) : problem.title);
    body.set("status", problem.status);
    if (!problem.detail.empty()) body.set("detail", problem.detail);
    for (const auto& [name, value] : problem.extensions) body.set(name, value);
    for (const auto& [name, json] : problem.jsonExtensions) {
        try {
            // Poco's parser refuses a bare scalar ("1"): parse it as the element of an array.
            const auto wrapped = Poco::JSON::Parser().parse("[" + json + "]").extract<Poco::JSON::Array::Ptr>();
            body.set(name, wrapped->get(0));
        } catch (const Poco::Exception&) {
            body.set(name, json);  // not JSON after all: still shown, as a string
        }
    }
    std::ostringstream out;
    body.stringify(out);
    response.send(problem.status, out.str(), "application/problem+json");
}

HttpError::HttpError(int status, std::string title, std::string detail)
    : HttpError(Problem::of(status, std::move(title), std::move(detail))) {}

HttpError::HttpError(Problem problem)
    : std::runtime_error(problem.title + (problem.detail.empty() ? "" : ": " + problem.detail)),
      problem_(std::move(problem)) {}

HttpError::~HttpError() = default;

}  // namespace keel
