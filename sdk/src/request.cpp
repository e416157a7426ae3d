// Splits and decodes the request target once, so handlers never parse it themselves.
#include "keel/request.h"

#include <Poco/URI.h>

#include <stdexcept>

namespace keel {

namespace {
std::string decode(const std::string& text, bool plusIsSpace) {
    std::string decoded;
    Poco::URI::decode(text, decoded, plusIsSpace);
    return decoded;
}
}  // namespace

Request::Request(std::string method, const std::string& target) : method_(std::move(method)) {
    const auto question = target.find('?');
    path_ = decode(target.substr(0, question), false);
    if (question == std::string::npos) return;
    rawQuery_ = target.substr(question + 1);
    std::size_t start = 0;
    while (start <= rawQuery_.size()) {
        auto end = rawQuery_.find('&', start);
        if (end == std::string::npos) end = rawQuery_.size();
        const std::string pair = rawQuery_.substr(start, end - start);
        if (!pair.empty()) {
            const auto equals = pair.find('=');
            const std::string name = decode(pair.substr(0, equals), true);
            const std::string value = equals == std::string::npos ? "" : decode(pair.substr(equals + 1), true);
            query_.emplace(name, value);
        }
        start = end + 1;
    }
}

const RouteAccess& Request::access() const {
    static const RouteAccess open;
    return access_ != nullptr ? *access_ : open;
}

std::optional<std::string> Request::query(const std::string& name) const {
    const auto found = query_.find(name);
    if (found == query_.end()) return std::nullopt;
    return found->second;
}

const std::string& Request::pathParameter(const std::string& name) const {
    const auto found = pathParameters_.find(name);
    if (found == pathParameters_.end()) {
        throw std::out_of_range("route '" + routePattern_ + "' has no path parameter '" + name + "'");
    }
    return found->second;
}

}  // namespace keel
