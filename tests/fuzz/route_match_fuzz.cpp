// The request target decoder and the route matcher: any method and target give a match, a 405 or
// a 404; a match's parameters never hold a '/' and always belong to the matched pattern.
#include <keel/request.h>

#include <Poco/Exception.h>

#include <memory>
#include <string>

#include "fuzz_target.h"
#include "router.h"

namespace {

const keel::host::Router<int>& router() {
    static const keel::host::Router<int> routes = [] {
        keel::host::Router<int> built;
        built.add("GET", "/api/v1/orders", 1);
        built.add("POST", "/api/v1/orders", 2);
        built.add("GET", "/api/v1/orders/{id}", 3);
        built.add("GET", "/hello/{name}", 4);
        built.add("DELETE", "/admin/plugins/{name}", 5);
        built.add("POST", "/admin/plugins/{name}/reload", 6);
        built.add("GET", "/admin/plugins/static", 7);
        return built;
    }();
    return routes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string input(reinterpret_cast<const char*>(data), size);
    const auto space = input.find(' ');
    const std::string method = space == std::string::npos ? "GET" : input.substr(0, space);
    const std::string target = space == std::string::npos ? input : input.substr(space + 1);
    // The listener answers a malformed percent-escape with 400 before building a Request; the
    // constructor's refusal is that same rule, so it ends this input rather than failing it.
    std::unique_ptr<keel::Request> built;
    try {
        built = std::make_unique<keel::Request>(method, target);
    } catch (const Poco::SyntaxException&) {
        return 0;
    }
    const keel::Request& request = *built;
    (void)request.query("user_id");
    const auto match = router().match(request.method(), request.path());
    if (match.target != nullptr) {
        FUZZ_ASSERT(match.allowedMethods.empty(), "a match that also lists allowed methods");
        for (const auto& [name, value] : match.parameters) {
            FUZZ_ASSERT(value.find('/') == std::string::npos, "a path parameter spans segments");
            FUZZ_ASSERT(match.pattern.find("{" + name + "}") != std::string::npos, "a parameter the pattern lacks");
        }
    }
    return 0;
}
