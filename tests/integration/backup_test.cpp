// scripts/backup while orders are being written, the database dropped, scripts/restore into an
// empty one: every order acknowledged before the backup started is back with its items and its
// undelivered notification, and keel runs on the restored database. PostgreSQL and SQLite.
#include <signal.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "orders_fixture.h"
#include "recording_http_server.h"

namespace keel::testing {
namespace {

// Runs a script of the repository; returns its exit code and output.
std::pair<int, std::string> runScript(const std::string& commandLine) {
    const std::string output = shellOutput(std::string(KEEL_SOURCE_DIR) + "/scripts/" + commandLine + " 2>&1; echo \"rc=$?\"");
    const auto at = output.rfind("rc=");
    return {std::stoi(output.substr(at + 3)), output.substr(0, at)};
}

using BackupTest = OrdersTest;

TEST_P(BackupTest, ABackupTakenUnderWritesRestoresEveryOrderCommittedBeforeIt) {
    RecordingHttpServer notify(503);  // deliveries fail: outbox rows stay undelivered
    const std::vector<std::string> settings{"--define", "orders.notify.url=" + notify.url("/events"), "--define",
                                            "orders.outbox.interval=50ms"};
    start(settings);
    std::mutex mutex;
    std::vector<std::string> acknowledged;
    std::atomic<bool> stop{false};
    std::vector<std::thread> writers;
    for (int w = 0; w < 4; ++w) {
        writers.emplace_back([&, w] {
            for (int n = 0; n < 5000 && !stop; ++n) {
                const auto reply = post(order("backup-" + std::to_string(w), n % 3 + 1, "1.25"));
                if (reply.status != 201) continue;
                std::lock_guard<std::mutex> lock(mutex);
                acknowledged.push_back(json(reply.body)->getValue<std::string>("id"));
            }
        });
    }
    ASSERT_TRUE(eventually([&] {
        std::lock_guard<std::mutex> lock(mutex);
        return acknowledged.size() >= 200;
    }));
    std::set<std::string> before;
    {
        std::lock_guard<std::mutex> lock(mutex);
        before.insert(acknowledged.begin(), acknowledged.end());
    }
    const std::string file = "/tmp/" + (databaseName_.empty() ? std::string("keel_backup_") + std::to_string(::getpid())
                                                                : databaseName_) +
                             ".backup";
    const auto [backupCode, backupOutput] = runScript("backup '" + databaseUrl_ + "' " + file);
    ASSERT_EQ(backupCode, 0) << backupOutput;
    const std::size_t atBackupEnd = [&] {
        std::lock_guard<std::mutex> lock(mutex);
        return acknowledged.size();
    }();
    EXPECT_TRUE(eventually([&] {
        std::lock_guard<std::mutex> lock(mutex);
        return acknowledged.size() > atBackupEnd + 20;
    })) << "writes went on during and after the backup";
    stop = true;
    for (auto& writer : writers) writer.join();
    keel_->signal(SIGTERM);
    EXPECT_EQ(keel_->waitForExit(), 0);

    // The database is lost.
    if (postgres()) {
        psql(baseUrl(), "DROP DATABASE " + databaseName_ + " WITH (FORCE)");
        ASSERT_EQ(psql(baseUrl(), "CREATE DATABASE " + databaseName_), "CREATE DATABASE");
    } else {
        shellOutput("rm -f " + databaseUrl_.substr(7) + "*");
    }
    const auto [restoreCode, restoreOutput] = runScript("restore " + file + " '" + databaseUrl_ + "'");
    ASSERT_EQ(restoreCode, 0) << restoreOutput;
    EXPECT_EQ(restoreOutput.find("keel:keel@"), std::string::npos) << "the password is shown: " << restoreOutput;

    std::map<std::string, std::string> restored;  // order id -> "total items undelivered-outbox-rows"
    const std::string sql =
        "SELECT o.id || ' ' || o.total_cents || ' ' || (SELECT SUM(quantity * unit_price_cents) FROM order_items i "
        "WHERE i.order_id = o.id) || ' ' || (SELECT COUNT(*) FROM order_outbox x WHERE x.delivered_at_us IS NULL "
        "AND x.payload LIKE '%' || o.id || '%') FROM orders o";
    std::istringstream rows(postgres() ? psql(databaseUrl_, sql)
                                       : shellOutput("sqlite3 " + databaseUrl_.substr(7) + " \"" + sql + "\""));
    for (std::string line; std::getline(rows, line);) {
        std::istringstream fields(line);
        std::string id, total, items, pending;
        fields >> id >> total >> items >> pending;
        restored[id] = total + " " + items + " " + pending;
    }
    EXPECT_GE(restored.size(), before.size());
    for (const auto& id : before) {
        const auto found = restored.find(id);
        ASSERT_NE(found, restored.end()) << "order " << id << " acknowledged before the backup is missing";
        std::istringstream fields(found->second);
        std::string total, items, pending;
        fields >> total >> items >> pending;
        EXPECT_EQ(total, items) << "order " << id << ": items do not add up to the total";
        EXPECT_EQ(pending, "1") << "order " << id << ": its undelivered notification is missing";
    }

    // Restoring over a database that has tables needs --force.
    const auto [again, againOutput] = runScript("restore " + file + " '" + databaseUrl_ + "'");
    EXPECT_EQ(again, 73) << againOutput;
    EXPECT_NE(againOutput.find("pass --force"), std::string::npos) << againOutput;
    const auto [forced, forcedOutput] = runScript("restore " + file + " '" + databaseUrl_ + "' --force");
    EXPECT_EQ(forced, 0) << forcedOutput;

    // keel runs on the restored database.
    start(settings);
    EXPECT_EQ(get("/api/v1/orders/" + *before.begin()).status, 200);
    EXPECT_EQ(post(order("after-restore", 1, "1.00")).status, 201);
    shellOutput("rm -f " + file);
}

INSTANTIATE_TEST_SUITE_P(Databases, BackupTest, ::testing::Values("postgresql", "sqlite"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace keel::testing
