// Case-insensitive header storage.
#include "keel/headers.h"

#include <algorithm>

namespace keel {

namespace {

// Field names are ASCII tokens: compare lengths first (most names differ there), then bytes
// without case. Poco::icompare walks both strings whatever their lengths.
bool sameName(const std::string& a, const std::string& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto x = static_cast<unsigned char>(a[i]);
        const auto y = static_cast<unsigned char>(b[i]);
        if (x != y && (x | 0x20) != (y | 0x20)) return false;
        if (x != y && ((x | 0x20) < 'a' || (x | 0x20) > 'z')) return false;
    }
    return true;
}

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
    add(name, std::move(value));
}

void Headers::add(const std::string& name, std::string value) {
    // A response gathers a handful of fields one by one: grow once, not at 1, 2, 4 and 8.
    if (fields_.capacity() == 0) fields_.reserve(8);
    fields_.emplace_back(name, std::move(value));
}

void Headers::remove(const std::string& name) {
    fields_.erase(std::remove_if(fields_.begin(), fields_.end(),
                                 [&name](const Field& field) { return sameName(field.first, name); }),
                  fields_.end());
}

}  // namespace keel
