// Errors as RFC 9457 problem details (application/problem+json), the one error format of Keel.
#pragma once

#include <Poco/Dynamic/Var.h>

#include <map>
#include <stdexcept>
#include <string>

#include "keel/export.h"

namespace keel {

class Response;

struct Problem {
    // The common case: a status, its short title and a precise detail.
    static Problem of(int status, std::string title, std::string detail) {
        Problem problem;
        problem.status = status;
        problem.title = std::move(title);
        problem.detail = std::move(detail);
        return problem;
    }

    int status = 500;
    std::string title;   // short, the same for every occurrence of this kind of problem
    std::string detail;  // precise, for this occurrence
    std::string type = "about:blank";
    // Extension members, rendered as JSON values of their own type: a string, a number, a bool,
    // or a Poco::JSON::Array::Ptr / Object::Ptr ("max_length": 10, "errors": [...]).
    std::map<std::string, Poco::Dynamic::Var> extensions;
};

// Writes `problem` as the response: status, Content-Type application/problem+json, JSON body.
KEEL_SDK_API void writeProblem(Response& response, const Problem& problem);

// Thrown by handlers and middleware to answer with a problem; the host turns it into the
// response. Anything else that escapes a handler becomes a 500 without details.
class KEEL_SDK_API HttpError : public std::runtime_error {
public:
    HttpError(int status, std::string title, std::string detail);
    explicit HttpError(Problem problem);
    ~HttpError() override;
    const Problem& problem() const { return problem_; }

private:
    Problem problem_;
};

}  // namespace keel
