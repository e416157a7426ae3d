// Greeting logic, plain C++ so unit tests call it without loading the plugin.
#pragma once

#include <string>

namespace keel::plugins::hello {

bool isValidName(const std::string& name);
// {"message":"Hello, Ada!"} with JSON escaping.
std::string greetingJson(const std::string& greeting, const std::string& name);

}  // namespace keel::plugins::hello
