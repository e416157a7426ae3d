// startOrder (depth-first, cycles reported with their path) and transitiveDependents.
#include "dependency_graph.h"

#include <algorithm>
#include <functional>
#include <set>

namespace keel::host {

StartOrder startOrder(const RequirementList& plugins) {
    std::map<std::string, const std::vector<std::string>*> requirements;
    for (const auto& [name, required] : plugins) requirements[name] = &required;
    StartOrder result;
    enum class Mark { New, Visiting, Done };
    std::map<std::string, Mark> marks;
    std::vector<std::string> path;
    std::function<void(const std::string&)> visit = [&](const std::string& name) {
        if (requirements.count(name) == 0 || marks[name] == Mark::Done) return;
        if (marks[name] == Mark::Visiting) {
            const auto start = std::find(path.begin(), path.end(), name);
            std::string cycle;
            for (auto it = start; it != path.end(); ++it) cycle += *it + " -> ";
            cycle += name;
            for (auto it = start; it != path.end(); ++it) result.cycles[*it] = cycle;
            return;
        }
        marks[name] = Mark::Visiting;
        path.push_back(name);
        for (const auto& requirement : *requirements[name]) visit(requirement);
        path.pop_back();
        marks[name] = Mark::Done;
        if (result.cycles.count(name) == 0) result.order.push_back(name);
    };
    for (const auto& [name, required] : plugins) visit(name);
    return result;
}

std::vector<std::string> transitiveDependents(const std::string& name, const RequirementList& started) {
    std::set<std::string> affected{name};
    std::vector<std::string> dependents;
    for (const auto& [plugin, requirements] : started) {
        const bool requiresAffected = std::any_of(requirements.begin(), requirements.end(),
                                                  [&](const std::string& r) { return affected.count(r) != 0; });
        if (requiresAffected && affected.insert(plugin).second) dependents.push_back(plugin);
    }
    return dependents;
}

}  // namespace keel::host
