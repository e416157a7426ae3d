// keel::redactSecrets: the one routine every URL or connection string passes before it is printed.
#include <Poco/String.h>

#include <cctype>

#include "keel/config.h"

namespace keel {

namespace {

constexpr const char* kMask = "***";

// Keys whose values are secrets in URL queries and libpq keyword strings.
bool isSecretKey(const std::string& key) {
    const std::string lowered = Poco::toLower(key);
    for (const char* secret : {"password", "passwd", "pass", "pwd", "sslpassword", "secret", "token", "api_key",
                               "apikey", "access_token", "client_secret"}) {
        if (lowered == secret) return true;
    }
    return false;
}

bool isKeyChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-'; }

// scheme://user:password@host... -> scheme://user:***@host... The userinfo ends at the last '@'
// before the query, so a password holding '@' or ':' is masked whole.
std::string maskUserinfo(const std::string& text) {
    std::string out;
    std::size_t from = 0;
    for (;;) {
        const auto scheme = text.find("://", from);
        if (scheme == std::string::npos) break;
        const std::size_t start = scheme + 3;
        std::size_t end = start;
        while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end])) && text[end] != '"' &&
               text[end] != '?' && text[end] != '#') {
            ++end;
        }
        const auto at = text.rfind('@', end == 0 ? 0 : end - 1);
        out.append(text, from, start - from);
        if (at != std::string::npos && at >= start) {
            const auto colon = text.find(':', start);
            if (colon != std::string::npos && colon < at) {
                out.append(text, start, colon + 1 - start);
                out += kMask;
            } else {
                out.append(text, start, at - start);
            }
            out.append(text, at, end - at);
        } else {
            out.append(text, start, end - start);
        }
        from = end;
    }
    out.append(text, from, std::string::npos);
    return out;
}

// key=value pairs (URL query "?password=x&...", libpq "password='x y' host=..."): secret values
// masked, quoted ones whole.
std::string maskKeyValues(const std::string& text) {
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
        const auto equals = text.find('=', i);
        if (equals == std::string::npos) break;
        std::size_t keyStart = equals;
        while (keyStart > i && isKeyChar(text[keyStart - 1])) --keyStart;
        out.append(text, i, equals + 1 - i);
        std::size_t valueEnd = equals + 1;
        if (valueEnd < text.size() && text[valueEnd] == '\'') {
            ++valueEnd;
            while (valueEnd < text.size() && text[valueEnd] != '\'') valueEnd += text[valueEnd] == '\\' ? 2 : 1;
            valueEnd = std::min(valueEnd + 1, text.size());
        } else {
            while (valueEnd < text.size() && text[valueEnd] != '&' && text[valueEnd] != '#' && text[valueEnd] != '"' &&
                   !std::isspace(static_cast<unsigned char>(text[valueEnd]))) {
                ++valueEnd;
            }
        }
        if (keyStart < equals && isSecretKey(text.substr(keyStart, equals - keyStart))) {
            out += kMask;
        } else {
            out.append(text, equals + 1, valueEnd - equals - 1);
        }
        i = valueEnd;
    }
    out.append(text, i, std::string::npos);
    return out;
}

}  // namespace

std::string redactSecrets(const std::string& text) { return maskKeyValues(maskUserinfo(text)); }

}  // namespace keel
