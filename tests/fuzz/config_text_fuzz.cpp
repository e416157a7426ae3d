// The ini and .properties reader: any text is loaded or refused with a ConfigError, never a crash.
// The first byte picks the format.
#include <keel/config.h>

#include <string>

#include "config_files.h"
#include "config_store.h"
#include "fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const bool properties = (data[0] & 1) != 0;
    const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
    keel::host::ConfigStore store;
    try {
        keel::host::loadConfigText(text, properties ? "fuzz.properties" : "fuzz.ini", properties, store);
    } catch (const keel::ConfigError&) {
    }
    return 0;
}
