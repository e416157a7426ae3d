// The router: which route a method and path reach, what they extract, and which patterns and
// registrations are refused.
#include "router.h"

#include <gtest/gtest.h>

#include <string>

namespace keel::host {
namespace {

using StringRouter = Router<std::string>;

std::string targetOf(const StringRouter::Match& match) { return match.target ? *match.target : "<none>"; }

std::string addError(StringRouter& router, const std::string& method, const std::string& pattern) {
    try {
        router.add(method, pattern, "x");
    } catch (const std::invalid_argument& error) {
        return error.what();
    }
    return "<accepted>";
}

TEST(Router, MatchesLiteralSegmentsExactly) {
    StringRouter router;
    router.add("GET", "/api/items", "items");
    router.add("GET", "/", "root");

    EXPECT_EQ(targetOf(router.match("GET", "/api/items")), "items");
    EXPECT_EQ(router.match("GET", "/api/items").pattern, "/api/items");
    EXPECT_EQ(targetOf(router.match("GET", "/")), "root");
    EXPECT_EQ(router.match("GET", "/api/itemsx").target, nullptr);
    EXPECT_EQ(router.match("GET", "/api").target, nullptr);
    EXPECT_EQ(router.match("GET", "/api/items/1").target, nullptr);
}

TEST(Router, ExtractsParameterSegmentsByName) {
    StringRouter router;
    router.add("GET", "/orders/{orderId}/lines/{line_no}", "line");

    const auto match = router.match("GET", "/orders/A-17/lines/3");
    ASSERT_NE(match.target, nullptr);
    EXPECT_EQ(*match.target, "line");
    EXPECT_EQ(match.pattern, "/orders/{orderId}/lines/{line_no}");
    ASSERT_EQ(match.parameters.size(), 2u);
    EXPECT_EQ(match.parameters.at("orderId"), "A-17");
    EXPECT_EQ(match.parameters.at("line_no"), "3");
}

TEST(Router, ParameterDoesNotMatchAnEmptySegment) {
    StringRouter router;
    router.add("GET", "/users/{id}", "user");

    EXPECT_EQ(router.match("GET", "/users/").target, nullptr);
    EXPECT_EQ(router.match("GET", "/users").target, nullptr);
}

TEST(Router, PrefersLiteralSegmentOverParameter) {
    StringRouter router;
    router.add("GET", "/users/{id}", "by-id");
    router.add("GET", "/users/me", "me");

    const auto literal = router.match("GET", "/users/me");
    EXPECT_EQ(targetOf(literal), "me");
    EXPECT_TRUE(literal.parameters.empty());
    EXPECT_EQ(targetOf(router.match("GET", "/users/42")), "by-id");
}

TEST(Router, PrefersLiteralRegardlessOfRegistrationOrder) {
    StringRouter router;
    router.add("GET", "/users/me", "me");
    router.add("GET", "/users/{id}", "by-id");

    EXPECT_EQ(targetOf(router.match("GET", "/users/me")), "me");
    EXPECT_EQ(targetOf(router.match("GET", "/users/you")), "by-id");
}

TEST(Router, BacktracksToParameterWhenTheLiteralBranchDeadEnds) {
    StringRouter router;
    router.add("GET", "/a/{x}/c", "param-c");
    router.add("GET", "/a/b/d", "literal-d");

    const auto viaParameter = router.match("GET", "/a/b/c");
    EXPECT_EQ(targetOf(viaParameter), "param-c");
    EXPECT_EQ(viaParameter.parameters.at("x"), "b");
    EXPECT_EQ(targetOf(router.match("GET", "/a/b/d")), "literal-d");
    EXPECT_EQ(router.match("GET", "/a/z/d").target, nullptr);
}

TEST(Router, UnknownPathIsNotFoundWithNoAllowedMethods) {
    StringRouter router;
    router.add("GET", "/items", "items");
    router.add("POST", "/items", "create");

    const auto match = router.match("GET", "/nothing/here");
    EXPECT_EQ(match.target, nullptr);
    EXPECT_TRUE(match.allowedMethods.empty());
}

TEST(Router, KnownPathWithAnotherMethodListsAllowedMethods) {
    StringRouter router;
    router.add("POST", "/items/{id}", "update");
    router.add("DELETE", "/items/{id}", "delete");

    const auto match = router.match("PUT", "/items/7");
    EXPECT_EQ(match.target, nullptr);
    EXPECT_EQ(match.allowedMethods, (std::set<std::string>{"DELETE", "POST"}));
}

TEST(Router, AllowedMethodsImplyHeadWhenGetIsRegistered) {
    StringRouter router;
    router.add("GET", "/items", "list");
    router.add("POST", "/items", "create");

    const auto match = router.match("DELETE", "/items");
    EXPECT_EQ(match.target, nullptr);
    EXPECT_EQ(match.allowedMethods, (std::set<std::string>{"GET", "HEAD", "POST"}));
}

TEST(Router, HeadIsServedByGet) {
    StringRouter router;
    router.add("GET", "/items/{id}", "get");

    const auto match = router.match("HEAD", "/items/5");
    EXPECT_EQ(targetOf(match), "get");
    EXPECT_EQ(match.parameters.at("id"), "5");
}

TEST(Router, ExplicitHeadRouteWinsOverGet) {
    StringRouter router;
    router.add("GET", "/items", "get");
    router.add("HEAD", "/items", "head");

    EXPECT_EQ(targetOf(router.match("HEAD", "/items")), "head");
}

TEST(Router, HeadWithoutGetIsMethodNotAllowed) {
    StringRouter router;
    router.add("POST", "/items", "create");

    const auto match = router.match("HEAD", "/items");
    EXPECT_EQ(match.target, nullptr);
    EXPECT_EQ(match.allowedMethods, (std::set<std::string>{"POST"}));
}

// A literal route registered for one method must not hide a parameter route registered for
// another: GET /items/search is served by GET /items/{id}, not answered 405 "Allow: POST".
TEST(Router, FallsBackToParameterRouteWhenTheLiteralRouteLacksTheMethod) {
    StringRouter router;
    router.add("GET", "/items/{id}", "get-item");
    router.add("POST", "/items/search", "search");

    const auto get = router.match("GET", "/items/search");
    EXPECT_EQ(targetOf(get), "get-item");
    EXPECT_TRUE(get.allowedMethods.empty());
    EXPECT_EQ(targetOf(router.match("POST", "/items/search")), "search");
}

// The 405 answer's Allow header lists every method the path can be served by, through any
// route: PUT /items/search would be served by PUT /items/{id}, so Allow names it as well.
TEST(Router, AllowedMethodsListEveryMethodThePathCanBeServedBy) {
    StringRouter router;
    router.add("PUT", "/items/{id}", "put-item");
    router.add("POST", "/items/search", "search");

    const auto match = router.match("DELETE", "/items/search");
    EXPECT_EQ(match.target, nullptr);
    EXPECT_EQ(match.allowedMethods, (std::set<std::string>{"POST", "PUT"}));
    EXPECT_EQ(targetOf(router.match("PUT", "/items/search")), "put-item");
}

TEST(Router, HeadFallsBackToAParameterGetRoute) {
    StringRouter router;
    router.add("GET", "/items/{id}", "get-item");
    router.add("POST", "/items/search", "search");

    const auto head = router.match("HEAD", "/items/search");
    EXPECT_EQ(targetOf(head), "get-item");
    EXPECT_EQ(head.parameters.at("id"), "search");
}

TEST(Router, RejectsADuplicateRouteNamingBothPatterns) {
    StringRouter router;
    router.add("GET", "/a/{x}", "first");

    const std::string message = addError(router, "GET", "/a/{y}");
    EXPECT_NE(message.find("GET /a/{y}"), std::string::npos) << message;
    EXPECT_NE(message.find("/a/{x}"), std::string::npos) << message;
    EXPECT_NE(message.find("already registered"), std::string::npos) << message;
    EXPECT_EQ(targetOf(router.match("GET", "/a/1")), "first");
}

TEST(Router, AcceptsTheSamePatternForAnotherMethod) {
    StringRouter router;
    router.add("GET", "/a/{x}", "get");
    EXPECT_EQ(addError(router, "PUT", "/a/{x}"), "<accepted>");
}

TEST(Router, RejectsAPatternWithoutLeadingSlash) {
    StringRouter router;
    const std::string message = addError(router, "GET", "items");
    EXPECT_NE(message.find("'items'"), std::string::npos) << message;
    EXPECT_NE(message.find("must start with '/'"), std::string::npos) << message;
    EXPECT_NE(addError(router, "GET", ""), "<accepted>");
}

TEST(Router, RejectsAnEmptyParameterName) {
    StringRouter router;
    const std::string message = addError(router, "GET", "/items/{}");
    EXPECT_NE(message.find("/items/{}"), std::string::npos) << message;
    EXPECT_NE(message.find("invalid parameter"), std::string::npos) << message;
}

TEST(Router, RejectsAParameterNameStartingWithADigit) {
    StringRouter router;
    const std::string message = addError(router, "GET", "/items/{1x}");
    EXPECT_NE(message.find("'{1x}'"), std::string::npos) << message;
}

TEST(Router, RejectsAParameterNameWithPunctuation) {
    StringRouter router;
    EXPECT_NE(addError(router, "GET", "/items/{a-b}"), "<accepted>");
}

TEST(Router, RejectsTextMixedWithAParameterInOneSegment) {
    StringRouter router;
    const std::string message = addError(router, "GET", "/files/a{b}");
    EXPECT_NE(message.find("'a{b}'"), std::string::npos) << message;
    EXPECT_NE(message.find("whole segment"), std::string::npos) << message;
    EXPECT_NE(addError(router, "GET", "/files/{b}.json"), "<accepted>");
}

TEST(Router, TreatsATrailingSlashAsADistinctPath) {
    StringRouter router;
    router.add("GET", "/docs", "no-slash");

    EXPECT_EQ(targetOf(router.match("GET", "/docs")), "no-slash");
    EXPECT_EQ(router.match("GET", "/docs/").target, nullptr);

    router.add("GET", "/docs/", "slash");
    EXPECT_EQ(targetOf(router.match("GET", "/docs/")), "slash");
    EXPECT_EQ(targetOf(router.match("GET", "/docs")), "no-slash");
}

TEST(Router, KeepsEachMethodsOwnParameterNames) {
    StringRouter router;
    router.add("GET", "/users/{id}", "get");
    router.add("DELETE", "/users/{userId}", "delete");

    const auto get = router.match("GET", "/users/42");
    EXPECT_EQ(get.pattern, "/users/{id}");
    EXPECT_EQ(get.parameters, (std::map<std::string, std::string>{{"id", "42"}}));

    const auto remove = router.match("DELETE", "/users/42");
    EXPECT_EQ(remove.pattern, "/users/{userId}");
    EXPECT_EQ(remove.parameters, (std::map<std::string, std::string>{{"userId", "42"}}));
}

TEST(RouterSplitPath, SplitsOnSlashesKeepingATrailingEmptySegment) {
    EXPECT_EQ(splitPath("/"), (std::vector<std::string>{}));
    EXPECT_EQ(splitPath("/a/b"), (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(splitPath("/a/b/"), (std::vector<std::string>{"a", "b", ""}));
}

}  // namespace
}  // namespace keel::host
