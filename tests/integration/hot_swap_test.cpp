// Hot swap in a running keel: reload under load without a failed request, draining old code,
// refusing bad versions, no leaks over many cycles, SIGHUP reconfiguration, the admin token.
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <signal.h>

#include <atomic>
#include <fstream>
#include <set>
#include <future>
#include <sstream>
#include <thread>

#include "keel_process.h"
#include "raw_connection.h"

namespace keel::testing {
namespace {

const std::string kTestPlugins = KEEL_TEST_PLUGIN_DIR;
const std::string kToken = "test-admin-token-0123456789";

std::string writeFile(const std::string& name, const std::string& text) {
    const std::string path = "/tmp/keel-hotswap-" + std::to_string(::getpid()) + "-" + name;
    std::ofstream(path) << text;
    ::chmod(path.c_str(), 0600);  // Keel refuses a token file others may read
    return path;
}

std::string procFile(pid_t pid, const std::string& name) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/" + name);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

long residentKiB(pid_t pid) {
    std::istringstream status(procFile(pid, "status"));
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    }
    return -1;
}

int openFds(pid_t pid) {
    return std::atoi(shellOutput("ls /proc/" + std::to_string(pid) + "/fd | wc -l").c_str());
}

class HotSwap : public ::testing::Test {
protected:
    void SetUp() override { tokenFile_ = writeFile("token", kToken + "\n"); }
    void TearDown() override {
        keel_.reset();
        std::remove(tokenFile_.c_str());
    }
    KeelProcess& start(const std::string& plugins, std::vector<std::string> extra = {}) {
        extra.insert(extra.end(), {"--define", "admin.token_file=" + tokenFile_, "--define", "plugins.drain_timeout=10s"});
        keel_ = std::make_unique<KeelProcess>(withPlugins(plugins, extra));
        EXPECT_TRUE(keel_->waitUntilLive()) << keel_->output();
        return *keel_;
    }
    HttpResult admin(const std::string& method, const std::string& target, const std::string& body = "") {
        return httpRequest(keel_->adminPort(), method, target, body, method == "POST" || !body.empty() ? "application/json" : "",
                           std::chrono::seconds(30), {{"Authorization", "Bearer " + kToken}});
    }
    HttpResult reload(const std::string& plugin, const std::string& file = "") {
        return admin("POST", "/admin/plugins/" + plugin + "/reload", file.empty() ? "" : R"({"path":")" + file + R"("})");
    }
    std::string tokenFile_;
    std::unique_ptr<KeelProcess> keel_;
};

TEST_F(HotSwap, TheAdminApiNeedsTheTokenButScrapesAndProbesDoNot) {
    start("health, metrics, hello");
    EXPECT_EQ(httpRequest(keel_->adminPort(), "GET", "/admin/plugins").status, 401);
    EXPECT_EQ(httpRequest(keel_->adminPort(), "GET", "/admin/plugins", "", "", std::chrono::seconds(5),
                          {{"Authorization", "Bearer wrong"}})
                  .status,
              401);
    EXPECT_EQ(admin("GET", "/admin/plugins").status, 200);
    EXPECT_EQ(httpRequest(keel_->adminPort(), "GET", "/metrics").status, 200);
    EXPECT_EQ(httpRequest(keel_->adminPort(), "GET", "/health").status, 200);
    // /live answers once the health plugin runs; /ready once every plugin has started.
    EXPECT_TRUE(eventually([&] { return httpRequest(keel_->adminPort(), "GET", "/ready").status == 200; }));
}

TEST_F(HotSwap, AReloadIsNotHeldUpByAdminRequestsQueuedBehindIt) {
    // One admin worker: the reload runs on it, and the status request waits in the queue behind
    // it. A queued request that already held the pipeline snapshot would keep the reload waiting
    // for the old version to go idle until plugins.drain_timeout (10 s here).
    start("health, hello", {"--define", "admin.max_threads=1"});
    const std::string auth = "Authorization: Bearer " + kToken + "\r\n";
    RawConnection reloading(keel_->adminPort()), queued(keel_->adminPort());
    const auto started = std::chrono::steady_clock::now();
    reloading.send("POST /admin/plugins/hello/reload HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth +
                   "Content-Type: application/json\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    queued.send("GET /admin/status HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth + "Connection: close\r\n\r\n");
    const auto answer = reloading.readAll(std::chrono::seconds(15));
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(statusOf(answer), 200) << answer;
    EXPECT_LT(took, std::chrono::seconds(5)) << "the reload waited for a request queued behind it";
    EXPECT_EQ(statusOf(queued.readAll(std::chrono::seconds(15))), 200);
}

TEST_F(HotSwap, SwapsTwentyTimesUnderLoadWithoutAFailedRequest) {
    start("health, hello", {"--define", "server.max_threads=64"});
    const std::string v2 = kTestPlugins + "/v2/probe.so";
    const std::string v1 = kTestPlugins + "/probe.so";
    std::atomic<bool> running{true};
    std::atomic<long> requests{0}, failures{0}, v1Seen{0}, v2Seen{0}, mixed{0};
    std::vector<std::thread> clients;
    const auto started = std::chrono::steady_clock::now();
    for (int c = 0; c < 8; ++c) {
        clients.emplace_back([&, c] {
            Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(keel_->publicPort()));
            session.setTimeout(Poco::Timespan(10, 0));
            // Bounded: 40,000 requests per client at most, and 30 s at most.
            for (int i = 0; running && i < 40000 && std::chrono::steady_clock::now() - started < std::chrono::seconds(30); ++i) {
                const std::string target = (i + c) % 3 == 0 ? "/hello/Ada" : "/probe/ok";
                try {
                    Poco::Net::HTTPRequest request("GET", target, Poco::Net::HTTPMessage::HTTP_1_1);
                    session.sendRequest(request);
                    Poco::Net::HTTPResponse response;
                    std::string body;
                    Poco::StreamCopier::copyToString(session.receiveResponse(response), body);
                    ++requests;
                    if (response.getStatus() != 200) {
                        ++failures;
                    } else if (target == "/probe/ok") {
                        if (body == "v1") ++v1Seen;
                        else if (body == "v2") ++v2Seen;
                        else ++mixed;
                    }
                } catch (const Poco::Exception&) {
                    ++failures;
                    session.reset();
                }
            }
        });
    }
    // 20 swaps, one a second, alternating v2 and v1.
    for (int swap = 1; swap <= 20; ++swap) {
        std::this_thread::sleep_for(std::chrono::seconds(1));
        const auto reply = reload("probe", swap % 2 == 1 ? v2 : v1);
        EXPECT_EQ(reply.status, 200) << "swap " << swap << ": " << reply.body;
    }
    running = false;
    for (auto& client : clients) client.join();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const double rate = static_cast<double>(requests.load()) / seconds;
    std::cout << "hot swap load: " << requests.load() << " requests in " << seconds << " s (" << rate << "/s), v1 "
              << v1Seen.load() << ", v2 " << v2Seen.load() << "\n";
    EXPECT_EQ(failures.load(), 0) << "failed or reset requests";
    EXPECT_EQ(mixed.load(), 0) << "responses from neither version";
    EXPECT_GT(v1Seen.load(), 0);
    EXPECT_GT(v2Seen.load(), 0) << "the switch must be visible";
#ifndef KEEL_TEST_SANITIZED
    EXPECT_GE(rate, 1000.0) << "the load generator must reach 1,000 requests/s to mean anything";
#endif
}

TEST_F(HotSwap, ASlowRequestStartedOnV1CompletesOnV1AfterV2IsInstalled) {
    start("health, hello");
    auto slow = std::async(std::launch::async, [&] {
        return httpRequest(keel_->publicPort(), "GET", "/probe/slow?ms=1500", "", "", std::chrono::seconds(30));
    });
    ASSERT_TRUE(eventually([&] { return admin("GET", "/admin/status").body.find("\"in_flight\":2") != std::string::npos; }));
    const auto reply = reload("probe", kTestPlugins + "/v2/probe.so");
    EXPECT_EQ(reply.status, 200) << reply.body;
    EXPECT_NE(reply.body.find("\"version\":\"2.0.0\""), std::string::npos) << reply.body;
    EXPECT_EQ(slow.get().body, "v1 slow");
    EXPECT_EQ(httpRequest(keel_->publicPort(), "GET", "/probe/ok").body, "v2");
}

TEST_F(HotSwap, BadNewVersionsAreRefusedWithTheReasonWhileTheOldOneKeepsServing) {
    start("health, metrics, hello");
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"bad_abi/probe.so", "SDK ABI 999"},
        {"bad_start/probe.so", "failed in start: probe told to fail in start"},
        {"missing_symbol/probe.so", "keel_symbol_nobody_defines"},
        {"does_not_exist/probe.so", "does not exist"}};
    for (const auto& [directory, reason] : bad) {
        const auto reply = reload("probe", kTestPlugins + "/" + directory);
        EXPECT_EQ(reply.status, 422) << directory << ": " << reply.body;
        EXPECT_NE(reply.body.find(reason), std::string::npos) << directory << ": " << reply.body;
        EXPECT_EQ(httpRequest(keel_->publicPort(), "GET", "/probe/ok").body, "v1") << "after " << directory;
    }
    const auto wrongName = reload("probe", kTestPlugins + "/consumer.so");
    EXPECT_EQ(wrongName.status, 422);
    EXPECT_NE(wrongName.body.find("declares the name 'consumer'"), std::string::npos) << wrongName.body;
    const auto metrics = httpRequest(keel_->adminPort(), "GET", "/metrics").body;
    EXPECT_NE(metrics.find(R"(keel_plugin_loads_total{plugin="probe",result="failed"} 5)"), std::string::npos) << metrics;
}

TEST_F(HotSwap, AHundredUnloadAndLoadCyclesLeaveNoMappingsMemoryOrDescriptorsBehind) {
    start("health, metrics, hello");
    // One cycle first, so lazily created pools and caches do not count as growth.
    ASSERT_EQ(admin("DELETE", "/admin/plugins/hello").status, 204);
    ASSERT_EQ(admin("POST", "/admin/plugins", R"({"name":"hello"})").status, 201);
    const pid_t pid = keel_->pid();
    const long rssBefore = residentKiB(pid);
    const int fdsBefore = openFds(pid);
    for (int cycle = 0; cycle < 100; ++cycle) {
        ASSERT_EQ(admin("DELETE", "/admin/plugins/hello").status, 204) << cycle;
        ASSERT_EQ(admin("POST", "/admin/plugins", R"({"name":"hello"})").status, 201) << cycle;
        if (cycle % 10 == 0) {
            ASSERT_EQ(reload("probe").status, 200) << cycle;
        }
    }
    EXPECT_EQ(httpRequest(keel_->publicPort(), "GET", "/hello/Ada").status, 200);
    const std::string maps = procFile(pid, "maps");
    // Each loaded library appears in several mappings (text, data...) of one private copy.
    std::set<std::string> helloCopies, probeCopies;
    std::istringstream lines(maps);
    for (std::string line; std::getline(lines, line);) {
        const auto slash = line.find('/');
        if (slash == std::string::npos) continue;
        const std::string path = line.substr(slash);
        if (path.find("hello.so") != std::string::npos) helloCopies.insert(path);
        if (path.find("probe.so") != std::string::npos) probeCopies.insert(path);
    }
    EXPECT_EQ(helloCopies.size(), 1u) << maps;
    EXPECT_EQ(probeCopies.size(), 1u) << maps;
#ifndef KEEL_TEST_SANITIZED  // sanitizer allocators keep freed memory in quarantine
    EXPECT_LT(residentKiB(pid) - rssBefore, 10 * 1024) << "resident memory grew by more than 10 MiB";
#endif
    EXPECT_TRUE(eventually([&] { return openFds(pid) <= fdsBefore; }, std::chrono::seconds(5)))
        << "descriptors: " << fdsBefore << " before, " << openFds(pid) << " after";
}

TEST_F(HotSwap, SighupChangesTheRateLimitLiveAndABrokenFileChangesNothing) {
    const std::string config = writeFile("keel.ini", "[resilience]\nrate_limit.rps = 0\n");
    start("health, metrics, resilience, hello", {"--config", config});
    for (int i = 0; i < 20; ++i) EXPECT_EQ(httpRequest(keel_->publicPort(), "GET", "/hello/Ada").status, 200);

    std::ofstream(config) << "[resilience]\nrate_limit.rps = 1\nrate_limit.burst = 1\n";
    keel_->signal(SIGHUP);
    EXPECT_TRUE(eventually([&] { return httpRequest(keel_->publicPort(), "GET", "/hello/Ada").status == 429; }))
        << keel_->output();

    // (server.port would not do: the test's --define shadows the file.)
    std::ofstream(config) << "[log]\nlevel = loud\n[resilience]\nrate_limit.rps = 0\n";
    keel_->signal(SIGHUP);
    EXPECT_TRUE(eventually([&] { return keel_->output().find("configuration reload failed") != std::string::npos; }));
    EXPECT_NE(keel_->output().find("log.level = \"loud\""), std::string::npos) << keel_->output();
    EXPECT_EQ(httpRequest(keel_->publicPort(), "GET", "/live").status, 200);
    int limited = 0;
    for (int i = 0; i < 5; ++i) limited += httpRequest(keel_->publicPort(), "GET", "/hello/Ada").status == 429 ? 1 : 0;
    EXPECT_GT(limited, 0) << "the running limit stays";
    std::remove(config.c_str());
}

TEST_F(HotSwap, ReloadingResilienceUnderOrdersTrafficLosesNoOrderAndOrdersUsesTheNewPolicy) {
    const std::string database = "/tmp/keel-hotswap-" + std::to_string(::getpid()) + ".db";
    const std::string config = writeFile("orders.ini", "[resilience]\npipelines = orders\n");
    start("health, metrics, resilience, orders", {"--config", config, "--define", "database.url=sqlite:" + database});
    std::atomic<bool> running{true};
    std::atomic<int> created{0}, failed{0};
    std::vector<std::thread> clients;
    for (int c = 0; c < 4; ++c) {
        clients.emplace_back([&] {
            for (int i = 0; running && i < 5000; ++i) {
                const auto reply = httpRequest(
                    keel_->publicPort(), "POST", "/api/v1/orders",
                    R"({"user_id":"swap","items":[{"product_id":"p","quantity":1,"price":"1.00"}]})", "application/json");
                (reply.status == 201 ? created : failed)++;
                if (reply.status != 201 && failed == 1) std::cerr << "failed order: " << reply.status << " " << reply.body << "\n";
            }
        });
    }
    ASSERT_TRUE(eventually([&] { return created > 50; }));
    EXPECT_EQ(reload("resilience").status, 200);
    std::ofstream(config) << "[resilience]\npipelines = orders\n[resilience.policy.orders]\nmax_concurrent = 7\n";
    keel_->signal(SIGHUP);
    ASSERT_TRUE(eventually([&] { return admin("GET", "/admin/resilience").body.find(R"("max_concurrent":7)") != std::string::npos; }))
        << keel_->output();
    const int atSwitch = created;
    ASSERT_TRUE(eventually([&] { return created > atSwitch + 50; }));
    // Orders holds the new plugin's pipeline: creations occupy *its* bulkhead (the live plugin's
    // /admin/resilience knows nothing of the old one's).
    auto ordersInUse = [&] {
        const auto body = admin("GET", "/admin/resilience").body;
        const auto orders = body.find(R"("name":"orders")");
        const auto field = orders == std::string::npos ? orders : body.find(R"("in_use":)", orders);
        return field == std::string::npos ? 0 : std::atoi(body.c_str() + field + 9);
    };
    EXPECT_TRUE(eventually([&] { return ordersInUse() >= 1; })) << admin("GET", "/admin/resilience").body;
    running = false;
    for (auto& client : clients) client.join();
    EXPECT_EQ(failed.load(), 0) << "orders failed during the reloads" << keel_->output();
    // Creation runs through the bulkhead and deadline only (Policies::atMostOnce): even a breaker
    // forced open does not stop an order.
    ASSERT_EQ(admin("POST", "/admin/resilience/orders/breaker", R"({"state":"open"})").status, 200);
    EXPECT_EQ(httpRequest(keel_->publicPort(), "POST", "/api/v1/orders",
                          R"({"user_id":"swap","items":[{"product_id":"p","quantity":1,"price":"1.00"}]})",
                          "application/json")
                  .status,
              201);
    keel_.reset();
    std::remove(config.c_str());
    std::system(("rm -f " + database + "*").c_str());
}

}  // namespace
}  // namespace keel::testing
