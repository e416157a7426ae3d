// Ids of orders and outbox messages: random (version 4) UUIDs in their 36-character text form.
#pragma once

#include <string>

namespace keel::plugins::orders {

// Unguessable (kernel randomness) and cheap: each thread draws 4 KiB from getrandom at a time, so
// an id costs no system call and no lock. Poco's UUIDGenerator took a process-wide lock and
// opened, read and closed /dev/urandom for every id. Throws std::runtime_error if the kernel
// gives no randomness.
std::string newOrderId();

}  // namespace keel::plugins::orders
