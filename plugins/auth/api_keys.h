// API keys as the operator lists them: one "sha256-hex  user  scopes" line each. The file holds
// only SHA-256 digests, so reading it (or a backup of it) reveals no key.
#pragma once

#include <keel/auth.h>

#include <map>
#include <memory>
#include <string>

namespace keel::plugins::auth {

class ApiKeySet {
public:
    // Parses the file's text; `source` names it in errors. Blank lines and lines starting with '#'
    // are skipped; scopes are separated by spaces or commas. Throws std::invalid_argument naming
    // the line and what was expected (never the line's text: it may be a pasted key).
    static ApiKeySet parse(const std::string& text, const std::string& source);

    // The principal of `key` (shared, never copied per request), or null for an unknown (or
    // revoked) key.
    std::shared_ptr<const Principal> find(const std::string& key) const;
    std::size_t size() const { return byDigest_.size(); }

private:
    std::map<std::string, std::shared_ptr<const Principal>> byDigest_;  // lowercase hex SHA-256 -> principal
};

// Lowercase hex SHA-256 of `text`.
std::string sha256Hex(const std::string& text);

}  // namespace keel::plugins::auth
