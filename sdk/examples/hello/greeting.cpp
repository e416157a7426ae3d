// Name validation and the greeting body.
#include "greeting.h"

#include <keel/text.h>

#include <cctype>

namespace keel::plugins::hello {

bool isValidName(const std::string& name) {
    if (name.empty() || name.size() > 64) return false;
    for (unsigned char c : name) {
        if (!std::isalnum(c) && c != ' ' && c != '-' && c != '_') return false;
    }
    return true;
}

// A body of one member is written straight into its string: a Poco::JSON::Object and the stream
// that stringifies it would cost more than the rest of the request's handling together.
std::string greetingJson(const std::string& greeting, const std::string& name) {
    std::string body = "{\"message\":";
    keel::appendJsonString(body, greeting + ", " + name + "!");
    body += '}';
    return body;
}

}  // namespace keel::plugins::hello
