// The JWT front end: any bearer credential is verified or refused with an AuthenticationError
// carrying a reason. The oracle for "accepted": the token has three parts and its signature is
// the HS256 MAC of its first two under the secret, recomputed here with OpenSSL, independently
// of Poco::JWT. So nothing unsigned, or signed otherwise, can pass unnoticed.
#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <sstream>
#include <string>

#include "fuzz_target.h"
#include "jwt_verifier.h"

using keel::plugins::auth::JwtVerifier;

namespace {

const std::string kSecret = "fuzzing-secret-of-at-least-32-bytes!";

std::string base64UrlDecode(const std::string& text) {
    std::istringstream in(text);
    Poco::Base64Decoder decoder(in, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
    std::ostringstream out;
    out << decoder.rdbuf();
    return out.str();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const auto verifier = JwtVerifier::withSecret(
        kSecret, keel::plugins::auth::JwtPolicy{"", "", std::chrono::seconds(30)},
        [] { return std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000)); });
    const std::string token(reinterpret_cast<const char*>(data), size);
    keel::Principal principal;
    try {
        principal = verifier->verify(token);
    } catch (const keel::plugins::auth::AuthenticationError& error) {
        FUZZ_ASSERT(error.reason() != nullptr && *error.reason() != '\0', "a refusal without a reason");
        return 0;
    }
    FUZZ_ASSERT(!principal.subject.empty(), "a token without a subject was accepted");
    const auto lastDot = token.rfind('.');
    FUZZ_ASSERT(lastDot != std::string::npos && token.find('.') < lastDot, "a token without three parts was accepted");
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), kSecret.data(), static_cast<int>(kSecret.size()), reinterpret_cast<const unsigned char*>(token.data()),
         lastDot, mac, &length);
    FUZZ_ASSERT(base64UrlDecode(token.substr(lastDot + 1)) == std::string(reinterpret_cast<const char*>(mac), length),
                "a token whose HS256 signature does not verify was accepted");
    return 0;
}
