// The front door's request-head checks: any bytes are accepted as a head with unambiguous framing
// (never both chunked and Content-Length) or refused with a 4xx/5xx; never a crash.
#include <string>
#include <string_view>

#include "fuzz_target.h"
#include "request_framing.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view buffered(reinterpret_cast<const char*>(data), size);
    keel::host::HeadLimits limits;
    limits.maxUriLength = 256;
    limits.maxHeaderBytes = 1024;
    limits.maxHeaderCount = 16;
    const auto end = keel::host::findHeadEnd(buffered);
    if (!end) {
        if (const auto rejection = keel::host::checkPartialHead(buffered, limits)) {
            FUZZ_ASSERT(rejection->status == 414 || rejection->status == 431, "a partial head refused with another status");
        }
        return 0;
    }
    FUZZ_ASSERT(*end <= size, "the head ends past the input");
    const auto head = buffered.substr(0, *end);
    if (const auto rejection = keel::host::checkRequestHead(head, limits)) {
        FUZZ_ASSERT(rejection->status >= 400 && rejection->status < 600, "a rejection that is not an error");
        return 0;
    }
    keel::host::BodyFraming framing;
    const auto fields = keel::host::headFields(head);
    if (!keel::host::checkBodyFraming(fields, framing)) {
        FUZZ_ASSERT(!(framing.chunked && framing.contentLength), "both chunked and Content-Length accepted");
    }
    (void)keel::host::hasValidPercentEncoding(head.substr(0, head.find(' ', head.find(' ') + 1)));  // crashes only
    return 0;
}
