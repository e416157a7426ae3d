// The plugin contract: one class deriving from keel::Plugin, exported with KEEL_PLUGIN(Class).
//
//   class HelloPlugin final : public keel::Plugin {
//   public:
//       static constexpr keel::PluginInfo kInfo{"hello", "1.0.0", "Greets people", nullptr};
//       void configure(keel::Registrar& registrar) override;
//   };
//   KEEL_PLUGIN(HelloPlugin)
//
// Lifecycle (all calls from one host thread): configure() declares everything, start() begins
// work, stop() ends it before the deadline. Nothing may happen in constructors or static
// initialisers. Exceptions escaping these calls fail that lifecycle step; they never crash.
#pragma once

#include <chrono>
#include <cstdint>

#include "keel/context.h"
#include "keel/export.h"
#include "keel/registrar.h"
#include "keel/version.h"

namespace keel {

class KEEL_SDK_API Plugin {
public:
    virtual ~Plugin();
    virtual void configure(Registrar& registrar) = 0;
    virtual void start(Context& context);
    // Ends the plugin's work. Its tasks were already stopped and no request is running its code.
    virtual void stop(std::chrono::steady_clock::time_point deadline);
};

struct PluginInfo {
    const char* name;                // [a-z][a-z0-9_-]*; also its configuration section
    const char* version;             // SemVer of the plugin
    const char* description;
    const char* const* requirements;  // names of plugins that must start first; nullptr-terminated, or nullptr
};

}  // namespace keel

extern "C" {
// Read by the host before any plugin code runs. `abiVersion` stays the first member in every
// ABI so that any descriptor can be checked.
struct KeelPluginDescriptor {
    std::uint32_t abiVersion;
    std::uint32_t descriptorSize;
    const char* name;
    const char* version;
    const char* description;
    const char* const* requirements;
    const char* buildFingerprint;
    const char* sdkVersion;
    keel::Plugin* (*create)();
    void (*destroy)(keel::Plugin*);
};
}

#define KEEL_PLUGIN_DESCRIPTOR_SYMBOL "keel_plugin_descriptor"

#define KEEL_PLUGIN(Class)                                                                       \
    extern "C" KEEL_PLUGIN_EXPORT const KeelPluginDescriptor keel_plugin_descriptor = {         \
        KEEL_SDK_ABI_VERSION,                                                                    \
        sizeof(KeelPluginDescriptor),                                                            \
        Class::kInfo.name,                                                                       \
        Class::kInfo.version,                                                                    \
        Class::kInfo.description,                                                                \
        Class::kInfo.requirements,                                                               \
        KEEL_BUILD_FINGERPRINT,                                                                  \
        KEEL_SDK_VERSION_STRING,                                                                 \
        []() -> ::keel::Plugin* { return new Class(); },                                         \
        [](::keel::Plugin* plugin) { delete plugin; },                                           \
    };
