// One loaded plugin file: a private copy opened RTLD_LOCAL, its descriptor checked before any of
// its code runs. Closing the library is the destructor's job, so whoever owns the last
// reference (the plugin manager, or a request still pinning an old snapshot) unmaps it.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "keel/plugin.h"

namespace keel::host {

class PluginLoadError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct PluginInspection;

class PluginLibrary {
public:
    // Copies `path` into `privateDirectory` (dlopen of an already-open path would return the old
    // handle), opens the copy and validates the descriptor. Throws PluginLoadError naming the file,
    // what it has and what the host expected.
    static std::unique_ptr<PluginLibrary> open(const std::string& path, const std::string& privateDirectory);
    // SHA-256 of a file, hex (what sha256() reports for a loaded library).
    static std::string sha256Of(const std::string& path);
    ~PluginLibrary();
    PluginLibrary(const PluginLibrary&) = delete;
    PluginLibrary& operator=(const PluginLibrary&) = delete;

    const std::string& path() const { return path_; }
    // The private copy's path, as it appears (deleted) in /proc/self/maps while mapped.
    const std::string& loadedPath() const { return loadedPath_; }
    const std::string& sha256() const { return sha256_; }
    const std::string& name() const { return name_; }
    const std::string& version() const { return version_; }
    const std::string& description() const { return description_; }
    const std::vector<std::string>& requirements() const { return requirements_; }

    // A new instance of the plugin class; destroyed through the plugin's own `destroy`, so
    // allocation and deallocation happen in the same module.
    std::unique_ptr<Plugin, void (*)(Plugin*)> createPlugin() const;

private:
    PluginLibrary() = default;

    void* handle_ = nullptr;
    const KeelPluginDescriptor* descriptor_ = nullptr;
    std::string path_;
    std::string loadedPath_;
    std::string sha256_;
    std::string name_;
    std::string version_;
    std::string description_;
    std::vector<std::string> requirements_;
};

// What a plugin file declares, and whether this host would load it (keel --inspect-plugin).
struct PluginInspection {
    bool opened = false;           // the file's .keel_plugin section was read
    unsigned abiVersion = 0;
    std::string name, version, description, sdkVersion, buildFingerprint, sha256;
    std::vector<std::string> requirements;
    bool accepted = false;
    std::string reason;            // why not, when not accepted
};
// Reads the file's .keel_plugin section only: the file is never mapped, none of its code runs.
PluginInspection inspectPlugin(const std::string& path);

// The host's own build fingerprint and ABI number, for messages and /admin.
std::string hostBuildFingerprint();
// [a-z][a-z0-9_-]*, at most 64 characters: also the plugin's file name and configuration section.
bool isValidPluginName(const std::string& name);

}  // namespace keel::host
