// notes_api.h — GET and PUT /notes/{id}: validation, storage, answers. Thread-safe: many server
// threads call it at once, and it keeps no state of its own.
#pragma once

#include <keel/metrics.h>
#include <keel/request.h>
#include <keel/response.h>
#include <spdlog/logger.h>

#include <memory>

#include "note_store.h"
#include "notes_settings.h"

namespace notes {

// Owned by the host's registry; valid until the plugin's stop() returns.
struct NotesMetrics {
    prometheus::Counter* written = nullptr;
    prometheus::Histogram* length = nullptr;
};

class NotesApi {
public:
    NotesApi(NoteStore& store, NotesSettings settings, NotesMetrics metrics,
             std::shared_ptr<spdlog::logger> logger);
    void get(keel::Request& request, keel::Response& response);
    void put(keel::Request& request, keel::Response& response);

private:
    NoteStore& store_;
    const NotesSettings settings_;
    const NotesMetrics metrics_;
    std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace notes
