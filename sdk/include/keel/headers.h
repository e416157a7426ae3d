// HTTP header fields with case-insensitive names, in arrival order. Value type; not thread-safe.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "keel/export.h"

namespace keel {

class KEEL_SDK_API Headers {
public:
    using Field = std::pair<std::string, std::string>;

    // The first value of `name`, if present.
    std::optional<std::string> get(const std::string& name) const;
    bool has(const std::string& name) const;
    // Replaces every field called `name` with one field.
    void set(const std::string& name, std::string value);
    // Appends a field, keeping existing ones (Set-Cookie, Vary...).
    void add(const std::string& name, std::string value);
    void remove(const std::string& name);

    const std::vector<Field>& fields() const { return fields_; }
    bool empty() const { return fields_.empty(); }

private:
    std::vector<Field> fields_;
};

}  // namespace keel
