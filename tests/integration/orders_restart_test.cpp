// Takes the PostgreSQL server away under a running keel and brings it back. Runs alone (ctest
// RUN_SERIAL): every other database test shares that server.
#include <algorithm>
#include <thread>

#include "orders_fixture.h"

namespace keel::testing {
namespace {

// Stops the test cluster for the scope (and brings it back whatever happens).
class StoppedDatabase {
public:
    StoppedDatabase() { running_ = std::system((pgctl() + " stop").c_str()) != 0; }
    ~StoppedDatabase() { startAgain(); }
    bool stopped() const { return !running_; }
    bool startAgain() {
        if (!running_) running_ = std::system((pgctl() + " start").c_str()) == 0;
        return running_;
    }

private:
    static std::string pgctl() { return std::string(KEEL_SOURCE_DIR) + "/scripts/pg-ctl"; }
    bool running_ = true;
};

TEST_P(OrdersTest, SurvivesADatabaseRestartWithoutRestartingKeel) {
    start({"--define", "database.acquire_timeout=500ms", "--define", "database.connect_timeout=2s"});
    ASSERT_EQ(post(order("restart", 1, "1.00")).status, 201);
    StoppedDatabase database;
    ASSERT_TRUE(database.stopped());
    for (int i = 0; i < 3; ++i) {
        const auto reply = post(order("restart", 1, "1.00"));
        EXPECT_EQ(reply.status, 503) << reply.body;
        EXPECT_EQ(reply.header("Retry-After"), "5");
        EXPECT_EQ(reply.body.find("keel:keel"), std::string::npos) << "credentials leaked: " << reply.body;
    }
    EXPECT_EQ(get("/health").status, 503);
    ASSERT_TRUE(database.startAgain());
    EXPECT_TRUE(eventually([&] { return post(order("restart", 1, "1.00")).status == 201; }, std::chrono::seconds(10)));
    // /health results are cached for health.cache_ttl (1 s): the recovery shows within it.
    EXPECT_TRUE(eventually([&] { return get("/health").status == 200; }, std::chrono::seconds(3)));
}

TEST_P(OrdersTest, StartsWithoutItsDatabaseAndServesOnceItIsReachable) {
    StoppedDatabase database;
    ASSERT_TRUE(database.stopped());
    keel_ = std::make_unique<KeelProcess>(withPlugins(
        "health, metrics, resilience, orders",
        {"--define", "database.url=" + databaseUrl_, "--define", "database.connect_timeout=2s"}));
    ASSERT_TRUE(keel_->waitUntilLive()) << keel_->output();
    // The routes exist and say why they cannot serve; nothing hangs.
    const auto refused = post(order("late", 1, "1.00"));
    EXPECT_EQ(refused.status, 503) << refused.body;
    EXPECT_EQ(refused.header("Retry-After"), "5");
    EXPECT_NE(refused.body.find("database unavailable"), std::string::npos) << refused.body;
    EXPECT_EQ(get("/api/v1/orders").status, 503);
    const auto publicReady = get("/ready");
    EXPECT_EQ(publicReady.status, 503) << publicReady.body;
    EXPECT_EQ(publicReady.body.find("5432"), std::string::npos) << "details on the public listener: " << publicReady.body;
    const auto adminReady = httpRequest(keel_->adminPort(), "GET", "/ready");
    EXPECT_EQ(adminReady.status, 503);
    EXPECT_NE(adminReady.body.find("keel:database"), std::string::npos) << adminReady.body;
    EXPECT_EQ(get("/live").status, 200);

    ASSERT_TRUE(database.startAgain());
    EXPECT_TRUE(eventually([&] { return post(order("late", 1, "1.00")).status == 201; }, std::chrono::seconds(10)))
        << keel_->output();
    EXPECT_TRUE(eventually([&] { return get("/ready").status == 200; }, std::chrono::seconds(3)));
    EXPECT_EQ(allOrders("&user_id=late").size(), 1u);
    EXPECT_NE(keel_->output().find("its database is reachable and migrated"), std::string::npos) << keel_->output();
}

TEST_P(OrdersTest, RequiredAtStartKeepsTheFailFastExit) {
    StoppedDatabase database;
    ASSERT_TRUE(database.stopped());
    auto arguments = withPlugins("health, metrics, resilience, orders",
                                 {"--define", "database.url=" + databaseUrl_, "--define", "database.required_at_start=true",
                                  "--define", "plugins.required=orders", "--define", "database.connect_timeout=2s"});
    KeelProcess keel(arguments);
    EXPECT_NE(keel.waitForExit(std::chrono::seconds(30)), 0) << keel.output();
    EXPECT_NE(keel.output().find("failed in migration"), std::string::npos) << keel.output();
}

// Clients retry 503s with the same Idempotency-Key, as the API asks: across a stop and a start
// of PostgreSQL every order is stored exactly once and no request outlives its deadline.
TEST_P(OrdersTest, ADatabaseRestartUnderLoadLosesAndDuplicatesNothing) {
    start({"--define", "database.acquire_timeout=500ms", "--define", "database.connect_timeout=2s"});
    constexpr int kClients = 4;
    constexpr int kOrdersEach = 250;  // enough that the clients are still sending when the database stops
    std::atomic<int> stored{0};
    std::atomic<int> refused{0};  // 503s, retried: proof that the outage met traffic
    std::atomic<int> slowest{0};
    std::atomic<int> unexpected{0};
    std::vector<std::thread> clients;
    for (int client = 0; client < kClients; ++client) {
        clients.emplace_back([&, client] {
            for (int n = 0; n < kOrdersEach; ++n) {
                const std::string key = "load-" + std::to_string(client) + "-" + std::to_string(n);
                // At most 60 tries of one order (about 12 s of 200 ms pauses): bounded, whatever happens.
                for (int attempt = 0; attempt < 60; ++attempt) {
                    const auto begin = std::chrono::steady_clock::now();
                    const auto reply = post(order("restart-load", 1, "1.00"), {{"Idempotency-Key", key}});
                    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::steady_clock::now() - begin).count();
                    slowest = std::max<int>(slowest, static_cast<int>(took));
                    if (reply.status == 201 || reply.status == 200) {
                        ++stored;
                        break;
                    }
                    if (reply.status == 503) ++refused;
                    if (reply.status != 503) ++unexpected;
                    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the client's own backoff
                }
            }
        });
    }
    EXPECT_TRUE(eventually([&] { return stored > 0; }));  // orders flowing before the stop
    {
        StoppedDatabase database;
        EXPECT_TRUE(database.stopped());
        std::this_thread::sleep_for(std::chrono::seconds(2));
    }
    for (auto& client : clients) client.join();
    EXPECT_EQ(stored.load(), kClients * kOrdersEach);
    EXPECT_GT(refused.load(), 0) << "the clients finished before the database stopped: nothing was tested";
    EXPECT_EQ(unexpected.load(), 0);
    // acquire_timeout + connect_timeout + one statement: nothing waits for the server to return.
    EXPECT_LT(slowest.load(), 8000);
    EXPECT_EQ(psql(databaseUrl_, "SELECT count(*) FROM orders WHERE user_id = 'restart-load'"),
              std::to_string(kClients * kOrdersEach));
}

INSTANTIATE_TEST_SUITE_P(Databases, OrdersTest, ::testing::Values("postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace keel::testing
