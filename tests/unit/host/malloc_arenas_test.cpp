// Keel's limit on glibc's malloc arenas: one per core unless MALLOC_ARENA_MAX says otherwise, and
// a process that applied it keeps to it however many threads allocate at once.
#include "malloc_arenas.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace keel::host {
namespace {

TEST(MallocArenas, OnePerCoreWithAtLeastTwoUnlessTheEnvironmentSetsIt) {
    EXPECT_EQ(mallocArenaLimit(nullptr, 1), 2);
    EXPECT_EQ(mallocArenaLimit(nullptr, 2), 2);
    EXPECT_EQ(mallocArenaLimit(nullptr, 16), 16);
    EXPECT_EQ(mallocArenaLimit("4", 16), std::nullopt) << "the operator's MALLOC_ARENA_MAX is left to glibc";
    EXPECT_EQ(mallocArenaLimit("", 16), std::nullopt);
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
TEST(MallocArenas, AProcessKeepsToTheLimitWhileManyThreadsAllocate) {
    GTEST_SKIP() << "the sanitizers replace glibc's malloc";
}
#else
// Arenas glibc has made so far, from malloc_info's XML (one <heap nr="..."> per arena).
int arenas() {
    char* text = nullptr;
    std::size_t size = 0;
    FILE* stream = open_memstream(&text, &size);
    malloc_info(0, stream);
    std::fclose(stream);
    const std::string xml(text, size);
    std::free(text);
    int count = 0;
    for (auto at = xml.find("<heap nr="); at != std::string::npos; at = xml.find("<heap nr=", at + 1)) ++count;
    return count;
}

TEST(MallocArenas, AProcessKeepsToTheLimitWhileManyThreadsAllocate) {
    if (std::getenv("MALLOC_ARENA_MAX") != nullptr) GTEST_SKIP() << "MALLOC_ARENA_MAX is set for this run";
    limitMallocArenas();  // this test binary has no other thread yet
    const int limit = *mallocArenaLimit(nullptr, std::thread::hardware_concurrency());
    // Without the limit, 32 threads allocating at once make glibc add arenas up to 8 per core.
    std::vector<std::thread> threads;
    for (int t = 0; t < 32; ++t) {
        threads.emplace_back([] {
            for (int i = 0; i < 20000; ++i) {
                auto block = std::make_unique<char[]>(static_cast<std::size_t>(64 + i % 512));
                block[0] = 1;
                asm volatile("" : : "r"(block.get()) : "memory");
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_GE(arenas(), 1);
    EXPECT_LE(arenas(), limit);
}
#endif

}  // namespace
}  // namespace keel::host
