// Case-insensitive header storage.
#include "keel/headers.h"

#include <Poco/String.h>

namespace keel {

namespace {
bool sameName(const std::string& a, const std::string& b) { return Poco::icompare(a, b) == 0; }
}  // namespace

std::optional<std::string> Headers::get(const std::string& name) const {
    for (const auto& field : fields_) {
        if (sameName(field.first, name)) return field.second;
    }
    return std::nullopt;
}

bool Headers::has(const std::string& name) const { return get(name).has_value(); }

void Headers::set(const std::string& name, std::string value) {
    remove(name);
    fields_.emplace_back(name, std::move(value));
}

void Headers::add(const std::string& name, std::string value) { fields_.emplace_back(name, std::move(value)); }

void Headers::remove(const std::string& name) {
    std::vector<Field> kept;
    kept.reserve(fields_.size());
    for (auto& field : fields_) {
        if (!sameName(field.first, name)) kept.push_back(std::move(field));
    }
    fields_.swap(kept);
}

}  // namespace keel
