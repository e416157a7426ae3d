// notes_settings.cpp — the notes.* keys.
#include "notes_settings.h"

namespace notes {

std::vector<keel::ConfigKey> notesKeys() {
    using Key = keel::ConfigKey;
    return {
        Key::integer("max_length", 4096, "Longest note in bytes.").range(1, 1048576),
        Key::string("format", "text", "How GET /notes/{id} answers: the bare text or a JSON object.")
            .oneOf({"text", "json"}),
        Key::string("notify.url", "",
                    "Webhook (http:// or https://) POSTed after every change. Empty: no notifications."),
        Key::string("notify.token", "", "Bearer token sent to the webhook.").secretValue(),
        Key::string("notify.pipeline", "notes_webhook", "Resilience pipeline of webhook calls."),
        Key::duration("notify.interval", "1s", "Pause between two delivery passes.").range(10, 3600000),
        Key::integer("notify.batch", 100, "Notifications delivered per pass at most.").range(1, 10000),
        Key::integer("notify.max_backlog", 1000,
                     "Undelivered notifications above which the health check warns.")
            .atLeast(0),
    };
}

NotesSettings readNotesSettings(const keel::Settings& settings) {
    NotesSettings values;
    values.maxLength = static_cast<std::size_t>(settings.getInt("max_length"));
    values.format = settings.getString("format");
    values.notifyUrl = settings.getString("notify.url");
    values.notifyToken = settings.getString("notify.token");
    values.notifyPipeline = settings.getString("notify.pipeline");
    values.notifyInterval = settings.getDuration("notify.interval");
    values.notifyBatch = static_cast<int>(settings.getInt("notify.batch"));
    values.maxBacklog = settings.getInt("notify.max_backlog");
    return values;
}

}  // namespace notes
