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
#include <cstddef>
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
// Reached through dlsym once the file passed every check (keel::detail::makePluginRecord, below,
// is what is checked). `abiVersion` stays the first member in every ABI.
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

namespace keel::detail {

// The record KEEL_PLUGIN places in the ELF section ".keel_plugin": the descriptor as text, built
// at compile time from the plugin's kInfo, so that the host reads it from the file and judges the
// plugin before mapping it (no constructor of a refused file ever runs). Lines "key=value" after
// the line "KEEL-PLUGIN 1"; a newline inside a value becomes a space.
class PluginRecordWriter {
public:
    constexpr explicit PluginRecordWriter(char* out) : out_(out) {}
    constexpr void put(char c) {
        if (out_ != nullptr) out_[size_] = c;
        ++size_;
    }
    constexpr void text(const char* value) {
        for (std::size_t i = 0; value != nullptr && value[i] != '\0'; ++i) put(value[i] == '\n' ? ' ' : value[i]);
    }
    constexpr void number(std::uint32_t value) {
        char digits[10] = {};
        int count = 0;
        do {
            digits[count++] = static_cast<char>('0' + value % 10);
            value /= 10;
        } while (value != 0);
        while (count > 0) put(digits[--count]);
    }
    constexpr void field(const char* key, const char* value) {
        text(key);
        put('=');
        text(value);
        put('\n');
    }
    constexpr std::size_t size() const { return size_; }

private:
    char* out_;
    std::size_t size_ = 0;
};

template <class PluginClass>
constexpr void writePluginRecord(PluginRecordWriter& writer) {
    writer.text("KEEL-PLUGIN 1");
    writer.put('\n');
    writer.text("abi=");
    writer.number(KEEL_SDK_ABI_VERSION);
    writer.put('\n');
    writer.field("name", PluginClass::kInfo.name);
    writer.field("version", PluginClass::kInfo.version);
    writer.field("sdk", KEEL_SDK_VERSION_STRING);
    writer.field("fingerprint", KEEL_BUILD_FINGERPRINT);
    writer.field("description", PluginClass::kInfo.description);
    writer.text("requires=");
    for (auto requirement = PluginClass::kInfo.requirements; requirement != nullptr && *requirement != nullptr;
         ++requirement) {
        if (requirement != PluginClass::kInfo.requirements) writer.put(',');
        writer.text(*requirement);
    }
    writer.put('\n');
    writer.put('\0');
}

template <std::size_t Size>
struct PluginRecordText {
    char text[Size];
};

template <class PluginClass>
constexpr std::size_t pluginRecordSize() {
    PluginRecordWriter counter(nullptr);
    writePluginRecord<PluginClass>(counter);
    return counter.size();
}

template <class PluginClass>
constexpr PluginRecordText<pluginRecordSize<PluginClass>()> makePluginRecord() {
    PluginRecordText<pluginRecordSize<PluginClass>()> record{};
    PluginRecordWriter writer(record.text);
    writePluginRecord<PluginClass>(writer);
    return record;
}

}  // namespace keel::detail

// The descriptor twice: as text in the ".keel_plugin" section (read from the file before the
// library is mapped), and as the symbol the host calls create/destroy through once it is.
#define KEEL_PLUGIN(Class)                                                                       \
    [[gnu::section(".keel_plugin"), gnu::used]] static constexpr auto keel_plugin_record =      \
        ::keel::detail::makePluginRecord<Class>();                                               \
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
