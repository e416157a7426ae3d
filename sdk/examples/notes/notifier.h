// notifier.h — delivers pending notifications to notify.url through a resilience pipeline, oldest
// first, at least once. Called by one task at a time per instance.
#pragma once

#include <keel/http_client.h>
#include <keel/metrics.h>
#include <keel/resilience.h>
#include <spdlog/logger.h>

#include <memory>

#include "note_store.h"
#include "notes_settings.h"

namespace notes {

class Notifier {
public:
    Notifier(NoteStore& store, NotesSettings settings, std::shared_ptr<keel::resilience::Pipeline> pipeline,
             prometheus::Family<prometheus::Counter>& deliveries, prometheus::Gauge& pending,
             std::shared_ptr<spdlog::logger> logger);
    // Delivers up to notify.batch notifications. Stops at the first that fails, so the order is
    // kept and the next pass tries it again. Returns how many were delivered.
    int deliverPending();

private:
    keel::resilience::Outcome post(const keel::resilience::Attempt& attempt,
                                   const PendingNotification& notification);

    NoteStore& store_;
    const NotesSettings settings_;
    std::shared_ptr<keel::resilience::Pipeline> pipeline_;
    prometheus::Family<prometheus::Counter>& deliveries_;
    prometheus::Gauge& pending_;
    std::shared_ptr<spdlog::logger> logger_;
    keel::HttpClient client_;  // pooled keep-alive connections; its code lives in libkeel-sdk
};

}  // namespace notes
