// A plugin file judged from its .keel_plugin section before it is mapped, then dlopen with the
// traps in docs/design-notes.md avoided: private copy, RTLD_LOCAL.
#include "plugin_library.h"

#include <Poco/DigestStream.h>
#include <Poco/File.h>
#include <Poco/Path.h>
#include <Poco/SHA2Engine.h>
#include <Poco/StreamCopier.h>
#include <dlfcn.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <fstream>

#include "plugin_file.h"

namespace keel::host {

namespace {

std::string fileSha256(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    Poco::DigestOutputStream digest(engine);
    Poco::StreamCopier::copyStream(in, digest);
    digest.close();
    return Poco::DigestEngine::digestToHex(engine.digest());
}

}  // namespace

bool isValidPluginName(const std::string& name) {
    if (name.empty() || name.size() > 64 || !std::islower(static_cast<unsigned char>(name[0]))) return false;
    for (char c : name) {
        if (!std::islower(static_cast<unsigned char>(c)) && !std::isdigit(static_cast<unsigned char>(c)) && c != '_' &&
            c != '-') {
            return false;
        }
    }
    return true;
}

namespace {

std::string text(const char* value) { return value == nullptr ? std::string() : std::string(value); }

// What the file's record must say for Keel to map it at all. Throws PluginLoadError.
void checkRecord(const std::string& path, const PluginRecord& record) {
    if (record.abiVersion != KEEL_SDK_ABI_VERSION) {
        throw PluginLoadError("plugin file " + path + " was built for SDK ABI " + std::to_string(record.abiVersion) +
                              ", but this host provides SDK ABI " + std::to_string(KEEL_SDK_ABI_VERSION) +
                              " (SDK " KEEL_SDK_VERSION_STRING "): rebuild the plugin against this SDK");
    }
    if (record.buildFingerprint != hostBuildFingerprint()) {
        throw PluginLoadError("plugin file " + path + " is not binary compatible: built as '" + record.buildFingerprint +
                              "', this host is '" + hostBuildFingerprint() + "'");
    }
    if (!isValidPluginName(record.name)) {
        throw PluginLoadError("plugin file " + path + " declares an invalid name '" + record.name +
                              "' (expected [a-z][a-z0-9_-]*, at most 64 characters)");
    }
}

PluginRecord readRecord(const std::string& path) {
    try {
        return readPluginRecord(path);
    } catch (const std::runtime_error& error) {
        throw PluginLoadError(error.what());
    }
}

}  // namespace

std::string hostBuildFingerprint() { return KEEL_BUILD_FINGERPRINT; }

std::string PluginLibrary::sha256Of(const std::string& path) {
    if (!Poco::File(path).exists()) throw PluginLoadError("plugin file " + path + " does not exist");
    return fileSha256(path);
}

std::unique_ptr<PluginLibrary> PluginLibrary::open(const std::string& path, const std::string& privateDirectory) {
    Poco::File file(path);
    if (!file.exists() || !file.isFile()) {
        const std::string hint = Poco::Path(path).isAbsolute()
                                     ? ""
                                     : " (a relative path is resolved against keel's working directory, " +
                                           Poco::Path::current() + "; give an absolute path)";
        throw PluginLoadError("plugin file " + path + " does not exist" + hint);
    }

    // Judged from the file alone: not one instruction of it runs unless every check passes.
    const PluginRecord record = readRecord(path);
    checkRecord(path, record);

    std::unique_ptr<PluginLibrary> library(new PluginLibrary());
    library->path_ = path;
    library->sha256_ = fileSha256(path);

    static std::atomic<unsigned> sequence{0};
    Poco::File(privateDirectory).createDirectories();
    const std::string copy = Poco::Path(privateDirectory)
                                 .append(std::to_string(::getpid()) + "-" + std::to_string(++sequence) + "-" +
                                         Poco::Path(path).getFileName())
                                 .toString();
    file.copyTo(copy);
    library->handle_ = ::dlopen(copy.c_str(), RTLD_NOW | RTLD_LOCAL);
    // The mapping keeps the code alive; removing the copy at once leaves nothing behind on a crash.
    Poco::File(copy).remove();
    if (library->handle_ == nullptr) {
        // dlerror() names the private copy, which is gone already: name the operator's file.
        std::string error = text(::dlerror());
        for (auto at = error.find(copy); at != std::string::npos; at = error.find(copy, at + path.size())) {
            error.replace(at, copy.size(), path);
        }
        throw PluginLoadError("plugin file " + path + " cannot be loaded: " + error);
    }
    library->loadedPath_ = copy;

    const auto* descriptor =
        static_cast<const KeelPluginDescriptor*>(::dlsym(library->handle_, KEEL_PLUGIN_DESCRIPTOR_SYMBOL));
    if (descriptor == nullptr) {
        throw PluginLoadError("plugin file " + path + " has no entry point '" KEEL_PLUGIN_DESCRIPTOR_SYMBOL
                              "' (was it built with KEEL_PLUGIN(Class) and keel_add_plugin()?)");
    }
    // The symbol must say what the section said (a file crafted to pass the checks with one
    // record and run with another is refused).
    if (descriptor->abiVersion != record.abiVersion || descriptor->descriptorSize != sizeof(KeelPluginDescriptor) ||
        text(descriptor->name) != record.name || text(descriptor->buildFingerprint) != record.buildFingerprint) {
        throw PluginLoadError("plugin file " + path + " has a descriptor that contradicts its .keel_plugin section");
    }
    library->name_ = record.name;
    if (descriptor->create == nullptr || descriptor->destroy == nullptr) {
        throw PluginLoadError("plugin file " + path + " has a descriptor without create/destroy functions");
    }
    library->version_ = text(descriptor->version);
    library->description_ = text(descriptor->description);
    if (descriptor->requirements != nullptr) {
        for (auto requirement = descriptor->requirements; *requirement != nullptr; ++requirement) {
            library->requirements_.emplace_back(*requirement);
        }
    }
    library->descriptor_ = descriptor;
    return library;
}

PluginInspection inspectPlugin(const std::string& path) {
    // Never maps the file: everything shown comes from its .keel_plugin section.
    PluginInspection inspection;
    try {
        if (!Poco::File(path).exists()) throw PluginLoadError("plugin file " + path + " does not exist");
        const PluginRecord record = readRecord(path);
        inspection.opened = true;
        inspection.abiVersion = record.abiVersion;
        inspection.name = record.name;
        inspection.version = record.version;
        inspection.description = record.description;
        inspection.sdkVersion = record.sdkVersion;
        inspection.buildFingerprint = record.buildFingerprint;
        inspection.requirements = record.requirements;
        inspection.sha256 = fileSha256(path);
        checkRecord(path, record);
        inspection.accepted = true;
    } catch (const PluginLoadError& error) {
        inspection.reason = error.what();
    }
    return inspection;
}

PluginLibrary::~PluginLibrary() {
    if (handle_ != nullptr) ::dlclose(handle_);
}

std::unique_ptr<Plugin, void (*)(Plugin*)> PluginLibrary::createPlugin() const {
    return {descriptor_->create(), descriptor_->destroy};
}

}  // namespace keel::host
