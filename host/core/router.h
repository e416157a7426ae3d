// Matches a method and path to a route: literal segments win over {parameter} segments, and a
// known path with another method is told apart from an unknown path (405 versus 404).
// Built once per pipeline snapshot, then read-only and safe to share between threads. Matching
// allocates nothing of its own: segments and captured values are views of the path kept on the
// stack, and parameter names are taken from the pattern once, when the route is added.
#pragma once

#include <boost/container/small_vector.hpp>

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace keel::host {

template <class Target>
class Router {
public:
    struct Match {
        const Target* target = nullptr;  // null: see allowedMethods
        std::string_view pattern;        // as registered; owned by the router
        std::map<std::string, std::string> parameters;
        // Non-empty when the path exists but not for this method.
        std::set<std::string> allowedMethods;
    };

    // Throws std::invalid_argument for a malformed pattern or an already registered
    // method + pattern (parameter names do not matter: /a/{x} and /a/{y} conflict).
    void add(const std::string& method, const std::string& pattern, Target target);
    Match match(const std::string& method, const std::string& path) const;

private:
    // Most paths have a handful of segments: these stay on the stack (longer ones spill over).
    using Segments = boost::container::small_vector<std::string_view, 16>;

    struct Node {
        std::map<std::string, std::unique_ptr<Node>, std::less<>> literals;
        std::unique_ptr<Node> parameter;
        struct Entry {
            std::string pattern;  // as registered, so each method keeps its own parameter names
            std::vector<std::string> parameterNames;  // of the pattern, in order
            Target target;
        };
        std::map<std::string, Entry, std::less<>> targets;  // by method
    };
    // Depth-first, literals before parameters. Returns the first node serving `method`; meanwhile
    // every node the path reaches adds its methods to `allowed` (for 405), and the first of them
    // is kept in `pathOnly` for the pattern.
    const Node* find(const Node& node, const Segments& segments, std::size_t index, const std::string& method,
                     Segments& values, const Node*& pathOnly, std::set<std::string>& allowed) const;
    static bool serves(const Node& node, const std::string& method) {
        return node.targets.count(method) != 0 || (method == "HEAD" && node.targets.count("GET") != 0);
    }

    Node root_;
};

// Splits "/a/b/" into {"a", "b", ""}; "/" into {}. Exposed for tests.
std::vector<std::string> splitPath(const std::string& path);

template <class Target>
void Router<Target>::add(const std::string& method, const std::string& pattern, Target target) {
    if (pattern.empty() || pattern[0] != '/') {
        throw std::invalid_argument("route pattern '" + pattern + "' must start with '/'");
    }
    Node* node = &root_;
    std::vector<std::string> parameterNames;
    for (const auto& segment : splitPath(pattern)) {
        const bool isParameter = segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
        if (isParameter) {
            const std::string name = segment.substr(1, segment.size() - 2);
            bool valid = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0]));
            for (char c : name) valid = valid && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
            if (!valid) {
                throw std::invalid_argument("route pattern '" + pattern + "' has an invalid parameter '" + segment +
                                            "' (expected {name} with letters, digits or _)");
            }
            if (!node->parameter) node->parameter = std::make_unique<Node>();
            node = node->parameter.get();
            parameterNames.push_back(name);
        } else {
            if (segment.find_first_of("{}") != std::string::npos) {
                throw std::invalid_argument("route pattern '" + pattern + "' mixes text and a parameter in '" +
                                            segment + "' (a parameter must be a whole segment)");
            }
            auto& child = node->literals[segment];
            if (!child) child = std::make_unique<Node>();
            node = child.get();
        }
    }
    const auto existing = node->targets.find(method);
    if (existing != node->targets.end()) {
        throw std::invalid_argument("route " + method + " " + pattern + " is already registered (as " + method +
                                    " " + existing->second.pattern + ")");
    }
    node->targets.emplace(method, typename Node::Entry{pattern, std::move(parameterNames), std::move(target)});
}

template <class Target>
const typename Router<Target>::Node* Router<Target>::find(const Node& node, const Segments& segments, std::size_t index,
                                                          const std::string& method, Segments& values,
                                                          const Node*& pathOnly, std::set<std::string>& allowed) const {
    if (index == segments.size()) {
        if (serves(node, method)) return &node;
        for (const auto& [served, entry] : node.targets) {
            allowed.insert(served);
            if (served == "GET") allowed.insert("HEAD");
        }
        if (!node.targets.empty() && pathOnly == nullptr) pathOnly = &node;
        return nullptr;
    }
    const auto literal = node.literals.find(segments[index]);
    if (literal != node.literals.end()) {
        if (const Node* found = find(*literal->second, segments, index + 1, method, values, pathOnly, allowed)) {
            return found;
        }
    }
    if (node.parameter && !segments[index].empty()) {
        values.push_back(segments[index]);
        if (const Node* found = find(*node.parameter, segments, index + 1, method, values, pathOnly, allowed)) {
            return found;
        }
        values.pop_back();
    }
    return nullptr;
}

template <class Target>
typename Router<Target>::Match Router<Target>::match(const std::string& method, const std::string& path) const {
    // The segments of splitPath(), as views of `path`.
    Segments segments;
    const std::string_view rest(path);
    if (!rest.empty() && rest != "/") {
        std::size_t start = rest[0] == '/' ? 1 : 0;
        while (true) {
            const auto slash = rest.find('/', start);
            segments.push_back(rest.substr(start, slash == std::string_view::npos ? slash : slash - start));
            if (slash == std::string_view::npos) break;
            start = slash + 1;
        }
    }
    Match result;
    Segments values;
    const Node* pathOnly = nullptr;
    std::set<std::string> allowed;
    const Node* node = find(root_, segments, 0, method, values, pathOnly, allowed);
    if (node == nullptr) {
        if (pathOnly != nullptr) {
            result.pattern = pathOnly->targets.begin()->second.pattern;
            result.allowedMethods = std::move(allowed);
        }
        return result;
    }
    auto target = node->targets.find(method);
    if (target == node->targets.end()) target = node->targets.find("GET");  // HEAD, served by GET
    const auto& entry = target->second;
    result.target = &entry.target;
    result.pattern = entry.pattern;
    // Every pattern that reaches a node has its parameters at the same segments.
    const std::size_t count = std::min(entry.parameterNames.size(), values.size());
    for (std::size_t i = 0; i < count; ++i) result.parameters[entry.parameterNames[i]] = std::string(values[i]);
    return result;
}

}  // namespace keel::host
