// The API key file format and lookup by digest.
#include "api_keys.h"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>
#include <Poco/String.h>
#include <Poco/StringTokenizer.h>

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace keel::plugins::auth {

std::string sha256Hex(const std::string& text) {
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    engine.update(text);
    return Poco::DigestEngine::digestToHex(engine.digest());
}

ApiKeySet ApiKeySet::parse(const std::string& text, const std::string& source) {
    ApiKeySet keys;
    std::istringstream lines(text);
    std::string line;
    int number = 0;
    while (std::getline(lines, line)) {
        ++number;
        const std::string trimmed = Poco::trim(line);
        if (trimmed.empty() || trimmed[0] == '#') continue;
        const std::string where = source + " line " + std::to_string(number);
        Poco::StringTokenizer fields(trimmed, " \t,", Poco::StringTokenizer::TOK_IGNORE_EMPTY);
        if (fields.count() < 2) {
            throw std::invalid_argument(where + ": expected \"<sha256-hex>  <user>  <scope>...\"");
        }
        const std::string digest = Poco::toLower(fields[0]);
        const bool hex = digest.size() == 64 &&
                         std::all_of(digest.begin(), digest.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
        if (!hex) {
            throw std::invalid_argument(where + ": the first field must be the key's SHA-256 as 64 hex digits "
                                                "(sha256sum of the key), not the key itself");
        }
        auto principal = std::make_shared<Principal>();
        principal->subject = fields[1];
        principal->scheme = "api_key";
        for (std::size_t i = 2; i < fields.count(); ++i) principal->scopes.insert(fields[i]);
        if (!keys.byDigest_.emplace(digest, std::move(principal)).second) {
            throw std::invalid_argument(where + ": this digest is listed twice");
        }
    }
    return keys;
}

std::shared_ptr<const Principal> ApiKeySet::find(const std::string& key) const {
    // Looked up by digest: the comparison never touches the key itself, so its timing tells
    // nothing about how much of a guess was right.
    const auto found = byDigest_.find(sha256Hex(key));
    return found == byDigest_.end() ? nullptr : found->second;
}

}  // namespace keel::plugins::auth
