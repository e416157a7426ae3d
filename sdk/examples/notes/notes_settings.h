// notes_settings.h — every notes.* key: declared once (type, default, description, bounds), read once.
#pragma once

#include <keel/config.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace notes {

struct NotesSettings {
    std::size_t maxLength = 0;
    std::string format;       // "text" or "json"
    std::string notifyUrl;    // empty: no notifications
    std::string notifyToken;  // secret: never log it
    std::string notifyPipeline;
    std::chrono::milliseconds notifyInterval{0};
    int notifyBatch = 0;
    std::int64_t maxBacklog = 0;
};

// Every key of [notes], relative to the section; plugin.cpp declares them.
std::vector<keel::ConfigKey> notesKeys();
// The values were validated by Registrar::settings(); reading them cannot fail.
NotesSettings readNotesSettings(const keel::Settings& settings);

}  // namespace notes
