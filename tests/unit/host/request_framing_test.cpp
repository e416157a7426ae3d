// The strict request-head and framing rules the front door applies before Beast's parser.
#include "request_framing.h"

#include <gtest/gtest.h>

namespace keel::host {
namespace {

std::optional<Rejection> head(const std::string& text, HeadLimits limits = {}) { return checkRequestHead(text, limits); }

std::optional<Rejection> framing(const std::vector<std::pair<std::string_view, std::string_view>>& fields,
                                 BodyFraming* out = nullptr) {
    BodyFraming framing;
    auto result = checkBodyFraming(fields, framing);
    if (out != nullptr) *out = framing;
    return result;
}

TEST(RequestHead, AcceptsAnOrdinaryRequest) {
    EXPECT_FALSE(head("GET /a/b?c=%20d HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n"));
    EXPECT_FALSE(head("GET http://example.com/a HTTP/1.1\r\nHost: x\r\n\r\n"));
    EXPECT_FALSE(head("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n"));
    EXPECT_FALSE(head("GET / HTTP/1.0\r\n\r\n"));
}

TEST(RequestHead, RefusesObsFoldMissingColonAndWhitespaceBeforeTheColon) {
    EXPECT_EQ(head("GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n")->status, 400);
    EXPECT_EQ(head("GET / HTTP/1.1\r\nNoColon\r\n\r\n")->status, 400);
    EXPECT_EQ(head("GET / HTTP/1.1\r\nContent-Length : 3\r\n\r\n")->status, 400);
}

TEST(RequestHead, RefusesControlCharactersAndBareLineFeeds) {
    EXPECT_EQ(head(std::string("GET / HTTP/1.1\r\nA: b\0c\r\n\r\n", 26))->status, 400);
    EXPECT_EQ(head("GET / HTTP/1.1\r\nA: b\rc\r\n\r\n")->status, 400);
    EXPECT_EQ(head("GET / HTTP/1.1\nHost: x\n\n")->status, 400);
    EXPECT_EQ(head("G\tET / HTTP/1.1\r\n\r\n")->status, 400);
    EXPECT_EQ(head("GET /\x01 HTTP/1.1\r\n\r\n")->status, 400);
    EXPECT_EQ(head("GET /\xc3\xa9 HTTP/1.1\r\n\r\n")->status, 400);
}

TEST(RequestHead, RefusesBadPercentEncodingAndOddTargets) {
    EXPECT_EQ(head("GET /%zz HTTP/1.1\r\n\r\n")->status, 400);
    EXPECT_EQ(head("GET /%4 HTTP/1.1\r\n\r\n")->status, 400);
    EXPECT_EQ(head("GET a/b HTTP/1.1\r\n\r\n")->status, 400);
    EXPECT_EQ(head("GET  / HTTP/1.1\r\n\r\n")->status, 400);
}

TEST(RequestHead, AnswersVersionsItDoesNotServeWith505) {
    EXPECT_EQ(head("GET / HTTP/2.0\r\n\r\n")->status, 505);
    EXPECT_EQ(head("GET / HTTP/1.1x\r\n\r\n")->status, 400);
    EXPECT_EQ(head("GET / FTP/1.1\r\n\r\n")->status, 400);
}

TEST(RequestHead, AppliesTheUriHeaderSizeAndHeaderCountLimits) {
    HeadLimits limits;
    limits.maxUriLength = 10;
    limits.maxHeaderBytes = 40;
    limits.maxHeaderCount = 2;
    EXPECT_EQ(head("GET /0123456789 HTTP/1.1\r\n\r\n", limits)->status, 414);
    EXPECT_EQ(head("GET / HTTP/1.1\r\nA: " + std::string(50, 'x') + "\r\n\r\n", limits)->status, 431);
    EXPECT_EQ(head("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits)->status, 431);
    EXPECT_EQ(head("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n", limits), std::nullopt);
}

TEST(RequestHead, APartialHeadIsRefusedAsSoonAsItCannotFit) {
    HeadLimits limits;
    limits.maxUriLength = 10;
    limits.maxHeaderBytes = 40;
    EXPECT_FALSE(checkPartialHead("GET /abc", limits));
    EXPECT_EQ(checkPartialHead("GET /" + std::string(200, 'a'), limits)->status, 414);
    EXPECT_EQ(checkPartialHead("GET / HTTP/1.1\r\nA: " + std::string(200, 'a'), limits)->status, 431);
}

TEST(RequestHead, FindsTheEndOfTheHead) {
    EXPECT_EQ(findHeadEnd("GET / HTTP/1.1\r\nA: b\r\n\r\nbody"), 24u);
    EXPECT_EQ(findHeadEnd("GET / HTTP/1.1\r\nA: b\r\n"), std::nullopt);
    EXPECT_EQ(findHeadEnd("GET / HTTP/1.1\nA: b\n\n"), 21u);
}

TEST(BodyFraming, ReadsOneContentLengthOrChunked) {
    BodyFraming out;
    EXPECT_FALSE(framing({{"Content-Length", "42"}}, &out));
    EXPECT_EQ(out.contentLength, 42u);
    EXPECT_FALSE(framing({{"transfer-encoding", "Chunked"}}, &out));
    EXPECT_TRUE(out.chunked);
    EXPECT_FALSE(framing({{"Host", "x"}}, &out));
    EXPECT_FALSE(out.chunked);
    EXPECT_FALSE(out.contentLength);
}

TEST(BodyFraming, RefusesEveryAmbiguousLength) {
    EXPECT_EQ(framing({{"Content-Length", "5"}, {"Transfer-Encoding", "chunked"}})->status, 400);
    EXPECT_EQ(framing({{"Content-Length", "5"}, {"Content-Length", "5"}})->status, 400);
    EXPECT_EQ(framing({{"Content-Length", "5, 5"}})->status, 400);
    EXPECT_EQ(framing({{"Content-Length", "-1"}})->status, 400);
    EXPECT_EQ(framing({{"Content-Length", ""}})->status, 400);
    EXPECT_EQ(framing({{"Content-Length", "99999999999999999999999"}})->status, 400);
}

TEST(BodyFraming, AcceptsOnlyChunkedLast) {
    EXPECT_EQ(framing({{"Transfer-Encoding", "gzip, chunked"}})->status, 501);
    EXPECT_EQ(framing({{"Transfer-Encoding", "chunked, gzip"}})->status, 400);
    EXPECT_EQ(framing({{"Transfer-Encoding", "chunked, chunked"}})->status, 400);
    EXPECT_EQ(framing({{"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "chunked"}})->status, 400);
    EXPECT_EQ(framing({{"Transfer-Encoding", "identity"}})->status, 400);
    EXPECT_EQ(framing({{"Transfer-Encoding", ""}})->status, 400);
}

TEST(HeadFields, SplitsNameAndTrimmedValue) {
    const auto fields = headFields("POST / HTTP/1.1\r\nA:  b \r\nContent-Length:5\r\n\r\n");
    ASSERT_EQ(fields.size(), 2u);
    EXPECT_EQ(fields[0].first, "A");
    EXPECT_EQ(fields[0].second, "b");
    EXPECT_EQ(fields[1].second, "5");
}

}  // namespace
}  // namespace keel::host
