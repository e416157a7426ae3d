// The JWT front end: any bearer credential is verified or refused with an AuthenticationError
// carrying a reason; nothing unsigned or signed with another algorithm is ever accepted.
#include <string>

#include "fuzz_target.h"
#include "jwt_verifier.h"

using keel::plugins::auth::JwtVerifier;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const auto verifier = JwtVerifier::withSecret(
        "fuzzing-secret-of-at-least-32-bytes!", keel::plugins::auth::JwtPolicy{"", "", std::chrono::seconds(30)},
        [] { return std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000)); });
    const std::string token(reinterpret_cast<const char*>(data), size);
    try {
        const auto principal = verifier->verify(token);
        FUZZ_ASSERT(!principal.subject.empty(), "a token without a subject was accepted");
    } catch (const keel::plugins::auth::AuthenticationError& error) {
        FUZZ_ASSERT(error.reason() != nullptr && *error.reason() != '\0', "a refusal without a reason");
    }
    return 0;
}
