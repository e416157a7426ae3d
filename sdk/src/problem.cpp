// RFC 9457 problem details rendering.
#include "keel/problem.h"

#include <Poco/JSON/Object.h>

#include "keel/json.h"
#include "keel/response.h"

namespace keel {

void writeProblem(Response& response, const Problem& problem) {
    Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    body.set("type", problem.type.empty() ? std::string("about:blank") : problem.type);
    body.set("title", problem.title.empty() ? std::string(reasonPhrase(problem.status)) : problem.title);
    body.set("status", problem.status);
    if (!problem.detail.empty()) body.set("detail", problem.detail);
    for (const auto& [name, value] : problem.extensions) body.set(name, value);
    response.send(problem.status, toJsonText(body), "application/problem+json");
}

HttpError::HttpError(int status, std::string title, std::string detail)
    : HttpError(Problem::of(status, std::move(title), std::move(detail))) {}

HttpError::HttpError(Problem problem)
    : std::runtime_error(problem.title + (problem.detail.empty() ? "" : ": " + problem.detail)),
      problem_(std::move(problem)) {}

HttpError::~HttpError() = default;

}  // namespace keel
