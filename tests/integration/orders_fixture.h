// Shared by the orders integration tests: a fresh database per test (a new PostgreSQL database
// in the cluster scripts/test starts, or a new SQLite file) and a keel running the orders plugin.
#pragma once

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "keel_process.h"

namespace keel::testing {

inline std::string shell(const std::string& command) { return shellOutput(command); }

inline std::string baseUrl() {
    const char* url = std::getenv("KEELTEST_DATABASE_URL");
    return url != nullptr ? url : "";
}

inline std::string psql(const std::string& url, const std::string& sql) {
    return shell("psql -X -tA \"" + url + "\" -c \"" + sql + "\"");
}

// Runs one statement on the test's database directly (not through keel).
inline void execute(const std::string& databaseUrl, const std::string& sql) {
    if (databaseUrl.rfind("sqlite:", 0) == 0) {
        Poco::Data::SQLite::Connector::registerConnector();
        Poco::Data::Session session("sqlite", databaseUrl.substr(7));
        session << sql, Poco::Data::Keywords::now;
        return;
    }
    const std::string output = psql(databaseUrl, sql);
    if (output.find("ERROR") != std::string::npos) throw std::runtime_error(output);
}

inline std::int64_t cents(const std::string& money) {
    const auto dot = money.find('.');
    return std::stoll(money.substr(0, dot)) * 100 + std::stoll(money.substr(dot + 1));
}

inline Poco::JSON::Object::Ptr json(const std::string& text) {
    return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
}

inline std::string order(const std::string& user, int quantity, const std::string& price) {
    return R"({"user_id":")" + user + R"(","items":[{"product_id":"p-1","quantity":)" + std::to_string(quantity) +
           R"(,"price":")" + price + R"("}]})";
}

class OrdersTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        static std::atomic<int> sequence{0};
        const std::string name = "keel_orders_" + std::to_string(::getpid()) + "_" + std::to_string(++sequence);
        if (postgres()) {
            ASSERT_FALSE(baseUrl().empty()) << "KEELTEST_DATABASE_URL is not set: run the tests with scripts/test";
            ASSERT_EQ(psql(baseUrl(), "CREATE DATABASE " + name), "CREATE DATABASE");
            databaseName_ = name;
            databaseUrl_ = baseUrl().substr(0, baseUrl().rfind('/') + 1) + name;
        } else {
            databaseUrl_ = "sqlite:/tmp/" + name + ".db";
        }
    }
    void TearDown() override {
        keel_.reset();
        if (postgres() && !databaseName_.empty()) psql(baseUrl(), "DROP DATABASE IF EXISTS " + databaseName_ + " WITH (FORCE)");
        if (!postgres()) shell("rm -f " + databaseUrl_.substr(7) + "*");
    }
    bool postgres() const { return GetParam() == "postgresql"; }

    KeelProcess& start(std::vector<std::string> extra = {}) {
        std::vector<std::string> arguments{"--define", "database.url=" + databaseUrl_, "--define",
                                           "server.max_threads=64"};
        arguments.insert(arguments.end(), extra.begin(), extra.end());
        keel_ = std::make_unique<KeelProcess>(withPlugins("health, metrics, resilience, orders", arguments));
        EXPECT_TRUE(keel_->waitUntilLive()) << keel_->output();
        EXPECT_TRUE(eventually([&] { return httpRequest(keel_->publicPort(), "GET", "/api/v1/orders").status == 200; }))
            << keel_->output();
        return *keel_;
    }
    HttpResult post(const std::string& body, const std::map<std::string, std::string>& headers = {}) {
        return httpRequest(keel_->publicPort(), "POST", "/api/v1/orders", body, "application/json",
                           std::chrono::seconds(20), headers);
    }
    HttpResult get(const std::string& target) { return httpRequest(keel_->publicPort(), "GET", target); }
    // Every order of every page, newest first.
    std::vector<Poco::JSON::Object::Ptr> allOrders(const std::string& query = "") {
        std::vector<Poco::JSON::Object::Ptr> orders;
        std::string cursor;
        for (int page = 0; page < 1000; ++page) {
            const auto reply = get("/api/v1/orders?limit=100" + query + (cursor.empty() ? "" : "&cursor=" + cursor));
            EXPECT_EQ(reply.status, 200) << reply.body;
            auto body = json(reply.body);
            auto list = body->getArray("orders");
            for (std::size_t i = 0; i < list->size(); ++i) orders.push_back(list->getObject(i));
            if (body->isNull("next_cursor")) break;
            cursor = body->getValue<std::string>("next_cursor");
        }
        return orders;
    }

    std::string databaseUrl_;
    std::string databaseName_;
    std::unique_ptr<KeelProcess> keel_;
};

}  // namespace keel::testing
