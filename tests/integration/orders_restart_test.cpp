// Takes the PostgreSQL server away under a running keel and brings it back. Runs alone (ctest
// RUN_SERIAL): every other database test shares that server.
#include "orders_fixture.h"

namespace keel::testing {
namespace {

TEST_P(OrdersTest, SurvivesADatabaseRestartWithoutRestartingKeel) {
    start({"--define", "database.acquire_timeout=500ms", "--define", "database.connect_timeout=2s"});
    ASSERT_EQ(post(order("restart", 1, "1.00")).status, 201);
    const std::string pgctl = std::string(KEEL_SOURCE_DIR) + "/scripts/pg-ctl";
    ASSERT_EQ(std::system((pgctl + " stop").c_str()), 0);
    struct Restart {
        std::string command;
        ~Restart() { std::system(command.c_str()); }  // whatever happens, the server comes back
    } restart{pgctl + " start"};
    for (int i = 0; i < 3; ++i) {
        const auto reply = post(order("restart", 1, "1.00"));
        EXPECT_EQ(reply.status, 503) << reply.body;
        EXPECT_EQ(reply.header("Retry-After"), "5");
        EXPECT_EQ(reply.body.find("keel:keel"), std::string::npos) << "credentials leaked: " << reply.body;
    }
    EXPECT_EQ(get("/health").status, 503);
    ASSERT_EQ(std::system((pgctl + " start").c_str()), 0);
    EXPECT_TRUE(eventually([&] { return post(order("restart", 1, "1.00")).status == 201; }, std::chrono::seconds(10)));
    // /health results are cached for health.cache_ttl (1 s): the recovery shows within it.
    EXPECT_TRUE(eventually([&] { return get("/health").status == 200; }, std::chrono::seconds(3)));
}

INSTANTIATE_TEST_SUITE_P(Databases, OrdersTest, ::testing::Values("postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace keel::testing
