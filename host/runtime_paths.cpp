// resolvePluginsDirectory, resolveRuntimeDirectory.
#include "runtime_paths.h"

#include <Poco/Environment.h>
#include <Poco/File.h>
#include <Poco/Path.h>
#include <unistd.h>

namespace keel::host {

namespace {

std::string executableDirectory() {
    char buffer[4096];
    const auto length = ::readlink("/proc/self/exe", buffer, sizeof buffer - 1);
    if (length <= 0) return ".";
    buffer[length] = '\0';
    return Poco::Path(buffer).parent().toString();
}

}  // namespace

std::string resolvePluginsDirectory(const std::string& configured) {
    if (!configured.empty()) return configured;
    const std::string base = executableDirectory();
    for (const char* relative : {"../plugins", "../lib/keel/plugins"}) {
        std::string candidate = Poco::Path(base).resolve(Poco::Path(relative)).toString();
        if (Poco::File(candidate).exists()) return candidate;
    }
    return Poco::Path(base).resolve(Poco::Path("../lib/keel/plugins")).toString();
}

std::string resolveRuntimeDirectory(const std::string& configured) {
    std::string base = configured;
    if (base.empty()) base = Poco::Environment::get("RUNTIME_DIRECTORY", "");
    if (base.empty()) base = Poco::Path::temp();
    return Poco::Path(base).makeDirectory().pushDirectory("keel-plugins-" + std::to_string(::getpid())).toString();
}

}  // namespace keel::host
