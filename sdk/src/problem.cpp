// RFC 9457 problem details rendering.
#include "keel/problem.h"

#include <Poco/JSON/Object.h>

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
    std::ostringstream out;
    body.stringify(out);
    response.send(problem.status, out.str(), "application/problem+json");
}

namespace {
Problem makeProblem(int status, std::string title, std::string detail) {
    Problem problem;
    problem.status = status;
    problem.title = std::move(title);
    problem.detail = std::move(detail);
    return problem;
}
}  // namespace

HttpError::HttpError(int status, std::string title, std::string detail)
    : HttpError(makeProblem(status, std::move(title), std::move(detail))) {}

HttpError::HttpError(Problem problem)
    : std::runtime_error(problem.title + (problem.detail.empty() ? "" : ": " + problem.detail)),
      problem_(std::move(problem)) {}

HttpError::~HttpError() = default;

}  // namespace keel
