// The keel executable's exit codes (sysexits.h values where one fits), in one place.
#pragma once

namespace keel::host {

inline constexpr int kExitOk = 0;
inline constexpr int kExitStartup = 1;  // start-up failed, or requests outlived the shutdown deadline
inline constexpr int kExitUsage = 64;   // EX_USAGE: a bad command line
inline constexpr int kExitConfig = 78;  // EX_CONFIG: a bad configuration value or file

}  // namespace keel::host
