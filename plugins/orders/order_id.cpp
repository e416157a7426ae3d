// Random UUIDs from a per-thread pool of kernel randomness.
#include "order_id.h"

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace keel::plugins::orders {

namespace {

constexpr std::size_t kPoolBytes = 4096;

// Trivially destructible thread-locals: a plugin that registers no thread-exit destructor can
// still be unloaded.
thread_local std::array<unsigned char, kPoolBytes> pool;
thread_local std::size_t used = kPoolBytes;

const unsigned char* sixteenRandomBytes() {
    if (used + 16 > kPoolBytes) {
        std::size_t filled = 0;
        while (filled < kPoolBytes) {
            const ssize_t got = ::getrandom(pool.data() + filled, kPoolBytes - filled, 0);
            if (got < 0) {
                if (errno == EINTR) continue;
                throw std::runtime_error(std::string("no randomness for an order id: getrandom failed: ") +
                                         std::strerror(errno));
            }
            filled += static_cast<std::size_t>(got);
        }
        used = 0;
    }
    const unsigned char* bytes = pool.data() + used;
    used += 16;
    return bytes;
}

}  // namespace

std::string newOrderId() {
    std::array<unsigned char, 16> bytes{};
    std::memcpy(bytes.data(), sixteenRandomBytes(), bytes.size());
    bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);  // version 4
    bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
    static constexpr char kHex[] = "0123456789abcdef";
    std::string text(36, '-');
    std::size_t at = 0;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (at == 8 || at == 13 || at == 18 || at == 23) ++at;
        text[at++] = kHex[bytes[i] >> 4];
        text[at++] = kHex[bytes[i] & 0xf];
    }
    return text;
}

}  // namespace keel::plugins::orders
