// Random ids: version-4 UUID text and hex, distinct across threads and across the per-thread
// pool's refills, every digit used where the format leaves it free.
#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "keel/ids.h"

namespace keel {
namespace {

bool isVersion4Uuid(const std::string& id) {
    if (id.size() != 36) return false;
    for (std::size_t i = 0; i < id.size(); ++i) {
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash != (id[i] == '-')) return false;
        if (!dash && std::string("0123456789abcdef").find(id[i]) == std::string::npos) return false;
    }
    return id[14] == '4' && std::string("89ab").find(id[19]) != std::string::npos;
}

TEST(Ids, UuidsAreVersion4AndNeverRepeatAcrossThreadsAndPoolRefills) {
    // 4 threads x 1,000 ids, hex ids between them: each thread's 4 KiB pool is refilled several
    // times, at an offset that is not a multiple of 16.
    std::set<std::string> seen;
    std::mutex mutex;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            std::vector<std::string> mine;
            for (int i = 0; i < 1000; ++i) {
                mine.push_back(newUuid());
                randomHex(8);
            }
            std::lock_guard<std::mutex> lock(mutex);
            for (auto& id : mine) {
                EXPECT_TRUE(isVersion4Uuid(id)) << id;
                seen.insert(std::move(id));
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(seen.size(), 4000u);
}

TEST(Ids, UuidsUseEveryHexDigitOutsideTheFixedNibbles) {
    // A formatting slip (a nibble dropped or repeated) would leave some digit unused at a place.
    std::vector<std::set<char>> digitsAt(36);
    for (int i = 0; i < 2000; ++i) {
        const std::string id = newUuid();
        for (std::size_t at = 0; at < id.size(); ++at) digitsAt[at].insert(id[at]);
    }
    for (std::size_t at = 0; at < 36; ++at) {
        const bool dash = at == 8 || at == 13 || at == 18 || at == 23;
        const std::size_t expected = dash ? 1 : at == 14 ? 1 : at == 19 ? 4 : 16;
        EXPECT_EQ(digitsAt[at].size(), expected) << "at " << at;
    }
}

TEST(Ids, RandomHexHasTwoDigitsPerByteAndUsesEveryDigitEverywhere) {
    EXPECT_EQ(randomHex(0), "");
    EXPECT_EQ(randomHex(100).size(), 200u);  // longer than one internal chunk
    std::vector<std::set<char>> digitsAt(32);
    std::set<std::string> seen;
    for (int i = 0; i < 2000; ++i) {
        const std::string id = randomHex(16);
        ASSERT_EQ(id.size(), 32u);
        for (std::size_t at = 0; at < id.size(); ++at) digitsAt[at].insert(id[at]);
        EXPECT_TRUE(seen.insert(id).second) << "repeated: " << id;
    }
    for (std::size_t at = 0; at < 32; ++at) EXPECT_EQ(digitsAt[at].size(), 16u) << "at " << at;
}

}  // namespace
}  // namespace keel
