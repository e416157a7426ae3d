// JSON text from Poco's JSON values.
#include "keel/json.h"

#include <Poco/JSON/Stringifier.h>

#include <sstream>

namespace keel {

std::string toJsonText(const Poco::JSON::Object& object) {
    std::ostringstream out;
    object.stringify(out);
    return out.str();
}

std::string toJsonText(const Poco::JSON::Array& array) {
    std::ostringstream out;
    array.stringify(out);
    return out.str();
}

std::string toJsonText(const Poco::Dynamic::Var& value) {
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(value, out);
    return out.str();
}

}  // namespace keel
