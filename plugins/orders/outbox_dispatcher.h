// Delivers notifications from the transactional outbox: claims due rows, POSTs each to
// notify.url with its id as Idempotency-Key, marks it delivered, or schedules the next attempt
// with exponential backoff and jitter. At-least-once: a crash between delivery and marking
// re-delivers, never loses. Runs on the host's task thread.
#pragma once

#include <keel/http_client.h>
#include <keel/metrics.h>
#include <spdlog/logger.h>

#include <chrono>
#include <functional>
#include <string>

#include "order_store.h"

namespace keel::plugins::orders {

struct OutboxSettings {
    std::string notifyUrl;
    std::chrono::milliseconds timeout{2000};
    int batch = 100;
    std::chrono::milliseconds lease{30000};  // a claimed row is retried after this if the host dies
    std::chrono::milliseconds backoffBase{1000};
    std::chrono::milliseconds backoffMax{300000};
};

// The wait before attempt `attempts + 1`: uniform in [base * 2^(attempts-1) / 2, base * 2^(attempts-1)],
// capped.
std::chrono::milliseconds outboxBackoff(const OutboxSettings& settings, int attempts, double uniform01);

class OutboxDispatcher {
public:
    OutboxDispatcher(OrderStore& store, OutboxSettings settings,
                     prometheus::Family<prometheus::Counter>& deliveries, prometheus::Gauge& backlog,
                     std::shared_ptr<spdlog::logger> logger);
    // One pass: deliver what is due now. Returns how many were delivered.
    int runOnce();

private:
    OrderStore& store_;
    OutboxSettings settings_;
    HttpClient client_;
    prometheus::Counter& delivered_;
    prometheus::Counter& failed_;
    prometheus::Gauge& backlog_;
    std::shared_ptr<spdlog::logger> logger_;
};

std::int64_t nowMicros();

}  // namespace keel::plugins::orders
