// JSON text from Poco's JSON values: the one way Keel and its plugins turn an object into a body.
#pragma once

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <string>

#include "keel/export.h"

namespace keel {

// Compact JSON text (no spaces), members in the object's own order.
KEEL_SDK_API std::string toJsonText(const Poco::JSON::Object& object);
KEEL_SDK_API std::string toJsonText(const Poco::JSON::Array& array);
// Any value Poco's JSON stringifier accepts: an Object::Ptr, Array::Ptr, string, number, bool,
// or an empty Var (null).
KEEL_SDK_API std::string toJsonText(const Poco::Dynamic::Var& value);

}  // namespace keel
