// Plugins and their requirements as a graph: the order to start them, the cycles that make some
// impossible, and what depends on a plugin. Pure functions over names (unit-tested without
// loading anything); the plugin manager applies them.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace keel::host {

// Each plugin's name and requirements.
using RequirementList = std::vector<std::pair<std::string, std::vector<std::string>>>;

struct StartOrder {
    std::vector<std::string> order;            // each plugin after everything it requires
    std::map<std::string, std::string> cycles;  // a plugin on a cycle -> "a -> b -> a"
};

// `plugins` in listed order. Requirements not in `plugins` are ignored here (the caller reports
// them); a plugin on a cycle is left out of `order` and named in `cycles`.
StartOrder startOrder(const RequirementList& plugins);

// The plugins that require `name`, directly or through others, in the order of `started`
// (running plugins in start order, so each comes after what it requires).
std::vector<std::string> transitiveDependents(const std::string& name, const RequirementList& started);

}  // namespace keel::host
