// dlopen with the traps in docs/design-notes.md avoided: private copy, RTLD_LOCAL, descriptor checked before start.
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

bool validPluginName(const std::string& name) {
    if (name.empty() || name.size() > 64 || !std::islower(static_cast<unsigned char>(name[0]))) return false;
    for (char c : name) {
        if (!std::islower(static_cast<unsigned char>(c)) && !std::isdigit(static_cast<unsigned char>(c)) && c != '_' &&
            c != '-') {
            return false;
        }
    }
    return true;
}

std::string text(const char* value) { return value == nullptr ? std::string() : std::string(value); }

}  // namespace

std::string hostBuildFingerprint() { return KEEL_BUILD_FINGERPRINT; }

std::string PluginLibrary::sha256Of(const std::string& path) {
    if (!Poco::File(path).exists()) throw PluginLoadError("plugin file " + path + " does not exist");
    return fileSha256(path);
}

std::unique_ptr<PluginLibrary> PluginLibrary::open(const std::string& path, const std::string& privateDirectory) {
    Poco::File file(path);
    if (!file.exists() || !file.isFile()) throw PluginLoadError("plugin file " + path + " does not exist");

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
        const char* error = ::dlerror();
        throw PluginLoadError("plugin file " + path + " cannot be loaded: " + text(error));
    }
    library->loadedPath_ = copy;

    const auto* descriptor =
        static_cast<const KeelPluginDescriptor*>(::dlsym(library->handle_, KEEL_PLUGIN_DESCRIPTOR_SYMBOL));
    if (descriptor == nullptr) {
        throw PluginLoadError("plugin file " + path + " has no entry point '" KEEL_PLUGIN_DESCRIPTOR_SYMBOL
                              "' (was it built with KEEL_PLUGIN(Class) and keel_add_plugin()?)");
    }
    if (descriptor->abiVersion != KEEL_SDK_ABI_VERSION) {
        throw PluginLoadError("plugin file " + path + " was built for SDK ABI " +
                              std::to_string(descriptor->abiVersion) + ", but this host provides SDK ABI " +
                              std::to_string(KEEL_SDK_ABI_VERSION) + " (SDK " KEEL_SDK_VERSION_STRING
                              "): rebuild the plugin against this SDK");
    }
    if (descriptor->descriptorSize != sizeof(KeelPluginDescriptor)) {
        throw PluginLoadError("plugin file " + path + " has a descriptor of " +
                              std::to_string(descriptor->descriptorSize) + " bytes, the host expected " +
                              std::to_string(sizeof(KeelPluginDescriptor)));
    }
    const std::string fingerprint = text(descriptor->buildFingerprint);
    if (fingerprint != hostBuildFingerprint()) {
        throw PluginLoadError("plugin file " + path + " is not binary compatible: built as '" + fingerprint +
                              "', this host is '" + hostBuildFingerprint() + "'");
    }
    library->name_ = text(descriptor->name);
    if (!validPluginName(library->name_)) {
        throw PluginLoadError("plugin file " + path + " declares an invalid name '" + library->name_ +
                              "' (expected [a-z][a-z0-9_-]*, at most 64 characters)");
    }
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

PluginInspection inspectPlugin(const std::string& path, const std::string& privateDirectory) {
    PluginInspection inspection;
    try {
        auto library = PluginLibrary::open(path, privateDirectory);
        inspection.opened = true;
        inspection.accepted = true;
        inspection.abiVersion = library->descriptor_->abiVersion;
        inspection.name = library->name();
        inspection.version = library->version();
        inspection.description = library->description();
        inspection.sdkVersion = text(library->descriptor_->sdkVersion);
        inspection.buildFingerprint = text(library->descriptor_->buildFingerprint);
        inspection.sha256 = library->sha256();
        inspection.requirements = library->requirements();
    } catch (const PluginLoadError& error) {
        inspection.reason = error.what();
        // Read what can be read safely: the ABI number is the first member in every ABI.
        Poco::File(privateDirectory).createDirectories();
        const std::string copy = Poco::Path(privateDirectory).append("inspect-" + Poco::Path(path).getFileName()).toString();
        try {
            Poco::File(path).copyTo(copy);
            if (void* handle = ::dlopen(copy.c_str(), RTLD_NOW | RTLD_LOCAL)) {
                if (const auto* descriptor =
                        static_cast<const KeelPluginDescriptor*>(::dlsym(handle, KEEL_PLUGIN_DESCRIPTOR_SYMBOL))) {
                    inspection.opened = true;
                    inspection.abiVersion = descriptor->abiVersion;
                    if (descriptor->abiVersion == KEEL_SDK_ABI_VERSION) {
                        inspection.name = text(descriptor->name);
                        inspection.version = text(descriptor->version);
                        inspection.buildFingerprint = text(descriptor->buildFingerprint);
                        inspection.sdkVersion = text(descriptor->sdkVersion);
                    }
                }
                ::dlclose(handle);
            }
            Poco::File(copy).remove();
        } catch (const Poco::Exception&) {
            // Nothing more to tell than the reason.
        }
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
