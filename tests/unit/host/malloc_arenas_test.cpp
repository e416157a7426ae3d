// Keel's limit on glibc's malloc arenas: one per core unless MALLOC_ARENA_MAX says otherwise, and
// a process that applied it keeps to it however many threads allocate at once.
#include "malloc_arenas.h"

#include <gtest/gtest.h>
#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
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

// `count` threads allocating at once, none exiting before all have allocated (an exited thread's
// arena is reused by the next): without a limit glibc gives each of them an arena of its own, up
// to 8 per core.
void allocateFromManyThreads(int count) {
    std::atomic<int> started{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < count; ++t) {
        threads.emplace_back([&started, count] {
            for (int i = 0; i < 20000; ++i) {
                auto block = std::make_unique<char[]>(static_cast<std::size_t>(64 + i % 512));
                block[0] = 1;
                asm volatile("" : : "r"(block.get()) : "memory");
                if (i == 0) started.fetch_add(1);
            }
            // Bounded: a thread that could not start must not hold the others forever.
            const auto giveUp = std::chrono::steady_clock::now() + std::chrono::seconds(10);
            while (started.load() < count && std::chrono::steady_clock::now() < giveUp) std::this_thread::yield();
        });
    }
    for (auto& thread : threads) thread.join();
}

TEST(MallocArenas, AProcessKeepsToTheLimitWhileManyThreadsAllocate) {
    if (std::getenv("MALLOC_ARENA_MAX") != nullptr) GTEST_SKIP() << "MALLOC_ARENA_MAX is set for this run";
    const int limit = *mallocArenaLimit(nullptr, std::thread::hardware_concurrency());
    const int threads = std::max(32, 4 * limit);
    // The same load in a child without the limit must make more arenas than the limit allows,
    // or this test could not tell a limit applied from one that is not. Forked before this
    // process starts any thread or applies the limit.
    int pipeFds[2];
    ASSERT_EQ(::pipe(pipeFds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        allocateFromManyThreads(threads);
        const int made = arenas();
        const bool written = ::write(pipeFds[1], &made, sizeof made) == static_cast<ssize_t>(sizeof made);
        ::_exit(written ? 0 : 1);
    }
    ::close(pipeFds[1]);
    int unlimited = 0;
    const bool received = ::read(pipeFds[0], &unlimited, sizeof unlimited) == static_cast<ssize_t>(sizeof unlimited);
    ::close(pipeFds[0]);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(received && WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the child without the limit failed";
    EXPECT_GT(unlimited, limit) << "without the limit the same threads made only " << unlimited << " arenas";

    limitMallocArenas();  // this test binary has no other thread yet
    allocateFromManyThreads(threads);
    EXPECT_GE(arenas(), 1);
    EXPECT_LE(arenas(), limit);
}
#endif

}  // namespace
}  // namespace keel::host
