// How many malloc arenas glibc may create. By default a process gets up to eight per core, and
// a thread that finds its arena busy starts another; under steady load the memory those arenas
// held without using it kept growing (docs/operations.md). Keel allows one per core instead,
// unless the operator set MALLOC_ARENA_MAX, which glibc then applies itself.
#pragma once

#include <optional>

namespace keel::host {

// The arena limit Keel sets: none when MALLOC_ARENA_MAX is set (`environmentValue` not null),
// else one per core with at least two.
std::optional<int> mallocArenaLimit(const char* environmentValue, unsigned cores);

// Applies mallocArenaLimit to this process. Call first thing in main(), before any thread exists.
void limitMallocArenas();

}  // namespace keel::host
