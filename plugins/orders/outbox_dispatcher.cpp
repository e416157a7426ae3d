// Outbox delivery pass.
#include "outbox_dispatcher.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace keel::plugins::orders {

std::int64_t nowMicros() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::chrono::milliseconds outboxBackoff(const OutboxSettings& settings, int attempts, double uniform01) {
    const double ceiling = std::min(
        static_cast<double>(settings.backoffMax.count()),
        static_cast<double>(settings.backoffBase.count()) * std::pow(2.0, std::max(0, attempts - 1)));
    // "Equal jitter": never less than half the ceiling, so a failing endpoint is not hammered.
    return std::chrono::milliseconds(static_cast<long long>(ceiling / 2 + ceiling / 2 * uniform01));
}

OutboxDispatcher::OutboxDispatcher(OrderStore& store, OutboxSettings settings,
                                   prometheus::Family<prometheus::Counter>& deliveries,
                                   prometheus::Gauge& backlog, std::shared_ptr<spdlog::logger> logger)
    : store_(store),
      settings_(std::move(settings)),
      client_(HttpClientOptions{settings_.timeout, settings_.timeout, 4, "keel-orders-outbox", ""}),
      delivered_(deliveries.Add({{"result", "delivered"}})),
      failed_(deliveries.Add({{"result", "failed"}})),
      backlog_(backlog),
      logger_(std::move(logger)) {}

int OutboxDispatcher::runOnce() {
    thread_local std::mt19937_64 random(std::random_device{}());
    const auto now = nowMicros();
    const auto leaseUntil =
        now + std::chrono::duration_cast<std::chrono::microseconds>(settings_.lease).count();
    int delivered = 0;
    for (const auto& message : store_.claimDue(now, leaseUntil, settings_.batch)) {
        std::string error;
        try {
            ClientRequest request;
            request.method = "POST";
            request.url = settings_.notifyUrl;
            request.body = message.payload;
            request.headers.set("Content-Type", "application/json");
            request.headers.set("Idempotency-Key", message.id);
            request.headers.set("X-Keel-Topic", message.topic);
            const auto reply = client_.send(request);
            if (reply.status >= 200 && reply.status < 300) {
                store_.markDelivered(message.id, nowMicros());
                delivered_.Increment();
                ++delivered;
                continue;
            }
            error = "notify endpoint answered " + std::to_string(reply.status);
        } catch (const std::exception& failure) {
            error = failure.what();
        }
        failed_.Increment();
        const auto wait =
            outboxBackoff(settings_, message.attempts, std::uniform_real_distribution<double>(0, 1)(random));
        logger_->warn("notification {} attempt {} failed: {}; next in {}ms", message.id, message.attempts,
                      error, wait.count());
        store_.markFailed(message.id,
                          nowMicros() + std::chrono::duration_cast<std::chrono::microseconds>(wait).count(),
                          error);
    }
    backlog_.Set(static_cast<double>(store_.pendingCount()));
    return delivered;
}

}  // namespace keel::plugins::orders
