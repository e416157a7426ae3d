// keel::Headers: names compare without case (and only letters fold), order is kept.
#include <gtest/gtest.h>

#include <keel/headers.h>

namespace keel {
namespace {

TEST(Headers, NamesMatchWithoutCaseOnlyForLetters) {
    Headers headers;
    headers.add("Content-Type", "text/plain");
    EXPECT_EQ(headers.get("content-TYPE").value_or(""), "text/plain");
    // '-' (0x2d) and '\r' (0x0d) differ by the case bit, as do '[' and '{': they are not letters.
    EXPECT_FALSE(headers.has("Content\rType"));
    headers.add("A[", "1");
    EXPECT_FALSE(headers.has("A{"));
    EXPECT_FALSE(headers.has("Content-Typ"));
    EXPECT_FALSE(headers.has("Content-Types"));
}

TEST(Headers, SetReplacesEveryFieldOfTheNameAndKeepsTheOthersInOrder) {
    Headers headers;
    headers.add("Set-Cookie", "a=1");
    headers.add("Vary", "Accept");
    headers.add("set-cookie", "b=2");
    headers.add("X-Last", "z");
    headers.set("SET-COOKIE", "c=3");
    ASSERT_EQ(headers.fields().size(), 3u);
    EXPECT_EQ(headers.fields()[0], (Headers::Field{"Vary", "Accept"}));
    EXPECT_EQ(headers.fields()[1], (Headers::Field{"X-Last", "z"}));
    EXPECT_EQ(headers.fields()[2], (Headers::Field{"SET-COOKIE", "c=3"}));
    headers.remove("vary");
    headers.remove("absent");
    ASSERT_EQ(headers.fields().size(), 2u);
    EXPECT_EQ(headers.fields()[0].first, "X-Last");
    EXPECT_EQ(headers.get("Set-Cookie").value_or(""), "c=3");
}

}  // namespace
}  // namespace keel
