// Where plugins are found and where their private copies are opened from.
#pragma once

#include <string>

namespace keel::host {

// plugins.dir as configured; empty: the build tree's ../plugins or the installed layout's
// ../lib/keel/plugins, beside the executable.
std::string resolvePluginsDirectory(const std::string& configured);

// A directory of this process's own under plugins.runtime_dir, $RUNTIME_DIRECTORY (systemd) or
// the temporary directory.
std::string resolveRuntimeDirectory(const std::string& configured);

}  // namespace keel::host
