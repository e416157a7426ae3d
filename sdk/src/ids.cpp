// Random ids from a per-thread pool of kernel randomness.
#include "keel/ids.h"

#include <sys/random.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace keel {

namespace {

constexpr std::size_t kPoolBytes = 4096;
constexpr char kHex[] = "0123456789abcdef";

// Trivially destructible, so no thread-exit destructor is registered for them.
thread_local std::array<unsigned char, kPoolBytes> pool;
thread_local std::size_t used = kPoolBytes;

// Copies `count` (at most kPoolBytes) random bytes to `out`, refilling the pool when it runs short.
void randomBytes(unsigned char* out, std::size_t count) {
    if (used + count > kPoolBytes) {
        std::size_t filled = 0;
        while (filled < kPoolBytes) {
            const ssize_t got = ::getrandom(pool.data() + filled, kPoolBytes - filled, 0);
            if (got < 0) {
                if (errno == EINTR) continue;
                throw std::runtime_error(std::string("no randomness for an id: getrandom failed: ") + std::strerror(errno));
            }
            filled += static_cast<std::size_t>(got);
        }
        used = 0;
    }
    std::memcpy(out, pool.data() + used, count);
    used += count;
}

}  // namespace

std::string newUuid() {
    std::array<unsigned char, 16> bytes{};
    randomBytes(bytes.data(), bytes.size());
    bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);  // version 4
    bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);  // RFC 9562 variant
    std::string text(36, '-');
    std::size_t at = 0;
    for (const unsigned char byte : bytes) {
        if (at == 8 || at == 13 || at == 18 || at == 23) ++at;
        text[at++] = kHex[byte >> 4];
        text[at++] = kHex[byte & 0xf];
    }
    return text;
}

std::string randomHex(std::size_t bytes) {
    if (bytes == 0) return {};
    std::string text(bytes * 2, '0');
    std::array<unsigned char, 64> chunk{};
    do {
        for (std::size_t done = 0; done < bytes; done += chunk.size()) {
            const std::size_t count = std::min(chunk.size(), bytes - done);
            randomBytes(chunk.data(), count);
            for (std::size_t i = 0; i < count; ++i) {
                text[2 * (done + i)] = kHex[chunk[i] >> 4];
                text[2 * (done + i) + 1] = kHex[chunk[i] & 0xf];
            }
        }
    } while (text.find_first_not_of('0') == std::string::npos);
    return text;
}

}  // namespace keel
