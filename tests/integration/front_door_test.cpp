// The front door as a hostile client meets it: truncated and ambiguous requests, limits, slow and
// idle clients, pipelining, overload and shutdown. Every refused request is also shown not to
// have reached a handler (the probe plugin counts the calls to POST /probe/echo).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cctype>
#include <memory>
#include <thread>
#include <vector>

#include "keel_process.h"
#include "raw_connection.h"

namespace keel::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

#ifdef KEEL_TEST_SANITIZED
constexpr int kSlowdown = 4;
#else
constexpr int kSlowdown = 1;
#endif

class FrontDoor : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        keel_ = std::make_unique<KeelProcess>(withPlugins(
            "health, metrics", {"--define", "server.max_body_size=1000", "--define", "server.max_uri_length=256",
                                "--define", "server.max_header_size=1024", "--define", "server.max_header_count=20",
                                "--define", "server.body_timeout=1s", "--define", "server.header_timeout=1s",
                                "--define", "probe.non_blocking_middleware=true"}));
        ASSERT_TRUE(keel_->waitUntilLive()) << keel_->output();
    }
    static void TearDownTestSuite() { keel_.reset(); }

    static int port() { return keel_->publicPort(); }
    static int calls() { return std::stoi(httpRequest(port(), "GET", "/probe/calls").body); }

    // Sends `bytes` on a fresh connection, optionally half-closes, and returns what came back
    // before the server closed the connection.
    static std::string exchange(const std::string& bytes, bool halfClose = false, milliseconds timeout = seconds(5)) {
        RawConnection connection(port());
        EXPECT_TRUE(connection.connected()) << connection.connectError();
        connection.send(bytes);
        if (halfClose) connection.closeSending();
        return connection.readAll(timeout * kSlowdown);
    }

    // The request is refused with `status`, a problem body and Connection: close, and no handler ran.
    static void expectRefused(const std::string& bytes, int status) {
        const int before = calls();
        const std::string answer = exchange(bytes);
        EXPECT_EQ(statusOf(answer), status) << answer;
        EXPECT_NE(answer.find("Content-Type: application/problem+json"), std::string::npos) << answer;
        EXPECT_NE(answer.find("Connection: close"), std::string::npos) << answer;
        EXPECT_EQ(answer.find("200 OK"), std::string::npos) << answer;
        EXPECT_EQ(calls(), before) << "a refused request reached the handler: " << bytes;
    }

    static std::string echoHead(const std::string& framing) {
        return "POST /probe/echo HTTP/1.1\r\nHost: 127.0.0.1\r\n" + framing + "\r\n";
    }

    static std::unique_ptr<KeelProcess> keel_;
};
std::unique_ptr<KeelProcess> FrontDoor::keel_;

TEST_F(FrontDoor, AHandlersHeadersCannotReframeOrSplitTheAnswer) {
    const auto answer = exchange("GET /probe/own-headers HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    const auto count = [&answer](const std::string& text) {
        std::size_t found = 0;
        for (auto at = answer.find(text); at != std::string::npos; at = answer.find(text, at + 1)) ++found;
        return found;
    };
    EXPECT_EQ(statusOf(answer), 200) << answer;
    EXPECT_EQ(count("Content-Length: "), 1u) << answer;
    EXPECT_EQ(count("Content-Length: 999"), 0u) << answer;
    EXPECT_EQ(count("pgrade"), 0u) << "the handler's Connection header was sent: " << answer;
    EXPECT_EQ(count("Connection: close\r\n"), 1u) << answer;
    EXPECT_EQ(count("Cache-Control: "), 1u) << "the handler's Cache-Control replaces the default: " << answer;
    EXPECT_EQ(count("Cache-Control: max-age=60\r\n"), 1u) << answer;
    EXPECT_EQ(count("nosniff"), 1u) << "set by the handler, not added twice: " << answer;
    EXPECT_EQ(count("X-Injected"), 0u) << "a header value with CR LF split the answer: " << answer;
    EXPECT_NE(answer.find("\r\n\r\nv1"), std::string::npos) << "the default probe answers v1: " << answer;
}

TEST_F(FrontDoor, ACompleteRequestReachesTheHandler) {
    const int before = calls();
    const auto answer = exchange(echoHead("Content-Length: 5\r\nConnection: close\r\n") + "hello");
    EXPECT_EQ(statusOf(answer), 200) << answer;
    EXPECT_NE(answer.find("\r\n\r\nhello"), std::string::npos);
    EXPECT_EQ(calls(), before + 1);
}

TEST_F(FrontDoor, AChunkedRequestWithItsLastChunkReachesTheHandler) {
    const auto answer = exchange(echoHead("Transfer-Encoding: chunked\r\nConnection: close\r\n") +
                                 "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n");
    EXPECT_EQ(statusOf(answer), 200) << answer;
    EXPECT_NE(answer.find("hello world"), std::string::npos) << answer;
}

TEST_F(FrontDoor, ABodyShorterThanItsContentLengthFollowedByEofIsNeverDispatched) {
    const int before = calls();
    const auto answer = exchange(echoHead("Content-Length: 20\r\n") + "short", true);
    EXPECT_EQ(answer.find("200 OK"), std::string::npos) << answer;
    EXPECT_EQ(calls(), before);
}

TEST_F(FrontDoor, AChunkedBodyWithoutItsLastChunkIsNeverDispatched) {
    const int before = calls();
    const auto answer = exchange(echoHead("Transfer-Encoding: chunked\r\n") + "5\r\nhello\r\n", true);
    EXPECT_EQ(answer.find("200 OK"), std::string::npos) << answer;
    EXPECT_EQ(calls(), before);
}

TEST_F(FrontDoor, AChunkedBodyWithAGarbageChunkLineIsRefused) {
    expectRefused(echoHead("Transfer-Encoding: chunked\r\n") + "5\r\nhello\r\nzz-not-hex\r\n\r\n", 400);
}

TEST_F(FrontDoor, AnOverlongChunkSizeIsRefused) {
    expectRefused(echoHead("Transfer-Encoding: chunked\r\n") + "1000000000000000000005\r\nhello\r\n0\r\n\r\n", 400);
}

TEST_F(FrontDoor, AStalledBodyGets408AndIsNeverDispatched) {
    const int before = calls();
    RawConnection connection(port());
    connection.send(echoHead("Content-Length: 20\r\n") + "12345");
    const auto started = std::chrono::steady_clock::now();
    const auto answer = connection.readAll(seconds(5 * kSlowdown));
    EXPECT_EQ(statusOf(answer), 408) << answer;
    EXPECT_LT(std::chrono::steady_clock::now() - started, seconds(3 * kSlowdown));
    EXPECT_EQ(calls(), before);
}

TEST_F(FrontDoor, ContentLengthWithTransferEncodingIsRefused) {
    expectRefused(echoHead("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n") + "0\r\n\r\n", 400);
}

TEST_F(FrontDoor, TwoContentLengthsAreRefusedEvenWhenEqual) {
    expectRefused(echoHead("Content-Length: 5\r\nContent-Length: 5\r\n") + "hello", 400);
    expectRefused(echoHead("Content-Length: 5\r\nContent-Length: 7\r\n") + "hello", 400);
    expectRefused(echoHead("Content-Length: 5, 5\r\n") + "hello", 400);
}

TEST_F(FrontDoor, MalformedContentLengthsAreRefused) {
    expectRefused(echoHead("Content-Length: -1\r\n") + "GET /probe/ok HTTP/1.1\r\n\r\n", 400);
    expectRefused(echoHead("Content-Length : 31\r\n") + "GET /probe/ok HTTP/1.1\r\n\r\n", 400);
    expectRefused(echoHead("Content-Length: 0x5\r\n") + "hello", 400);
    expectRefused(echoHead("Content-Length: +5\r\n") + "hello", 400);
}

TEST_F(FrontDoor, ATransferCodingOtherThanChunkedIsRefused) {
    expectRefused(echoHead("Transfer-Encoding: gzip, chunked\r\n") + "0\r\n\r\n", 501);
    expectRefused(echoHead("Transfer-Encoding: chunked, gzip\r\n") + "0\r\n\r\n", 400);
    expectRefused(echoHead("Transfer-Encoding: identity\r\n") + "0\r\n\r\n", 400);
    expectRefused(echoHead("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n") + "0\r\n\r\n", 400);
}

TEST_F(FrontDoor, MalformedHeadLinesAreRefused) {
    expectRefused(echoHead("X-Folded: a\r\n folded\r\nContent-Length: 0\r\n"), 400);
    expectRefused(echoHead("NoColonHere\r\nContent-Length: 0\r\n"), 400);
    expectRefused(echoHead(std::string("X-Bad: a\x01") + "b\r\nContent-Length: 0\r\n"), 400);
    expectRefused("POST /probe/echo HTTP/1.1\nHost: x\nContent-Length: 0\n\n", 400);
    expectRefused(std::string("PO\x1bST /probe/echo HTTP/1.1\r\nContent-Length: 0\r\n\r\n"), 400);
    expectRefused(std::string("POST /probe/e\x7f" "cho HTTP/1.1\r\nContent-Length: 0\r\n\r\n"), 400);
    expectRefused("POST /probe/%zzecho HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 400);
}

TEST_F(FrontDoor, AnUnknownHttpVersionGets505WithKeelsOwnVersionInTheStatusLine) {
    const auto answer = exchange("GET /probe/ok HTTP/1.7\r\nHost: x\r\n\r\n");
    EXPECT_EQ(statusOf(answer), 505) << answer;
    EXPECT_EQ(answer.rfind("HTTP/1.1 505 ", 0), 0u) << answer;
    const auto old = exchange("GET /probe/ok HTTP/1.0\r\n\r\n");
    EXPECT_EQ(old.rfind("HTTP/1.1 200 ", 0), 0u) << old;
}

TEST_F(FrontDoor, LimitsAnswerWithTheirOwnStatus) {
    expectRefused("GET /probe/" + std::string(300, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n", 414);
    expectRefused(echoHead("X-Big: " + std::string(2000, 'b') + "\r\nContent-Length: 0\r\n"), 431);
    std::string many;
    for (int i = 0; i < 30; ++i) many += "X-H" + std::to_string(i) + ": v\r\n";
    expectRefused(echoHead(many + "Content-Length: 0\r\n"), 431);
}

TEST_F(FrontDoor, ALongUriIsRefusedBeforeItsLineEnds) {
    // No CRLF ever comes: the 414 must not wait for it.
    RawConnection connection(port());
    connection.send("GET /" + std::string(5000, 'a'));
    const auto answer = connection.readAll(seconds(3 * kSlowdown));
    EXPECT_EQ(statusOf(answer), 414) << answer.substr(0, 200);
}

TEST_F(FrontDoor, ATooLargeBodyIsRefusedFromItsContentLengthBeforeAnyBodyByte) {
    const int before = calls();
    RawConnection connection(port());
    connection.send(echoHead("Content-Length: 5000\r\n"));
    const auto answer = connection.readAll(seconds(3 * kSlowdown));
    EXPECT_EQ(statusOf(answer), 413) << answer;
    EXPECT_EQ(calls(), before);
}

TEST_F(FrontDoor, ATooLargeChunkedBodyIsRefused) {
    std::string body;
    for (int i = 0; i < 3; ++i) body += "190\r\n" + std::string(400, 'x') + "\r\n";
    expectRefused(echoHead("Transfer-Encoding: chunked\r\n") + body + "0\r\n\r\n", 413);
}

TEST_F(FrontDoor, ExpectContinueIsAnsweredBeforeTheBodyOrRefusedByTheLimit) {
    RawConnection accepted(port());
    accepted.send(echoHead("Content-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n"));
    const auto interim = accepted.readUntil("\r\n\r\n", 1, seconds(3 * kSlowdown));
    EXPECT_EQ(interim.rfind("HTTP/1.1 100 Continue\r\n", 0), 0u) << interim;
    accepted.send("hello");
    const auto final = accepted.readAll(seconds(3 * kSlowdown));
    EXPECT_EQ(statusOf(final), 200) << final;

    RawConnection refused(port());
    refused.send(echoHead("Content-Length: 5000\r\nExpect: 100-continue\r\n"));
    const auto answer = refused.readAll(seconds(3 * kSlowdown));
    EXPECT_EQ(statusOf(answer), 413) << answer;
    EXPECT_EQ(answer.find("100 Continue"), std::string::npos);
}

TEST_F(FrontDoor, PipelinedRequestsAreAnsweredInOrder) {
    std::string requests;
    for (int i = 1; i <= 20; ++i) requests += "GET /probe/items/" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n";
    requests += "GET /probe/slow?ms=50 HTTP/1.1\r\nHost: x\r\n\r\n";
    requests += "GET /probe/items/last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    const auto answer = exchange(requests);
    std::size_t at = 0;
    for (int i = 1; i <= 20; ++i) {
        const auto found = answer.find("item " + std::to_string(i) + "", at);
        ASSERT_NE(found, std::string::npos) << "response " << i << " missing or out of order";
        at = found + 1;
    }
    const auto slow = answer.find("v1 slow", at);
    ASSERT_NE(slow, std::string::npos);
    EXPECT_NE(answer.find("item last", slow), std::string::npos);
}

TEST_F(FrontDoor, ANonBlockingRouteRunsOnTheIoThreadAndAnyOtherOnAWorker) {
    EXPECT_EQ(httpRequest(port(), "GET", "/probe/thread").body, "keel-io");
    EXPECT_EQ(httpRequest(port(), "GET", "/probe/worker-thread").body, "keel-public-w");
}

TEST_F(FrontDoor, PipelinedRequestsOnTheIoThreadAndOnWorkersStayInOrder) {
    // Non-blocking and worker routes alternating on one connection, in one write.
    std::string requests;
    for (int i = 1; i <= 40; ++i) {
        requests += "GET /probe/" + std::string(i % 2 == 0 ? "thread" : "worker-thread") + "?n=" + std::to_string(i) +
                    " HTTP/1.1\r\nHost: x\r\n" + (i == 40 ? "Connection: close\r\n" : "") + "\r\n";
    }
    const auto answer = exchange(requests);
    // Where "<thread> #<i>" (and not "... #<i>0") is, from `from` on: even ones ran on the I/O
    // thread, odd ones on a worker.
    const auto tagged = [&answer](int i, std::size_t from) {
        const std::string tag = std::string(i % 2 == 0 ? "keel-io" : "keel-public-w") + " #" + std::to_string(i);
        for (auto at = answer.find(tag, from); at != std::string::npos; at = answer.find(tag, at + 1)) {
            const auto after = at + tag.size();
            if (after == answer.size() || std::isdigit(static_cast<unsigned char>(answer[after])) == 0) return at;
        }
        return std::string::npos;
    };
    std::size_t at = 0;
    for (int i = 1; i <= 40; ++i) {
        const auto found = tagged(i, at);
        ASSERT_NE(found, std::string::npos) << "response " << i << " missing or out of order:\n" << answer;
        at = found + 1;
    }
}

TEST_F(FrontDoor, AThousandPipelinedNonBlockingRequestsAreAllAnsweredOnTheIoThread) {
    // Each one continues from a fresh I/O-thread handler (a stack that grew with every request
    // would still fit a thousand of them: this checks the continuation answers them all).
    constexpr int kRequests = 999;  // server.max_keep_alive_requests is 1000
    std::string requests;
    for (int i = 0; i < kRequests; ++i) requests += "GET /probe/thread HTTP/1.1\r\nHost: x\r\n\r\n";
    requests += "GET /probe/thread HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    const auto answer = exchange(requests, false, seconds(20));
    int answered = 0;
    for (auto at = answer.find("\r\n\r\nkeel-io"); at != std::string::npos; at = answer.find("\r\n\r\nkeel-io", at + 1)) {
        ++answered;
    }
    EXPECT_EQ(answered, kRequests + 1);
}

TEST_F(FrontDoor, SlowlorisClientsAreCutAtTheHeaderDeadline) {
    constexpr int kClients = 100;
    std::vector<std::unique_ptr<RawConnection>> clients;
    for (int i = 0; i < kClients; ++i) clients.push_back(std::make_unique<RawConnection>(port()));
    const std::string head = "GET /probe/ok HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const auto started = std::chrono::steady_clock::now();
    // One byte per client every 200 ms: each read succeeds, the request never completes.
    std::size_t sent = 0;
    int cut = 0;
    while (std::chrono::steady_clock::now() - started < seconds(4 * kSlowdown) && sent < head.size()) {
        cut = 0;
        for (auto& client : clients) {
            if (!client->send(head.substr(sent, 1))) ++cut;
        }
        if (cut == kClients) break;
        ++sent;
        std::this_thread::sleep_for(milliseconds(200));
    }
    int timedOut = 0;
    for (auto& client : clients) {
        const auto answer = client->readAll(milliseconds(500));
        if (statusOf(answer) == 408 || answer.empty()) ++timedOut;
    }
    EXPECT_EQ(timedOut, kClients);
    EXPECT_EQ(cut, kClients) << "some slow clients were still connected after " << sent << " bytes";
    // Cut after about one header_timeout (1 s), not after every byte's own timeout.
    EXPECT_LT(sent, 15u * kSlowdown);
    EXPECT_EQ(httpRequest(port(), "GET", "/health").status, 200);
}

TEST_F(FrontDoor, AThousandIdleConnectionsDoNotDelayANewClient) {
    raiseOpenFileLimit();
    std::vector<std::unique_ptr<RawConnection>> idle;
    for (int i = 0; i < 1000; ++i) {
        idle.push_back(std::make_unique<RawConnection>(port()));
        ASSERT_TRUE(idle.back()->connected()) << i << ": " << idle.back()->connectError();
    }
    for (int i = 0; i < 20; ++i) {
        const auto started = std::chrono::steady_clock::now();
        const auto health = httpRequest(port(), "GET", "/health", "", "", seconds(5));
        EXPECT_EQ(health.status, 200) << health.error;
        EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(500 * kSlowdown));
    }
}

TEST_F(FrontDoor, RejectionsAreCountedByReasonAndLoggedWithoutTheRawPath) {
    exchange(echoHead("Content-Length: 1\r\nContent-Length: 2\r\n") + "x");
    exchange("GET /secret-path-" + std::string(400, 'q') + " HTTP/1.1\r\n\r\n");
    const auto metrics = httpRequest(keel_->adminPort(), "GET", "/metrics").body;
    EXPECT_NE(metrics.find(R"(keel_http_rejected_total{listener="public",reason="bad_framing"})"), std::string::npos)
        << metrics.substr(0, 2000);
    EXPECT_NE(metrics.find(R"(reason="uri_too_long")"), std::string::npos);
    EXPECT_EQ(metrics.find("secret-path"), std::string::npos);
    // The access log is written by its own thread: its lines may trail the answers a little.
    EXPECT_TRUE(eventually([&] {
        const auto output = keel_->output();
        return output.find("route=rejected status=400") != std::string::npos &&
               output.find("rejected=uri_too_long") != std::string::npos;
    })) << keel_->output();
    const auto output = keel_->output();
    EXPECT_EQ(output.find("secret-path"), std::string::npos);
}

TEST(FrontDoorOrders, TruncatedAndAmbiguousOrderRequestsLeaveTheOrdersTableUnchanged) {
    const std::string database = "/tmp/keel_front_door_" + std::to_string(::getpid()) + ".db";
    KeelProcess keel(withPlugins("health, resilience, orders",
                                 {"--define", "database.url=sqlite:" + database, "--define", "server.body_timeout=1s"}));
    ASSERT_TRUE(keel.waitUntilLive()) << keel.output();
    ASSERT_TRUE(eventually([&] { return httpRequest(keel.publicPort(), "GET", "/api/v1/orders").status == 200; }));
    const std::string order = R"({"user_id":"u-1","items":[{"product_id":"p-1","quantity":1,"price":"2.50"}]})";
    const std::string head = "POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";
    const std::string cut = order.substr(0, order.size() / 2);
    const std::vector<std::pair<std::string, bool>> attacks = {
        {head + "Content-Length: " + std::to_string(order.size()) + "\r\n\r\n" + cut, true},
        {head + "Transfer-Encoding: chunked\r\n\r\n" + "10\r\n" + order.substr(0, 16) + "\r\n", true},
        {head + "Transfer-Encoding: chunked\r\n\r\n" + "zz\r\n" + order + "\r\n0\r\n\r\n", false},
        {head + "Content-Length: " + std::to_string(order.size()) + "\r\nTransfer-Encoding: chunked\r\n\r\n" + order, false},
        {head + "Content-Length: " + std::to_string(order.size()) + "\r\n\r\n" + cut, false},  // stalls: 408
    };
    for (const auto& [bytes, halfClose] : attacks) {
        RawConnection connection(keel.publicPort());
        connection.send(bytes);
        if (halfClose) connection.closeSending();
        const auto answer = connection.readAll(seconds(5 * kSlowdown));
        EXPECT_NE(statusOf(answer), 201) << answer;
    }
    const auto list = httpRequest(keel.publicPort(), "GET", "/api/v1/orders");
    EXPECT_EQ(list.status, 200);
    EXPECT_NE(list.body.find(R"("orders":[])"), std::string::npos) << list.body;
    // And a whole order still goes through.
    RawConnection whole(keel.publicPort());
    whole.send(head + "Content-Length: " + std::to_string(order.size()) + "\r\nConnection: close\r\n\r\n" + order);
    EXPECT_EQ(statusOf(whole.readAll(seconds(10))), 201);
    ::unlink(database.c_str());
}

// Listeners with their own settings.

TEST(FrontDoorLimits, BeyondMaxConnectionsNewConnectionsAreClosedAndEstablishedOnesServed) {
    KeelProcess keel(withPlugins("health, metrics", {"--define", "server.max_connections=20"}));
    ASSERT_TRUE(keel.waitUntilLive()) << keel.output();
    // waitUntilLive's connections are closed by now once the server saw the EOF.
    ASSERT_TRUE(eventually([&] {
        return httpRequest(keel.adminPort(), "GET", "/metrics").body.find(
                   R"(keel_http_open_connections{listener="public"} 0)") != std::string::npos;
    }));
    std::vector<std::unique_ptr<RawConnection>> held;
    for (int i = 0; i < 20; ++i) held.push_back(std::make_unique<RawConnection>(keel.publicPort()));
    ASSERT_TRUE(eventually([&] {
        return httpRequest(keel.adminPort(), "GET", "/metrics").body.find(
                   R"(keel_http_open_connections{listener="public"} 20)") != std::string::npos;
    }));
    RawConnection extra(keel.publicPort());
    ASSERT_TRUE(extra.connected());
    EXPECT_TRUE(extra.closedWithin(seconds(2)));
    held.front()->send("GET /probe/ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(statusOf(held.front()->readAll(seconds(3))), 200);
    EXPECT_NE(httpRequest(keel.adminPort(), "GET", "/metrics").body.find(R"(reason="connection_limit"} 1)"),
              std::string::npos);
}

// True once `requests` requests run on the public listener (/admin/status counts itself too).
bool waitUntilInFlight(KeelProcess& keel, int requests) {
    const std::string expected = "\"in_flight\":" + std::to_string(requests + 1) + ",";
    return eventually([&] { return httpRequest(keel.adminPort(), "GET", "/admin/status").body.find(expected) != std::string::npos; });
}

TEST(FrontDoorLimits, AFullWorkerQueueAnswers503WithRetryAfter) {
    KeelProcess keel(withPlugins("health", {"--define", "server.max_threads=1", "--define", "server.max_queued=1"}));
    ASSERT_TRUE(keel.waitUntilLive()) << keel.output();
    // The one worker is taken...
    RawConnection running(keel.publicPort());
    running.send("GET /probe/slow?ms=1500 HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_TRUE(waitUntilInFlight(keel, 1));
    // ...so of three more requests, whichever comes first takes the one queue slot and the others
    // are refused at once, whatever order they arrive in.
    std::vector<std::unique_ptr<RawConnection>> more;
    for (int i = 0; i < 3; ++i) {
        more.push_back(std::make_unique<RawConnection>(keel.publicPort()));
        more.back()->send("GET /probe/slow?ms=100 HTTP/1.1\r\nHost: x\r\n\r\n");
    }
    int refused = 0, served = 0;
    for (auto& connection : more) {
        const auto answer = connection->readUntil("\r\n\r\n", 1, seconds(10));
        if (statusOf(answer) == 503) {
            ++refused;
            EXPECT_NE(answer.find("Retry-After: 1\r\n"), std::string::npos) << answer;
        } else if (statusOf(answer) == 200) {
            ++served;
        }
    }
    EXPECT_EQ(refused, 2);
    EXPECT_EQ(served, 1);
    EXPECT_EQ(statusOf(running.readUntil("slow", 1, seconds(10))), 200);
}

TEST(FrontDoorLimits, TheTimeARequestWaitsForAWorkerIsMeasured) {
    KeelProcess keel(withPlugins("health, metrics", {"--define", "server.max_threads=1"}));
    ASSERT_TRUE(keel.waitUntilLive()) << keel.output();
    const auto sample = [&](const std::string& series) {
        return metricSample(httpRequest(keel.adminPort(), "GET", "/metrics").body, "keel_http_queue_wait_seconds_" + series);
    };
    const std::string count = R"(count{listener="public"})";
    const std::string sum = R"(sum{listener="public"})";
    const std::string fast = R"(bucket{listener="public",le="0.1"})";
    const double countBefore = sample(count);
    const double sumBefore = sample(sum);
    const double fastBefore = sample(fast);
    ASSERT_GE(countBefore, 0) << "no keel_http_queue_wait_seconds for the public listener";
    // The one worker sleeps 800 ms; the request behind it waits in the queue meanwhile.
    RawConnection running(keel.publicPort());
    running.send("GET /probe/slow?ms=800 HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_TRUE(waitUntilInFlight(keel, 1));
    const auto queuedAt = std::chrono::steady_clock::now();
    RawConnection queued(keel.publicPort());
    queued.send("GET /probe/slow?ms=0 HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(statusOf(queued.readUntil("slow", 1, seconds(10))), 200);
    const double clientWaited = std::chrono::duration<double>(std::chrono::steady_clock::now() - queuedAt).count();
    EXPECT_EQ(statusOf(running.readUntil("slow", 1, seconds(10))), 200);
    // The first found the worker free, the second waited for the rest of its 800 ms: never more
    // than its client saw, and in no bucket up to 0.1 s.
    EXPECT_EQ(sample(count) - countBefore, 2);
    const double waited = sample(sum) - sumBefore;
    EXPECT_GT(waited, 0.2);
    EXPECT_LT(waited, clientWaited + 0.05);
    EXPECT_EQ(sample(fast) - fastBefore, 1);
}

// Takes the one worker and the one queue slot of a Keel started with server.max_threads=1 and
// server.max_queued=1; the two connections answer once their 6 s are up (ample for the checks
// that follow on a loaded machine).
std::vector<std::unique_ptr<RawConnection>> occupyEveryWorker(KeelProcess& keel) {
    std::vector<std::unique_ptr<RawConnection>> slow;
    for (int i = 1; i <= 2; ++i) {
        slow.push_back(std::make_unique<RawConnection>(keel.publicPort()));
        slow.back()->send("GET /probe/slow?ms=6000 HTTP/1.1\r\nHost: x\r\n\r\n");
        EXPECT_TRUE(waitUntilInFlight(keel, i));
    }
    return slow;
}

TEST(FrontDoorLimits, NonBlockingRoutesAnswerWhileEveryWorkerIsBusy) {
    KeelProcess keel(withPlugins("health", {"--define", "server.max_threads=1", "--define", "server.max_queued=1",
                                            "--define", "probe.non_blocking_middleware=true"}));
    ASSERT_TRUE(keel.waitUntilLive()) << keel.output();
    EXPECT_EQ(httpRequest(keel.publicPort(), "GET", "/probe/thread").body, "keel-io");
    const auto slow = occupyEveryWorker(keel);
    // A route that needs a worker is refused...
    EXPECT_EQ(httpRequest(keel.publicPort(), "GET", "/probe/worker-thread").status, 503);
    // ...while liveness and the other non-blocking routes answer from the I/O thread.
    EXPECT_EQ(httpRequest(keel.publicPort(), "GET", "/live").status, 200);
    EXPECT_EQ(httpRequest(keel.publicPort(), "GET", "/probe/thread").body, "keel-io");
    for (const auto& connection : slow) EXPECT_EQ(statusOf(connection->readUntil("slow", 1, seconds(20))), 200);
}

TEST(FrontDoorLimits, ABlockingMiddlewareSendsNonBlockingRoutesToTheWorkers) {
    // The probe's middleware is not declared non-blocking here, so nothing runs on the I/O thread.
    KeelProcess keel(withPlugins("health", {"--define", "server.max_threads=1", "--define", "server.max_queued=1"}));
    ASSERT_TRUE(keel.waitUntilLive()) << keel.output();
    EXPECT_EQ(httpRequest(keel.publicPort(), "GET", "/probe/thread").body, "keel-public-w");
    const auto slow = occupyEveryWorker(keel);
    EXPECT_EQ(httpRequest(keel.publicPort(), "GET", "/live").status, 503);
    for (const auto& connection : slow) EXPECT_EQ(statusOf(connection->readUntil("slow", 1, seconds(20))), 200);
}

TEST(FrontDoorShutdown, AHungRequestMakesKeelExitWithStatus1WithinTheDeadlineAndNewConnectionsAreRefused) {
    KeelProcess keel(withPlugins("health"), {{"SHUTDOWN_TIMEOUT", "1s"}});
    ASSERT_TRUE(keel.waitUntilLive()) << keel.output();
    RawConnection hung(keel.publicPort());
    hung.send("GET /probe/slow?ms=6000 HTTP/1.1\r\nHost: x\r\n\r\n");
    RawConnection idle(keel.publicPort());
    ASSERT_TRUE(waitUntilInFlight(keel, 1));
    const auto started = std::chrono::steady_clock::now();
    keel.signal(SIGTERM);
    // The idle keep-alive connection is closed at once; new connections are refused.
    EXPECT_TRUE(idle.closedWithin(milliseconds(800)));
    RawConnection late(keel.publicPort());
    EXPECT_FALSE(late.connected());
    EXPECT_EQ(late.connectError(), "Connection refused");
    EXPECT_EQ(keel.waitForExit(seconds(10)), 1) << keel.output();
    EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(2500 * kSlowdown));
    EXPECT_NE(keel.output().find("still running on the public listener: GET /probe/slow"), std::string::npos)
        << keel.output();
}

TEST(FrontDoorShutdown, AnInFlightRequestFinishesWithConnectionCloseBeforeACleanExit) {
    KeelProcess keel(withPlugins("health", {"--define", "server.shutdown_timeout=5s"}));
    ASSERT_TRUE(keel.waitUntilLive()) << keel.output();
    RawConnection running(keel.publicPort());
    running.send("GET /probe/slow?ms=700 HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_TRUE(waitUntilInFlight(keel, 1));
    keel.signal(SIGTERM);
    const auto answer = running.readAll(seconds(5));
    EXPECT_EQ(statusOf(answer), 200) << answer;
    EXPECT_NE(answer.find("Connection: close"), std::string::npos) << answer;
    EXPECT_EQ(keel.waitForExit(seconds(10)), 0) << keel.output();
}

}  // namespace
}  // namespace keel::testing
