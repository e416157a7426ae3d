// notes_api.cpp — GET and PUT /notes/{id}.
#include "notes_api.h"

#include <Poco/JSON/Object.h>
#include <keel/database.h>
#include <keel/problem.h>
#include <keel/tracing.h>

#include <cstdint>
#include <exception>
#include <optional>
#include <utility>

#include "note_validation.h"

namespace notes {

namespace {
// No database session in time (pool exhausted, server unreachable), or the connection was lost
// during the call: the client may try again. Anything else is a bug, left to the host's 500.
bool isTransient(const std::exception& error) {
    return dynamic_cast<const keel::DatabaseUnavailable*>(&error) != nullptr || keel::isConnectionLost(error);
}

keel::HttpError unavailable() {
    return keel::HttpError(503, "Notes Unavailable",
                           "the notes database cannot be reached; try again shortly");
}
}  // namespace

NotesApi::NotesApi(NoteStore& store, NotesSettings settings, NotesMetrics metrics,
                   std::shared_ptr<spdlog::logger> logger)
    : store_(store), settings_(std::move(settings)), metrics_(metrics), logger_(std::move(logger)) {}

void NotesApi::get(keel::Request& request, keel::Response& response) {
    const std::string& id = request.pathParameter("id");
    checkNoteId(id);
    std::optional<std::string> text;
    try {
        text = store_.find(id);
    } catch (const std::exception& error) {
        if (!isTransient(error)) throw;
        throw unavailable();
    }
    if (!text) throw keel::HttpError(404, "Note Not Found", "there is no note '" + id + "'");
    if (settings_.format == "text") {
        response.send(200, *text);  // text/plain; charset=utf-8
        return;
    }
    Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    body.set("id", id);
    body.set("text", *text);
    response.sendJson(200, body);
}

void NotesApi::put(keel::Request& request, keel::Response& response) {
    const std::string& id = request.pathParameter("id");
    checkNoteId(id);
    const std::string& text = request.body();
    checkNoteText(text, settings_.maxLength);
    {
        keel::Span span("store note");  // a child of the request's span while it is traced
        span.setAttribute("note.length", static_cast<std::int64_t>(text.size()));
        try {
            store_.put(id, text, /*notify=*/!settings_.notifyUrl.empty());
        } catch (const std::exception& error) {
            span.setStatus(keel::SpanStatus::Error, keel::describeError(error));
            if (!isTransient(error)) throw;
            throw unavailable();
        }
    }
    metrics_.written->Increment();
    metrics_.length->Observe(static_cast<double>(text.size()));
    logger_->info("note {} stored ({} bytes)", id, text.size());
    response.setStatus(204);
}

}  // namespace notes
