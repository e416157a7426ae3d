// notifier.cpp — one delivery pass.
#include "notifier.h"

#include <string>
#include <utility>

namespace notes {

Notifier::Notifier(NoteStore& store, NotesSettings settings,
                   std::shared_ptr<keel::resilience::Pipeline> pipeline,
                   prometheus::Family<prometheus::Counter>& deliveries, prometheus::Gauge& pending,
                   std::shared_ptr<spdlog::logger> logger)
    : store_(store),
      settings_(std::move(settings)),
      pipeline_(std::move(pipeline)),
      deliveries_(deliveries),
      pending_(pending),
      logger_(std::move(logger)) {}

int Notifier::deliverPending() {
    int delivered = 0;
    for (const PendingNotification& notification : store_.pending(settings_.notifyBatch)) {
        const keel::resilience::Result result = pipeline_->execute(
            [&](const keel::resilience::Attempt& attempt) { return post(attempt, notification); });
        if (!result.ok()) {
            deliveries_.Add({{"result", keel::resilience::failureName(result.failure)}}).Increment();
            logger_->warn("notification {} for note {} not delivered after {} attempt(s): {}",
                          notification.id, notification.noteId, result.attempts, result.detail);
            break;
        }
        store_.remove(notification.id);
        deliveries_.Add({{"result", "delivered"}}).Increment();
        ++delivered;
    }
    pending_.Set(static_cast<double>(store_.pendingCount()));
    return delivered;
}

keel::resilience::Outcome Notifier::post(const keel::resilience::Attempt& attempt,
                                         const PendingNotification& notification) {
    keel::ClientRequest request;
    request.method = "POST";
    request.url = settings_.notifyUrl;
    request.headers.set("Content-Type", "application/json");
    // The same key on every attempt and every pass: the receiver can drop duplicates.
    request.headers.set("Idempotency-Key", "note-notification-" + std::to_string(notification.id));
    if (!settings_.notifyToken.empty())
        request.headers.set("Authorization", "Bearer " + settings_.notifyToken);
    request.body = "{\"note\":\"" + notification.noteId + "\"}";  // ids are [A-Za-z0-9_-]: nothing to escape
    request.timeout = attempt.remaining();  // the pipeline's deadline becomes the socket timeout
    try {
        const keel::ClientResponse reply = client_.send(request);
        return keel::resilience::Outcome::fromHttpStatus(reply.status, reply.headers.get("Retry-After"));
    } catch (const keel::HttpClientError& error) {
        // No answer at all (refused, reset, timed out): the downstream's fault, worth retrying.
        return keel::resilience::Outcome::failure(error.what(), /*retryable=*/true);
    }
}

}  // namespace notes
