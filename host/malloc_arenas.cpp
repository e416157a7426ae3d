#include "malloc_arenas.h"

#include <malloc.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

namespace keel::host {

std::optional<int> mallocArenaLimit(const char* environmentValue, unsigned cores) {
    if (environmentValue != nullptr) return std::nullopt;
    return static_cast<int>(std::max(2u, cores));
}

void limitMallocArenas() {
    if (const auto limit = mallocArenaLimit(std::getenv("MALLOC_ARENA_MAX"), std::thread::hardware_concurrency())) {
        ::mallopt(M_ARENA_MAX, *limit);
    }
}

}  // namespace keel::host
