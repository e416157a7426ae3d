// Path splitting shared by every Router instantiation.
#include "router.h"

namespace keel::host {

std::vector<std::string> splitPath(const std::string& path) {
    std::vector<std::string> segments;
    if (path.empty() || path == "/") return segments;
    std::size_t start = path[0] == '/' ? 1 : 0;
    while (true) {
        const auto slash = path.find('/', start);
        if (slash == std::string::npos) {
            segments.push_back(path.substr(start));
            break;
        }
        segments.push_back(path.substr(start, slash - start));
        start = slash + 1;
    }
    return segments;
}

}  // namespace keel::host
