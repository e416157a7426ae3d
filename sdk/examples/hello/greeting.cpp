// Name validation and the greeting body.
#include "greeting.h"

#include <Poco/JSON/Object.h>
#include <keel/json.h>

#include <cctype>

namespace keel::plugins::hello {

bool isValidName(const std::string& name) {
    if (name.empty() || name.size() > 64) return false;
    for (unsigned char c : name) {
        if (!std::isalnum(c) && c != ' ' && c != '-' && c != '_') return false;
    }
    return true;
}

std::string greetingJson(const std::string& greeting, const std::string& name) {
    Poco::JSON::Object body;
    body.set("message", greeting + ", " + name + "!");
    return keel::toJsonText(body);
}

}  // namespace keel::plugins::hello
