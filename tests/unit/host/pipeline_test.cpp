// The request pipeline: middleware order, core middleware (request id, access log, recovery),
// 404/405 problems.
#include <gtest/gtest.h>

#include <set>
#include <spdlog/sinks/ostream_sink.h>

#include <sstream>

#include "core_middleware.h"
#include "keel/problem.h"
#include "pipeline.h"

namespace keel::host {
namespace {

class PipelineTest : public ::testing::Test {
protected:
    PipelineTest() { logs.configure(spdlog::level::info, LogFormat::Text); }

    std::shared_ptr<PipelineSnapshot> build(const std::vector<Route>& pluginRoutes,
                                            const std::vector<Middleware>& pluginMiddleware,
                                            const std::vector<Middleware>& otherMiddleware = {}) {
        core = coreMiddleware(logs, {"public", "admin"});
        routes = pluginRoutes;
        middleware = pluginMiddleware;
        other = otherMiddleware;
        std::vector<PipelineContributor> contributors{{"keel", &noRoutes, &core, nullptr},
                                                      {"zeta", &routes, &middleware, nullptr},
                                                      {"alpha", &noRoutes, &other, nullptr}};
        return std::make_shared<PipelineSnapshot>(contributors, logs.logger("keel"));
    }

    Response run(PipelineSnapshot& snapshot, const std::string& method, const std::string& target,
                 const std::string& requestId = "") {
        Request request(method, target);
        request.setListener("public");
        if (!requestId.empty()) request.headers().set("X-Request-ID", requestId);
        Response response;
        snapshot.handle(request, response);
        return response;
    }

    std::ostringstream logText;
    LogManager logs{std::make_shared<spdlog::sinks::ostream_sink_mt>(logText)};
    std::vector<Route> noRoutes, routes;
    std::vector<Middleware> core, middleware, other;
};

Middleware recorder(const std::string& name, int order, std::vector<std::string>& trace) {
    return Middleware{name, order, [name, &trace](Request&, Response&, const Next& next) {
                          trace.push_back(name + ">");
                          next();
                          trace.push_back("<" + name);
                      }};
}

TEST_F(PipelineTest, RunsMiddlewareByOrderThenPluginNameAroundTheHandler) {
    std::vector<std::string> trace;
    auto snapshot = build({{"GET", "/x", [&](Request&, Response& r) { trace.push_back("handler"); r.send(200, "x"); }}},
                          {recorder("late", 500, trace), recorder("zeta-tie", 300, trace)},
                          {recorder("alpha-tie", 300, trace), recorder("early", 100, trace)});
    EXPECT_EQ(snapshot->middlewareOrder("public"),
              (std::vector<std::string>{"request-id", "tracing", "access-log", "recovery", "early", "alpha-tie",
                                        "zeta-tie", "late"}));
    run(*snapshot, "GET", "/x");
    EXPECT_EQ(trace, (std::vector<std::string>{"early>", "alpha-tie>", "zeta-tie>", "late>", "handler", "<late",
                                               "<zeta-tie", "<alpha-tie", "<early"}));
}

TEST_F(PipelineTest, MiddlewareRunsForUnmatchedPathsToo) {
    std::vector<std::string> trace;
    auto snapshot = build({}, {recorder("seen", 100, trace)});
    EXPECT_EQ(run(*snapshot, "GET", "/nothing").status(), 404);
    EXPECT_EQ(trace, (std::vector<std::string>{"seen>", "<seen"}));
}

TEST_F(PipelineTest, UnknownPathIsProblem404AndWrongMethodIs405WithAllow) {
    auto snapshot = build({{"GET", "/orders/{id}", [](Request&, Response& r) { r.send(200, "x"); }},
                           {"DELETE", "/orders/{id}", [](Request&, Response& r) { r.send(204, ""); }}},
                          {});
    auto missing = run(*snapshot, "GET", "/nope");
    EXPECT_EQ(missing.status(), 404);
    EXPECT_EQ(missing.headers().get("Content-Type").value_or(""), "application/problem+json");
    auto wrong = run(*snapshot, "POST", "/orders/7");
    EXPECT_EQ(wrong.status(), 405);
    EXPECT_EQ(wrong.headers().get("Allow").value_or(""), "DELETE, GET, HEAD");
    EXPECT_NE(wrong.body().find("\"status\":405"), std::string::npos);
}

TEST_F(PipelineTest, RecoveryTurnsExceptionsInto500ProblemAndLogsThem) {
    auto snapshot = build({{"GET", "/boom", [](Request&, Response&) { throw std::runtime_error("kaput"); }},
                           {"GET", "/teapot", [](Request&, Response&) { throw HttpError(418, "Teapot", "short"); }}},
                          {});
    auto boom = run(*snapshot, "GET", "/boom", "req-1");
    EXPECT_EQ(boom.status(), 500);
    EXPECT_EQ(boom.headers().get("Content-Type").value_or(""), "application/problem+json");
    EXPECT_EQ(boom.body().find("kaput"), std::string::npos) << "internal details must not leak to clients";
    logs.flush();  // the access log writes from its own thread: let it finish before reading
    EXPECT_NE(logText.str().find("kaput"), std::string::npos);
    EXPECT_NE(logText.str().find("request_id=req-1"), std::string::npos) << logText.str();
    auto teapot = run(*snapshot, "GET", "/teapot");
    EXPECT_EQ(teapot.status(), 418);
    EXPECT_NE(teapot.body().find("\"detail\":\"short\""), std::string::npos);
    // The access log saw the final status (written by its own thread: flush waits for it).
    logs.flush();
    EXPECT_NE(logText.str().find("route=/boom status=500"), std::string::npos) << logText.str();
}

TEST_F(PipelineTest, RequestIdIsEchoedWhenAcceptableAndGeneratedOtherwise) {
    auto snapshot = build({{"GET", "/x", [](Request&, Response& r) { r.send(200, "x"); }}}, {});
    EXPECT_EQ(run(*snapshot, "GET", "/x", "abc.DEF_123-x").headers().get("X-Request-ID").value_or(""),
              "abc.DEF_123-x");
    const auto generated = run(*snapshot, "GET", "/x", "bad id;drop").headers().get("X-Request-ID").value_or("");
    EXPECT_EQ(generated.size(), 36u) << generated;
    EXPECT_NE(generated, "bad id;drop");
    EXPECT_NE(run(*snapshot, "GET", "/x", std::string(129, 'a')).headers().get("X-Request-ID").value_or(""),
              std::string(129, 'a'));
    EXPECT_TRUE(isAcceptableRequestId(std::string(128, 'a')));
    EXPECT_FALSE(isAcceptableRequestId(""));
}

TEST_F(PipelineTest, AccessLogHasOneStructuredLinePerRequest) {
    auto snapshot = build({{"GET", "/items/{id}", [](Request&, Response& r) { r.send(200, "hello"); }}}, {});
    run(*snapshot, "GET", "/items/42", "rid-7");
    logs.flush();
    const std::string text = logText.str();
    EXPECT_NE(text.find("[access] request_id=rid-7 listener=public method=GET route=/items/{id} status=200"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("bytes=5"), std::string::npos);

    logs.configure(spdlog::level::info, LogFormat::Json);
    run(*snapshot, "GET", "/items/43", "rid-8");
    logs.flush();
    const std::string json = logText.str().substr(text.size());
    EXPECT_NE(json.find("\"logger\":\"access\",\"request_id\":\"rid-8\""), std::string::npos) << json;
    EXPECT_NE(json.find("\"route\":\"/items/{id}\",\"status\":200"), std::string::npos) << json;
}

TEST_F(PipelineTest, ConflictingRoutesOfTwoPluginsAreRefusedNamingThePlugin) {
    std::vector<Route> first{{"GET", "/same/{a}", [](Request&, Response&) {}}};
    std::vector<Route> second{{"GET", "/same/{b}", [](Request&, Response&) {}}};
    std::vector<Middleware> none;
    std::vector<PipelineContributor> contributors{{"one", &first, &none, nullptr}, {"two", &second, &none, nullptr}};
    try {
        PipelineSnapshot snapshot(contributors, logs.logger("keel"));
        FAIL() << "conflict expected";
    } catch (const std::invalid_argument& error) {
        EXPECT_NE(std::string(error.what()).find("plugin two"), std::string::npos) << error.what();
    }
}

}  // namespace
}  // namespace keel::host

namespace keel::host {
namespace {

// Whether a request may run on the I/O thread: its route and every middleware of its listener say
// they never block; the core middleware do.
class NonBlockingRoutes : public PipelineTest {
protected:
    bool nonBlocking(PipelineSnapshot& snapshot, const std::string& method, const std::string& path,
                     const std::string& listener = "public") {
        Request request(method, path);
        request.setListener(listener);
        return snapshot.route(request).nonBlocking;
    }
    static Route route(const std::string& pattern, bool nonBlocking) {
        Route made{"GET", pattern, [](Request&, Response& response) { response.send(200, "ok"); }};
        if (nonBlocking) made.markNonBlocking();
        return made;
    }
    static Middleware passThrough(bool nonBlocking) {
        Middleware made{"pass", 150, [](Request&, Response&, const Next& next) { next(); }};
        made.nonBlocking = nonBlocking;
        return made;
    }
};

TEST_F(NonBlockingRoutes, AMarkedRouteBehindNonBlockingMiddlewareIsNonBlocking) {
    auto snapshot = build({route("/fast/{x}", true), route("/slow", false)}, {passThrough(true)});
    EXPECT_TRUE(nonBlocking(*snapshot, "GET", "/fast/1"));
    EXPECT_TRUE(nonBlocking(*snapshot, "HEAD", "/fast/1"));
    EXPECT_FALSE(nonBlocking(*snapshot, "GET", "/slow"));
    // 404 and 405 are answered by the host itself: only the middleware matter.
    EXPECT_TRUE(nonBlocking(*snapshot, "GET", "/nowhere"));
    EXPECT_TRUE(nonBlocking(*snapshot, "POST", "/fast/1"));
}

TEST_F(NonBlockingRoutes, OneBlockingMiddlewareSendsEveryRouteOfItsListenerToTheWorkers) {
    auto snapshot = build({route("/fast", true)}, {passThrough(true)}, {passThrough(false)});
    EXPECT_FALSE(nonBlocking(*snapshot, "GET", "/fast"));
    EXPECT_FALSE(nonBlocking(*snapshot, "GET", "/nowhere"));
}

TEST_F(NonBlockingRoutes, MiddlewareOnAnotherListenerDoesNotCount) {
    Middleware adminOnly = passThrough(false);
    adminOnly.listeners = {kAdminListener};
    auto snapshot = build({route("/fast", true)}, {adminOnly});
    EXPECT_TRUE(nonBlocking(*snapshot, "GET", "/fast"));
    EXPECT_FALSE(nonBlocking(*snapshot, "GET", "/nowhere", kAdminListener));
    EXPECT_FALSE(nonBlocking(*snapshot, "GET", "/fast", "unknown-listener"));
}

TEST_F(NonBlockingRoutes, RouteThenRunAnswersAsHandleDoes) {
    auto snapshot = build({route("/items/{id}", true)}, {});
    Request request("GET", "/items/7?x=1");
    request.setListener("public");
    const auto routed = snapshot->route(request);
    EXPECT_EQ(request.routePattern(), "/items/{id}");
    EXPECT_EQ(request.pathParameter("id"), "7");
    Response response;
    snapshot->run(routed, request, response);
    EXPECT_EQ(response.status(), 200);
    EXPECT_EQ(response.body(), "ok");
}

}  // namespace
}  // namespace keel::host
