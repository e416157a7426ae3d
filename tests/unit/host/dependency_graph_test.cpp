// startOrder and transitiveDependents on names alone.
#include <gtest/gtest.h>

#include "dependency_graph.h"

namespace keel::host {
namespace {

TEST(StartOrder, PutsEveryPluginAfterWhatItRequiresKeepingTheListedOrderOtherwise) {
    const auto plan = startOrder({{"orders", {"resilience", "metrics"}}, {"health", {}}, {"resilience", {}},
                                  {"metrics", {}}});
    EXPECT_EQ(plan.order, (std::vector<std::string>{"resilience", "metrics", "orders", "health"}));
    EXPECT_TRUE(plan.cycles.empty());
}

TEST(StartOrder, LeavesOutACycleAndNamesItsPathButKeepsWhatDependsOnIt) {
    const auto plan = startOrder({{"a", {"b"}}, {"b", {"c"}}, {"c", {"a"}}, {"d", {"a"}}, {"e", {}}});
    EXPECT_EQ(plan.order, (std::vector<std::string>{"d", "e"}));  // d fails later: its requirement did
    ASSERT_EQ(plan.cycles.size(), 3u);
    EXPECT_EQ(plan.cycles.at("a"), "a -> b -> c -> a");
    EXPECT_EQ(plan.cycles.at("c"), "a -> b -> c -> a");
}

TEST(StartOrder, IgnoresRequirementsThatAreNotInTheGraphAndDuplicates) {
    const auto plan = startOrder({{"orders", {"missing"}}, {"orders", {"missing"}}, {"self", {"self"}}});
    EXPECT_EQ(plan.order, (std::vector<std::string>{"orders"}));
    EXPECT_EQ(plan.cycles.at("self"), "self -> self");
}

TEST(TransitiveDependents, FollowsChainsInStartOrderAndSkipsTheUnrelated) {
    const RequirementList started{{"metrics", {}}, {"resilience", {}}, {"orders", {"resilience"}},
                                  {"reports", {"orders"}}, {"hello", {}}, {"audit", {"metrics", "reports"}}};
    EXPECT_EQ(transitiveDependents("resilience", started), (std::vector<std::string>{"orders", "reports", "audit"}));
    EXPECT_EQ(transitiveDependents("metrics", started), (std::vector<std::string>{"audit"}));
    EXPECT_TRUE(transitiveDependents("hello", started).empty());
    EXPECT_TRUE(transitiveDependents("unknown", started).empty());
}

}  // namespace
}  // namespace keel::host
