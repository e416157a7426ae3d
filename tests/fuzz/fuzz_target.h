// One entry point per fuzz target, as libFuzzer calls it. Each target checks invariants of its
// parser and aborts when one breaks, so a wrong answer is found as surely as a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstdio>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

// Aborts with `what` when `condition` does not hold: libFuzzer keeps the input that did it.
#define FUZZ_ASSERT(condition, what)                                     \
    do {                                                                 \
        if (!(condition)) {                                              \
            std::fprintf(stderr, "fuzz invariant broken: %s\n", what);   \
            std::abort();                                                \
        }                                                                \
    } while (false)
