// The plugin descriptor: the section's text parser and the ELF reader (libelf on the file's bytes)
// refuse anything malformed with a runtime_error; an accepted record always has a name.
#include <stdexcept>
#include <string>

#include "fuzz_target.h"
#include "plugin_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    try {
        const auto record = keel::host::parsePluginRecord(bytes);
        FUZZ_ASSERT(!record.name.empty(), "a record without a name was accepted");
    } catch (const std::runtime_error&) {
    }
    try {
        const auto record = keel::host::readPluginRecordFromImage(bytes);
        FUZZ_ASSERT(!record.name.empty(), "an ELF record without a name was accepted");
    } catch (const std::runtime_error&) {
    }
    return 0;
}
