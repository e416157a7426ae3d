// Random identifiers for requests, orders, messages and traces: unguessable (kernel randomness)
// and cheap. Each thread draws 4 KiB from getrandom at a time, so an id costs no system call and no
// lock (Poco's UUIDGenerator takes a process-wide lock and reads /dev/urandom for every id).
// Thread-safe. Both throw std::runtime_error if the kernel gives no randomness.
#pragma once

#include <cstddef>
#include <string>

#include "keel/export.h"

namespace keel {

// A random (version 4, RFC 9562) UUID in its 36-character lowercase text form.
KEEL_SDK_API std::string newUuid();
// 2 * `bytes` lowercase hex digits, never all zero (W3C trace and span ids).
KEEL_SDK_API std::string randomHex(std::size_t bytes);

}  // namespace keel
