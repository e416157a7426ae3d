// A plugin file judged before any of its code runs: the descriptor record KEEL_PLUGIN places in
// the ELF section ".keel_plugin" is read from the file with libelf (the file is never mapped
// executable, no constructor runs), and files named by path must sit in a trusted directory,
// owned by root or Keel's user, writable by no one else.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace keel::host {

// What the section says about the plugin.
struct PluginRecord {
    std::uint32_t abiVersion = 0;
    std::string name;
    std::string version;
    std::string sdkVersion;
    std::string buildFingerprint;
    std::string description;
    std::vector<std::string> requirements;
};

// Parses the section's text ("KEEL-PLUGIN 1\nabi=3\nname=...\n..."). Throws std::runtime_error
// saying what is wrong. Pure: fuzzed.
PluginRecord parsePluginRecord(const std::string& text);

// Reads and parses the ".keel_plugin" section of the ELF file at `path`. Throws
// std::runtime_error naming the file: not readable, not an ELF shared object, no section (built
// with an SDK older than 0.4), or a malformed record.
PluginRecord readPluginRecord(const std::string& path);
// The same for a file's bytes already in memory (libelf parses them in place). Fuzzed.
PluginRecord readPluginRecordFromImage(std::string image);

// Refuses (std::runtime_error with the reason) a file a runtime load names by path unless its
// real path is inside one of `trustedDirectories`, it is a regular file owned by root or by
// this process's user, and neither it nor its directory is writable by group or others.
void checkTrustedPluginFile(const std::string& path, const std::vector<std::string>& trustedDirectories);

}  // namespace keel::host
